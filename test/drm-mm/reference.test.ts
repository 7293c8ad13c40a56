import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceDrmMm, type RefOutcome } from './reference.js';

/** Kernel-produced samples: one `{event, outcome}` per line, u64 values as decimal strings. */
// The kernel-produced samples, as copied into the repository from shared/conformance.
const CONFORMANCE_DIR = join(import.meta.dirname, '../conformance/fixtures/drm_mm');

interface Sample {
  readonly event: { readonly type: string; readonly [k: string]: unknown };
  readonly outcome: RefOutcome;
}

function readSamples(file: string): Sample[] {
  return readFileSync(join(CONFORMANCE_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Sample);
}

/** The outcome without `violations`, which the kernel samples do not record. */
function answer(o: RefOutcome): Record<string, unknown> {
  const { violations: _ignored, ...rest } = o as RefOutcome & { violations?: unknown };
  return rest;
}

function isOnceByAddress(e: Sample['event']): boolean {
  return e.type === 'drm_mm_insert_node_in_range' && e.once === true && (e.mode === 'low' || e.mode === 'high');
}

const files = readdirSync(CONFORMANCE_DIR)
  .filter((f) => f.endsWith('.ndjson'))
  .sort();

describe('ReferenceDrmMm against the kernel samples', () => {
  it('finds the kernel samples', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    it(`reproduces every outcome of ${file}`, () => {
      const ref = new ReferenceDrmMm();
      const samples = readSamples(file);
      expect(samples.length).toBeGreaterThan(0);
      samples.forEach((s, i) => {
        // LOWEST/HIGHEST depend on the rbtree's shape: the reference checks the kernel's answer is
        // one it could give, then follows it.
        const got = isOnceByAddress(s.event) ? ref.apply(s.event, s.outcome) : ref.apply(s.event);
        expect(answer(got), `${file}:${i + 1} ${JSON.stringify(s.event)}`).toEqual(answer(s.outcome));
      });
    });
  }
});

describe('ReferenceDrmMm', () => {
  const init = { type: 'drm_mm_init', mm: 'm', start: '0', size: '100' };
  const ins = (node: string, size: number, mode: string, extra: Record<string, unknown> = {}) => ({
    type: 'drm_mm_insert_node_in_range',
    mm: 'm',
    node,
    size: String(size),
    alignment: '0',
    color: '0',
    range_start: '0',
    range_end: '18446744073709551615',
    mode,
    once: false,
    ...extra,
  });

  it('gives best-fit ties to the most recently added hole', () => {
    const ref = new ReferenceDrmMm();
    ref.apply(init);
    for (const [n, s] of [['a', 10], ['b', 5], ['c', 10], ['d', 5], ['e', 10]] as const) ref.apply(ins(n, s, 'low'));
    ref.apply({ type: 'drm_mm_remove_node', node: 'b' });
    ref.apply({ type: 'drm_mm_remove_node', node: 'd' });
    // Holes of size 5 at 10 (added first) and 25 (added later); the tail hole is larger.
    expect(ref.apply(ins('f', 5, 'best'))).toEqual({ ok: true, start: '25' });
    expect(ref.apply(ins('g', 5, 'best'))).toEqual({ ok: true, start: '10' });
  });

  it('rejects a LOWEST answer that the hole holding range_start rules out', () => {
    const ref = new ReferenceDrmMm();
    ref.apply(init);
    expect(() => ref.apply(ins('a', 10, 'low', { once: true }), { ok: true, start: '50' })).toThrow();
    expect(ref.apply(ins('a', 10, 'low', { once: true }), { ok: true, start: '0' })).toEqual({ ok: true, start: '0' });
  });

  it('places HIGH at the top with the start aligned down, non-power-of-two alignment included', () => {
    const ref = new ReferenceDrmMm();
    ref.apply(init);
    expect(ref.apply(ins('a', 10, 'high', { alignment: '7' }))).toEqual({ ok: true, start: '84' });
    expect(ref.apply(ins('b', 10, 'low', { alignment: '7' }))).toEqual({ ok: true, start: '0' });
    expect(ref.apply(ins('c', 1, 'low', { alignment: '7' }))).toEqual({ ok: true, start: '14' });
  });

  it('wraps range arithmetic around u64 near 2^64', () => {
    const ref = new ReferenceDrmMm();
    const top = (1n << 64n) - 100n;
    ref.apply({ type: 'drm_mm_init', mm: 'm', start: top.toString(), size: '50' });
    // start + size wraps: reserve answers ENOSPC.
    expect(ref.apply({ type: 'drm_mm_reserve_node', mm: 'm', node: 'r', start: top.toString(), size: '18446744073709551615', color: '0' })).toEqual({
      ok: false,
      errno: 'ENOSPC',
    });
    expect(ref.apply(ins('a', 7, 'high', { alignment: '3' }))).toEqual({ ok: true, start: ((top + 43n) - ((top + 43n) % 3n)).toString() });
  });
});
