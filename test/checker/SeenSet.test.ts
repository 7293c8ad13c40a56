import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenSet, collisionProbability } from '../../src/checker/SeenSet.js';

describe('SeenSet', () => {
  it('answers add and has as a Set of 64-bit pairs does, across growths', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 7 })), { maxLength: 5000 }), (keys) => {
        const s = new SeenSet(1024);
        const ref = new Set<string>();
        for (const [lo, hi] of keys) {
          const fresh = !ref.has(`${lo}:${hi}`);
          ref.add(`${lo}:${hi}`);
          expect(s.add(lo, hi)).toBe(fresh);
        }
        expect(s.size).toBe(ref.size);
        for (const k of ref) {
          const [lo, hi] = k.split(':').map(Number) as [number, number];
          expect(s.has(lo, hi)).toBe(true);
        }
        expect(s.has(12345, 99)).toBe(ref.has('12345:99'));
      }),
      { numRuns: 30 },
    );
  });

  it('keeps 10^5 fingerprints in at most 15 bytes each (8-byte slots, at most 5/6 empty after a growth)', () => {
    const s = new SeenSet(1024);
    for (let i = 0; i < 100_000; i++) s.add(Math.imul(i, 0x9e3779b1) >>> 0, i);
    expect(s.size).toBe(100_000);
    expect(s.bytes / s.size).toBeLessThanOrEqual(15);
  });

  it('stores the all-zero fingerprint (the empty-slot mark) as another key', () => {
    const s = new SeenSet();
    expect(s.add(0, 0)).toBe(true);
    expect(s.has(0, 0)).toBe(true);
    expect(s.add(0, 0)).toBe(false);
  });
});

describe('collisionProbability', () => {
  it("is TLC's optimistic estimate states × (transitions − states) / 2^64", () => {
    expect(collisionProbability(1e6, 5.4e6)).toBeCloseTo((1e6 * 4.4e6) / 2 ** 64, 20);
    expect(collisionProbability(10, 5)).toBe(0);
  });
});
