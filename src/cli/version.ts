import { readFileSync } from 'node:fs';

/**
 * drmstate's version, read from its package.json (found above this module both in `src/cli/` and
 * in the built `dist/src/cli/`).
 *
 * @example
 *   drmstateVersion(); // '0.1.0'
 */
export function drmstateVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'drmstate' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this one: try the next folder up.
    }
  }
  return 'unknown';
}
