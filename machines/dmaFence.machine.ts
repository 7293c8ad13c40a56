import { assign, setup } from 'xstate';
// ABSTRACTION: a type-only import of the protocol's event union (erased at run time), so that machine
// and protocol share one event type inferred from the schemas.
import type { DmaFenceEvent } from '../src/dma-fence/events.js';
import { MAX_ERRNO } from '../src/errno.js';

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
 * - the WARNs of set_error (after signal, out of range) and of wait_timeout (negative timeout);
 * - calls on a freed fence: the final state answers each with its finding (use-after-free, a put's
 *   refcount underflow, a negative timeout's `-EINVAL` that never reads the fence).
 *
 * Abstracted away:
 * - `ops->enable_signaling` and `ops->signaled`: the modelled fences use ops without them (as the
 *   kernel selftest's mock fences do), so enabling never signals and is_signaled only reads the bit;
 * - timestamps and the RCU grace period before the memory is reused: no call observes them;
 * - `fence->lock`: every call takes and drops it within the call.
 *
 * Invariants: fenceRecordsAreWellFormed (a refcount that is 0 exactly when freed; callbacks queued
 * only while unsignaled), everyQueuedCallbackIsOnItsFence.
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

/** The calls the fence machine answers: one per kernel function that takes one fence. */
export type DmaFenceCallType =
  | 'dma_fence_get'
  | 'dma_fence_put'
  | 'dma_fence_signal'
  | 'dma_fence_check_and_signal'
  | 'dma_fence_enable_sw_signaling'
  | 'dma_fence_add_callback'
  | 'dma_fence_remove_callback'
  | 'dma_fence_set_error'
  | 'dma_fence_get_status'
  | 'dma_fence_is_signaled'
  | 'dma_fence_is_later'
  | 'dma_fence_wait_timeout';

/**
 * Calls on one fence: the protocol's own {@link DmaFenceEvent} members (inferred from the field
 * schemas), with the facts the guards read that are not fields. `dma_fence_is_later` is decided on
 * `f1` and carries `f2Released` (f2 was freed) and `acrossContexts` (`f1->context != f2->context`);
 * `dma_fence_put` carries `stub` when the fence is the static `dma_fence_stub`.
 *
 * - `dma_fence_get`, `dma_fence_put`: take / drop a reference; release at zero.
 * - `int dma_fence_signal(fence)`: 0, or `-EINVAL` when already signaled.
 * - `bool dma_fence_check_and_signal(fence)` (v7.0): whether it was already signaled.
 * - `void dma_fence_enable_sw_signaling(fence)`.
 * - `int dma_fence_add_callback(fence, cb, func)`: 0, or `-ENOENT` when already signaled.
 * - `bool dma_fence_remove_callback(fence, cb)`: whether the callback was still queued.
 * - `void dma_fence_set_error(fence, error)`: WARNs after signal or out of range.
 * - `int dma_fence_get_status(fence)`: 0, 1 or the error. `bool dma_fence_is_signaled(fence)`.
 * - `bool dma_fence_is_later(f1, f2)`: WARNs across contexts.
 * - `signed long dma_fence_wait_timeout(fence, intr, timeout)`: `-EINVAL` for a negative timeout.
 * - `void dma_fence_init(fence, ops, lock, context, seqno)`, `dma_fence_init64(…)`: answered here only
 *   on a fence that is still alive (a `bug_on`, refused); a name never used or freed starts a new
 *   lifecycle in the initial state.
 */
export type DmaFenceMachineEvent =
  | Extract<DmaFenceEvent, { readonly type: 'dma_fence_init' | 'dma_fence_init64' }>
  | Exclude<Extract<DmaFenceEvent, { readonly type: DmaFenceCallType }>, { readonly type: 'dma_fence_is_later' | 'dma_fence_put' }>
  | (Extract<DmaFenceEvent, { readonly type: 'dma_fence_put' }> & { readonly stub?: boolean })
  | (Extract<DmaFenceEvent, { readonly type: 'dma_fence_is_later' }> & { readonly acrossContexts: boolean; readonly f2Released: boolean });

/** The `struct dma_fence` statechart. */
/**
 * `dma_fence_init`/`dma_fence_init64` on a fence that is still alive (either live state): the C
 * struct's kref and callback list would be overwritten, so the model refuses it.
 */
const INIT_LIVE = {
  description: 'Initialises a fence that is still alive: its kref and callback list would be overwritten; bug_on, refused.',
  meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'stillAlive' }], refused: true },
} as const;

/**
 * `dma_fence_is_later(f1, f2)` (include/linux/dma-fence.h) reads both fences' contexts and seqnos
 * and never f1's signalled state: every live state of f1 answers it alike.
 */
const IS_LATER = [
  {
    guard: 'isOtherReleased',
    description: 'f2 was released: reading its context is a use-after-free, refused.',
    meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'f2Released' }], refused: true },
  },
  {
    guard: 'isAcrossContexts',
    description: 'WARN: the fences are on different contexts; returns false.',
    meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'acrossContexts' }], returns: { later: false } },
  },
  { description: 'Compares the seqnos (32-bit wrap-around unless f1 has SEQNO64).', meta: { effects: ['compareSeqnos'] } },
] as const;

export const dmaFenceMachine = setup({
  types: {
    context: {} as DmaFenceContext,
    events: {} as DmaFenceMachineEvent,
    input: {} as Partial<DmaFenceContext> | undefined,
  },
  guards: {
    /** `kref_put()` drops the last reference (dma-fence.h: `kref_put(&fence->refcount, dma_fence_release)`). */
    isLastReference: ({ context }) => context.refcount === 1,
    /** The last reference of the static `dma_fence_stub` (dma-fence.c), which is never kfree()d. */
    isLastReferenceOfStub: ({ context, event }) => context.refcount === 1 && event.type === 'dma_fence_put' && event.stub === true,
    /** Release finds `!list_empty(&fence->cb_list)` on an unsignaled fence (dma_fence_release, dma-fence.c). */
    isLastReferenceWithPendingCallbacks: ({ context }) => context.refcount === 1 && context.pending > 0,
    /** `WARN_ON(error >= 0 || error < -MAX_ERRNO)` in dma_fence_set_error (dma-fence.h). */
    isErrorOutOfRange: ({ event }) => event.type === 'dma_fence_set_error' && (event.error >= 0 || event.error < -MAX_ERRNO),
    /** `WARN_ON(timeout < 0)` in dma_fence_wait_timeout (dma-fence.c). */
    isNegativeTimeout: ({ event }) => event.type === 'dma_fence_wait_timeout' && event.timeout < 0,
    /** `if (!timeout)` in dma_fence_default_wait: a poll that returns at once (dma-fence.c). */
    isPoll: ({ event }) => event.type === 'dma_fence_wait_timeout' && event.timeout === 0,
    /** `WARN_ON(f1->context != f2->context)` in dma_fence_is_later (dma-fence.h). */
    isAcrossContexts: ({ event }) => event.type === 'dma_fence_is_later' && event.acrossContexts,
    /** `f2` of dma_fence_is_later points at freed memory (the model's use-after-free). */
    isOtherReleased: ({ event }) => event.type === 'dma_fence_is_later' && event.f2Released,
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
        dma_fence_init: INIT_LIVE,
        dma_fence_init64: INIT_LIVE,
        dma_fence_get: { actions: 'krefGet', description: 'Takes a reference.', meta: { effects: ['krefGet'] } },
        dma_fence_put: [
          {
            guard: 'isLastReferenceWithPendingCallbacks',
            target: 'freed',
            actions: ['runCallbacks', 'krefPut'],
            description: 'Last reference with callbacks pending: WARN "released with pending signals!", error -EDEADLK, signal, free.',
            meta: {
              violation: 'warn_on',
              violations: [{ kind: 'warn_on', check: 'releasedWithPendingSignals' }],
              effects: ['krefPut', 'setErrorDeadlock', 'runCallbacks', 'release'],
            },
          },
          {
            guard: 'isLastReference',
            target: 'freed',
            actions: 'krefPut',
            description: 'Last reference: released and freed.',
            meta: { effects: ['krefPut', 'release'] },
          },
          { actions: 'krefPut', description: 'Drops a reference.', meta: { effects: ['krefPut'] } },
        ],
        dma_fence_signal: {
          target: 'signaled',
          actions: 'runCallbacks',
          description: 'Sets SIGNALED, runs the callbacks in order, returns 0.',
          meta: { effects: ['runCallbacks'] },
        },
        dma_fence_check_and_signal: {
          target: 'signaled',
          actions: 'runCallbacks',
          description: 'Signals; returns false (was not signaled).',
          meta: { returns: { was_signaled: false }, effects: ['runCallbacks'] },
        },
        dma_fence_enable_sw_signaling: { target: '.signalingEnabled', description: 'Sets ENABLE_SIGNAL.' },
        dma_fence_add_callback: {
          target: '.signalingEnabled',
          actions: 'listAddTail',
          description: 'Enables signaling and queues the callback at the tail; returns 0.',
          meta: { effects: ['listAddTail'] },
        },
        dma_fence_remove_callback: {
          actions: 'listDelInit',
          description: 'Unlinks the callback if it is still queued; the slot (dma_fence_cb) answers whether it was.',
          meta: { effects: ['listDelInit'] },
        },
        dma_fence_set_error: [
          {
            guard: 'isErrorOutOfRange',
            description: 'WARN: error not in [-MAX_ERRNO, -1]; stored anyway.',
            meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'outOfRange' }], effects: ['storeError'] },
          },
          { description: 'Stores the error (last write wins).', meta: { effects: ['storeError'] } },
        ],
        dma_fence_get_status: { description: 'Returns 0: not signaled.', meta: { returns: { status: 0 } } },
        dma_fence_is_signaled: { description: 'Returns false.', meta: { returns: { signaled: false } } },
        dma_fence_is_later: IS_LATER,
        dma_fence_wait_timeout: [
          {
            guard: 'isNegativeTimeout',
            description: 'WARN, returns -EINVAL.',
            meta: { errno: 'EINVAL', violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'negativeTimeout' }] },
          },
          {
            guard: 'isPoll',
            target: '.signalingEnabled',
            description: 'might_sleep and the might-wait annotation, enables signaling; a poll of an unsignaled fence returns 0.',
            meta: { returns: { ret: 0 }, effects: ['mightWait'] },
          },
          {
            description: 'might_sleep and the might-wait annotation (edges to dma_fence_map), then would sleep until signaled: blocked, nothing else changes.',
            meta: { blocked: true, effects: ['mightWait'] },
          },
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
        dma_fence_init: INIT_LIVE,
        dma_fence_init64: INIT_LIVE,
        dma_fence_get: { actions: 'krefGet', description: 'Takes a reference.', meta: { effects: ['krefGet'] } },
        dma_fence_put: [
          {
            guard: 'isLastReferenceOfStub',
            description: 'The last reference of the static stub: dma_fence_release would kfree() a static object; bug_on, refused.',
            meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'staticStub' }], refused: true },
          },
          {
            guard: 'isLastReference',
            target: 'freed',
            actions: 'krefPut',
            description: 'Last reference: released and freed.',
            meta: { effects: ['krefPut', 'release'] },
          },
          { actions: 'krefPut', description: 'Drops a reference.', meta: { effects: ['krefPut'] } },
        ],
        dma_fence_signal: { description: 'Already signaled: returns -EINVAL, nothing runs.', meta: { errno: 'EINVAL' } },
        dma_fence_check_and_signal: { description: 'Already signaled: returns true, nothing runs.', meta: { returns: { was_signaled: true } } },
        dma_fence_enable_sw_signaling: { description: 'Sets ENABLE_SIGNAL; nothing else.' },
        dma_fence_add_callback: {
          description: 'Already signaled: -ENOENT, the callback is not queued and not run.',
          meta: { errno: 'ENOENT' },
        },
        dma_fence_remove_callback: {
          description: 'Unlinks the callback if it is still queued (on another fence); the slot answers whether it was.',
          meta: { effects: ['listDelInit'] },
        },
        dma_fence_set_error: [
          {
            guard: 'isErrorOutOfRange',
            description: 'WARN (already signaled) and WARN (out of range); stored anyway.',
            meta: {
              violation: 'warn_on',
              violations: [
                { kind: 'warn_on', check: 'signaled' },
                { kind: 'warn_on', check: 'outOfRange' },
              ],
              effects: ['storeError'],
            },
          },
          {
            description: 'WARN: already signaled; stored anyway.',
            meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'signaled' }], effects: ['storeError'] },
          },
        ],
        dma_fence_get_status: { description: 'Returns the error, or 1.', meta: { effects: ['returnErrorOrOne'] } },
        dma_fence_is_signaled: { description: 'Returns true.', meta: { returns: { signaled: true } } },
        dma_fence_is_later: IS_LATER,
        dma_fence_wait_timeout: [
          {
            guard: 'isNegativeTimeout',
            description: 'WARN, returns -EINVAL.',
            meta: { errno: 'EINVAL', violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'negativeTimeout' }] },
          },
          { guard: 'isPoll', description: 'might_sleep and the might-wait annotation; signaled: a poll returns 1.', meta: { returns: { ret: 1 }, effects: ['mightWait'] } },
          { description: 'might_sleep and the might-wait annotation; signaled: returns the timeout at once.', meta: { effects: ['mightWait', 'returnTimeout'] } },
        ],
      },
    },
    freed: {
      description: 'Released at refcount zero and freed; any further use is a use-after-free.',
      tags: ['released'],
      type: 'final',
      // ABSTRACTION: the final state still answers calls, with the finding the kernel would hit on
      // freed memory; every branch is targetless, so the lifecycle stays ended.
      on: {
        dma_fence_get: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_put: {
          description: 'kref_put on a freed fence: refcount_t underflow, refused.',
          meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'alreadyReleased' }], refused: true },
        },
        dma_fence_signal: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_check_and_signal: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_enable_sw_signaling: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_add_callback: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_remove_callback: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_set_error: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_get_status: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_is_signaled: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_is_later: {
          description: 'Reads freed memory: use-after-free, refused.',
          meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
        },
        dma_fence_wait_timeout: [
          {
            guard: 'isNegativeTimeout',
            description: 'WARN, returns -EINVAL before the fence is read: no use-after-free.',
            meta: { errno: 'EINVAL', violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'negativeTimeout' }] },
          },
          {
            description: 'Reads freed memory: use-after-free, refused.',
            meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true },
          },
        ],
      },
    },
  },
});
