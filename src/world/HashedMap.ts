import { Map as IMap } from 'immutable';
import { type Hash64, type StreamHash, ZERO_HASH, addHash, entryHash, feedString, tagState } from './hash.js';

/**
 * An edit token: the owner of one transient edit session (immutable.js's `withMutations`, Clojure's
 * transients). Maps copied into the session with {@link HashedMap.ownedBy} are updated in place
 * while it is open; once it is closed they behave persistently again. Only code that owns every
 * intermediate world may open one — replay does, and keeps only the last world.
 *
 * There is no ambient session: a map the session does not own (every map of a world made outside
 * it) is never changed, whoever updates it and when.
 *
 * @example
 *   const session = new EditSession();
 *   let m = HashedMap.empty<number>('n', String).ownedBy(session);
 *   m = m.set('a', 1); // in place
 *   session.close(); // from now on m.set(…) copies
 */
export class EditSession {
  private open = true;
  private shared = false;

  /** Whether maps owned by this session are still edited in place. */
  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Whether a world of this session was copied into another session while it was open
   * ({@link HashedMap.ownedBy}): the maps are copied then, but not what their values hold, so
   * from then on only the maps are edited in place (see {@link HashedMap.session}).
   */
  get isShared(): boolean {
    return this.shared;
  }

  /** Marks this session's values as shared with another session (see {@link EditSession.isShared}). */
  share(): void {
    this.shared = true;
  }

  /** Ends the session: its maps are persistent from now on. */
  close(): void {
    this.open = false;
  }
}

/**
 * How a map's values are encoded for hashing: a function giving the canonical string, or `feed`,
 * which streams exactly that string's characters into the hash without building it.
 */
export type ValueEncoding<V> = ((v: V) => string) | { readonly feed: (v: V, h: StreamHash) => void };

/** The tag's hash state and the value feed of one kind of map. */
interface Kind<V> {
  readonly tag: { readonly h1: number; readonly h2: number };
  readonly feed: (v: V, h: StreamHash) => void;
}

/**
 * A value with the hash of its entry, so that replacing it never hashes the old value again. The
 * lanes are kept inline as int32 (`| 0`): one object per entry, and no boxed number for a lane of
 * 2^31 or more (sums mod 2^32 are the same either way).
 */
interface Slot<V> {
  readonly value: V;
  readonly lo: number;
  readonly hi: number;
}

/**
 * A summary of a map's entries that combines as a commutative monoid, with the memo that makes
 * {@link HashedMap.fold} incremental.
 */
export interface EntryFold<V, S> {
  /** The summary of no entries. */
  readonly empty: S;
  /** The summary of one entry. Pure. */
  entry(key: string, value: V): S;
  /** The summary of two disjoint groups of entries. Pure, associative and commutative. */
  combine(a: S, b: S): S;
  /**
   * Summaries of the nodes of maps' persistent structure, owned by the caller and shared by every
   * version of every map it folds: a pure cache (a node never changes once a map holds it).
   */
  readonly memo: WeakMap<object, S>;
  /** Told once per node summary computed (not per memo hit): lets tests count the work. */
  readonly onNode?: () => void;
}

/**
 * A node of immutable.js's hash array mapped trie (immutable v5, `Map`'s `_root`): a leaf with one
 * `entry`, a leaf with `entries` (ArrayMapNode, HashCollisionNode), or an inner node with `nodes`
 * (BitmapIndexedNode, HashArrayMapNode, whose array may have empty slots).
 */
interface TrieNode<T> {
  readonly entry?: readonly [string, T];
  readonly entries?: readonly (readonly [string, T])[];
  readonly nodes?: readonly (TrieNode<T> | undefined)[];
}

/**
 * A persistent string-keyed map that carries the order-independent hash of its entries.
 *
 * Updates share structure with the old version (immutable.js HAMT underneath), so old worlds stay
 * valid and cheap, and the hash is maintained in O(1) per update. immer treats instances as opaque
 * values: a draft holds the new map as a whole, never a drafted copy of it.
 *
 * INVARIANT: `hash` equals the sum of `entryHash(tag, key, value, feed)` over all entries, that is
 * of the hashes of the strings `tag \0 key \0 encode(value)`.
 * Instances are immutable through their API (every field is readonly and private); they are not
 * `Object.freeze`d, which would cost a shape change per update on the replay hot path.
 */
export class HashedMap<V> {
  private constructor(
    /**
     * The entries: a persistent immutable.js map, or — while an edit session owns this instance —
     * a native Map that only that session changes. A native map left by a finished session is
     * never changed again; it becomes persistent the first time a persistent update needs it.
     */
    private store: IMap<string, Slot<V>> | Map<string, Slot<V>>,
    private h: Hash64,
    private readonly kind: Kind<V>,
    /** The edit session that owns this instance (see {@link EditSession}). */
    private readonly edit: EditSession | undefined = undefined,
  ) {}

  /**
   * The open edit session that owns this map, if any and if none of its worlds was shared with
   * another session: code that keeps structures of its own in the map's values (drm_mm's trees)
   * may edit those in place under that session.
   */
  get session(): EditSession | undefined {
    const e = this.edit;
    return e !== undefined && e.isOpen && !e.isShared ? e : undefined;
  }

  /** The order-independent hash of all entries. */
  get hash(): Hash64 {
    return this.h;
  }

  /** The entries as a persistent map (converted once from a finished session's native map). */
  private persistent(): IMap<string, Slot<V>> {
    if (this.store instanceof Map) this.store = IMap(this.store);
    return this.store;
  }

  /**
   * The successor after one change: this instance changed in place while an open edit session owns
   * it; otherwise a new persistent instance. `slot` undefined deletes `key`.
   */
  private changed(key: string, slot: Slot<V> | undefined, h: Hash64): HashedMap<V> {
    const edit = this.edit;
    if (edit === undefined || !edit.isOpen) {
      const m = this.persistent();
      return new HashedMap(slot === undefined ? m.delete(key) : m.set(key, slot), h, this.kind);
    }
    const m = this.store as Map<string, Slot<V>>;
    if (slot === undefined) m.delete(key);
    else m.set(key, slot);
    this.h = h;
    return this;
  }

  /**
   * This map's entries in a copy that `session` owns and edits in place while it is open (the
   * entries are copied once, into a native Map); the map itself when the session owns it already.
   * The map it is called on is never changed.
   */
  ownedBy(session: EditSession): HashedMap<V> {
    if (this.edit === session && session.isOpen) return this;
    // The values of another open session's map are now shared: structures beside them that the
    // session would change in place (drm_mm's trees) must be copied from now on.
    if (this.edit !== undefined && this.edit.isOpen) this.edit.share();
    return new HashedMap(new Map<string, Slot<V>>(this.store instanceof Map ? this.store : this.store.entries()), this.h, this.kind, session);
  }

  /**
   * Creates an empty map whose entries are hashed under `tag` with `encode`.
   *
   * @param encode Must be canonical: equal values encode to equal strings.
   */
  static empty<V>(tag: string, encode: ValueEncoding<V>): HashedMap<V> {
    const feed = typeof encode === 'function' ? feedString(encode) : encode.feed;
    return new HashedMap(IMap<string, Slot<V>>(), ZERO_HASH, { tag: tagState(tag), feed });
  }

  /** Builds a map from entries, in any order (the hash does not depend on it). */
  static from<V>(tag: string, encode: ValueEncoding<V>, entries: Iterable<readonly [string, V]>): HashedMap<V> {
    let m = HashedMap.empty(tag, encode);
    for (const [k, v] of entries) m = m.set(k, v);
    return m;
  }

  /** The number of entries. */
  get size(): number {
    return this.store.size;
  }

  /** The value at `key`, or undefined. */
  get(key: string): V | undefined {
    return this.store.get(key)?.value;
  }

  /** Whether `key` has a value. */
  has(key: string): boolean {
    return this.store.has(key);
  }

  /** A new map with `key` set to `value`. */
  set(key: string, value: V): HashedMap<V> {
    const old = this.store.get(key);
    const eh = entryHash(this.kind.tag, key, value, this.kind.feed);
    // Lane arithmetic inline: one hash object per update (a replay hot path).
    let lo = this.h.lo + eh.lo;
    let hi = this.h.hi + eh.hi;
    if (old !== undefined) {
      lo -= old.lo;
      hi -= old.hi;
    }
    return this.changed(key, { value, lo: eh.lo | 0, hi: eh.hi | 0 }, { lo: lo >>> 0, hi: hi >>> 0 });
  }

  /** A new map without `key`. */
  delete(key: string): HashedMap<V> {
    const old = this.store.get(key);
    if (old === undefined) return this;
    return this.changed(key, undefined, { lo: (this.h.lo - old.lo) >>> 0, hi: (this.h.hi - old.hi) >>> 0 });
  }

  /** The entries, in no particular order. */
  *entries(): IterableIterator<[string, V]> {
    for (const [k, slot] of this.store.entries()) yield [k, slot.value];
  }

  /**
   * Whether `pred` holds of every entry, in no particular order; stops at the first that fails.
   * Walks the entries without an iterator object per entry (invariants run on every checked world).
   */
  every(pred: (value: V, key: string) => boolean): boolean {
    const store = this.store;
    if (store instanceof Map) {
      for (const [k, slot] of store) if (!pred(slot.value, k)) return false;
      return true;
    }
    return store.every((slot, k) => pred(slot.value, k));
  }

  /** The keys, in no particular order. */
  keys(): IterableIterator<string> {
    return this.store.keys();
  }

  /** The entries sorted by key: the canonical order for snapshots and listings. */
  sortedEntries(): [string, V][] {
    return [...this.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * The fold of all entries, memoised per node of the persistent trie (`fold.memo`): a map made by
   * one `set` or `delete` from a folded map shares all but the O(log32 n) nodes on the changed
   * path, so folding it computes only those nodes' summaries (each from at most 32 children).
   *
   * A map that an open edit session owns is folded entry by entry (its native Map is changed in
   * place, so nothing of it can be memoised); so is a trie whose shape this code does not know.
   */
  fold<S>(fold: EntryFold<V, S>): S {
    if (this.store instanceof Map && this.edit !== undefined && this.edit.isOpen) return this.foldEntries(fold);
    // INVARIANT: immutable.js changes a trie node in place only inside withMutations() with the
    // node's owner, and no HashedMap keeps an owner open: once a map holds a node it never changes.
    const root = (this.persistent() as unknown as { readonly _root?: TrieNode<Slot<V>> })._root;
    if (root === undefined) return this.size === 0 ? fold.empty : this.foldEntries(fold);
    const s = foldNode(root, fold);
    return s === undefined ? this.foldEntries(fold) : s;
  }

  /** The fold of all entries, one by one (O(n)). */
  private foldEntries<S>(fold: EntryFold<V, S>): S {
    let s = fold.empty;
    for (const [k, slot] of this.store.entries()) s = fold.combine(s, fold.entry(k, slot.value));
    return s;
  }

  /** Recomputes the hash from scratch (for tests of the incremental hash). */
  recomputeHash(): Hash64 {
    let h = ZERO_HASH;
    for (const [k, slot] of this.store.entries()) h = addHash(h, entryHash(this.kind.tag, k, slot.value, this.kind.feed));
    return h;
  }
}

/** The memoised fold of one trie node, or undefined when its shape is not one immutable.js makes. */
function foldNode<V, S>(node: TrieNode<Slot<V>>, fold: EntryFold<V, S>): S | undefined {
  const hit = fold.memo.get(node);
  if (hit !== undefined) return hit;
  let s = fold.empty;
  if (node.entry !== undefined) s = fold.entry(node.entry[0], node.entry[1].value);
  else if (node.entries !== undefined) for (const [k, slot] of node.entries) s = fold.combine(s, fold.entry(k, slot.value));
  else if (node.nodes !== undefined) {
    const nodes = node.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const c = nodes[i];
      if (c === undefined || c === null) continue;
      const cs = foldNode(c, fold);
      if (cs === undefined) return undefined;
      s = fold.combine(s, cs);
    }
  } else return undefined;
  fold.onNode?.();
  fold.memo.set(node, s);
  return s;
}
