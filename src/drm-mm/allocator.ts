import type { ColorAdjustFn } from './colorAdjust.js';
import { U64_MAX } from '../world/fields.js';
import type { EditSession } from '../world/HashedMap.js';
import { HEAD, type Hole, type ListItem, type Mm, MmTxn, u64 } from './mm.js';
import { type RbNode, rbFirst } from './rbtree.js';

/**
 * The drm_mm search and placement algorithms on an {@link Mm}: insert, reserve, remove and the
 * eviction scan, each a pure function returning the new allocator.
 *
 * Models drivers/gpu/drm/drm_mm.c (v6.17).
 */

/** `enum drm_mm_insert_mode` without the ONCE flag. */
export type InsertMode = 'best' | 'low' | 'high' | 'evict';

/** A drm_mm_scan's parameters and hit, as drm_mm_scan_init_with_range() records them. */
export interface ScanParams {
  readonly size: bigint;
  /** 0 when the caller asked for alignment 0 or 1. */
  readonly alignment: bigint;
  readonly color: bigint;
  readonly rangeStart: bigint;
  readonly rangeEnd: bigint;
  readonly mode: InsertMode;
  readonly hitStart: bigint;
  readonly hitEnd: bigint;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** `is_power_of_2()`. */
function isPow2(n: bigint): boolean {
  return n !== 0n && (n & (n - 1n)) === 0n;
}

/**
 * The `{ gap }` colour-adjust callback: the kernel selftest's separate_adjacent_colors() with a
 * gap instead of 1. Narrows `[start, end)` next to allocated neighbours of another colour.
 */
export function colorAdjust(
  gap: bigint,
  owner: { allocated: boolean; color: bigint },
  next: ListItem | undefined,
  color: bigint,
  start: bigint,
  end: bigint,
): [bigint, bigint] {
  let s = start;
  let e = end;
  // KERNEL: the head node is never allocated, so it never narrows the hole.
  if (owner.allocated && owner.color !== color) s = u64(s + gap);
  if (next !== undefined && next.color !== color) e = u64(e - gap);
  return [s, e];
}

/** Whether the allocator has a colour-adjust callback (`mm->color_adjust`). */
export function hasColorAdjust(mm: Mm): boolean {
  return mm.gap !== null || mm.adjust !== null;
}

/**
 * Calls the allocator's colour-adjust callback on a hole's `[start, end)`: its `{ gap }`, or `fn`,
 * the registered function its `{ fn }` names (resolved by the caller from the world's table).
 */
export function adjustWindow(
  mm: Mm,
  fn: ColorAdjustFn | undefined,
  owner: { allocated: boolean; color: bigint },
  next: ListItem | undefined,
  color: bigint,
  start: bigint,
  end: bigint,
): [bigint, bigint] {
  if (mm.gap !== null) return colorAdjust(mm.gap, owner, next, color, start, end);
  const [s, e] = (fn as ColorAdjustFn)(owner, next, color, start, end);
  // KERNEL: the callback writes u64s.
  return [u64(s), u64(e)];
}

/**
 * Shared placement arithmetic of drm_mm_insert_node_in_range() and drm_mm_scan_add_block(): the
 * node's start in the colour-adjusted window `[cs, ce)`, or undefined to skip the hole.
 */
function place(
  cs: bigint,
  ce: bigint,
  size: bigint,
  alignment: bigint,
  rangeStart: bigint,
  rangeEnd: bigint,
  high: boolean,
): bigint | undefined {
  let as = max(cs, rangeStart);
  const ae = min(ce, rangeEnd);
  if (ae <= as || ae - as < size) return undefined;
  if (high) as = ae - size;
  if (alignment !== 0n) {
    // KERNEL: a power of two uses a mask, anything else div64_u64_rem(); both give the remainder.
    const rem = isPow2(alignment) ? as & (alignment - 1n) : as % alignment;
    if (rem !== 0n) {
      as -= rem;
      if (!high) as = u64(as + alignment);
      if (as < max(cs, rangeStart) || u64(min(ce, rangeEnd) - as) < size) return undefined;
      if (ae <= as || ae - as < size) return undefined;
    }
  }
  return as;
}

function ownerOf(h: Hole): { allocated: boolean; color: bigint } {
  return { allocated: h.owner !== HEAD, color: h.ownerColor };
}

function nextOf(mm: Mm, h: Hole): ListItem | undefined {
  return mm.nextAfter(h.owner === HEAD ? undefined : h.ownerStart);
}

/** `usable_hole_addr()`: a subtree that holds a hole of at least `size`. */
function usable(n: RbNode<Hole> | null, size: bigint): boolean {
  return n !== null && n.max >= size;
}

/**
 * A walk over one of the hole indexes in the order a mode visits them: the path from the root to
 * the current hole (for hole_stack, the in-order stack of pending ancestors), changed in place by
 * each step. One per search, never shared: a search allocates no cursor per hole.
 */
type Path = RbNode<Hole>[];

/** Models find_hole_addr(): descent toward `addr`, pruned by subtree_max_hole; fills the path. */
function findHoleAddr(path: Path, root: RbNode<Hole> | null, addr: bigint, size: bigint): void {
  let rb = root;
  while (rb !== null) {
    if (!usable(rb, size)) break;
    path.push(rb);
    const hs = rb.item.addr;
    if (addr < hs) rb = rb.left;
    else if (addr > u64(hs + rb.item.size)) rb = rb.right;
    else break;
  }
}

/**
 * Models next_hole_low_addr() / next_hole_high_addr() (DECLARE_NEXT_HOLE_ADDR) on the path: false
 * when there is no next hole.
 */
function nextAddr(path: Path, size: bigint, low: boolean): boolean {
  let node = path[path.length - 1] as RbNode<Hole>;
  const first = low ? node.right : node.left;
  if (usable(first, size)) {
    node = first as RbNode<Hole>;
    path.push(node);
    for (;;) {
      const last = low ? node.left : node.right;
      if (!usable(last, size)) break;
      node = last as RbNode<Hole>;
      path.push(node);
    }
    return true;
  }
  // KERNEL: climb while we are the parent's `first` child; the parent is next.
  path.pop();
  let parent = path[path.length - 1];
  while (parent !== undefined && node === (low ? parent.right : parent.left)) {
    node = parent;
    path.pop();
    parent = path[path.length - 1];
  }
  return parent !== undefined;
}

/** Models best_hole() on holes_size: smallest fitting size, latest tie first; fills the path. */
function bestHole(path: Path, root: RbNode<Hole> | null, size: bigint): void {
  let bestDepth = 0;
  let rb = root;
  while (rb !== null) {
    path.push(rb);
    if (size <= rb.item.size) {
      bestDepth = path.length;
      rb = rb.right;
    } else rb = rb.left;
  }
  path.length = bestDepth;
}

/** Models rb_prev() on the path: false at the first node. */
function prevNode(path: Path): boolean {
  let node = path[path.length - 1] as RbNode<Hole>;
  if (node.left !== null) {
    node = node.left;
    path.push(node);
    while (node.right !== null) {
      node = node.right;
      path.push(node);
    }
    return true;
  }
  path.pop();
  let parent = path[path.length - 1];
  while (parent !== undefined && node === parent.left) {
    node = parent;
    path.pop();
    parent = path[path.length - 1];
  }
  return parent !== undefined;
}

/** hole_stack from the top (list_first_entry): the in-order stack of the leftmost spine. */
function stackFirst(path: Path, root: RbNode<Hole> | null): void {
  for (let n = root; n !== null; n = n.left) path.push(n);
}

/** list_next_entry on hole_stack: in-order successor with the pending-ancestor stack. */
function stackNext(path: Path): boolean {
  const n = path.pop() as RbNode<Hole>;
  for (let m = n.right; m !== null; m = m.left) path.push(m);
  return path.length > 0;
}

/** Models first_hole(): fills the path; false when there is none. */
function firstHole(path: Path, mm: Mm, rangeStart: bigint, rangeEnd: bigint, size: bigint, mode: InsertMode): boolean {
  switch (mode) {
    case 'low':
      findHoleAddr(path, mm.byAddr, rangeStart, size);
      break;
    case 'high':
      findHoleAddr(path, mm.byAddr, rangeEnd, size);
      break;
    case 'evict':
      stackFirst(path, mm.stack);
      break;
    default:
      bestHole(path, mm.bySize, size);
  }
  return path.length > 0;
}

/** Models next_hole(): steps the path; false when there is none. */
function nextHole(path: Path, size: bigint, mode: InsertMode): boolean {
  switch (mode) {
    case 'low':
      return nextAddr(path, size, true);
    case 'high':
      return nextAddr(path, size, false);
    case 'evict':
      return stackNext(path);
    default:
      return prevNode(path);
  }
}

/** Where drm_mm_insert_node_in_range() puts a node: the hole it splits and the node's start. */
export interface Placement {
  readonly hole: Hole;
  readonly start: bigint;
}

/**
 * Models drm_mm_insert_node_in_range()'s search (drm_mm.c), without changing anything: the hole
 * and start the kernel picks, or undefined for `-ENOSPC`.
 *
 * The caller has checked `rangeStart <= rangeEnd` (a DRM_MM_BUG_ON in the kernel).
 */
export function findPlacement(
  mm: Mm,
  size: bigint,
  alignment: bigint,
  color: bigint,
  rangeStart: bigint,
  rangeEnd: bigint,
  mode: InsertMode,
  once: boolean,
  fn?: ColorAdjustFn,
): Placement | undefined {
  if (size === 0n || rangeEnd - rangeStart < size) return undefined;
  // KERNEL: the largest hole (leftmost of holes_size) must hold the size, ignoring everything else.
  const largest = rbFirst(mm.bySize);
  if (largest === undefined || largest.size < size) return undefined;
  const align = alignment <= 1n ? 0n : alignment;
  const high = mode === 'high';
  const path: Path = [];
  for (let more = firstHole(path, mm, rangeStart, rangeEnd, size, mode); more; more = !once && nextHole(path, size, mode)) {
    const h = (path[path.length - 1] as RbNode<Hole>).item;
    const hs = h.addr;
    const he = u64(hs + h.size);
    if (mode === 'low' && hs >= rangeEnd) break;
    if (high && he <= rangeStart) break;
    let cs = hs;
    let ce = he;
    if (hasColorAdjust(mm)) [cs, ce] = adjustWindow(mm, fn, ownerOf(h), nextOf(mm, h), color, hs, he);
    const start = place(cs, ce, size, align, rangeStart, rangeEnd, high);
    if (start !== undefined) return { hole: h, start };
  }
  return undefined;
}

/**
 * Links a node into the hole it was placed in and splits the hole, as the tail of
 * drm_mm_insert_node_in_range() and drm_mm_reserve_node() do: list_add() after the hole's owner,
 * rm_hole(owner), add_hole(owner) for a leftover before, add_hole(node) for a leftover after.
 */
export function linkNode(mm: Mm, hole: Hole, item: ListItem, session?: EditSession): Mm {
  const t = new MmTxn(mm, session);
  t.link(item);
  const hs = hole.addr;
  const he = u64(hs + hole.size);
  t.rmHole(hole);
  // The leftover holes are known without a list search: the owner's now ends at the node, the
  // node's where the split hole ended.
  if (item.start > hs) t.pushHole(hole.owner, hs, item.start, hole.ownerStart, hole.ownerColor);
  const end = u64(item.start + item.size);
  if (end < he) t.pushHole(item.name, end, he, item.start, item.color);
  return t.done();
}

/**
 * Models drm_mm_reserve_node()'s checks (drm_mm.c): the hole that takes `[start, start + size)`,
 * or undefined for `-ENOSPC`.
 */
export function findReserveHole(mm: Mm, start: bigint, size: bigint, color: bigint, fn?: ColorAdjustFn): Hole | undefined {
  const end = u64(start + size);
  if (end <= start) return undefined;
  const path: Path = [];
  findHoleAddr(path, mm.byAddr, start, 0n);
  const hole = path[path.length - 1]?.item;
  if (hole === undefined) return undefined;
  const hs = hole.addr;
  const he = u64(hs + hole.size);
  let as = hs;
  let ae = he;
  if (hasColorAdjust(mm)) [as, ae] = adjustWindow(mm, fn, ownerOf(hole), nextOf(mm, hole), color, hs, he);
  if (as > start || ae < end) return undefined;
  return hole;
}

/**
 * Models drm_mm_remove_node() (drm_mm.c): rm_hole(node) if a hole follows it, list_del(), then the
 * previous node's hole is removed (if any) and re-added, now covering the freed range.
 */
export function removeNode(mm: Mm, item: ListItem, session?: EditSession): Mm {
  const t = new MmTxn(mm, session);
  const end = u64(item.start + item.size);
  const own = t.holeAt(end, item.name);
  // The freed range merges into the previous node's hole, which ends where the node's own did.
  const holeEnd = own === undefined ? end : u64(own.addr + own.size);
  if (own !== undefined) t.rmHole(own);
  const prev = t.unlink(item.start);
  const prevEnd = prev === undefined ? mm.start : u64(prev.start + prev.size);
  const prevHole = t.holeAt(prevEnd, prev?.name ?? HEAD);
  if (prevHole !== undefined) t.rmHole(prevHole);
  if (prev === undefined) t.pushHole(HEAD, prevEnd, holeEnd, 0n, 0n);
  else t.pushHole(prev.name, prevEnd, holeEnd, prev.start, prev.color);
  return t.done();
}

/** What drm_mm_scan_add_block() did. */
export interface ScanAddResult {
  readonly mm: Mm;
  /** The node's list neighbours when it was unlinked (HEAD for the head). */
  readonly prev: string;
  readonly next: string;
  readonly found: boolean;
  readonly hitStart: bigint;
  readonly hitEnd: bigint;
}

/**
 * Models drm_mm_scan_add_block() (drm_mm.c): unlinks the node (keeping its own links), then checks
 * the enlarged hole after its list predecessor; a fit records the hit.
 */
export function scanAddBlock(mm: Mm, scan: ScanParams, item: ListItem, fn?: ColorAdjustFn, session?: EditSession): ScanAddResult {
  const prev = mm.prevBefore(item.start);
  // Once the node is unlinked, its list successor follows `prev`: the enlarged hole is known, and
  // the colour callback runs, before anything changes (a callback that throws leaves the world whole).
  const nx = mm.nextAfter(item.start);
  const hs = prev === undefined ? mm.start : u64(prev.start + prev.size);
  const he = nx === undefined ? mm.headStart : nx.start;
  let cs = hs;
  let ce = he;
  if (hasColorAdjust(mm)) [cs, ce] = adjustWindow(mm, fn, { allocated: prev !== undefined, color: prev?.color ?? 0n }, nx, scan.color, hs, he);
  const start = place(cs, ce, scan.size, scan.alignment, scan.rangeStart, scan.rangeEnd, scan.mode === 'high');
  const t = new MmTxn(mm, session);
  t.unlink(item.start);
  t.f.scanActive++;
  const base = { mm: t.done(), prev: prev?.name ?? HEAD, next: nx?.name ?? HEAD };
  if (start === undefined) return { ...base, found: false, hitStart: scan.hitStart, hitEnd: scan.hitEnd };
  return { ...base, found: true, hitStart: start, hitEnd: u64(start + scan.size) };
}

/**
 * Models drm_mm_scan_remove_block() (drm_mm.c) after its checks: the node is linked again and the
 * answer is whether it overlaps the hit.
 */
export function scanRemoveBlock(mm: Mm, scan: ScanParams, item: ListItem, session?: EditSession): { mm: Mm; evict: boolean } {
  const t = new MmTxn(mm, session);
  t.link(item);
  t.f.scanActive--;
  return { mm: t.done(), evict: u64(item.start + item.size) > scan.hitStart && item.start < scan.hitEnd };
}

/**
 * Models drm_mm_scan_color_evict() (drm_mm.c): the neighbour of the hit's hole that colour would
 * still conflict with. `undefined` when the kernel would hit its DRM_MM_BUG_ON (no hole at all, or
 * none covering the hit); `null` for NULL.
 */
export function scanColorEvict(mm: Mm, scan: ScanParams, fn?: ColorAdjustFn): string | null | undefined {
  const top = rbFirst(mm.stack);
  if (top === undefined) return undefined;
  if (!hasColorAdjust(mm)) return null;
  const path: Path = [];
  for (let more = firstHole(path, mm, 0n, 0n, 0n, 'evict'); more; more = stackNext(path)) {
    const h = (path[path.length - 1] as RbNode<Hole>).item;
    const hs = h.addr;
    const he = u64(hs + h.size);
    if (hs <= scan.hitStart && he >= scan.hitEnd) {
      const nx = nextOf(mm, h);
      const [cs, ce] = adjustWindow(mm, fn, ownerOf(h), nx, scan.color, hs, he);
      if (cs > scan.hitStart) return h.owner === HEAD ? null : h.owner;
      if (ce < scan.hitEnd) return nx === undefined ? null : nx.name;
      return null;
    }
  }
  return undefined;
}

/** The search bounds of drm_mm_insert_node_generic() and drm_mm_insert_node(): `[0, U64_MAX)`. */
export const WHOLE_RANGE: readonly [bigint, bigint] = [0n, U64_MAX];
