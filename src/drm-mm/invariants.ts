import type { Invariant } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import { INSERT_MODES } from './state.js';
import { ADDR_KIND, HEAD, type Hole, type Mm, SIZE_KIND, STACK_KIND } from './mm.js';
import { rbCheck, rbItems } from './rbtree.js';

/**
 * The drm_mm invariants: predicates true of every good world, type invariant first.
 *
 * Each is pure and total: a malformed world makes it false, never a throw.
 */

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

function liveMms(w: World): Mm[] {
  return [...w.drmMm.mms.entries()].map(([, m]) => m).filter((m) => m.live);
}


/**
 * For every allocator, node and scan, every field has its type: u64 values are u64, states and
 * modes are known names, every allocated node names an existing allocator, every block a scan
 * holds is a scanned node of that scan, and each live allocator's `scan_active` counts them.
 *
 * Kernel: the C types of `struct drm_mm`, `struct drm_mm_node` and `struct drm_mm_scan` (drm_mm.h).
 */
export const drmMmTypeOk: Invariant = {
  name: 'drmMmTypeOk',
  statement: 'For every allocator, node and scan, every field has its type and every reference resolves.',
  holds: safe((w) => {
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
  }),
};

/**
 * For every live allocator, no two linked nodes overlap and every node has a size of at least 1.
 *
 * Kernel: insert and reserve only place a node inside one hole (drm_mm_insert_node_in_range,
 * drm_mm_reserve_node in drm_mm.c).
 */
export const nodesNeverOverlap: Invariant = {
  name: 'nodesNeverOverlap',
  statement: 'For every allocator, every two of its nodes are disjoint and every node is non-empty.',
  holds: safe((w) => {
    for (const mm of liveMms(w)) {
      let prevEnd: bigint | undefined;
      for (const n of mm.nodes()) {
        if (n.size === 0n) return false;
        if (prevEnd !== undefined && n.start < prevEnd) return false;
        prevEnd = n.start + n.size;
      }
    }
    return true;
  }),
};

/**
 * For every live allocator outside a scan, its nodes and holes tile `[start, start + size)` exactly,
 * with no gap and no overlap, and no two holes are adjacent.
 *
 * Kernel: add_hole()/rm_hole() keep one hole after every node that is followed by free space, and
 * drm_mm_remove_node merges (drm_mm.c).
 */
export const nodesAndHolesPartitionTheRange: Invariant = {
  name: 'nodesAndHolesPartitionTheRange',
  statement: 'For every allocator without an active scan, its nodes and holes exactly partition its range.',
  holds: safe((w) => {
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
  }),
};

/**
 * For every linked node: it lies inside its allocator's range; an inserted node is aligned and
 * inside the range its insertion asked for; and with a `{ gap }` callback, a list neighbour of
 * another colour is at least `gap` away (the head never counts).
 *
 * Kernel: every placement is inside the colour-adjusted, range-clipped, aligned window of one hole
 * (drm_mm_insert_node_in_range, drm_mm_reserve_node in drm_mm.c).
 */
export const everyNodeKeepsItsPlacementRules: Invariant = {
  name: 'everyNodeKeepsItsPlacementRules',
  statement:
    'For every node, it lies inside its allocator\'s range, respects the alignment and range it was inserted with, and, with a colour gap, every list neighbour of another colour is at least the gap away.',
  holds: safe((w) => {
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
  }),
};

/**
 * For every live allocator outside a scan, holes_addr, holes_size and hole_stack hold the same
 * holes, each hole's size is the distance from its owner's end to the next node (or the range
 * end), and the trees are valid red-black trees with correct subtree maxima.
 *
 * Kernel: add_hole() and rm_hole() always update all three indexes together (drm_mm.c).
 */
export const holeIndexesAgreeWithTheNodeList: Invariant = {
  name: 'holeIndexesAgreeWithTheNodeList',
  statement: 'For every allocator without an active scan, every hole index holds exactly the holes the node list implies.',
  holds: safe((w) => {
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
      // holes_size and hole_stack hold the very same hole objects (add_hole() pushes one onto all three).
      const known = new Set(rbItems(mm.byAddr));
      for (const tree of [mm.bySize, mm.stack]) {
        let k = 0;
        for (const h of rbItems(tree)) {
          if (!known.has(h)) return false;
          k++;
        }
        if (k !== count) return false;
      }
    }
    return true;
  }),
};

/** The drm_mm invariants, type invariant first, for the checker. */
export const drmMmInvariants: readonly Invariant[] = [
  drmMmTypeOk,
  nodesNeverOverlap,
  nodesAndHolesPartitionTheRange,
  everyNodeKeepsItsPlacementRules,
  holeIndexesAgreeWithTheNodeList,
];
