import { setup } from 'xstate';
import type { BranchMeta } from './machineTable.js';

/**
 * Lifecycle of `struct drm_mm_node`: one caller-owned range node of a drm_mm allocator.
 *
 * Kernel: [drivers/gpu/drm/drm_mm.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_mm.c),
 * [include/drm/drm_mm.h](https://github.com/torvalds/linux/blob/v6.17/include/drm/drm_mm.h).
 * Rust: none upstream (the seed thread's `drm::mm::Node`).
 *
 * Modelled:
 * - insertion by search (drm_mm_insert_node_in_range and its wrappers) or at a fixed place
 *   (drm_mm_reserve_node), answered with `-ENOSPC` when nothing fits;
 * - removal, after which the node may be inserted again;
 * - eviction-scan membership (drm_mm_scan_add_block / drm_mm_scan_remove_block, LIFO), and the
 *   model's own finding that a block comes back only through the scan it was added to;
 * - orphaning by drm_mm_takedown on an allocator that still holds the node;
 * - the DRM_MM_BUG_ON checks of CONFIG_DRM_DEBUG_MM builds, as refused calls.
 *
 * Abstracted away:
 * - the placement itself (start, hole choice): data, computed in src/drm-mm beside the machine;
 * - the node's memory: the caller owns it and drm_mm never frees it, so there is no final state.
 *
 * Invariants: nodesNeverOverlap, nodesAndHolesPartitionTheRange, everyNodeKeepsItsPlacementRules,
 * holeIndexesAgreeWithTheNodeList.
 *
 * Docs: docs/drm-mm.md.
 */

/**
 * The node's own context: empty. Everything a transition reads is a fact of the call (see
 * {@link DrmMmNodeFacts}); placement data lives in the world beside the machine.
 */
export type DrmMmNodeContext = Record<string, never>;

/** The facts of one call that the node's guards read, gathered by `apply` before deciding. */
export interface DrmMmNodeFacts {
  /** `range_start > range_end` (drm_mm_insert_node_in_range's DRM_MM_BUG_ON). */
  readonly rangeInverted?: boolean;
  /** `mm->scan_active != 0` on the allocator the call changes. */
  readonly scanActive?: boolean;
  /** The allocator the call names was taken down (`drm_mm_takedown`) and not initialised again. */
  readonly allocatorTakenDown?: boolean;
  /**
   * The search (or the reservation's hole check) found room. `apply` passes a getter: the search
   * runs only when the machine's `hasRoom` guard asks, as the kernel searches only past its checks.
   */
  readonly fits?: boolean;
  /** `node->mm != scan->mm` (for drm_mm_takedown: the node is not on the allocator taken down). */
  readonly otherAllocator?: boolean;
  /** drm_mm_scan_remove_block's check `prev->next != node->next` failed: not the reverse order. */
  readonly outOfOrder?: boolean;
  /**
   * The scanned block was added through another `struct drm_mm_scan` than the one removing it.
   * ABSTRACTION: the kernel keeps no record of the scan a block joined, so it cannot see this.
   */
  readonly otherScan?: boolean;
}

/** A node branch's meta: {@link BranchMeta} plus the constant a query returns on that branch. */
export interface DrmMmNodeMeta extends BranchMeta {
  /** What drm_mm_node_allocated() returns on this branch. */
  readonly returns?: { readonly allocated: boolean };
}

/** Calls that touch a node, each with the facts its checks read. */
export type DrmMmNodeEvent = DrmMmNodeFacts &
  (
    | /** `int drm_mm_insert_node_in_range(mm, node, size, alignment, color, range_start, range_end, mode)`: 0 or `-ENOSPC`. */
    { type: 'drm_mm_insert_node_in_range' }
    | /** `int drm_mm_insert_node_generic(mm, node, size, alignment, color, mode)`: 0 or `-ENOSPC`. */
    { type: 'drm_mm_insert_node_generic' }
    | /** `int drm_mm_insert_node(mm, node, size)`: 0 or `-ENOSPC`. */
    { type: 'drm_mm_insert_node' }
    | /** `int drm_mm_reserve_node(mm, node)` with the node's start, size and colour: 0 or `-ENOSPC`. */
    { type: 'drm_mm_reserve_node' }
    | /** `void drm_mm_remove_node(node)`. */
    { type: 'drm_mm_remove_node' }
    | /** `bool drm_mm_scan_add_block(scan, node)`. */
    { type: 'drm_mm_scan_add_block' }
    | /** `bool drm_mm_scan_remove_block(scan, node)`. */
    { type: 'drm_mm_scan_remove_block' }
    | /** `void drm_mm_takedown(mm)`, as every node sees it (`otherAllocator`: `node->mm != mm`). */
    { type: 'drm_mm_takedown' }
    | /** `bool drm_mm_node_allocated(node)`. */
    { type: 'drm_mm_node_allocated' }
  );

const NOT_ALLOCATED = { violation: 'bug_on', refused: true } as const;
const ORPHANED = { violation: 'use_after_free', refused: true } as const;
const ALLOCATED_TRUE: DrmMmNodeMeta = { returns: { allocated: true } };
const ALLOCATED_FALSE: DrmMmNodeMeta = { returns: { allocated: false } };

/** The branches of an insertion or reservation from a node that is not allocated. */
function insertFrom(self: 'unlinked' | 'removed', ranged: boolean) {
  return [
    ...(ranged
      ? [
          {
            guard: 'isRangeInverted' as const,
            description: 'range_start > range_end: DRM_MM_BUG_ON; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
        ]
      : []),
    {
      guard: 'isAllocatorTakenDown' as const,
      description: 'The allocator was taken down: using it is a use after free; refused.',
      meta: ORPHANED,
    },
    {
      guard: 'isScanActive' as const,
      description: 'An eviction scan holds blocks of this allocator: no other call is allowed; refused.',
      meta: { violation: 'bug_on', refused: true },
    },
    { guard: 'hasRoom' as const, target: 'inserted', description: 'A hole takes the node: ALLOCATED is set, 0.' },
    { target: self, description: 'No hole takes the node: -ENOSPC, nothing changes.', meta: { errno: 'ENOSPC' } },
  ];
}

/** Every insertion entry point answers the same from one state. */
function inserts(self: 'unlinked' | 'removed') {
  return {
    drm_mm_insert_node_in_range: insertFrom(self, true),
    drm_mm_insert_node_generic: insertFrom(self, false),
    drm_mm_insert_node: insertFrom(self, false),
    drm_mm_reserve_node: insertFrom(self, false),
  };
}

function refuseAll(description: string, meta: { violation: string; refused: true }) {
  return {
    drm_mm_insert_node_in_range: { description, meta },
    drm_mm_insert_node_generic: { description, meta },
    drm_mm_insert_node: { description, meta },
    drm_mm_reserve_node: { description, meta },
  };
}

/** The `struct drm_mm_node` statechart (id `drm_mm_node`): see the header above. */
export const drmMmNodeMachine = setup({
  types: { context: {} as DrmMmNodeContext, events: {} as DrmMmNodeEvent },
  guards: {
    /** `range_start > range_end` in drm_mm_insert_node_in_range (drm_mm.c). */
    isRangeInverted: ({ event }) => event.rangeInverted === true,
    /** `mm->scan_active`: the scan documentation in drm_mm.c allows no other call meanwhile. */
    isScanActive: ({ event }) => event.scanActive === true,
    /** The allocator's drm_mm_takedown (drm_mm.c) ran: its owner has released it. */
    isAllocatorTakenDown: ({ event }) => event.allocatorTakenDown === true,
    /** A hole passed every check of the search (or reservation) in drm_mm.c. */
    hasRoom: ({ event }) => event.fits === true,
    /** `node->mm != scan->mm` in drm_mm_scan_add_block / drm_mm_scan_remove_block (drm_mm.c). */
    isOtherAllocator: ({ event }) => event.otherAllocator === true,
    /** `list_next_entry(prev_node) != list_next_entry(node)` in drm_mm_scan_remove_block (drm_mm.c). */
    isOutOfOrder: ({ event }) => event.outOfOrder === true,
    /** The block joined another scan (the model's record; drm_mm.c keeps none). */
    isOtherScan: ({ event }) => event.otherScan === true,
  },
}).createMachine({
  id: 'drm_mm_node',
  initial: 'unlinked',
  context: {},
  states: {
    unlinked: {
      description: 'Cleared and never inserted (or every insertion so far answered -ENOSPC).',
      on: {
        ...inserts('unlinked'),
        drm_mm_remove_node: { description: 'Not allocated: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_add_block: { description: 'Not allocated: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_remove_block: { description: 'Not a scanned block: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_takedown: { description: 'On no allocator: untouched.' },
        drm_mm_node_allocated: { description: 'ALLOCATED is clear: returns false.', meta: ALLOCATED_FALSE },
      },
    },
    inserted: {
      description: 'ALLOCATED: linked in node_list at its start, its following hole (if any) indexed.',
      on: {
        ...refuseAll('Already allocated: inserting it again would corrupt the lists; refused.', NOT_ALLOCATED),
        drm_mm_remove_node: [
          {
            guard: 'isScanActive',
            description: 'An eviction scan holds blocks of this allocator: no other call is allowed; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
          { target: 'removed', description: 'Unlinked; its range merges into the previous hole. ALLOCATED cleared.' },
        ],
        drm_mm_scan_add_block: [
          {
            guard: 'isOtherAllocator',
            description: 'node->mm != scan->mm: DRM_MM_BUG_ON; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
          { target: 'scanned', description: 'SCANNED set, scan_active++, unlinked keeping its own links; returns found.' },
        ],
        drm_mm_scan_remove_block: { description: 'Not a scanned block: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_takedown: [
          { guard: 'isOtherAllocator', description: 'Another allocator is taken down: untouched.' },
          { target: 'orphaned', description: 'Still allocated at takedown: the allocator is not clean.' },
        ],
        drm_mm_node_allocated: { description: 'ALLOCATED is set: returns true.', meta: ALLOCATED_TRUE },
      },
    },
    scanned: {
      description: 'SCANNED: an eviction candidate, unlinked from node_list until removed from the scan.',
      on: {
        ...refuseAll('Allocated and scanned: inserting it again would corrupt the lists; refused.', NOT_ALLOCATED),
        drm_mm_remove_node: { description: 'A scanned block: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_add_block: { description: 'Already scanned: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_remove_block: [
          {
            guard: 'isOtherAllocator',
            description: 'node->mm != scan->mm: DRM_MM_BUG_ON; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
          {
            guard: 'isOtherScan',
            description: 'Added through another scan: its hit decides nothing for this block, and that scan would never see it back; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
          {
            guard: 'isOutOfOrder',
            description: 'Not the reverse order of adding: DRM_MM_BUG_ON; refused.',
            meta: { violation: 'bug_on', refused: true },
          },
          { target: 'inserted', description: 'SCANNED cleared, scan_active--, linked again; returns evict.' },
        ],
        drm_mm_takedown: [
          { guard: 'isOtherAllocator', description: 'Another allocator is taken down: untouched.' },
          {
            description: 'An eviction scan holds the block: no other call is allowed, and its links would dangle; refused.',
            meta: NOT_ALLOCATED,
          },
        ],
        drm_mm_node_allocated: { description: 'ALLOCATED is set: returns true.', meta: ALLOCATED_TRUE },
      },
    },
    removed: {
      description: 'Removed by drm_mm_remove_node: not allocated, start/size/colour kept, may be inserted again.',
      on: {
        ...inserts('removed'),
        drm_mm_remove_node: { description: 'Not allocated: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_add_block: { description: 'Not allocated: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_scan_remove_block: { description: 'Not a scanned block: DRM_MM_BUG_ON; refused.', meta: NOT_ALLOCATED },
        drm_mm_takedown: { description: 'On no allocator: untouched.' },
        drm_mm_node_allocated: { description: 'ALLOCATED is clear: returns false.', meta: ALLOCATED_FALSE },
      },
    },
    orphaned: {
      description: 'Still ALLOCATED, but its allocator was taken down: its links point into a dead drm_mm.',
      on: {
        ...refuseAll('Its allocator was taken down: using the node is a use after free; refused.', ORPHANED),
        drm_mm_remove_node: { description: 'Its allocator was taken down: use after free; refused.', meta: ORPHANED },
        drm_mm_scan_add_block: { description: 'Its allocator was taken down: use after free; refused.', meta: ORPHANED },
        drm_mm_scan_remove_block: { description: 'Its allocator was taken down: use after free; refused.', meta: ORPHANED },
        drm_mm_takedown: { description: 'Already orphaned: untouched.' },
        drm_mm_node_allocated: { description: 'Returns true: ALLOCATED was never cleared.', meta: ALLOCATED_TRUE },
      },
    },
  },
});
