import { setup } from 'xstate';

/**
 * Lifecycle of `struct drm_mm`: one range allocator, from drm_mm_init to drm_mm_takedown.
 *
 * Kernel: [drivers/gpu/drm/drm_mm.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_mm.c)
 * (drm_mm_init, drm_mm_takedown), [include/drm/drm_mm.h](https://github.com/torvalds/linux/blob/v6.17/include/drm/drm_mm.h)
 * (drm_mm_clean, drm_mm_for_each_hole, drm_mm_for_each_node). Rust: none upstream (the seed
 * thread's `drm::mm::Allocator`).
 *
 * Modelled:
 * - initialisation, with drm_mm_init's DRM_MM_BUG_ON on an empty or wrapping range, and
 *   initialising a live allocator again as a refused call (it would corrupt its lists);
 * - takedown, after which every use but drm_mm_init is a use after free.
 *
 * Abstracted away:
 * - the holes and nodes themselves: data, kept in src/drm-mm beside the machine;
 * - what takedown does to the nodes: each node's machine decides (machines/drmMmNode.machine.ts);
 * - a name never initialised: library misuse (`UNKNOWN_OBJECT`), answered before the machine,
 *   since the caller must initialise an allocator before naming it.
 *
 * Invariants: drmMmTypeOk, nodesAndHolesPartitionTheRange.
 *
 * Docs: docs/drm-mm.md.
 */

/** The allocator's own context: empty; its range and trees live in the world beside the machine. */
export type DrmMmContext = Record<string, never>;

/** The facts of one call that the allocator's guards read, gathered by `apply` before deciding. */
export interface DrmMmFacts {
  /** `start + size <= start` in drm_mm_init: an empty or wrapping range. */
  readonly rangeEmpty?: boolean;
}

/** Calls on an allocator as a whole. */
export type DrmMmEvent = DrmMmFacts &
  (
    | /** `void drm_mm_init(mm, start, size)`. */
    { type: 'drm_mm_init' }
    | /** `void drm_mm_takedown(mm)`. */
    { type: 'drm_mm_takedown' }
    | /** `drm_mm_for_each_hole(pos, mm, hole_start, hole_end)`. */
    { type: 'drm_mm_holes' }
    | /** `drm_mm_for_each_node(entry, mm)`. */
    { type: 'drm_mm_nodes' }
    | /** `bool drm_mm_clean(mm)`. */
    { type: 'drm_mm_clean' }
  );

const DEAD = { violation: 'use_after_free', refused: true } as const;

/** The `struct drm_mm` statechart (id `drm_mm`): see the header above. */
export const drmMmMachine = setup({
  types: { context: {} as DrmMmContext, events: {} as DrmMmEvent },
  guards: {
    /** `start + size <= start` in drm_mm_init (drm_mm.c). */
    isRangeEmpty: ({ event }) => event.rangeEmpty === true,
  },
}).createMachine({
  id: 'drm_mm',
  initial: 'released',
  context: {},
  states: {
    released: {
      description: 'No live allocator: not initialised yet, or taken down by drm_mm_takedown.',
      on: {
        drm_mm_init: [
          { guard: 'isRangeEmpty', description: 'start + size <= start: DRM_MM_BUG_ON; refused.', meta: { violation: 'bug_on', refused: true } },
          { target: 'live', description: 'One hole spans [start, start + size): the head node owns it.' },
        ],
        drm_mm_takedown: { description: 'Taken down already: reading it is a use after free; refused.', meta: DEAD },
        drm_mm_holes: { description: 'Taken down: walking its hole_stack is a use after free; refused.', meta: DEAD },
        drm_mm_nodes: { description: 'Taken down: walking its node_list is a use after free; refused.', meta: DEAD },
        drm_mm_clean: { description: 'Taken down: reading its node_list is a use after free; refused.', meta: DEAD },
      },
    },
    live: {
      description: 'Initialised: its head node, node_list and hole indexes are in use.',
      on: {
        drm_mm_init: {
          description: 'Live: initialising it again would corrupt its lists and lose its nodes; refused.',
          meta: { violation: 'bug_on', refused: true },
        },
        drm_mm_takedown: {
          target: 'released',
          description: 'Taken down: the kernel WARNs when nodes remain (the model answers clean: false); its nodes hear it.',
        },
        drm_mm_holes: { description: 'Lists the holes in hole_stack order, most recent first.' },
        drm_mm_nodes: { description: 'Lists the linked nodes in address order.' },
        drm_mm_clean: { description: 'Returns whether node_list is empty.' },
      },
    },
  },
});
