import { readFileSync } from 'node:fs';

/** Where the CLI reads and writes: injected so tests can capture it. */
export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** All of standard input, for the file name `-` (default: file descriptor 0, read once). */
  readonly stdin?: () => string;
}

/**
 * Exit codes fixed by DESIGN.md: 0 ok, 1 a mismatch (or a finding the command was asked to fail
 * on), 2 bad input; 3 is drmstate's own failure (a bug), reported in one line.
 */
export const EXIT = { ok: 0, mismatch: 1, badInput: 2, internal: 3 } as const;

/** Reads standard input through `io` (or file descriptor 0). */
export function readStdin(io: CliIo): string {
  return io.stdin !== undefined ? io.stdin() : readFileSync(0, 'utf8');
}
