import { Map as IMap } from 'immutable';
import { type Hash64, ZERO_HASH, addHash, entryHash, subHash } from './hash.js';

/**
 * A persistent string-keyed map that carries the order-independent hash of its entries.
 *
 * Updates share structure with the old version (immutable.js HAMT underneath), so old worlds stay
 * valid and cheap, and the hash is maintained in O(1) per update. immer treats instances as opaque
 * values: a draft holds the new map as a whole, never a drafted copy of it.
 *
 * INVARIANT: `hash` equals the sum of `entryHash(tag, key, encode(value))` over all entries.
 */
/** A value with the hash of its entry, so that replacing it never hashes the old value again. */
interface Slot<V> {
  readonly value: V;
  readonly h: Hash64;
}

export class HashedMap<V> {
  private constructor(
    private readonly map: IMap<string, Slot<V>>,
    /** The order-independent hash of all entries. */
    readonly hash: Hash64,
    private readonly tag: string,
    private readonly encode: (v: V) => string,
  ) {
    Object.freeze(this);
  }

  /**
   * Creates an empty map whose entries are hashed under `tag` with `encode`.
   *
   * @param encode Must be canonical: equal values encode to equal strings.
   */
  static empty<V>(tag: string, encode: (v: V) => string): HashedMap<V> {
    return new HashedMap(IMap<string, Slot<V>>(), ZERO_HASH, tag, encode);
  }

  /** Builds a map from entries, in any order (the hash does not depend on it). */
  static from<V>(tag: string, encode: (v: V) => string, entries: Iterable<readonly [string, V]>): HashedMap<V> {
    let m = HashedMap.empty(tag, encode);
    for (const [k, v] of entries) m = m.set(k, v);
    return m;
  }

  /** The number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** The value at `key`, or undefined. */
  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Whether `key` has a value. */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** A new map with `key` set to `value`. */
  set(key: string, value: V): HashedMap<V> {
    const old = this.map.get(key);
    let h = this.hash;
    if (old !== undefined) h = subHash(h, old.h);
    const eh = entryHash(this.tag, key, this.encode(value));
    h = addHash(h, eh);
    return new HashedMap(this.map.set(key, { value, h: eh }), h, this.tag, this.encode);
  }

  /** A new map without `key`. */
  delete(key: string): HashedMap<V> {
    const old = this.map.get(key);
    if (old === undefined) return this;
    const h = subHash(this.hash, old.h);
    return new HashedMap(this.map.delete(key), h, this.tag, this.encode);
  }

  /** The entries, in no particular order. */
  *entries(): IterableIterator<[string, V]> {
    for (const [k, slot] of this.map.entries()) yield [k, slot.value];
  }

  /** The keys, in no particular order. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** The entries sorted by key: the canonical order for snapshots and listings. */
  sortedEntries(): [string, V][] {
    return [...this.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Recomputes the hash from scratch (for tests of the incremental hash). */
  recomputeHash(): Hash64 {
    let h = ZERO_HASH;
    for (const [k, slot] of this.map.entries()) h = addHash(h, entryHash(this.tag, k, this.encode(slot.value)));
    return h;
  }
}
