import { describe, expect, it } from 'vitest';
import { EditSession, type EntryFold, HashedMap } from '../../src/world/HashedMap.js';

const empty = (): HashedMap<number> => HashedMap.empty<number>('n', String);

describe('HashedMap', () => {
  it('is persistent outside any edit session: every update leaves the old map as it was', () => {
    const a = empty().set('x', 1);
    const b = a.set('x', 2).set('y', 3);
    expect(a.get('x')).toBe(1);
    expect(a.has('y')).toBe(false);
    expect(b.get('x')).toBe(2);
    expect(a.hash).toEqual(a.recomputeHash());
    expect(b.hash).toEqual(b.recomputeHash());
  });

  it('every: true when the predicate holds of each entry, false at the first that fails, persistent or session-owned', () => {
    const persistent = empty().set('a', 1).set('b', 2).set('c', 3);
    const session = new EditSession();
    const owned = persistent.ownedBy(session);
    for (const m of [persistent, owned]) {
      const visited: string[] = [];
      expect(m.every((v, k) => (visited.push(k), v > 0))).toBe(true);
      expect(visited.sort()).toEqual(['a', 'b', 'c']);
      let calls = 0;
      expect(m.every((v) => (calls++, v !== 2 && v !== 1 && v !== 3))).toBe(false);
      expect(calls).toBe(1);
    }
    expect(empty().every(() => false)).toBe(true);
    session.close();
  });

  it('hashes independently of insertion order', () => {
    expect(empty().set('a', 1).set('b', 2).hash).toEqual(empty().set('b', 2).set('a', 1).hash);
    expect(empty().set('a', 1).delete('a').hash).toEqual(empty().hash);
  });
});

describe('EditSession', () => {
  it('edits a map it owns in place while open, and copies once it is closed', () => {
    const session = new EditSession();
    const owned = empty().set('x', 1).ownedBy(session);
    expect(owned.set('y', 2)).toBe(owned);
    expect(owned.get('y')).toBe(2);
    expect(owned.hash).toEqual(owned.recomputeHash());
    session.close();
    const after = owned.set('z', 3);
    expect(after).not.toBe(owned);
    expect(owned.has('z')).toBe(false);
    expect(after.get('y')).toBe(2);
  });

  it('never changes a map it does not own, even while open', () => {
    const session = new EditSession();
    const outside = empty().set('x', 1);
    const hash = outside.hash;
    const owned = outside.ownedBy(session);
    owned.set('x', 9).set('y', 2);
    const next = outside.set('x', 5);
    expect(next).not.toBe(outside);
    expect(outside.get('x')).toBe(1);
    expect(outside.has('y')).toBe(false);
    expect(outside.hash).toEqual(hash);
  });

  it('does not let one session edit the maps of another', () => {
    const a = new EditSession();
    const b = new EditSession();
    const ofA = empty().ownedBy(a);
    const ofB = ofA.ownedBy(b);
    expect(ofB).not.toBe(ofA);
    ofB.set('x', 1);
    expect(ofA.has('x')).toBe(false);
  });
});

/** A fold that sums keys' lengths and values, counting the trie nodes it summarises. */
function sumFold(): EntryFold<number, number> & { nodes: number } {
  const f = {
    nodes: 0,
    empty: 0,
    entry: (k: string, v: number) => k.length + v,
    combine: (a: number, b: number) => a + b,
    memo: new WeakMap<object, number>(),
    onNode: () => {
      f.nodes++;
    },
  };
  return f;
}

function direct(m: HashedMap<number>): number {
  let s = 0;
  for (const [k, v] of m.entries()) s += k.length + v;
  return s;
}

describe('HashedMap.fold', () => {
  it('equals folding the entries one by one, before and after updates', () => {
    const f = sumFold();
    let m = empty();
    expect(m.fold(f)).toBe(0);
    for (let i = 0; i < 300; i++) {
      m = m.set(`k${i}`, i);
      if (i % 7 === 0) m = m.delete(`k${i >> 1}`);
      expect(m.fold(f)).toBe(direct(m));
    }
  });

  it('summarises only the trie nodes one update copied (memoised per node)', () => {
    const f = sumFold();
    let m = empty();
    for (let i = 0; i < 20000; i++) m = m.set(`k${i}`, i);
    expect(m.fold(f)).toBe(direct(m));
    // The first fold summarises every node: far more than one per level.
    expect(f.nodes).toBeGreaterThan(600);
    for (const next of [m.set('k17', -1), m.delete('k4242'), m.set('new', 5)]) {
      f.nodes = 0;
      expect(next.fold(f)).toBe(direct(next));
      // 20000 entries: a trie of depth 3 or 4 (32 ways).
      expect(f.nodes).toBeLessThanOrEqual(5);
    }
  });

  it('folds a map an open edit session owns entry by entry, and memoises it once closed', () => {
    const session = new EditSession();
    let m = empty().ownedBy(session);
    for (let i = 0; i < 100; i++) m = m.set(`k${i}`, i);
    const f = sumFold();
    expect(m.fold(f)).toBe(direct(m));
    expect(f.nodes).toBe(0);
    m = m.set('k1', 50);
    expect(m.fold(f)).toBe(direct(m));
    session.close();
    expect(m.fold(f)).toBe(direct(m));
    expect(f.nodes).toBeGreaterThan(0);
  });
});
