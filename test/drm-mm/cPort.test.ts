import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompiledDrmMmPort, drmMmPortSource, drmMmPortText } from '../bench/drmMmPort.js';
import { type WorkloadShape, makeWorkload, rng } from '../bench/drmMmWorkload.js';
import { onPath } from '../bench/native.js';
import { MutableDrmMm, type MutableCall, toMutableCall } from './mutableDrmMm.js';

const HAS_CC = onPath('cc');

let compiled: CompiledDrmMmPort | undefined;
function port(): CompiledDrmMmPort {
  compiled ??= CompiledDrmMmPort.compile();
  return compiled;
}
afterAll(() => compiled?.close());

function mutableAnswers(calls: readonly MutableCall[]): number[] {
  const mm = new MutableDrmMm();
  return calls.map((c) => mm.call(c));
}

/** Expects `got` to equal `want`, naming the first call they differ on. */
function sameAnswers(got: Float64Array, want: readonly number[], calls: readonly MutableCall[], offset = 0): void {
  expect(got.length).toBe(want.length);
  const i = want.findIndex((w, j) => got[j] !== w);
  if (i >= 0) expect({ call: offset + i, what: calls[offset + i], c: got[i] }).toEqual({ call: offset + i, what: calls[offset + i], c: want[i] });
}

/**
 * Seeded small calls beyond the workload's: several inits at odd starts, non-power-of-two
 * alignments, random ranges (some inverted or past the end), every mode, `once`, colours, sizes of
 * zero, inserts of allocated nodes and removes of free ones (refused: -2).
 */
function oddCalls(seed: number, n: number): MutableCall[] {
  const next = rng(seed);
  const int = (k: number): number => Math.floor(next() * k);
  const alignments = [0, 1, 2, 3, 7, 12, 100, 4096, 65536, 1_000_003];
  const calls: MutableCall[] = [];
  let end = 0;
  for (let i = 0; i < n; i++) {
    if (i % 500 === 0) {
      const start = int(5000);
      const size = 1000 + int(200_000);
      end = start + size;
      calls.push({ op: 'init', start, size });
    } else if (next() < 0.35) calls.push({ op: 'remove', node: `n${int(48)}` });
    else {
      let a = int(end + 100);
      let b = int(end + 100);
      if (next() < 0.5) [a, b] = [0, end];
      else if (a > b && next() < 0.8) [a, b] = [b, a];
      calls.push({
        op: 'insert',
        node: `n${int(48)}`,
        size: next() < 0.02 ? 0 : 1 + int(Math.floor(end / 16)),
        alignment: alignments[int(alignments.length)] as number,
        color: int(3),
        rangeStart: a,
        rangeEnd: b,
        mode: int(4),
        once: next() < 0.2,
      });
    }
  }
  return calls;
}

const SHAPES: readonly WorkloadShape[] = [
  { rangeSize: 1n << 30n, live: 500, mixed: 1500, seed: 3 },
  // Nearly full (about 100 nodes of 0.5 MiB on average in 64 MiB): -ENOSPC in the mixed phase.
  { rangeSize: 1n << 26n, live: 100, mixed: 2000, seed: 5 },
  { rangeSize: 1n << 40n, live: 2000, mixed: 2000, seed: 9 },
];

describe('the C port of the mutable drm_mm (test/bench/c/drmMmPort.c)', () => {
  it('sits beside the bench, is fed one call a line, and the cc detection answers', () => {
    const src = readFileSync(drmMmPortSource(), 'utf8');
    expect(src).toMatch(/int main\(int argc, char \*\*argv\)/);
    expect(src).toMatch(/CLOCK_PROCESS_CPUTIME_ID/);
    const calls: MutableCall[] = [
      { op: 'init', start: 7, size: 2 ** 40 },
      { op: 'insert', node: 'b', size: 4096, alignment: 12, color: 2, rangeStart: 0, rangeEnd: 2 ** 40, mode: 3, once: true },
      { op: 'insert', node: 'a', size: 1, alignment: 0, color: 0, rangeStart: 5, rangeEnd: 9, mode: 0, once: false },
      { op: 'remove', node: 'b' },
    ];
    expect(drmMmPortText(calls)).toBe('i 7 1099511627776\na 0 4096 12 2 0 1099511627776 3 1\na 1 1 0 0 5 9 0 0\nr 0\n');
    expect(() => drmMmPortText([{ ...(calls[1] as MutableCall & { op: 'insert' }), mode: 4 }])).toThrow(/insertion mode 4 is not 0\.\.3/);
    expect(onPath('sh')).toBe(true);
    expect(onPath('no-such-command-drmstate')).toBe(false);
    if (!HAS_CC) expect(() => CompiledDrmMmPort.compile()).toThrow(/cc is not on the PATH/);
  });

  it('compiles without a warning and answers seeded workloads as MutableDrmMm does, call by call', () => {
    if (!HAS_CC) {
      expect(onPath('cc')).toBe(false);
      return;
    }
    expect(port().warnings).toBe('');
    for (const shape of SHAPES) {
      const w = makeWorkload(shape);
      const calls = [...w.build, ...w.mixed].map(toMutableCall);
      const want = mutableAnswers(calls);
      sameAnswers(port().run(calls).answers, want, calls);
      // The build untimed, the mixed phase timed on two fresh allocators.
      const r = port().run(calls, w.build.length, 2);
      sameAnswers(r.answers, want.slice(w.build.length), calls, w.build.length);
      expect(Number.isFinite(r.nsPerCall) && r.nsPerCall > 0).toBe(true);
    }
    // The nearly full shape does run out of space.
    const full = makeWorkload(SHAPES[1] as WorkloadShape);
    expect(mutableAnswers([...full.build, ...full.mixed].map(toMutableCall))).toContain(-1);
  });

  it('answers odd alignments, ranges, modes, once and refused misuse as MutableDrmMm does', () => {
    for (const seed of [1, 2, 3]) {
      const calls = oddCalls(seed, 3000);
      const want = mutableAnswers(calls);
      // The calls reach every kind of answer, and non-power-of-two alignments place nodes.
      expect(want).toContain(-1);
      expect(want).toContain(-2);
      const odd = calls.filter((c, i) => c.op === 'insert' && (want[i] as number) > 0 && c.alignment > 1 && (c.alignment & (c.alignment - 1)) !== 0);
      expect(odd.length).toBeGreaterThan(20);
      if (!HAS_CC) continue;
      sameAnswers(port().run(calls).answers, want, calls);
    }
  });

  it('fails with the line of a malformed call, and on a build longer than the calls', () => {
    if (!HAS_CC) {
      expect(() => CompiledDrmMmPort.compile()).toThrow(/cc is not on the PATH/);
      return;
    }
    const p = port();
    const bad = join(p.dir, 'bad.txt');
    writeFileSync(bad, 'i 0 10\n# a comment\na 1 2\n');
    expect(() => p.runFile(bad, 2, 0)).toThrow(/bad\.txt: line 3: expected a decimal number below 2\^64/);
    writeFileSync(bad, 'i 0 10\nq 1\n');
    expect(() => p.runFile(bad, 2, 0)).toThrow(/line 2: a call starts with i, a or r/);
    const one = p.writeCalls([{ op: 'init', start: 0, size: 10 }], 'one.txt');
    expect(() => p.runFile(one, 1, 2)).toThrow(/BUILD is 2 but .* holds 1 calls/);
    expect(() => p.runFile(one, 1, 0, 0)).toThrow(/REPEAT must be at least 1/);
    expect(p.runFile(one, 1, 1).answers.length).toBe(0);
  });
});
