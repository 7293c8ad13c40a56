import type { EditSession } from '../world/HashedMap.js';
import { type Hash64, ZERO_HASH, addHash, entryHash, feedText, hashString, tagState, subHash } from '../world/hash.js';
import {
  type RbKind,
  type RbNode,
  RbTxn,
  rbFind,
  rbFreeze,
  rbFirst,
  rbItems,
  rbNeighbours,
} from './rbtree.js';

/**
 * The data of one `struct drm_mm` and the kernel's hole bookkeeping on it: add_hole(), rm_hole(),
 * the node list, and the three hole indexes (holes_size, holes_addr, hole_stack).
 *
 * Models drivers/gpu/drm/drm_mm.c (v6.17).
 */

const M64 = (1n << 64n) - 1n;

/** u64 wrap-around: the value mod 2^64. */
export function u64(v: bigint): bigint {
  // Hot path: most values are already in range, and comparing allocates nothing.
  return v >= 0n && v <= M64 ? v : v & M64;
}

/** One shared bigint per small value (sizes and colours repeat across nodes; bigints are values). */
const SMALL: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** `v`, or the one shared bigint of that value when it is small. */
export function shared(v: bigint): bigint {
  return v < 1024n ? (SMALL[Number(v)] as bigint) : v;
}

/** The owner name of the allocator's head node (`mm->head_node`), which owns the hole at the range start. */
export const HEAD = '';

/** One allocated node linked in `node_list`, keyed by its start. */
export interface ListItem {
  readonly name: string;
  readonly start: bigint;
  readonly size: bigint;
  readonly color: bigint;
}

/**
 * The hole following one node (or the head): `hole_size != 0`.
 *
 * `seq` orders equal sizes in holes_size (later insertions sort after earlier ones); `stamp` orders
 * hole_stack (larger is more recent). Neither is observable beyond the orders they encode.
 */
export interface Hole {
  /** The node the hole follows, or {@link HEAD}. */
  readonly owner: string;
  /** `__drm_mm_hole_node_start()`: the owner's end. */
  readonly addr: bigint;
  /** `hole_size`. */
  readonly size: bigint;
  /** The owner's start (its key in the node list); unused for the head. */
  readonly ownerStart: bigint;
  /** The owner's colour (0 for the head, which is never allocated). */
  readonly ownerColor: bigint;
  readonly seq: number;
  readonly stamp: number;
  /**
   * The hash of owner, start and size ({@link holeItemHash}), computed once and kept inline as two
   * int32 lanes: a hole is its own {@link Hash64} for holes_addr's node hashes (no object per hole).
   */
  readonly lo: number;
  readonly hi: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO32 = 4294967296;

/** Mixes one 32-bit word into a lane (murmur3-style), as an int32. */
export function mixWord(h: number, w: number, m: number): number {
  let k = Math.imul(w, m);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The low 32-bit word of a u64, read through a double when below 2^53 (exact, no bigint arithmetic). */
export function u64Low(v: bigint): number {
  return v <= MAX_SAFE ? Number(v) >>> 0 : Number(v & 0xffffffffn);
}

/** The high 32-bit word of a u64, read as {@link u64Low} reads the low one. */
export function u64High(v: bigint): number {
  return v <= MAX_SAFE ? Math.floor(Number(v) / TWO32) : Number(v >> 32n);
}

/** The final avalanche (fmix32) of two mixed lanes, crossing them: the hash, as int32 lanes. */
export function avalanche(lo: number, hi: number): Hash64 {
  lo ^= hi >>> 16;
  lo = Math.imul(lo, 0x85ebca6b);
  lo ^= lo >>> 13;
  hi ^= lo >>> 15;
  hi = Math.imul(hi, 0xc2b2ae35);
  hi ^= hi >>> 16;
  lo = Math.imul(lo ^ (lo >>> 16), 0xc2b2ae35);
  lo ^= lo >>> 16;
  return { lo: lo | 0, hi: hi | 0 };
}

/**
 * The hash a hole carries: its owner, start and size. Hot path (every add_hole()): the u64s are
 * mixed as 32-bit words, read through a double when below 2^53 (exact), never through a string.
 * The lanes are int32, so that the object holds no boxed numbers.
 */
export function holeItemHash(owner: string, addr: bigint, size: bigint): Hash64 {
  const o = hashString(owner);
  let lo = o.lo | 0;
  let hi = o.hi | 0;
  for (let i = 0; i < 2; i++) {
    const v = i === 0 ? addr : size;
    const wl = u64Low(v);
    const wh = u64High(v);
    lo = mixWord(mixWord(lo, wl, 0xcc9e2d51), wh, 0xcc9e2d51);
    hi = mixWord(mixWord(hi, wh, 0x85ebca6b), wl, 0x85ebca6b);
  }
  return avalanche(lo, hi);
}

function holeHash(h: Hole): Hash64 {
  return h;
}

/** holes_addr: insert_hole_addr() descends left iff the new start is below the parent's. */
export const ADDR_KIND: RbKind<Hole, bigint> = {
  goLeft: (item, at) => item.addr < at.addr,
  cmp: (key, at) => (key < at.addr ? -1 : key > at.addr ? 1 : 0),
  weight: (h) => h.size,
  itemHash: holeHash,
};

/**
 * holes_size: insert_hole_size() descends left iff the new size is larger (largest first, ties after).
 *
 * Not hashed: only its in-order is observable (best_hole() and rb_prev() never depend on the
 * shape), and that order, size descending then `seq`, follows from the holes (hashed in holes_addr)
 * and hole_stack's order (`stackHash`), since `seq` and `stamp` are assigned together.
 */
export const SIZE_KIND: RbKind<Hole, Hole> = {
  goLeft: (item, at) => item.size > at.size,
  cmp: (key, at) => (key.size > at.size ? -1 : key.size < at.size ? 1 : key.seq < at.seq ? -1 : key.seq > at.seq ? 1 : 0),
  weight: () => 0n,
  augmented: false,
};

/** hole_stack, most recent first. ABSTRACTION: a list in the kernel; any balanced tree will do. */
export const STACK_KIND: RbKind<Hole, number> = {
  goLeft: (item, at) => item.stamp > at.stamp,
  cmp: (key, at) => (key > at.stamp ? -1 : key < at.stamp ? 1 : 0),
  weight: () => 0n,
  augmented: false,
};

/** node_list, ascending start. ABSTRACTION: a list in the kernel; any balanced tree will do. */
export const LIST_KIND: RbKind<ListItem, bigint> = {
  goLeft: (item, at) => item.start < at.start,
  cmp: (key, at) => (key < at.start ? -1 : key > at.start ? 1 : 0),
  weight: () => 0n,
  augmented: false,
};

const HOLE_STACK_TAG = tagState('drm_mm.hole_stack');

function stackEntry(owner: string, below: string | undefined): Hash64 {
  return entryHash(HOLE_STACK_TAG, owner, below === undefined ? '\u0001' : below, feedText);
}

/** The fields of {@link Mm}. */
export interface MmFields {
  /** False once drm_mm_takedown() ran. */
  readonly live: boolean;
  /** Incremented by every drm_mm_init() of this name: nodes and scans remember the one they belong to. */
  readonly gen: number;
  readonly start: bigint;
  readonly size: bigint;
  /** The `{ gap }` colour-adjust callback, or null for none. */
  readonly gap: bigint | null;
  /** The name of a registered colour-adjust function (`{ fn }`), or null for none. */
  readonly adjust: string | null;
  /** `scan_active`. */
  readonly scanActive: number;
  readonly list: RbNode<ListItem> | null;
  /** Linked nodes (`node_list` length). */
  readonly count: number;
  readonly byAddr: RbNode<Hole> | null;
  readonly bySize: RbNode<Hole> | null;
  readonly stack: RbNode<Hole> | null;
  /** Order-independent hash of hole_stack as "owner → the hole below it" links. */
  readonly stackHash: Hash64;
  readonly nextSeq: number;
  readonly nextStamp: number;
  /**
   * The open edit session whose transactions made the trees and may change their nodes in place
   * (see {@link MmTxn}); undefined for an allocator whose trees are persistent. Not state: never
   * hashed, never in a snapshot.
   */
  readonly edit?: EditSession | undefined;
}

/**
 * One `struct drm_mm`: an immutable value; every operation returns a new one sharing structure.
 *
 * # Invariants
 * - `list` holds exactly the linked (allocated, not scanned) nodes, by start;
 * - `byAddr`, `bySize` and `stack` hold the same holes, one per owner with `hole_size != 0`.
 */
export class Mm implements MmFields {
  readonly live!: boolean;
  readonly gen!: number;
  readonly start!: bigint;
  readonly size!: bigint;
  readonly gap!: bigint | null;
  readonly adjust!: string | null;
  readonly scanActive!: number;
  readonly list!: RbNode<ListItem> | null;
  readonly count!: number;
  readonly byAddr!: RbNode<Hole> | null;
  readonly bySize!: RbNode<Hole> | null;
  readonly stack!: RbNode<Hole> | null;
  readonly stackHash!: Hash64;
  readonly nextSeq!: number;
  readonly nextStamp!: number;
  readonly edit!: EditSession | undefined;

  constructor(f: MmFields) {
    // Field by field (not Object.assign): one hidden class, and a hot path.
    this.live = f.live;
    this.gen = f.gen;
    this.start = f.start;
    this.size = f.size;
    this.gap = f.gap;
    this.adjust = f.adjust;
    this.scanActive = f.scanActive;
    this.list = f.list;
    this.count = f.count;
    this.byAddr = f.byAddr;
    this.bySize = f.bySize;
    this.stack = f.stack;
    this.stackHash = f.stackHash;
    this.nextSeq = f.nextSeq;
    this.nextStamp = f.nextStamp;
    this.edit = f.edit;
    Object.freeze(this);
  }

  /** A copy with some fields changed. */
  with(f: Partial<MmFields>): Mm {
    return new Mm({ ...this.fields(), ...f });
  }

  /** The plain fields. */
  fields(): MmFields {
    return {
      live: this.live,
      gen: this.gen,
      start: this.start,
      size: this.size,
      gap: this.gap,
      adjust: this.adjust,
      scanActive: this.scanActive,
      list: this.list,
      count: this.count,
      byAddr: this.byAddr,
      bySize: this.bySize,
      stack: this.stack,
      stackHash: this.stackHash,
      nextSeq: this.nextSeq,
      nextStamp: this.nextStamp,
      edit: this.edit,
    };
  }

  /** `head_node.start`: the range end, mod 2^64. */
  get headStart(): bigint {
    return u64(this.start + this.size);
  }

  /** The hole an owner has, or undefined (drm_mm_hole_follows() is false). */
  holeOf(owner: string, ownerStart: bigint): Hole | undefined {
    const addr = owner === HEAD ? this.start : undefined;
    if (addr !== undefined) {
      const h = rbFind(ADDR_KIND, this.byAddr, addr);
      return h !== undefined && h.owner === HEAD ? h : undefined;
    }
    const item = rbFind(LIST_KIND, this.list, ownerStart);
    if (item === undefined || item.name !== owner) return undefined;
    const h = rbFind(ADDR_KIND, this.byAddr, u64(item.start + item.size));
    return h !== undefined && h.owner === owner ? h : undefined;
  }

  /** The linked node after `start` in node_list, or undefined for the head. */
  nextAfter(ownerStart: bigint | undefined): ListItem | undefined {
    if (ownerStart === undefined) return rbFirst(this.list);
    return rbNeighbours(LIST_KIND, this.list, ownerStart).next;
  }

  /** The linked node before the one at `start` in node_list, or undefined for the head. */
  prevBefore(start: bigint): ListItem | undefined {
    return rbNeighbours(LIST_KIND, this.list, start).prev;
  }

  /** Linked nodes in drm_mm_for_each_node() order. */
  nodes(): ListItem[] {
    return [...rbItems(this.list)];
  }

  /** Holes in drm_mm_for_each_hole() order: hole_stack, most recent first. */
  holes(): Hole[] {
    return [...rbItems(this.stack)];
  }

  /**
   * The hash of everything in this allocator that affects future answers: the holes with the exact
   * shape of holes_addr (which find_hole_addr()'s pruned descent observes), and hole_stack's order.
   * The node list follows from the holes and the allocator's range; holes_size's order from the
   * holes and hole_stack (see {@link SIZE_KIND}).
   */
  get hash(): Hash64 {
    return this.byAddr === null ? this.stackHash : addHash(this.byAddr.hash, this.stackHash);
  }
}

/**
 * Mutable workspace for one call on an allocator: the kernel's add_hole()/rm_hole() and list
 * updates applied to persistent trees.
 *
 * With an open edit session (a replay's, which keeps only its last world), the four trees are
 * changed in place where the session's earlier calls made their nodes: `mm` itself is then no
 * longer valid. An allocator made by another session, or by one now closed, has its trees
 * frozen first ({@link rbFreeze}), so that no other world ever sees a change.
 */
export class MmTxn {
  f: { -readonly [K in keyof MmFields]: MmFields[K] };
  /** One copy-on-write transaction per tree, opened by the first update (see {@link RbTxn}). */
  private listT: RbTxn<ListItem, bigint> | undefined;
  private addrT: RbTxn<Hole, bigint> | undefined;
  private sizeT: RbTxn<Hole, Hole> | undefined;
  private stackT: RbTxn<Hole, number> | undefined;
  private readonly inPlace: boolean;

  constructor(mm: Mm, session?: EditSession) {
    const edit = session !== undefined && session.isOpen && !session.isShared ? session : undefined;
    if (mm.edit !== undefined && mm.edit !== edit) {
      rbFreeze(mm.list);
      rbFreeze(mm.byAddr);
      rbFreeze(mm.bySize);
      rbFreeze(mm.stack);
    }
    this.f = mm.fields();
    this.f.edit = edit;
    this.inPlace = edit !== undefined;
  }

  /** The new allocator; the workspace must not be used afterwards. */
  done(): Mm {
    const f = this.f;
    if (this.listT !== undefined) f.list = this.listT.finish();
    if (this.addrT !== undefined) f.byAddr = this.addrT.finish();
    if (this.sizeT !== undefined) f.bySize = this.sizeT.finish();
    if (this.stackT !== undefined) f.stack = this.stackT.finish();
    return new Mm(f);
  }

  private list(): RbTxn<ListItem, bigint> {
    return (this.listT ??= new RbTxn(LIST_KIND, this.f.list, this.inPlace));
  }

  /** The linked node after the owner (`list_next_entry`), or undefined for the head. */
  next(ownerStart: bigint | undefined): ListItem | undefined {
    if (ownerStart === undefined) return rbFirst(this.f.list);
    return rbNeighbours(LIST_KIND, this.f.list, ownerStart).next;
  }

  /** list_add() of an allocated node in address order. */
  link(item: ListItem): void {
    const t = this.list();
    t.insert(item);
    this.f.list = t.root;
    this.f.count++;
  }

  /** list_del() of a node; returns its list predecessor (`list_prev_entry`), undefined for the head. */
  unlink(start: bigint): ListItem | undefined {
    const t = this.list();
    t.erase(start);
    this.f.list = t.root;
    this.f.count--;
    return t.prevItem;
  }

  /** The hole an owner has in this workspace, if any. */
  holeAt(addr: bigint, owner: string): Hole | undefined {
    const h = rbFind(ADDR_KIND, this.f.byAddr, addr);
    return h !== undefined && h.owner === owner ? h : undefined;
  }

  /**
   * Models add_hole() (drm_mm.c): the hole after `owner` (a linked node, or the head when `item` is
   * undefined) is measured from the node list and pushed on all three indexes.
   */
  addHole(item: ListItem | undefined): void {
    const f = this.f;
    const nx = this.next(item?.start);
    const end = nx === undefined ? u64(f.start + f.size) : nx.start;
    if (item === undefined) this.pushHole(HEAD, f.start, end, 0n, 0n);
    else this.pushHole(item.name, u64(item.start + item.size), end, item.start, item.color);
  }

  /**
   * add_hole() where the caller knows the hole: the owner's end `addr` and the next node's start
   * `end` (the list is not searched). `ownerStart` and `ownerColor` are 0 for the head.
   */
  pushHole(owner: string, addr: bigint, end: bigint, ownerStart: bigint, ownerColor: bigint): void {
    const f = this.f;
    const size = shared(u64(end - addr));
    const h = holeItemHash(owner, addr, size);
    const hole: Hole = {
      owner,
      addr,
      size,
      ownerStart,
      ownerColor,
      seq: f.nextSeq++,
      stamp: f.nextStamp++,
      lo: h.lo,
      hi: h.hi,
    };
    const top = rbFirst(f.stack);
    f.stackHash = addHash(f.stackHash, stackEntry(owner, top?.owner));
    const st = (this.sizeT ??= new RbTxn(SIZE_KIND, f.bySize, this.inPlace));
    st.insert(hole);
    f.bySize = st.root;
    const at = (this.addrT ??= new RbTxn(ADDR_KIND, f.byAddr, this.inPlace));
    at.insert(hole);
    f.byAddr = at.root;
    const kt = (this.stackT ??= new RbTxn(STACK_KIND, f.stack, this.inPlace));
    kt.insert(hole);
    f.stack = kt.root;
  }

  /** Models rm_hole() (drm_mm.c): the hole leaves hole_stack, holes_size and holes_addr. */
  rmHole(hole: Hole): void {
    const f = this.f;
    const kt = (this.stackT ??= new RbTxn(STACK_KIND, f.stack, this.inPlace));
    kt.erase(hole.stamp);
    f.stack = kt.root;
    // The erase found the hole's stack neighbours: the link to the hole below it goes, and the one
    // above it now links to that one.
    const above = kt.prevItem;
    const below = kt.nextItem;
    f.stackHash = subHash(f.stackHash, stackEntry(hole.owner, below?.owner));
    if (above !== undefined) {
      f.stackHash = subHash(f.stackHash, stackEntry(above.owner, hole.owner));
      f.stackHash = addHash(f.stackHash, stackEntry(above.owner, below?.owner));
    }
    const st = (this.sizeT ??= new RbTxn(SIZE_KIND, f.bySize, this.inPlace));
    st.erase(hole);
    f.bySize = st.root;
    const at = (this.addrT ??= new RbTxn(ADDR_KIND, f.byAddr, this.inPlace));
    at.erase(hole.addr);
    f.byAddr = at.root;
  }
}

/** Recomputes the hole_stack hash of a stack tree from scratch (snapshots and tests). */
export function stackHashOf(stack: RbNode<Hole> | null): Hash64 {
  let h = ZERO_HASH;
  const items = [...rbItems(stack)];
  for (let i = 0; i < items.length; i++) h = addHash(h, stackEntry((items[i] as Hole).owner, items[i + 1]?.owner));
  return h;
}

/** The allocator drm_mm_init() leaves: one hole, owned by the head node, spanning the range. */
export function initMm(gen: number, start: bigint, size: bigint, gap: bigint | null, adjust: string | null = null): Mm {
  const t = new MmTxn(
    new Mm({
      live: true,
      gen,
      start,
      size,
      gap,
      adjust,
      scanActive: 0,
      list: null,
      count: 0,
      byAddr: null,
      bySize: null,
      stack: null,
      stackHash: ZERO_HASH,
      nextSeq: 0,
      nextStamp: 0,
    }),
  );
  t.addHole(undefined);
  return t.done();
}
