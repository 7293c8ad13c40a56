import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue #7: no module-level mutable state in src/ or machines/. A textual check on Prettier-formatted
// code, where every top-level statement starts in column 0.

const ROOT = join(import.meta.dirname, '..');
const COLLECTION = /^(?:export\s+)?const\s+([A-Za-z_$][\w$]*)\b[^=]*=\s*(?:new\s+(?:Map|Set|WeakMap|WeakSet|Array)\b|\[)/;
const BINDING = /^(?:export\s+)?(let|var)\s+([A-Za-z_$][\w$]*)/;
const MUTATORS = 'set|add|push|unshift|splice|delete|clear';

/** The `.ts` files under `dir`, relative to the checkout. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** The first line of each top-level statement: a line that starts in column 0 and is no comment or closing bracket. */
function statementStarts(lines: readonly string[]): number[] {
  return lines.flatMap((l, i) => (/^[^\s}\])/*]/.test(l) && !l.startsWith('//') ? [i] : []));
}

/**
 * What makes a module stateful: a top-level `let`/`var`, or a top-level collection mutated anywhere
 * but in its own statement or in the top-level `for` loops right after it (a lookup table built once
 * at load).
 */
function moduleState(text: string): string[] {
  const lines = text.split('\n');
  const starts = statementStarts(lines);
  const out: string[] = [];
  starts.forEach((at, k) => {
    const line = lines[at]!;
    const binding = BINDING.exec(line);
    if (binding !== null) out.push(`line ${at + 1}: top-level ${binding[1]} ${binding[2]}`);
    const collection = COLLECTION.exec(line);
    if (collection === null) return;
    const name = collection[1]!;
    // Building it at load: its own statement and the top-level loops straight after.
    let end = k + 1;
    while (end < starts.length && /^for\s*\(/.test(lines[starts[end]!]!)) end++;
    const buildEnd = end < starts.length ? starts[end]! : lines.length;
    const mutation = new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}\\.(?:${MUTATORS})\\(`);
    lines.forEach((l, i) => {
      if ((i < at || i >= buildEnd) && mutation.test(l)) out.push(`line ${i + 1}: top-level ${name} (line ${at + 1}) is mutated after load`);
    });
  });
  return out;
}

describe('moduleState', () => {
  it('finds a top-level let or var, exported or not', () => {
    expect(moduleState('let viz: Promise<Viz> | undefined;\nexport var n = 0;\n')).toEqual(['line 1: top-level let viz', 'line 2: top-level var n']);
  });

  it('finds a top-level collection mutated inside a function', () => {
    const text = ['const counters = new WeakMap<Kernel, number>();', '', 'export function f(k: Kernel): void {', '  counters.set(k, 1);', '}', ''].join('\n');
    expect(moduleState(text)).toEqual(['line 4: top-level counters (line 1) is mutated after load']);
  });

  it('allows a lookup table filled in its own statement or in a top-level loop right after it', () => {
    const text = ['const BY_ID = new Map<string, number>();', 'for (const [i, id] of IDS.entries()) {', '  BY_ID.set(id, i);', '}', 'const ALL = [1, 2].map((x) => x);', ''].join('\n');
    expect(moduleState(text)).toEqual([]);
  });

  it('ignores a let inside a function and a different object with the same method names', () => {
    const text = ['const seen = new Set<string>();', 'export function f(): void {', '  let n = 0;', '  other.seen.add(n);', '  const seen = new Set();', '}', ''].join('\n');
    expect(moduleState(text)).toEqual([]);
  });
});

describe('src/ and machines/', () => {
  const files = [...sources('src'), ...sources('machines')];

  it('are read (the check sees the sources)', () => {
    expect(files).toContain(join('src', 'index.ts'));
    expect(files).toContain(join('machines', 'dmaFence.machine.ts'));
  });

  for (const file of files)
    it(`${file} keeps no module-level mutable state`, () => {
      expect(moduleState(readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
    });
});
