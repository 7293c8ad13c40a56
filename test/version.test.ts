import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRMSTATE_VERSION } from '../src/version.js';

describe('DRMSTATE_VERSION', () => {
  it('is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(DRMSTATE_VERSION).toBe(pkg.version);
  });
});
