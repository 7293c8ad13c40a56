/** Where the CLI writes: injected so tests can capture it. */
export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

/** Exit codes fixed by DESIGN.md: 0 ok, 1 a mismatch (or a finding the command was asked to fail on), 2 bad input. */
export const EXIT = { ok: 0, mismatch: 1, badInput: 2 } as const;

/** Parsed command-line flags: booleans, values and positional arguments. */
export interface Flags {
  readonly positional: readonly string[];
  readonly bool: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
}

/**
 * Parses flags: `--name` for booleans listed in `boolFlags`, `--name VALUE` or `--name=VALUE` for
 * the others.
 *
 * @throws {Error} naming an unknown flag or a flag without its value.
 */
export function parseFlags(argv: readonly string[], boolFlags: readonly string[], valueFlags: readonly string[]): Flags {
  const positional: string[] = [];
  const bool = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (boolFlags.includes(name)) {
      if (eq >= 0) throw new Error(`--${name} takes no value`);
      bool.add(name);
    } else if (valueFlags.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`--${name} needs a value`);
      values.set(name, v);
    } else {
      throw new Error(`unknown option --${name}`);
    }
  }
  return { positional, bool, values };
}
