import type { EntryFold, HashedMap } from '../world/HashedMap.js';
import { type Hash64, ZERO_HASH } from '../world/hash.js';
import { ADDR_KIND, HEAD, type Hole, type ListItem, type Mm, SIZE_KIND, STACK_KIND, avalanche, mixWord, u64High, u64Low } from './mm.js';
import type { RbKind, RbNode } from './rbtree.js';
import { type HeldBlock, INSERT_MODES, type NodeRecord, type ScanRecord } from './state.js';

/**
 * Summaries that let the drm_mm invariants be checked in time proportional to what a call changed,
 * not to the size of the world.
 *
 * Every part of a world is persistent: a call path-copies O(log n) nodes of each red-black tree
 * it touches and O(log32 n) nodes of each map's trie, and shares the rest with the world before
 * it. A summary is kept per tree node, per trie node, per allocator and per held-block cell, in
 * WeakMaps keyed by those immutable objects, and is computed from its children's summaries (a
 * monoid: left, item, right). The invariants then compare a few values at the roots. Nothing is
 * added to the world: its shape and fingerprints stay as they were.
 *
 * Set and sequence equalities are compared as 64-bit hashes: an order-independent sum for a
 * multiset, a polynomial hash for a sequence. Equal hashes of unequal collections are possible
 * with probability about 2^-64 per comparison; the model checker's state identity is a 64-bit
 * fingerprint too. Unequal hashes prove the collections unequal.
 */

/** What a summary was computed for (see {@link SummaryHooks.onSummary}). */
export type SummaryKind = 'node_list' | 'holes_addr' | 'holes_size' | 'hole_stack' | 'allocator' | 'held' | 'trie';

/** What a test may observe of the work done. */
export interface SummaryHooks {
  /** Told once per summary computed (a memo hit is not told). */
  readonly onSummary?: (of: SummaryKind) => void;
}

/**
 * A polynomial sequence hash, two lanes: `Σ x_i · B^i` with `p = B^length`, so that the hash of
 * a concatenation is `a + a.p · b` (a monoid). The lanes are int32.
 */
interface Seq {
  readonly lo: number;
  readonly hi: number;
  readonly plo: number;
  readonly phi: number;
}

const EMPTY_SEQ: Seq = Object.freeze({ lo: 0, hi: 0, plo: 1, phi: 1 });
const BASE_LO = 0x9e3779b1 | 0;
const BASE_HI = 0x85ebca77 | 0;

function seqOf(x: Hash64): Seq {
  return { lo: x.lo | 0, hi: x.hi | 0, plo: BASE_LO, phi: BASE_HI };
}

function seqCat(a: Seq, b: Seq): Seq {
  if (b === EMPTY_SEQ) return a;
  if (a === EMPTY_SEQ) return b;
  return {
    lo: (a.lo + Math.imul(a.plo, b.lo)) | 0,
    hi: (a.hi + Math.imul(a.phi, b.hi)) | 0,
    plo: Math.imul(a.plo, b.plo),
    phi: Math.imul(a.phi, b.phi),
  };
}

function seqEq(a: Seq, b: Seq): boolean {
  return a.lo === b.lo && a.hi === b.hi && a.plo === b.plo && a.phi === b.phi;
}

/** Lane-wise sum of multiset hashes, as int32 lanes. */
function add(a: Hash64, b: Hash64): Hash64 {
  if (b === ZERO_HASH) return a;
  if (a === ZERO_HASH) return b;
  return { lo: (a.lo + b.lo) | 0, hi: (a.hi + b.hi) | 0 };
}

function hashEq(a: Hash64, b: Hash64): boolean {
  return (a.lo | 0) === (b.lo | 0) && (a.hi | 0) === (b.hi | 0);
}

/**
 * The multiset hash of `x` tagged with a group `g` (an allocator, a scan): lane-wise `g · x` with
 * `g` odd, so that a group's sum is its tag times the sum of its untagged members.
 */
function tagged(g: Hash64, x: Hash64): Hash64 {
  return { lo: Math.imul(g.lo | 1, x.lo), hi: Math.imul(g.hi | 1, x.hi) };
}

/** `count` copies of the group tag `g` (an allocator's `scan_active`, a scan's held blocks). */
function times(g: Hash64, count: number): Hash64 {
  return { lo: Math.imul(g.lo | 1, count), hi: Math.imul(g.hi | 1, count) };
}

/** The owner the address-only hole hashes use: any fixed string does, both sides use the same. */
const NO_OWNER = '\u0000span';

const M64 = 1n << 64n;

/**
 * The hash of a string and two u64s, as int32 lanes: the summaries' one tuple hash (a hot path, so
 * it allocates only its result). The string is fed after its length, each value as a tag word and
 * its 32-bit words (two for a u64; every word, its sign and count for a value outside u64, which
 * only a corrupted world holds): a prefix-free stream, so distinct tuples feed distinct words.
 */
function tupleHash(s: string, a: bigint, b: bigint): Hash64 {
  let lo = 0x2545f491 ^ s.length;
  let hi = 0x6c8e9cf5 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    lo = Math.imul(lo ^ c, 0x9e3779b1);
    hi = Math.imul(hi ^ c, 0x85ebca77);
  }
  for (let i = 0; i < 2; i++) {
    const v = i === 0 ? a : b;
    if (v >= 0n && v < M64) {
      const wl = u64Low(v);
      const wh = u64High(v);
      lo = mixWord(mixWord(mixWord(lo, 0, 0xcc9e2d51), wl, 0xcc9e2d51), wh, 0xcc9e2d51);
      hi = mixWord(mixWord(mixWord(hi, 0, 0x85ebca6b), wh, 0x85ebca6b), wl, 0x85ebca6b);
    } else {
      let x = v < 0n ? -v : v;
      let k = 0;
      for (let y = x; y > 0n; y >>= 32n) k++;
      const tag = (v < 0n ? 2 : 1) + 4 * k;
      lo = mixWord(lo, tag, 0xcc9e2d51);
      hi = mixWord(hi, tag, 0x85ebca6b);
      for (; x > 0n; x >>= 32n) {
        const w = Number(BigInt.asUintN(32, x));
        lo = mixWord(lo, w, 0xcc9e2d51);
        hi = mixWord(hi, w, 0x85ebca6b);
      }
    }
  }
  return avalanche(lo, hi);
}

/** A hole as the node list implies it: owner, address and size. */
function holeHash(owner: string, addr: bigint, size: bigint): Hash64 {
  return tupleHash(owner, addr, size);
}

/** A hole's address and size only. */
function spanHash(addr: bigint, size: bigint): Hash64 {
  return tupleHash(NO_OWNER, addr, size);
}

/** A node as the list and its record both name it: name, start and size. */
function placedHash(name: string, start: bigint, size: bigint): Hash64 {
  return tupleHash(name, start, size);
}

/** Every field of a hole: two holes with the same hash are the same hole to every later call. */
function wholeHoleHash(h: Hole): Hash64 {
  const a = tupleHash(h.owner, h.addr, h.size);
  const b = tupleHash(String(h.seq), h.ownerStart, h.ownerColor);
  const c = tupleHash(String(h.stamp), 0n, 0n);
  return { lo: (a.lo ^ Math.imul(b.lo, 0x27d4eb2f) ^ Math.imul(c.lo, 0x165667b1)) | 0, hi: (a.hi ^ Math.imul(b.hi, 0x27d4eb2f) ^ Math.imul(c.hi, 0x165667b1)) | 0 };
}

/** The summary of a run of node_list, in address order. */
export interface ListSummary {
  readonly count: number;
  readonly first: ListItem | undefined;
  readonly last: ListItem | undefined;
  /** Every size is not 0. */
  readonly nonZero: boolean;
  /** Every size is above 0. */
  readonly positive: boolean;
  /** Every node starts at or after its predecessor's end. */
  readonly ordered: boolean;
  /** The least start and the largest end (meaningless when empty). */
  readonly minStart: bigint;
  readonly maxEnd: bigint;
  /** The least distance between neighbours of different colours (negative when they overlap), or null. */
  readonly minColourGap: bigint | null;
  /** The holes between neighbours (where the next start is past the previous end), in order. */
  readonly gapCount: number;
  readonly gaps: Seq;
  /** The same holes without their owners. */
  readonly spans: Seq;
  /** The multiset of `(name, start, size)` of the nodes. */
  readonly placed: Hash64;
}

const EMPTY_LIST: ListSummary = Object.freeze({
  count: 0,
  first: undefined,
  last: undefined,
  nonZero: true,
  positive: true,
  ordered: true,
  minStart: 0n,
  maxEnd: 0n,
  minColourGap: null,
  gapCount: 0,
  gaps: EMPTY_SEQ,
  spans: EMPTY_SEQ,
  placed: ZERO_HASH,
});

/** The summary of a subtree: its left subtree's, its item, its right subtree's, in order. */
function listNode(l: ListSummary, x: ListItem, r: ListSummary): ListSummary {
  const xEnd = x.start + x.size;
  let count = 1;
  let first = x;
  let last = x;
  let nonZero = x.size !== 0n;
  let positive = x.size > 0n;
  let ordered = true;
  let minStart = x.start;
  let maxEnd = xEnd;
  let minColourGap: bigint | null = null;
  let gapCount = 0;
  let gaps = EMPTY_SEQ;
  let spans = EMPTY_SEQ;
  let placed = placedHash(x.name, x.start, x.size);
  if (l.count > 0) {
    // The new neighbour pair on the left: the left subtree's last node, then x.
    const a = l.last as ListItem;
    const aEnd = a.start + a.size;
    const gap = x.start - aEnd;
    count += l.count;
    first = l.first as ListItem;
    nonZero &&= l.nonZero;
    positive &&= l.positive;
    ordered = l.ordered && gap >= 0n;
    if (l.minStart < minStart) minStart = l.minStart;
    if (l.maxEnd > maxEnd) maxEnd = l.maxEnd;
    minColourGap = l.minColourGap;
    if (a.color !== x.color && (minColourGap === null || gap < minColourGap)) minColourGap = gap;
    gapCount = l.gapCount;
    gaps = l.gaps;
    spans = l.spans;
    if (gap > 0n) {
      gaps = seqCat(gaps, seqOf(holeHash(a.name, aEnd, gap)));
      spans = seqCat(spans, seqOf(spanHash(aEnd, gap)));
      gapCount++;
    }
    placed = add(l.placed, placed);
  }
  if (r.count > 0) {
    // The new neighbour pair on the right: x, then the right subtree's first node.
    const b = r.first as ListItem;
    const gap = b.start - xEnd;
    count += r.count;
    last = r.last as ListItem;
    nonZero &&= r.nonZero;
    positive &&= r.positive;
    ordered = ordered && r.ordered && gap >= 0n;
    if (r.minStart < minStart) minStart = r.minStart;
    if (r.maxEnd > maxEnd) maxEnd = r.maxEnd;
    if (r.minColourGap !== null && (minColourGap === null || r.minColourGap < minColourGap)) minColourGap = r.minColourGap;
    if (b.color !== x.color && (minColourGap === null || gap < minColourGap)) minColourGap = gap;
    if (gap > 0n) {
      gaps = seqCat(gaps, seqOf(holeHash(x.name, xEnd, gap)));
      spans = seqCat(spans, seqOf(spanHash(xEnd, gap)));
      gapCount++;
    }
    gapCount += r.gapCount;
    gaps = seqCat(gaps, r.gaps);
    spans = seqCat(spans, r.spans);
    placed = add(placed, r.placed);
  }
  return { count, first, last, nonZero, positive, ordered, minStart, maxEnd, minColourGap, gapCount, gaps, spans, placed };
}

/**
 * Whether a tree node's children are absent or leaves: its summary is computed from at most three
 * items each time it is asked, not memoised (fewer WeakMap entries, and most nodes are such).
 */
function isSmall<T>(n: RbNode<T>): boolean {
  const l = n.left;
  const r = n.right;
  return (l === null || (l.left === null && l.right === null)) && (r === null || (r.left === null && r.right === null));
}

/** The summary of a subtree of one hole index. */
export interface HoleSummary {
  /** The black height as rbCheck() computes it, or -1 when a red-black rule, the order or a max fails inside. */
  readonly bh: number;
  readonly count: number;
  /** The multiset of the holes, every field. */
  readonly holes: Hash64;
  /** holes_addr only: `(owner, addr, size)` in order, and `(addr, size)` in order. */
  readonly seq: Seq;
  readonly spans: Seq;
}

const EMPTY_HOLES: HoleSummary = Object.freeze({ bh: 1, count: 0, holes: ZERO_HASH, seq: EMPTY_SEQ, spans: EMPTY_SEQ });

/** What one allocator contributes, computed once per allocator value. */
export interface MmSummary {
  /** drmMmTypeOk's allocator fields. */
  readonly fieldsOk: boolean;
  /** For a live allocator (true otherwise): nodesNeverOverlap. */
  readonly disjoint: boolean;
  /** nodesAndHolesPartitionTheRange (true during a scan). */
  readonly partition: boolean;
  /** The part of everyNodeKeepsItsPlacementRules that needs only the allocator. */
  readonly placed: boolean;
  /** holeIndexesAgreeWithTheNodeList (true during a scan). */
  readonly indexed: boolean;
  /** The node list's summary (empty for an allocator that is not live). */
  readonly list: ListSummary;
}

/** What a group of allocators contributes (the entries of `drmMm.mms`). */
export interface MmsSummary {
  readonly fieldsOk: boolean;
  readonly disjoint: boolean;
  readonly partition: boolean;
  readonly placed: boolean;
  readonly indexed: boolean;
  /** Σ over live allocators of their name's tag times their nodes' `(name, start, size)`. */
  readonly linked: Hash64;
  readonly linkedCount: number;
  /** Σ over live allocators of their name's tag times `scan_active`. */
  readonly active: Hash64;
}

/** What a group of node records contributes (the entries of `drmMm.nodes`). */
export interface NodesSummary {
  /** drmMmTypeOk's own fields of each record. */
  readonly fieldsOk: boolean;
  /** Σ over inserted records of their allocator's tag times `(name, start, size)`. */
  readonly linked: Hash64;
  readonly linkedCount: number;
  /** Every inserted record lies inside its placement rule. */
  readonly rulesOk: boolean;
  /** Σ over scanned records of their `(scan, allocator)` tag times their name. */
  readonly scanned: Hash64;
  readonly scannedCount: number;
}

/** What a group of scans contributes (the entries of `drmMm.scans`). */
export interface ScansSummary {
  readonly fieldsOk: boolean;
  /** The allocator names the scans name, sorted, without repeats. */
  readonly mms: readonly string[];
  /** Σ over held blocks of their `(scan, allocator)` tag times the block's node name. */
  readonly held: Hash64;
  readonly heldCount: number;
  /** Σ over scans of their allocator's tag times the number of blocks held. */
  readonly active: Hash64;
}

/** The hashes of one hole: as holes_addr's sequences see it, and whole. */
interface HoleHashes {
  readonly seq: Seq;
  readonly span: Seq;
  readonly whole: Hash64;
}

/** A held-block list's length and the multiset of its node names. */
interface HeldSummary {
  readonly count: number;
  readonly names: Hash64;
}

function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < M64;
}

const NODE_STATES: readonly string[] = ['unlinked', 'inserted', 'scanned', 'removed', 'orphaned'];

/** A string's hash under `seed`, as int32 lanes, allocating only the result. */
function textHash(s: string, seed: number): Hash64 {
  return tupleHash(s, BigInt(seed), 0n);
}

/** The group tag of an allocator's name. */
function mmTag(name: string): Hash64 {
  return textHash(name, 0x6d6d);
}

/** The group tag of a `(scan, allocator)` pair. */
function scanTag(scan: string | undefined, mm: string): Hash64 {
  // Both names as one string, with the scan's length to split them; a record naming no scan gets
  // a length no name has.
  return tupleHash(scan === undefined ? mm : scan + mm, scan === undefined ? -1n : BigInt(scan.length), 0x7363n);
}

/** The union of two sorted lists without repeats (one of them when it holds the other). */
function union(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0 || a === b) return a;
  if (a.length === 0) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as string);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out.length === a.length ? a : out.length === b.length ? b : out;
}

/**
 * The memoised summaries of one user of the invariants: WeakMaps keyed by the world's immutable
 * parts, so a pure cache (an entry is a function of its key and lives as long as it).
 */
export class InvariantSummaries {
  private readonly lists = new WeakMap<RbNode<ListItem>, ListSummary>();
  private readonly holeTrees = new Map<RbKind<Hole, never>, WeakMap<RbNode<Hole>, HoleSummary>>();
  private readonly allocators = new WeakMap<Mm, MmSummary>();
  private readonly heldLists = new WeakMap<HeldBlock, HeldSummary>();
  private readonly holeHashes = new WeakMap<Hole, HoleHashes>();
  private readonly mmsFold: EntryFold<Mm, MmsSummary>;
  private readonly nodesFold: EntryFold<NodeRecord, NodesSummary>;
  private readonly scansFold: EntryFold<ScanRecord, ScansSummary>;

  constructor(private readonly hooks: SummaryHooks = {}) {
    for (const k of [ADDR_KIND, SIZE_KIND, STACK_KIND] as RbKind<Hole, never>[]) this.holeTrees.set(k, new WeakMap());
    const onNode = hooks.onSummary === undefined ? undefined : () => hooks.onSummary?.('trie');
    this.mmsFold = {
      empty: { fieldsOk: true, disjoint: true, partition: true, placed: true, indexed: true, linked: ZERO_HASH, linkedCount: 0, active: ZERO_HASH },
      entry: (name, m) => this.mmEntry(name, m),
      combine: (a, b) => ({
        fieldsOk: a.fieldsOk && b.fieldsOk,
        disjoint: a.disjoint && b.disjoint,
        partition: a.partition && b.partition,
        placed: a.placed && b.placed,
        indexed: a.indexed && b.indexed,
        linked: add(a.linked, b.linked),
        linkedCount: a.linkedCount + b.linkedCount,
        active: add(a.active, b.active),
      }),
      memo: new WeakMap(),
      onNode,
    };
    this.nodesFold = {
      empty: { fieldsOk: true, linked: ZERO_HASH, linkedCount: 0, rulesOk: true, scanned: ZERO_HASH, scannedCount: 0 },
      entry: nodeEntry,
      combine: (a, b) => ({
        fieldsOk: a.fieldsOk && b.fieldsOk,
        linked: add(a.linked, b.linked),
        linkedCount: a.linkedCount + b.linkedCount,
        rulesOk: a.rulesOk && b.rulesOk,
        scanned: add(a.scanned, b.scanned),
        scannedCount: a.scannedCount + b.scannedCount,
      }),
      memo: new WeakMap(),
      onNode,
    };
    this.scansFold = {
      empty: { fieldsOk: true, mms: [], held: ZERO_HASH, heldCount: 0, active: ZERO_HASH },
      entry: (name, sc) => this.scanEntry(name, sc),
      combine: (a, b) => ({
        fieldsOk: a.fieldsOk && b.fieldsOk,
        mms: union(a.mms, b.mms),
        held: add(a.held, b.held),
        heldCount: a.heldCount + b.heldCount,
        active: add(a.active, b.active),
      }),
      memo: new WeakMap(),
      onNode,
    };
  }

  /** The summary of the allocators. */
  mms(m: HashedMap<Mm>): MmsSummary {
    return m.fold(this.mmsFold);
  }

  /** The summary of the node records. */
  nodes(m: HashedMap<NodeRecord>): NodesSummary {
    return m.fold(this.nodesFold);
  }

  /** The summary of the scans. */
  scans(m: HashedMap<ScanRecord>): ScansSummary {
    return m.fold(this.scansFold);
  }

  /** The summary of a node_list subtree. */
  list(n: RbNode<ListItem> | null): ListSummary {
    if (n === null) return EMPTY_LIST;
    const small = isSmall(n);
    if (!small) {
      const hit = this.lists.get(n);
      if (hit !== undefined) return hit;
    }
    const s = listNode(this.list(n.left), n.item, this.list(n.right));
    this.hooks.onSummary?.('node_list');
    if (!small) this.lists.set(n, s);
    return s;
  }

  /** The summary of a subtree of one hole index (`kind` is {@link ADDR_KIND}, {@link SIZE_KIND} or {@link STACK_KIND}). */
  holes<K>(kind: RbKind<Hole, K>, n: RbNode<Hole> | null): HoleSummary {
    if (n === null) return EMPTY_HOLES;
    const memo = this.holeTrees.get(kind as unknown as RbKind<Hole, never>) as WeakMap<RbNode<Hole>, HoleSummary>;
    const small = isSmall(n);
    if (!small) {
      const hit = memo.get(n);
      if (hit !== undefined) return hit;
    }
    const l = this.holes(kind, n.left);
    const r = this.holes(kind, n.right);
    // As rbCheck() walks: no red node with a red child, the left child not after its parent,
    // equal black heights, and `max` the largest weight below.
    let bh = -1;
    const redRed = n.red && ((n.left?.red ?? false) || (n.right?.red ?? false));
    const misordered = n.left !== null && kind.goLeft(n.left.item, n.item) === false && kind.goLeft(n.item, n.left.item);
    if (!redRed && !misordered && l.bh >= 0 && r.bh >= 0 && l.bh === r.bh) {
      let m = kind.weight(n.item);
      if (n.left !== null && n.left.max > m) m = n.left.max;
      if (n.right !== null && n.right.max > m) m = n.right.max;
      if (m === n.max) bh = l.bh + (n.red ? 0 : 1);
    }
    const h = this.hole(n.item);
    let seq = EMPTY_SEQ;
    let spans = EMPTY_SEQ;
    if (kind === (ADDR_KIND as unknown as RbKind<Hole, K>)) {
      seq = seqCat(seqCat(l.seq, h.seq), r.seq);
      spans = seqCat(seqCat(l.spans, h.span), r.spans);
    }
    const s: HoleSummary = { bh, count: l.count + 1 + r.count, holes: add(add(l.holes, h.whole), r.holes), seq, spans };
    this.hooks.onSummary?.(kind === (ADDR_KIND as unknown as RbKind<Hole, K>) ? 'holes_addr' : kind === (SIZE_KIND as unknown as RbKind<Hole, K>) ? 'holes_size' : 'hole_stack');
    if (!small) memo.set(n, s);
    return s;
  }

  /** A hole's hashes, once per hole (one hole sits in three trees and in every copy of their paths). */
  private hole(h: Hole): HoleHashes {
    const hit = this.holeHashes.get(h);
    if (hit !== undefined) return hit;
    const x: HoleHashes = { seq: seqOf(holeHash(h.owner, h.addr, h.size)), span: seqOf(spanHash(h.addr, h.size)), whole: wholeHoleHash(h) };
    this.holeHashes.set(h, x);
    return x;
  }

  /** The summary of one allocator. */
  mm(m: Mm): MmSummary {
    const hit = this.allocators.get(m);
    if (hit !== undefined) return hit;
    const s = this.computeMm(m);
    this.hooks.onSummary?.('allocator');
    this.allocators.set(m, s);
    return s;
  }

  private computeMm(m: Mm): MmSummary {
    const fieldsOk = isU64(m.start) && isU64(m.size) && (m.gap === null || isU64(m.gap)) && m.scanActive >= 0;
    if (!m.live) return { fieldsOk, disjoint: true, partition: true, placed: true, indexed: true, list: EMPTY_LIST };
    const list = this.list(m.list);
    const start = m.start;
    const end = m.start + m.size;
    const disjoint = list.nonZero && list.ordered;
    // The holes the node list implies, head and tail included, as holeIndexesAgreeWithTheNodeList
    // walks them: after every node (or the head) followed by free space.
    let expect = EMPTY_SEQ;
    let spans = EMPTY_SEQ;
    let count = list.gapCount;
    const first = list.first;
    const last = list.last;
    const lastEnd = last === undefined ? start : last.start + last.size;
    if (first !== undefined && first.start > start) {
      expect = seqOf(holeHash(HEAD, start, first.start - start));
      spans = seqOf(spanHash(start, first.start - start));
      count++;
    }
    expect = seqCat(expect, list.gaps);
    spans = seqCat(spans, list.spans);
    if (end > lastEnd) {
      expect = seqCat(expect, seqOf(holeHash(last?.name ?? HEAD, lastEnd, end - lastEnd)));
      spans = seqCat(spans, seqOf(spanHash(lastEnd, end - lastEnd)));
      count++;
    }
    const inRange = list.count === 0 || (list.minStart >= start && list.maxEnd <= end);
    // ABSTRACTION: a gap of 2^63 or more wraps the kernel's u64 adjustment; no rule is checked then.
    const coloursApart = m.gap === null || m.gap >= 1n << 63n || list.minColourGap === null || list.minColourGap >= m.gap;
    let partition = true;
    let indexed = true;
    if (m.scanActive <= 0) {
      const a = this.holes(ADDR_KIND, m.byAddr);
      // INVARIANT: nodes in order, none empty, inside the range, and holes_addr exactly the gaps
      // between them in order: then merging the two walks the range once, as the full walk does.
      partition = list.positive && list.ordered && inRange && a.count === count && seqEq(a.spans, spans);
      const z = this.holes(SIZE_KIND, m.bySize);
      const k = this.holes(STACK_KIND, m.stack);
      const valid = !(m.byAddr?.red ?? false) && !(m.bySize?.red ?? false) && !(m.stack?.red ?? false) && a.bh >= 0 && z.bh >= 0 && k.bh >= 0;
      indexed = valid && a.count === count && seqEq(a.seq, expect) && z.count === count && k.count === count && hashEq(z.holes, a.holes) && hashEq(k.holes, a.holes);
    }
    return { fieldsOk, disjoint, partition, placed: inRange && coloursApart, indexed, list };
  }

  private mmEntry(name: string, m: Mm): MmsSummary {
    const s = this.mm(m);
    if (!m.live) return { fieldsOk: s.fieldsOk, disjoint: true, partition: true, placed: true, indexed: true, linked: ZERO_HASH, linkedCount: 0, active: ZERO_HASH };
    const g = mmTag(name);
    return {
      fieldsOk: s.fieldsOk,
      disjoint: s.disjoint,
      partition: s.partition,
      placed: s.placed,
      indexed: s.indexed,
      linked: tagged(g, s.list.placed),
      linkedCount: s.list.count,
      active: times(g, m.scanActive),
    };
  }

  /** The summary of a held-block list, memoised per cell (a list shares its tail with older ones). */
  held(h: HeldBlock | null): HeldSummary {
    if (h === null) return { count: 0, names: ZERO_HASH };
    // Iteratively: a scan may hold thousands of blocks.
    const todo: HeldBlock[] = [];
    let below: HeldSummary = { count: 0, names: ZERO_HASH };
    for (let c: HeldBlock | null = h; c !== null; c = c.below) {
      const hit = this.heldLists.get(c);
      if (hit !== undefined) {
        below = hit;
        break;
      }
      todo.push(c);
    }
    for (let i = todo.length - 1; i >= 0; i--) {
      const c = todo[i] as HeldBlock;
      below = { count: below.count + 1, names: add(below.names, textHash(c.node, 0x686c)) };
      this.hooks.onSummary?.('held');
      this.heldLists.set(c, below);
    }
    return below;
  }

  private scanEntry(name: string, sc: ScanRecord): ScansSummary {
    const fieldsOk = INSERT_MODES.includes(sc.mode) && isU64(sc.size) && isU64(sc.hitStart) && isU64(sc.hitEnd);
    const h = this.held(sc.held);
    return {
      fieldsOk,
      mms: [sc.mm],
      held: tagged(scanTag(name, sc.mm), h.names),
      heldCount: h.count,
      active: times(mmTag(sc.mm), h.count),
    };
  }
}

function ruleOk(n: NodeRecord): boolean {
  const rule = n.rule;
  if (rule === undefined) return true;
  if (rule.alignment !== 0n && n.start % rule.alignment !== 0n) return false;
  return !(n.start < rule.rangeStart || n.start + n.size > rule.rangeEnd);
}

function nodeEntry(name: string, n: NodeRecord): NodesSummary {
  const fieldsOk = NODE_STATES.includes(n.state) && isU64(n.start) && isU64(n.size) && isU64(n.color);
  if (n.state === 'inserted')
    return { fieldsOk, linked: tagged(mmTag(n.mm), placedHash(name, n.start, n.size)), linkedCount: 1, rulesOk: ruleOk(n), scanned: ZERO_HASH, scannedCount: 0 };
  if (n.state === 'scanned')
    return { fieldsOk, linked: ZERO_HASH, linkedCount: 0, rulesOk: true, scanned: tagged(scanTag(n.scan, n.mm), textHash(name, 0x686c)), scannedCount: 1 };
  return { fieldsOk, linked: ZERO_HASH, linkedCount: 0, rulesOk: true, scanned: ZERO_HASH, scannedCount: 0 };
}

/** Whether two multiset hashes agree (int32 and uint32 lanes alike). */
export function sameHash(a: Hash64, b: Hash64): boolean {
  return hashEq(a, b);
}
