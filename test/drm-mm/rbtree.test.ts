import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RbKind, type RbNode, RbTxn, rbCheck, rbErase, rbFreeze, rbFromShape, rbInsert, rbItems, rbToShape } from '../../src/drm-mm/rbtree.js';
import { hashString } from '../../src/world/hash.js';
import { NumberTree } from './mutableRbtree.js';

const KIND: RbKind<number, number> = {
  goLeft: (a, b) => a < b,
  cmp: (k, at) => k - at,
  weight: (x) => BigInt(x),
  itemHash: (x) => hashString(String(x)),
};

/** A tree of the distinct keys of `seed`, inserted in order; `present` receives them. */
function seeded(kind: RbKind<number, number>, seed: readonly number[], present: Set<number>): RbNode<number> | null {
  let t: RbNode<number> | null = null;
  for (const k of seed) {
    if (!present.has(k)) {
      t = rbInsert(kind, t, k);
      present.add(k);
    }
  }
  return t;
}

describe('rbInsert / rbErase (lib/rbtree.c)', () => {
  it('builds the same shapes and colours as a mutable line-by-line port of the C (mutableRbtree.ts)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 200 }), (ops) => {
        const c = new NumberTree();
        let p: RbNode<number> | null = null;
        const present = new Set<number>();
        for (const [ins, k] of ops) {
          if (ins && !present.has(k)) {
            c.insert(k);
            p = rbInsert(KIND, p, k);
            present.add(k);
          } else if (!ins && present.has(k)) {
            c.erase(k);
            p = rbErase(KIND, p, k);
            present.delete(k);
          }
          expect(rbToShape(p, (x) => x)).toEqual(c.shape());
          expect(rbCheck(KIND, p)).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves older versions of the tree unchanged (path copying)', () => {
    let t: RbNode<number> | null = null;
    const versions: [RbNode<number> | null, unknown][] = [];
    for (const k of [5, 3, 8, 1, 4, 7, 9, 2, 6]) {
      t = rbInsert(KIND, t, k);
      versions.push([t, rbToShape(t, (x) => x)]);
    }
    for (const k of [5, 1, 9]) {
      t = rbErase(KIND, t, k);
      versions.push([t, rbToShape(t, (x) => x)]);
    }
    for (const [root, shape] of versions) expect(rbToShape(root, (x) => x)).toEqual(shape);
  });

  it('keeps every subtree maximum equal to the largest weight below it', () => {
    let t: RbNode<number> | null = null;
    for (let i = 0; i < 50; i++) t = rbInsert(KIND, t, (i * 37) % 101);
    for (let i = 0; i < 25; i++) t = rbErase(KIND, t, (i * 37) % 101);
    expect(t?.max).toBe(BigInt(Math.max(...rbItems(t))));
    expect(rbCheck(KIND, t)).toBeGreaterThan(0);
  });

  it('gives a multi-update transaction the shapes, maxima and hash of the same updates one by one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 60 }),
        fc.array(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 80 })), { maxLength: 6 }), { maxLength: 20 }),
        (seed, batches) => {
          const present = new Set<number>();
          let one = seeded(KIND, seed, present);
          let txnRoot = one;
          for (const batch of batches) {
            const before = txnRoot;
            const beforeShape = rbToShape(before, (x) => x);
            const t = new RbTxn(KIND, txnRoot);
            for (const [ins, k] of batch) {
              if (ins && !present.has(k)) {
                one = rbInsert(KIND, one, k);
                t.insert(k);
                present.add(k);
              } else if (!ins && present.has(k)) {
                one = rbErase(KIND, one, k);
                expect(t.erase(k)).toBe(true);
                present.delete(k);
              }
            }
            txnRoot = t.finish();
            expect(rbToShape(txnRoot, (x) => x)).toEqual(rbToShape(one, (x) => x));
            expect(txnRoot?.hash).toEqual(one?.hash);
            expect(rbCheck(KIND, txnRoot)).toBeGreaterThan(0);
            // The version before the transaction is untouched.
            expect(rbToShape(before, (x) => x)).toEqual(beforeShape);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rebuilds an identical tree, hash included, from its shape', () => {
    let t: RbNode<number> | null = null;
    for (const k of [10, 20, 30, 15, 25, 5, 1]) t = rbInsert(KIND, t, k);
    const back = rbFromShape(KIND, rbToShape(t, (x) => x), (x) => x);
    expect(rbToShape(back, (x) => x)).toEqual(rbToShape(t, (x) => x));
    expect(back?.hash).toEqual(t?.hash);
  });
});

/** A tree with neither augmented values nor hashes (as node_list, holes_size and hole_stack). */
const PLAIN: RbKind<number, number> = { goLeft: (a, b) => a < b, cmp: (k, at) => k - at, weight: () => 0n, augmented: false };

describe('in-place transactions (RbTxn inPlace, rbFreeze)', () => {
  const batches = fc.array(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 80 })), { maxLength: 6 }), { maxLength: 25 });

  for (const [name, kind] of [
    ['augmented and hashed', KIND],
    ['plain', PLAIN],
  ] as const) {
    it(`gives ${name} trees the shapes, maxima and hashes of copying transactions, and leaves the frozen start alone`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 60 }), batches, (seed, bs) => {
          const present = new Set<number>();
          let copied = seeded(kind, seed, present);
          const start = copied;
          const startShape = rbToShape(start, (x) => x);
          const startHash = start?.hash;
          let inPlace = start;
          for (const batch of bs) {
            const c = new RbTxn(kind, copied);
            const m = new RbTxn(kind, inPlace, true);
            for (const [ins, k] of batch) {
              if (ins && !present.has(k)) {
                c.insert(k);
                m.insert(k);
                present.add(k);
              } else if (!ins && present.has(k)) {
                expect(c.erase(k)).toBe(true);
                expect(m.erase(k)).toBe(true);
                expect(m.prevItem).toBe(c.prevItem);
                expect(m.nextItem).toBe(c.nextItem);
                present.delete(k);
              }
            }
            copied = c.finish();
            inPlace = m.finish();
            // Exact parent links across transactions make every later rebalancing agree too.
            expect(rbToShape(inPlace, (x) => x)).toEqual(rbToShape(copied, (x) => x));
            expect(inPlace?.hash).toEqual(copied?.hash);
            expect(inPlace?.max).toBe(copied?.max);
            expect(rbCheck(kind, inPlace)).toBeGreaterThan(0);
          }
          expect(rbToShape(start, (x) => x)).toEqual(startShape);
          expect(start?.hash).toEqual(startHash);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('changes the nodes in place from the second transaction on (nothing copied again)', () => {
    let t: RbNode<number> | null = null;
    for (let k = 0; k < 64; k++) t = rbInsert(KIND, t, k);
    const first = new RbTxn(KIND, t, true);
    first.insert(100);
    const owned = first.finish();
    expect(owned).not.toBe(t);
    const second = new RbTxn(KIND, owned, true);
    second.insert(101);
    expect(second.finish()).toBe(owned);
  });

  it('makes a tree persistent again once frozen: a copying update then leaves it unchanged', () => {
    fc.assert(
      fc.property(batches, fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 10 }), (bs, later) => {
        let t: RbNode<number> | null = null;
        const present = new Set<number>();
        for (const batch of bs) {
          const m: RbTxn<number, number> = new RbTxn(KIND, t, true);
          for (const [ins, k] of batch) {
            if (ins && !present.has(k)) {
              m.insert(k);
              present.add(k);
            } else if (!ins && present.has(k)) {
              m.erase(k);
              present.delete(k);
            }
          }
          t = m.finish();
        }
        rbFreeze(t);
        const shape = rbToShape(t, (x) => x);
        const hash = t?.hash;
        let u = t;
        for (const k of later) u = present.has(k) ? rbErase(KIND, u, k) : rbInsert(KIND, u, k);
        expect(rbToShape(t, (x) => x)).toEqual(shape);
        expect(t?.hash).toEqual(hash);
        expect(rbCheck(KIND, u)).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
