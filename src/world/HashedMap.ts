import { Map as IMap } from 'immutable';
import { type Hash64, ZERO_HASH, addHash, entryHash, subHash } from './hash.js';

/**
 * The edit session in force, if any: see {@link withTransientEdits}.
 */
let currentEdit: object | undefined;

/**
 * Runs `fn` as one transient edit session (immutable.js's `withMutations`, Clojure's transients):
 * a map created or first changed inside the session is owned by it and later changes in the same
 * session update it in place instead of copying a path. Only code that owns every intermediate
 * world may use it — replay does, and keeps only the last world. Maps from before the session are
 * never changed, and once the session ends every map behaves persistently again.
 */
export function withTransientEdits<T>(fn: () => T): T {
  const outer = currentEdit;
  currentEdit = {};
  try {
    return fn();
  } finally {
    currentEdit = outer;
  }
}

/**
 * A persistent string-keyed map that carries the order-independent hash of its entries.
 *
 * Updates share structure with the old version (immutable.js HAMT underneath), so old worlds stay
 * valid and cheap, and the hash is maintained in O(1) per update. immer treats instances as opaque
 * values: a draft holds the new map as a whole, never a drafted copy of it.
 *
 * INVARIANT: `hash` equals the sum of `entryHash(tag, key, encode(value))` over all entries.
 * Instances are immutable through their API (every field is readonly and private); they are not
 * `Object.freeze`d, which would cost a shape change per update on the replay hot path.
 */
/** A value with the hash of its entry, so that replacing it never hashes the old value again. */
interface Slot<V> {
  readonly value: V;
  readonly h: Hash64;
}

export class HashedMap<V> {
  private constructor(
    private map: IMap<string, Slot<V>>,
    private h: Hash64,
    private readonly tag: string,
    private readonly encode: (v: V) => string,
    /** The edit session that owns this instance (see {@link withTransientEdits}). */
    private edit: object | undefined = undefined,
  ) {}

  /** The order-independent hash of all entries. */
  get hash(): Hash64 {
    return this.h;
  }

  /** The underlying map, sealed if a finished edit session left it mutable. */
  private sealed(): IMap<string, Slot<V>> {
    if (this.edit !== undefined && this.edit !== currentEdit) {
      // INVARIANT: a map owned by a finished session is made persistent before anyone shares it.
      this.map = this.map.asImmutable();
      this.edit = undefined;
    }
    return this.map;
  }

  /** A successor holding `map` and `h`: this very instance inside its own edit session. */
  private next(map: IMap<string, Slot<V>>, h: Hash64): HashedMap<V> {
    if (currentEdit !== undefined && this.edit === currentEdit) {
      this.map = map;
      this.h = h;
      return this;
    }
    return new HashedMap(map, h, this.tag, this.encode, currentEdit);
  }

  /** The map to change: owned by the current session (copied into it on first change), or the persistent one. */
  private target(): IMap<string, Slot<V>> {
    const m = this.sealed();
    if (currentEdit === undefined) return m;
    return this.edit === currentEdit ? m : m.asMutable();
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
    const eh = entryHash(this.tag, key, this.encode(value));
    // Lane arithmetic inline: one hash object per update (a replay hot path).
    let lo = this.h.lo + eh.lo;
    let hi = this.h.hi + eh.hi;
    if (old !== undefined) {
      lo -= old.h.lo;
      hi -= old.h.hi;
    }
    return this.next(this.target().set(key, { value, h: eh }), { lo: lo >>> 0, hi: hi >>> 0 });
  }

  /** A new map without `key`. */
  delete(key: string): HashedMap<V> {
    const old = this.map.get(key);
    if (old === undefined) return this;
    return this.next(this.target().delete(key), subHash(this.h, old.h));
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
