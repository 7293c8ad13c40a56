import { setup } from 'xstate';

/**
 * Lifecycle of `struct drm_mm_scan`: one caller-owned eviction roster over a drm_mm allocator.
 *
 * Kernel: [drivers/gpu/drm/drm_mm.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_mm.c)
 * (drm_mm_scan_init_with_range, drm_mm_scan_add_block, drm_mm_scan_remove_block,
 * drm_mm_scan_color_evict), [include/drm/drm_mm.h](https://github.com/torvalds/linux/blob/v6.17/include/drm/drm_mm.h).
 * Rust: none upstream.
 *
 * Modelled:
 * - the zeroed struct a caller embeds (`scan->mm == NULL`) and what each call does with it;
 * - initialisation, with the DRM_MM_BUG_ON checks of CONFIG_DRM_DEBUG_MM builds as refused calls;
 * - whether the scan still holds blocks, and the model's findings the kernel cannot see: a scan
 *   that holds blocks initialised again, and drm_mm_scan_color_evict before every block came back.
 *
 * Abstracted away:
 * - the hit and the search parameters: data, kept in src/drm-mm beside the machine;
 * - the checks on the block itself: the drm_mm_node machine decides those (machines/drmMmNode.machine.ts).
 *
 * Invariants: nodesNeverOverlap, nodesAndHolesPartitionTheRange (a scan restores both when its
 * blocks come back).
 *
 * Docs: docs/drm-mm.md.
 */

/** The scan's own context: empty; the roster and the hit live in the world beside the machine. */
export type DrmMmScanContext = Record<string, never>;

/** The facts of one call that the scan's guards read, gathered by `apply` before deciding. */
export interface DrmMmScanFacts {
  /** The allocator the call reaches through was taken down (drm_mm_takedown) or initialised anew. */
  readonly allocatorTakenDown?: boolean;
  /** `start >= end` in drm_mm_scan_init_with_range. */
  readonly rangeEmpty?: boolean;
  /** `!size || size > end - start` in drm_mm_scan_init_with_range. */
  readonly sizeInvalid?: boolean;
  /** `mm->scan_active != 0` on the allocator being scanned. */
  readonly scanActive?: boolean;
  /** The block being taken back is the last one the scan holds. */
  readonly lastBlock?: boolean;
  /**
   * drm_mm_scan_color_evict found no hole covering the hit (or no hole at all). `apply` passes a
   * getter: the hole stack is walked only when the guard asks.
   */
  readonly hitHoleMissing?: boolean;
}

/** Calls that touch a scan. */
export type DrmMmScanEvent = DrmMmScanFacts &
  (
    | /** `void drm_mm_scan_init_with_range(scan, mm, size, alignment, color, start, end, mode)`. */
    { type: 'drm_mm_scan_init_with_range' }
    | /** `bool drm_mm_scan_add_block(scan, node)`: after the node machine's checks passed. */
    { type: 'drm_mm_scan_add_block' }
    | /** `bool drm_mm_scan_remove_block(scan, node)`: after the node machine's checks passed. */
    { type: 'drm_mm_scan_remove_block' }
    | /** `struct drm_mm_node *drm_mm_scan_color_evict(scan)`. */
    { type: 'drm_mm_scan_color_evict' }
  );

const BUG = { violation: 'bug_on', refused: true } as const;

/** drm_mm_scan_init_with_range's checks, in the kernel's order, then the initialisation. */
function initBranches(last: { description: string; meta?: typeof BUG }) {
  return [
    {
      guard: 'isAllocatorTakenDown' as const,
      description: 'The allocator was taken down: reading it is a use after free; refused.',
      meta: { violation: 'use_after_free', refused: true },
    },
    { guard: 'isRangeEmpty' as const, description: 'start >= end: DRM_MM_BUG_ON; refused.', meta: BUG },
    { guard: 'isSizeInvalid' as const, description: '!size || size > end - start: DRM_MM_BUG_ON; refused.', meta: BUG },
    { guard: 'isScanActive' as const, description: 'mm->scan_active: another scan holds blocks of this allocator: DRM_MM_BUG_ON; refused.', meta: BUG },
    last.meta === undefined ? { target: 'idle' as const, description: last.description } : { description: last.description, meta: last.meta },
  ];
}

/** The `struct drm_mm_scan` statechart (id `drm_mm_scan`): see the header above. */
export const drmMmScanMachine = setup({
  types: { context: {} as DrmMmScanContext, events: {} as DrmMmScanEvent },
  guards: {
    /** drm_mm_takedown (drm_mm.c) ran on the allocator: its owner has released it. */
    isAllocatorTakenDown: ({ event }) => event.allocatorTakenDown === true,
    /** `start >= end` in drm_mm_scan_init_with_range (drm_mm.c). */
    isRangeEmpty: ({ event }) => event.rangeEmpty === true,
    /** `!size || size > end - start` in drm_mm_scan_init_with_range (drm_mm.c). */
    isSizeInvalid: ({ event }) => event.sizeInvalid === true,
    /** `mm->scan_active` in drm_mm_scan_init_with_range (drm_mm.c). */
    isScanActive: ({ event }) => event.scanActive === true,
    /** The roster holds exactly the block being taken back. */
    isLastBlock: ({ event }) => event.lastBlock === true,
    /** drm_mm_scan_color_evict's walk of hole_stack (drm_mm.c) ended without a hole covering the hit. */
    isHitHoleMissing: ({ event }) => event.hitHoleMissing === true,
  },
}).createMachine({
  id: 'drm_mm_scan',
  initial: 'zeroed',
  context: {},
  states: {
    zeroed: {
      description: 'Cleared and never initialised: scan->mm is NULL.',
      on: {
        drm_mm_scan_init_with_range: initBranches({ description: 'scan->mm set, the hit cleared (hit_start = U64_MAX, hit_end = 0).' }),
        drm_mm_scan_add_block: {
          description: 'scan->mm is NULL: node->mm != scan->mm (or, for a cleared node, !allocated): DRM_MM_BUG_ON; refused.',
          meta: BUG,
        },
        drm_mm_scan_remove_block: {
          description: 'scan->mm is NULL: node->mm != scan->mm (or, for a cleared node, !scanned): DRM_MM_BUG_ON; refused.',
          meta: BUG,
        },
        drm_mm_scan_color_evict: { description: 'scan->mm is NULL: reading its hole_stack dereferences NULL; refused.', meta: BUG },
      },
    },
    idle: {
      description: 'Initialised, holding no block: it may be initialised again, or its hit used.',
      on: {
        drm_mm_scan_init_with_range: initBranches({ description: 'Initialised again: scan->mm set, the hit cleared.' }),
        drm_mm_scan_add_block: { target: 'scanning', description: 'The node passed its checks: the scan holds it (SCANNED, scan_active++).' },
        drm_mm_scan_remove_block: {
          description: 'Holds no block: the node was not added through this scan (not scanned, or scanned by another); refused.',
          meta: BUG,
        },
        drm_mm_scan_color_evict: [
          {
            guard: 'isAllocatorTakenDown',
            description: 'The allocator was taken down: reading it is a use after free; refused.',
            meta: { violation: 'use_after_free', refused: true },
          },
          { guard: 'isHitHoleMissing', description: 'No hole covers the hit: DRM_MM_BUG_ON; refused.', meta: BUG },
          { description: 'Returns the neighbour the colour would still conflict with, or NULL.' },
        ],
      },
    },
    scanning: {
      description: 'Holds blocks: SCANNED nodes unlinked from node_list until they come back in reverse order.',
      on: {
        drm_mm_scan_init_with_range: initBranches({
          description: 'Still holds blocks: initialising it again orphans them (the kernel cannot see this); refused.',
          meta: BUG,
        }),
        drm_mm_scan_add_block: { target: 'scanning', description: 'The node passed its checks: the scan holds one more block.' },
        drm_mm_scan_remove_block: [
          { guard: 'isLastBlock', target: 'idle', description: 'The last block came back: the roster is empty.' },
          { target: 'scanning', description: 'A block came back; others are still held.' },
        ],
        drm_mm_scan_color_evict: {
          description: 'Blocks are still held: the hit is not a hole yet (the kernel cannot see this); refused.',
          meta: BUG,
        },
      },
    },
  },
});
