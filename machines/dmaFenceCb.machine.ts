import { setup } from 'xstate';
// ABSTRACTION: a type-only import of the protocol's event union (erased at run time): machine and
// protocol share one event type.
import type { DmaFenceEvent } from '../src/dma-fence/events.js';

/**
 * Lifecycle of `struct dma_fence_cb`: one callback slot, owned by its caller.
 *
 * Kernel: [drivers/dma-buf/dma-fence.c](https://github.com/torvalds/linux/blob/v6.17/drivers/dma-buf/dma-fence.c)
 * (dma_fence_add_callback, dma_fence_remove_callback, dma_fence_signal_timestamp_locked).
 * Rust: `DmaFence::register_callback` in the 2025 RFC.
 *
 * Modelled:
 * - queueing on a fence (tail of `cb_list`), refusal with `-ENOENT` on a signaled fence;
 * - running once when the fence signals (or is released with callbacks pending);
 * - removal while queued; re-adding once the slot is off every list.
 *
 * Abstracted away:
 * - the callback function: a callback's effect is its name in the outcome's `callbacks` list;
 * - the transient "running" step: callbacks run inside the signalling call.
 *
 * Invariants: everyQueuedCallbackIsOnItsFence.
 *
 * Docs: docs/dma-fence.md.
 */

/** A callback slot keeps no data of its own beyond its state. */
export type DmaFenceCbContext = Record<string, never>;

/**
 * Calls that touch a callback slot: the protocol's own {@link DmaFenceEvent} members.
 *
 * - `int dma_fence_add_callback(fence, cb, func)`: 0 or `-ENOENT`; it carries `fenceSignaled`,
 *   whether the fence the call names has SIGNALED set (the fact the guard reads).
 * - `bool dma_fence_remove_callback(fence, cb)`.
 * - `dma_fence_signal`: the fence's callback list runs (dma_fence_signal, or release with pending
 *   callbacks); only the slots on that list see it, so only `registered` answers it: a slot on no
 *   list is never walked, and a branch there would be one `apply` never takes.
 */
export type DmaFenceCbEvent =
  | (Extract<DmaFenceEvent, { readonly type: 'dma_fence_add_callback' }> & { readonly fenceSignaled: boolean })
  | Extract<DmaFenceEvent, { readonly type: 'dma_fence_remove_callback' | 'dma_fence_signal' }>;

export const dmaFenceCbMachine = setup({
  types: { context: {} as DmaFenceCbContext, events: {} as DmaFenceCbEvent },
  guards: {
    /** `test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)` in dma_fence_add_callback (dma-fence.c). */
    isFenceSignaled: ({ event }) => event.type === 'dma_fence_add_callback' && event.fenceSignaled,
  },
}).createMachine({
  id: 'dma_fence_cb',
  initial: 'unqueued',
  context: {},
  states: {
    unqueued: {
      description: 'The node is initialised but on no list (never added, or refused with -ENOENT).',
      on: {
        dma_fence_add_callback: [
          { guard: 'isFenceSignaled', description: 'Fence already signaled: -ENOENT, not queued, not run.', meta: { errno: 'ENOENT' } },
          { target: 'registered', description: 'Queued at the tail of the fence\'s callback list.' },
        ],
        dma_fence_remove_callback: { description: 'Not queued: returns false.', meta: { returns: { removed: false } } },
      },
    },
    registered: {
      description: 'On a fence\'s cb_list, waiting for the signal.',
      on: {
        dma_fence_add_callback: {
          description: 'Still queued: adding it again would corrupt the list; refused.',
          meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'stillQueued' }], refused: true },
        },
        dma_fence_remove_callback: {
          target: 'removed',
          description: 'Unlinked before it ran: returns true.',
          meta: { returns: { removed: true }, effects: ['listDelInit'] },
        },
        dma_fence_signal: {
          target: 'invoked',
          description: 'Run once, in registration order, node re-initialised.',
          meta: { effects: ['runCallback'] },
        },
      },
    },
    invoked: {
      description: 'Ran when its fence signaled; the node is off every list and may be added again.',
      on: {
        dma_fence_add_callback: [
          { guard: 'isFenceSignaled', target: 'unqueued', description: 'Fence already signaled: -ENOENT.', meta: { errno: 'ENOENT' } },
          { target: 'registered', description: 'Queued again, on this or another fence.' },
        ],
        dma_fence_remove_callback: { description: 'Already ran: returns false.', meta: { returns: { removed: false } } },
      },
    },
    removed: {
      description: 'Unlinked by dma_fence_remove_callback before it ran; never runs unless added again.',
      on: {
        dma_fence_add_callback: [
          { guard: 'isFenceSignaled', target: 'unqueued', description: 'Fence already signaled: -ENOENT.', meta: { errno: 'ENOENT' } },
          { target: 'registered', description: 'Queued again.' },
        ],
        dma_fence_remove_callback: { description: 'Not queued: returns false.', meta: { returns: { removed: false } } },
      },
    },
  },
});
