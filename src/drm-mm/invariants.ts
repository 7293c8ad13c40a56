import type { Invariant, InvariantMemo } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import { INSERT_MODES } from './state.js';
import { ADDR_KIND, HEAD, type Hole, type Mm, SIZE_KIND, STACK_KIND } from './mm.js';
import { rbCheck, rbItems } from './rbtree.js';
import { InvariantSummaries, type SummaryHooks, sameHash } from './invariantSummaries.js';

/**
 * The drm_mm invariants: predicates true of every good world, type invariant first.
 *
 * Each is pure and total: a malformed world makes it false, never a throw.
 *
 * Each is decided in two ways. The summaries ({@link InvariantSummaries}) decide it in time
 * proportional to what the last calls changed: they compare values memoised per tree node and per
 * map node at the roots. When they find the invariant true, it is true, except with probability
 * about 2^-64 per comparison (sets and sequences are compared as 64-bit hashes, as the checker's
 * fingerprints compare states). Otherwise its full walk (the `…Walk` functions below) decides, so
 * that a false verdict is always exact, and a world the summaries do not decide (a node record
 * that its allocator does not list, say) is still judged by the invariant's own words.
 *
 * The summaries live in the caller's memo (`holds(world, memo)`: the checker gives one per search),
 * never in this module; asked without one, an invariant walks the world.
 */

/** What a test may observe of the invariants' work. */
export interface InvariantHooks extends SummaryHooks {
  /** Told when the summaries do not find an invariant true and its full walk runs. */
  readonly onWalk?: (invariant: string) => void;
}

const M64 = 1n << 64n;

function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < M64;
}

function safe(f: (w: World) => boolean): (w: World) => boolean {
  return (w) => {
    try {
      return f(w);
    } catch {
      return false;
    }
  };
}

/** One drm_mm invariant: its words, how the summaries decide it, and its full walk. */
interface Spec {
  readonly name: string;
  readonly statement: string;
  /** True when the summaries find the invariant true (see {@link InvariantSummaries}). */
  readonly fast: (c: InvariantSummaries, w: World) => boolean;
  /** The invariant decided from the world alone. */
  readonly walk: (w: World) => boolean;
}

/** The invariant of `spec`, asking `summaries` first and telling `hooks` of every walk. */
function made(spec: Spec, summaries: Summaries, hooks: InvariantHooks): Invariant {
  return { name: spec.name, statement: spec.statement, holds: decided(spec.name, spec.fast, spec.walk, hooks, summaries) };
}

/** Where an invariant finds its summaries for a call: a caller's memo, a set's own, or none. */
type Summaries = (memo: InvariantMemo | undefined) => InvariantSummaries | undefined;

/** The summaries kept in a caller's memo (made there on first use); none without a memo. */
const inMemo: Summaries = (memo) => {
  if (memo === undefined) return undefined;
  let c = memo.get(InvariantSummaries) as InvariantSummaries | undefined;
  if (c === undefined) {
    c = new InvariantSummaries();
    memo.set(InvariantSummaries, c);
  }
  return c;
};

/**
 * A predicate that asks the summaries first (when there are any) and walks the world only when
 * they do not find it true.
 */
function decided(
  name: string,
  fast: (c: InvariantSummaries, w: World) => boolean,
  walk: (w: World) => boolean,
  hooks: InvariantHooks,
  summaries: Summaries,
): Invariant['holds'] {
  const full = safe(walk);
  return (w, memo) => {
    // The summaries are memoised per tree node, which an open edit session changes in place: its
    // worlds are walked.
    const c = w.drmMm?.mms.session === undefined ? summaries(memo) : undefined;
    if (c !== undefined) {
      try {
        if (fast(c, w)) return true;
      } catch {
        // A malformed world: the walk decides (and finds it false).
      }
    }
    hooks.onWalk?.(name);
    return full(w);
  };
}

function liveMms(w: World): Mm[] {
  return [...w.drmMm.mms.entries()].map(([, m]) => m).filter((m) => m.live);
}

/** drmMmTypeOk's full walk. */
function typeOkWalk(w: World): boolean {
  const s = w.drmMm;
  for (const [, m] of s.mms.entries()) {
    if (!isU64(m.start) || !isU64(m.size) || (m.gap !== null && !isU64(m.gap)) || m.scanActive < 0) return false;
  }
  const states = ['unlinked', 'inserted', 'scanned', 'removed', 'orphaned'];
  for (const [, n] of s.nodes.entries()) {
    if (!states.includes(n.state) || !isU64(n.start) || !isU64(n.size) || !isU64(n.color)) return false;
    if ((n.state === 'inserted' || n.state === 'scanned') && !s.mms.get(n.mm)?.live) return false;
  }
  // INVARIANT: a scan's roster and its blocks name each other, and scan_active counts them.
  const held = new Map<string, number>();
  for (const [name, sc] of s.scans.entries()) {
    if (!INSERT_MODES.includes(sc.mode) || !isU64(sc.size) || !isU64(sc.hitStart) || !isU64(sc.hitEnd)) return false;
    if (!s.mms.has(sc.mm)) return false;
    for (let h = sc.held; h !== null; h = h.below) {
      const n = s.nodes.get(h.node);
      if (n === undefined || n.state !== 'scanned' || n.scan !== name || n.mm !== sc.mm) return false;
      held.set(sc.mm, (held.get(sc.mm) ?? 0) + 1);
    }
  }
  for (const [name, m] of s.mms.entries()) if (m.live && m.scanActive !== (held.get(name) ?? 0)) return false;
  return true;
}

/**
 * drmMmTypeOk from the summaries. Every field check is a conjunction over map entries. The
 * references are checked as equal multisets: the inserted records are exactly the nodes the live
 * allocators list (so each names a live allocator), the scanned records are exactly the blocks the
 * scans hold (so each held block is a scanned node of its scan and allocator), and the held blocks
 * per allocator are exactly the live allocators' `scan_active` (so a scanned record's allocator is
 * live too). A world where these multisets differ and the invariant still holds (an inserted record
 * its allocator does not list) goes to the walk.
 */
function typeOkFast(c: InvariantSummaries, w: World): boolean {
  const s = w.drmMm;
  const mms = c.mms(s.mms);
  const nodes = c.nodes(s.nodes);
  const scans = c.scans(s.scans);
  if (!mms.fieldsOk || !nodes.fieldsOk || !scans.fieldsOk) return false;
  for (const name of scans.mms) if (!s.mms.has(name)) return false;
  return (
    nodes.linkedCount === mms.linkedCount &&
    sameHash(nodes.linked, mms.linked) &&
    nodes.scannedCount === scans.heldCount &&
    sameHash(nodes.scanned, scans.held) &&
    sameHash(scans.active, mms.active)
  );
}

const TYPE_OK: Spec = {
  name: 'drmMmTypeOk',
  statement:
    'For every allocator, node and scan, every field has its type and every reference resolves.',
  fast: typeOkFast,
  walk: typeOkWalk,
};

/** nodesNeverOverlap's full walk. */
function disjointWalk(w: World): boolean {
  for (const mm of liveMms(w)) {
    let prevEnd: bigint | undefined;
    for (const n of mm.nodes()) {
      if (n.size === 0n) return false;
      if (prevEnd !== undefined && n.start < prevEnd) return false;
      prevEnd = n.start + n.size;
    }
  }
  return true;
}

const DISJOINT: Spec = {
  name: 'nodesNeverOverlap',
  statement:
    'For every allocator, every two of its nodes are disjoint and every node is non-empty.',
  fast: (c, w) => c.mms(w.drmMm.mms).disjoint,
  walk: disjointWalk,
};

/** nodesAndHolesPartitionTheRange's full walk. */
function partitionWalk(w: World): boolean {
  for (const mm of liveMms(w)) {
    if (mm.scanActive > 0) continue;
    // Both node_list and holes_addr are in address order: merge them, walking the range once.
    const nodes = rbItems(mm.list);
    const holes = rbItems(mm.byAddr);
    let n = nodes.next();
    let h = holes.next();
    let at = mm.start;
    let lastHole = false;
    while (!n.done || !h.done) {
      const takeHole = n.done || (!h.done && h.value.addr <= n.value.start);
      const start = takeHole ? (h.value as Hole).addr : (n.value as { start: bigint }).start;
      const end = takeHole ? start + (h.value as Hole).size : start + (n.value as { size: bigint }).size;
      if (start !== at || end <= start) return false;
      if (takeHole && lastHole) return false;
      lastHole = takeHole;
      at = end;
      if (takeHole) h = holes.next();
      else n = nodes.next();
    }
    if (at !== mm.start + mm.size) return false;
  }
  return true;
}

const PARTITION: Spec = {
  name: 'nodesAndHolesPartitionTheRange',
  statement:
    'For every allocator without an active scan, its nodes and holes exactly partition its range.',
  fast: (c, w) => c.mms(w.drmMm.mms).partition,
  walk: partitionWalk,
};

/** everyNodeKeepsItsPlacementRules's full walk. */
function placementWalk(w: World): boolean {
  for (const mm of liveMms(w)) {
    const ns = mm.nodes();
    for (const n of ns) {
      if (n.start < mm.start || n.start + n.size > mm.start + mm.size) return false;
      const rule = w.drmMm.nodes.get(n.name)?.rule;
      if (rule === undefined) continue;
      if (rule.alignment !== 0n && n.start % rule.alignment !== 0n) return false;
      if (n.start < rule.rangeStart || n.start + n.size > rule.rangeEnd) return false;
    }
    // ABSTRACTION: a gap of 2^63 or more wraps the kernel's u64 adjustment; no rule is checked then.
    if (mm.gap === null || mm.gap >= 1n << 63n) continue;
    for (let i = 1; i < ns.length; i++) {
      const a = ns[i - 1] as (typeof ns)[number];
      const b = ns[i] as (typeof ns)[number];
      // INVARIANT: removing a node between two others only widens their distance.
      if (a.color !== b.color && b.start - (a.start + a.size) < mm.gap) return false;
    }
  }
  return true;
}

/**
 * everyNodeKeepsItsPlacementRules from the summaries: range and colour gaps per allocator; the
 * rules on the records, once the inserted records are known to be exactly the listed nodes (with
 * the same start and size), so that each listed node's record is the one checked.
 */
function placementFast(c: InvariantSummaries, w: World): boolean {
  const mms = c.mms(w.drmMm.mms);
  if (!mms.placed) return false;
  const nodes = c.nodes(w.drmMm.nodes);
  return nodes.rulesOk && nodes.linkedCount === mms.linkedCount && sameHash(nodes.linked, mms.linked);
}

const PLACEMENT: Spec = {
  name: 'everyNodeKeepsItsPlacementRules',
  statement:
    "For every node, it lies inside its allocator's range, respects the alignment and range it was inserted with, and, with a colour gap, every list neighbour of another colour is at least the gap away.",
  fast: placementFast,
  walk: placementWalk,
};

/** Every field of a hole, as a key: holes equal in every field are the same hole to every later call. */
function holeKey(h: Hole): string {
  return `${h.owner}\u0000${h.addr}\u0000${h.size}\u0000${h.ownerStart}\u0000${h.ownerColor}\u0000${h.seq}\u0000${h.stamp}`;
}

/** holeIndexesAgreeWithTheNodeList's full walk. */
function indexesWalk(w: World): boolean {
  for (const mm of liveMms(w)) {
    if (mm.scanActive > 0) continue;
    if (rbCheck(ADDR_KIND, mm.byAddr) < 0 || rbCheck(SIZE_KIND, mm.bySize) < 0 || rbCheck(STACK_KIND, mm.stack) < 0) return false;
    // holes_addr, in address order, must be exactly the holes the node list implies.
    const byAddr = rbItems(mm.byAddr);
    const expect = (owner: string, addr: bigint, size: bigint): boolean => {
      const h = byAddr.next();
      return !h.done && h.value.owner === owner && h.value.addr === addr && h.value.size === size;
    };
    const end = mm.start + mm.size;
    let count = 0;
    let prev: { name: string; end: bigint } = { name: HEAD, end: mm.start };
    for (const n of rbItems(mm.list)) {
      if (n.start > prev.end) {
        if (!expect(prev.name, prev.end, n.start - prev.end)) return false;
        count++;
      }
      prev = { name: n.name, end: n.start + n.size };
    }
    if (end > prev.end) {
      if (!expect(prev.name, prev.end, end - prev.end)) return false;
      count++;
    }
    if (!byAddr.next().done) return false;
    // holes_size and hole_stack hold the very same holes (add_hole() pushes one onto all three):
    // each the same multiset as holes_addr, hole by hole equal in every field.
    const known = new Map<string, number>();
    for (const h of rbItems(mm.byAddr)) known.set(holeKey(h), (known.get(holeKey(h)) ?? 0) + 1);
    for (const tree of [mm.bySize, mm.stack]) {
      const left = new Map(known);
      let k = 0;
      for (const h of rbItems(tree)) {
        const key = holeKey(h);
        const n = left.get(key) ?? 0;
        if (n === 0) return false;
        left.set(key, n - 1);
        k++;
      }
      if (k !== count) return false;
    }
  }
  return true;
}

const INDEXES: Spec = {
  name: 'holeIndexesAgreeWithTheNodeList',
  statement:
    'For every allocator without an active scan, every hole index holds exactly the holes the node list implies.',
  fast: (c, w) => c.mms(w.drmMm.mms).indexed,
  walk: indexesWalk,
};

/**
 * For every allocator, node and scan, every field has its type: u64 values are u64, states and
 * modes are known names, every allocated node names an existing allocator, every block a scan
 * holds is a scanned node of that scan, and each live allocator's `scan_active` counts them.
 *
 * Kernel: the C types of `struct drm_mm`, `struct drm_mm_node` and `struct drm_mm_scan` (drm_mm.h).
 */
export const drmMmTypeOk: Invariant = made(TYPE_OK, inMemo, {});

/**
 * For every live allocator, no two linked nodes overlap and every node has a size of at least 1.
 *
 * Kernel: insert and reserve only place a node inside one hole (drm_mm_insert_node_in_range,
 * drm_mm_reserve_node in drm_mm.c).
 */
export const nodesNeverOverlap: Invariant = made(DISJOINT, inMemo, {});

/**
 * For every live allocator outside a scan, its nodes and holes tile `[start, start + size)` exactly,
 * with no gap and no overlap, and no two holes are adjacent.
 *
 * Kernel: add_hole()/rm_hole() keep one hole after every node that is followed by free space, and
 * drm_mm_remove_node merges (drm_mm.c).
 */
export const nodesAndHolesPartitionTheRange: Invariant = made(PARTITION, inMemo, {});

/**
 * For every linked node: it lies inside its allocator's range; an inserted node is aligned and
 * inside the range its insertion asked for; and with a `{ gap }` callback, a list neighbour of
 * another colour is at least `gap` away (the head never counts).
 *
 * Kernel: every placement is inside the colour-adjusted, range-clipped, aligned window of one hole
 * (drm_mm_insert_node_in_range, drm_mm_reserve_node in drm_mm.c).
 */
export const everyNodeKeepsItsPlacementRules: Invariant = made(PLACEMENT, inMemo, {});

/**
 * For every live allocator outside a scan, holes_addr, holes_size and hole_stack hold the same
 * holes (as multisets of holes equal in every field), each hole's size is the distance from its
 * owner's end to the next node (or the range end), and the trees are valid red-black trees with
 * correct subtree maxima.
 *
 * Kernel: add_hole() and rm_hole() always update all three indexes together (drm_mm.c).
 */
export const holeIndexesAgreeWithTheNodeList: Invariant = made(INDEXES, inMemo, {});

/** Every invariant's spec, in the order of {@link drmMmInvariants}. */
const SPECS: readonly Spec[] = [TYPE_OK, DISJOINT, PARTITION, PLACEMENT, INDEXES];

/** The drm_mm invariants, type invariant first, for the checker. */
export const drmMmInvariants: readonly Invariant[] = [
  drmMmTypeOk,
  nodesNeverOverlap,
  nodesAndHolesPartitionTheRange,
  everyNodeKeepsItsPlacementRules,
  holeIndexesAgreeWithTheNodeList,
];

/**
 * The drm_mm invariants, as {@link drmMmInvariants}, with summaries of their own that tell `hooks`
 * the work they do: for tests that count it.
 */
export function drmMmInvariantsWith(hooks: InvariantHooks): readonly Invariant[] {
  const c = new InvariantSummaries(hooks);
  const own: Summaries = () => c;
  return SPECS.map((spec) => made(spec, own, hooks));
}

/**
 * The drm_mm invariants decided by their full walks alone, in the order of {@link drmMmInvariants}:
 * for tests that compare the summaries' verdicts with the walks'.
 */
export const drmMmInvariantWalks: readonly Invariant[] = SPECS.map((spec) => ({ name: spec.name, statement: spec.statement, holds: safe(spec.walk) }));
