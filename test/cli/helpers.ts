import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process and captures its output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWithStdin(undefined, ...argv);
}

/** Runs the CLI in-process with `stdin` as its standard input, and captures its output. */
export async function cliWithStdin(stdin: string | undefined, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s) };
  const code = await main(argv, stdin === undefined ? io : { ...io, stdin: () => stdin });
  return { code, out, err };
}

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'drmstate-'));
}

/** Writes lines (objects are JSON-encoded) to a file in `dir` and returns its path. */
export function writeLines(dir: string, name: string, lines: readonly (object | string)[]): string {
  const p = join(dir, name);
  writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return p;
}
