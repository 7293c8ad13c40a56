import { assign, setup } from 'xstate';

/**
 * Lifecycle of `struct dma_fence`.
 *
 * Kernel: [drivers/dma-buf/dma-fence.c](https://github.com/torvalds/linux/blob/v6.17/drivers/dma-buf/dma-fence.c),
 * [include/linux/dma-fence.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/dma-fence.h);
 * Rust: the 2025 RFC `rust/kernel/sync/dma_fence.rs` (`DmaFence`, `DmaFenceCtx`), not upstream.
 *
 * Modelled:
 * - the `SIGNALED` bit, set at most once, by `dma_fence_signal` or by the release of a fence with
 *   pending callbacks (`-EDEADLK`);
 * - the `ENABLE_SIGNAL` bit (substates of `unsignaled`), set by enable_sw_signaling, add_callback and
 *   wait_timeout;
 * - the kref: get, put, release at zero (with the WARN for pending signals);
 * - the WARNs of set_error (after signal, out of range) and of wait_timeout (negative timeout).
 *
 * Abstracted away:
 * - `ops->enable_signaling` and `ops->signaled`: the modelled fences use ops without them (as the
 *   kernel selftest's mock fences do), so enabling never signals and is_signaled only reads the bit;
 * - timestamps and the RCU grace period before the memory is reused: no call observes them;
 * - `fence->lock`: every call takes and drops it within the call.
 *
 * Invariants: fenceRecordsAreWellFormed, signaledFencesHaveNoPendingCallbacks,
 * everyQueuedCallbackIsOnItsFence, liveFencesHaveAReference.
 *
 * Docs: docs/dma-fence.md.
 */

/** What the fence's lifecycle decisions read. */
export interface DmaFenceContext {
  /** `fence->refcount` (kref). */
  readonly refcount: number;
  /** Number of callbacks on `fence->cb_list`. */
  readonly pending: number;
}

/** Calls on one fence. */
export type DmaFenceEvent =
  /** `struct dma_fence *dma_fence_get(struct dma_fence *fence)`: takes a reference. */
  | { type: 'dma_fence_get' }
  /** `void dma_fence_put(struct dma_fence *fence)`: drops a reference; releases at zero. */
  | { type: 'dma_fence_put' }
  /** `int dma_fence_signal(struct dma_fence *fence)`: 0, or `-EINVAL` when already signaled. */
  | { type: 'dma_fence_signal' }
  /** `bool dma_fence_check_and_signal(struct dma_fence *fence)` (v7.0): whether it was already signaled. */
  | { type: 'dma_fence_check_and_signal' }
  /** `void dma_fence_enable_sw_signaling(struct dma_fence *fence)`. */
  | { type: 'dma_fence_enable_sw_signaling' }
  /** `int dma_fence_add_callback(fence, cb, func)`: 0, or `-ENOENT` when already signaled. */
  | { type: 'dma_fence_add_callback' }
  /** `bool dma_fence_remove_callback(fence, cb)`: whether the callback was still queued. */
  | { type: 'dma_fence_remove_callback' }
  /** `void dma_fence_set_error(struct dma_fence *fence, int error)`: WARNs after signal or out of range. */
  | { type: 'dma_fence_set_error'; error: number }
  /** `int dma_fence_get_status(struct dma_fence *fence)`: 0, 1 or the error. */
  | { type: 'dma_fence_get_status' }
  /** `bool dma_fence_is_signaled(struct dma_fence *fence)`. */
  | { type: 'dma_fence_is_signaled' }
  /** `bool dma_fence_is_later(struct dma_fence *f1, struct dma_fence *f2)`: WARNs across contexts. */
  | { type: 'dma_fence_is_later' }
  /** `signed long dma_fence_wait_timeout(fence, intr, timeout)`: `-EINVAL` for a negative timeout. */
  | { type: 'dma_fence_wait_timeout'; timeout: number };

const MAX_ERRNO = 4095;

export const dmaFenceMachine = setup({
  types: {
    context: {} as DmaFenceContext,
    events: {} as DmaFenceEvent,
    input: {} as Partial<DmaFenceContext> | undefined,
  },
  guards: {
    /** `kref_put()` drops the last reference (dma-fence.h: `kref_put(&fence->refcount, dma_fence_release)`). */
    isLastReference: ({ context }) => context.refcount === 1,
    /** Release finds `!list_empty(&fence->cb_list)` on an unsignaled fence (dma_fence_release, dma-fence.c). */
    isLastReferenceWithPendingCallbacks: ({ context }) => context.refcount === 1 && context.pending > 0,
    /** `WARN_ON(error >= 0 || error < -MAX_ERRNO)` in dma_fence_set_error (dma-fence.h). */
    isErrorOutOfRange: ({ event }) => event.type === 'dma_fence_set_error' && (event.error >= 0 || event.error < -MAX_ERRNO),
    /** `WARN_ON(timeout < 0)` in dma_fence_wait_timeout (dma-fence.c). */
    isNegativeTimeout: ({ event }) => event.type === 'dma_fence_wait_timeout' && event.timeout < 0,
    /** `if (!timeout)` in dma_fence_default_wait: a poll that returns at once (dma-fence.c). */
    isPoll: ({ event }) => event.type === 'dma_fence_wait_timeout' && event.timeout === 0,
  },
  actions: {
    /** `kref_get(&fence->refcount)`. */
    krefGet: assign({ refcount: ({ context }) => context.refcount + 1 }),
    /** `kref_put(&fence->refcount, …)`. */
    krefPut: assign({ refcount: ({ context }) => context.refcount - 1 }),
    /** `list_add_tail(&cb->node, &fence->cb_list)`. */
    listAddTail: assign({ pending: ({ context }) => context.pending + 1 }),
    /** `list_del_init(&cb->node)` of a queued callback. */
    listDelInit: assign({ pending: ({ context }) => Math.max(0, context.pending - 1) }),
    /** Runs and unlinks every queued callback, in list order (dma_fence_signal_timestamp_locked). */
    runCallbacks: assign({ pending: 0 }),
  },
}).createMachine({
  id: 'dma_fence',
  initial: 'unsignaled',
  context: ({ input }) => ({ refcount: input?.refcount ?? 1, pending: input?.pending ?? 0 }),
  states: {
    unsignaled: {
      description: 'Initialised by dma_fence_init: SIGNALED clear, refcount ≥ 1; callbacks may be queued.',
      tags: ['alive'],
      initial: 'signalingDisabled',
      on: {
        dma_fence_get: { actions: 'krefGet', description: 'Takes a reference.' },
        dma_fence_put: [
          {
            guard: 'isLastReferenceWithPendingCallbacks',
            target: 'freed',
            actions: ['runCallbacks', 'krefPut'],
            description: 'Last reference with callbacks pending: WARN "released with pending signals!", error -EDEADLK, signal, free.',
            meta: { violation: 'warn_on' },
          },
          { guard: 'isLastReference', target: 'freed', actions: 'krefPut', description: 'Last reference: released and freed.' },
          { actions: 'krefPut', description: 'Drops a reference.' },
        ],
        dma_fence_signal: { target: 'signaled', actions: 'runCallbacks', description: 'Sets SIGNALED, runs the callbacks in order, returns 0.' },
        dma_fence_check_and_signal: { target: 'signaled', actions: 'runCallbacks', description: 'Signals; returns false (was not signaled).' },
        dma_fence_enable_sw_signaling: { target: '.signalingEnabled', description: 'Sets ENABLE_SIGNAL.' },
        dma_fence_add_callback: { target: '.signalingEnabled', actions: 'listAddTail', description: 'Enables signaling and queues the callback at the tail; returns 0.' },
        dma_fence_remove_callback: { actions: 'listDelInit', description: 'Unlinks the callback if it is still queued; returns whether it was.' },
        dma_fence_set_error: [
          { guard: 'isErrorOutOfRange', description: 'WARN: error not in [-MAX_ERRNO, -1]; stored anyway.', meta: { violation: 'warn_on' } },
          { description: 'Stores the error (last write wins).' },
        ],
        dma_fence_get_status: { description: 'Returns 0: not signaled.' },
        dma_fence_is_signaled: { description: 'Returns false.' },
        dma_fence_is_later: { description: 'Compares seqnos (WARN and false across contexts).' },
        dma_fence_wait_timeout: [
          { guard: 'isNegativeTimeout', description: 'WARN, returns -EINVAL.', meta: { errno: 'EINVAL', violation: 'warn_on' } },
          { guard: 'isPoll', target: '.signalingEnabled', description: 'Enables signaling; a poll of an unsignaled fence returns 0.' },
          { description: 'Would sleep until signaled: blocked, nothing changes.', meta: { blocked: true } },
        ],
      },
      states: {
        signalingDisabled: { description: 'ENABLE_SIGNAL clear: nobody has asked for completion yet.' },
        signalingEnabled: { description: 'ENABLE_SIGNAL set by enable_sw_signaling, add_callback or a wait.' },
      },
    },
    signaled: {
      description: 'SIGNALED set (exactly once); callbacks ran; the error, if any, is final.',
      tags: ['alive'],
      on: {
        dma_fence_get: { actions: 'krefGet', description: 'Takes a reference.' },
        dma_fence_put: [
          { guard: 'isLastReference', target: 'freed', actions: 'krefPut', description: 'Last reference: released and freed.' },
          { actions: 'krefPut', description: 'Drops a reference.' },
        ],
        dma_fence_signal: { description: 'Already signaled: returns -EINVAL, nothing runs.', meta: { errno: 'EINVAL' } },
        dma_fence_check_and_signal: { description: 'Already signaled: returns true, nothing runs.' },
        dma_fence_enable_sw_signaling: { description: 'Sets ENABLE_SIGNAL; nothing else.' },
        dma_fence_add_callback: { description: 'Already signaled: -ENOENT, the callback is not queued and not run.', meta: { errno: 'ENOENT' } },
        dma_fence_remove_callback: { description: 'Returns false: the callback already ran or never was queued.' },
        dma_fence_set_error: [
          {
            guard: 'isErrorOutOfRange',
            description: 'WARN (already signaled) and WARN (out of range); stored anyway.',
            meta: { violation: 'warn_on' },
          },
          { description: 'WARN: already signaled; stored anyway.', meta: { violation: 'warn_on' } },
        ],
        dma_fence_get_status: { description: 'Returns the error, or 1.' },
        dma_fence_is_signaled: { description: 'Returns true.' },
        dma_fence_is_later: { description: 'Compares seqnos (WARN and false across contexts).' },
        dma_fence_wait_timeout: [
          { guard: 'isNegativeTimeout', description: 'WARN, returns -EINVAL.', meta: { errno: 'EINVAL', violation: 'warn_on' } },
          { description: 'Returns the timeout at once (1 for a poll).' },
        ],
      },
    },
    freed: {
      description: 'Released at refcount zero and freed; any further use is a use-after-free.',
      tags: ['released'],
      type: 'final',
    },
  },
});
