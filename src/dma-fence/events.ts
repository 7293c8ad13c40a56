import type { DecodedEvents } from '../world/fields.js';
import type { EventDef } from '../world/Protocol.js';

const fence = { kind: 'name', doc: 'the fence' } as const;
const cb = { kind: 'name', doc: 'the `struct dma_fence_cb` slot' } as const;
const task = { kind: 'name', doc: 'the simulated thread' } as const;

/**
 * Checks a callback body: a list of calls without `task` — they run in the signalling task. Calls
 * of dma_fence and locking run here; any other protocol's call runs through the kernel composed
 * around dma_fence, which names an unknown type when the body runs. Returns an error sentence, or
 * undefined.
 */
export function checkCallbackBody(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'a callback body is a list of calls ({"type": …})';
  for (const [i, e] of v.entries()) {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof (e as { type?: unknown }).type !== 'string')
      return `call ${i} of the body is not an object with a string "type"`;
    const type = (e as { type: string }).type;
    if (!/^[a-z][a-z0-9_]*$/.test(type)) return `call ${i} of the body: "${type}" is not a kernel function's name`;
    if ('task' in e) return `call ${i} of the body names a task: a body runs in the task that signals the fence`;
  }
  return undefined;
}

/** Every dma_fence event: fields, outcomes, errnos, violations, kernel function and Rust name. */
export const DMA_FENCE_EVENTS = {
  dma_fence_context_alloc: {
    kernel: 'dma_fence_context_alloc() (drivers/dma-buf/dma-fence.c)',
    rust: 'DmaFenceCtx::new() (RFC)',
    summary: 'Reserves `num` (default 1) consecutive context ids from the global counter (from 1) and names the first `ctx`; `num` 0 WARNs (`WARN_ON(!num)`).',
    fields: { ctx: { kind: 'name', doc: 'name for the context' }, num: { kind: 'int', optional: true, doc: 'how many ids (default 1)' } },
    returns: ['context'],
    errnos: [],
    violations: ['warn_on'],
  },
  dma_fence_init: {
    kernel: 'dma_fence_init() (drivers/dma-buf/dma-fence.c)',
    rust: 'DmaFenceCtx::new_fence() (RFC)',
    summary: 'Initialises an unsignaled fence with refcount 1; seqno defaults to the context\'s counter (1, 2, 3, …). Initialising a name that is still a live fence is a `bug_on` (refused).',
    fields: { fence, ctx: { kind: 'name', doc: 'the context' }, seqno: { kind: 'u64', optional: true, doc: 'explicit seqno' } },
    returns: ['context', 'seqno'],
    errnos: [],
    violations: ['bug_on'],
  },
  dma_fence_init64: {
    kernel: 'dma_fence_init64() (drivers/dma-buf/dma-fence.c)',
    summary: 'As dma_fence_init, with 64-bit seqno ordering (DMA_FENCE_FLAG_SEQNO64); a live name is a `bug_on` (refused).',
    fields: { fence, ctx: { kind: 'name', doc: 'the context' }, seqno: { kind: 'u64', optional: true, doc: 'explicit seqno' } },
    returns: ['context', 'seqno'],
    errnos: [],
    violations: ['bug_on'],
  },
  dma_fence_get: {
    kernel: 'dma_fence_get() (include/linux/dma-fence.h)',
    rust: 'ARef::clone / AlwaysRefCounted::inc_ref',
    summary: 'Takes a reference.',
    fields: { fence },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  dma_fence_put: {
    kernel: 'dma_fence_put() / dma_fence_release() (include/linux/dma-fence.h, drivers/dma-buf/dma-fence.c)',
    rust: 'drop(ARef)',
    summary: 'Drops a reference; at zero the fence is released — with callbacks pending, WARN, error -EDEADLK and signal first. A put of a released fence is a `refcount_underflow`, the last put of the static stub a `bug_on` (both refused).',
    fields: { fence },
    returns: ['callbacks (when release ran them)', 'bodies (when a callback had a body)'],
    errnos: [],
    violations: ['warn_on', 'refcount_underflow', 'bug_on', 'lockdep', 'might_sleep'],
  },
  dma_fence_get_stub: {
    kernel: 'dma_fence_get_stub() (drivers/dma-buf/dma-fence.c)',
    summary: 'Names a new reference to the one global, signalled stub fence (context 0, seqno 0); naming a live fence this way is library misuse (MALFORMED_EVENT).',
    fields: { fence },
    returns: [],
    errnos: [],
    violations: [],
  },
  dma_fence_is_later: {
    kernel: 'dma_fence_is_later() (include/linux/dma-fence.h)',
    summary: 'Whether f1 is later than f2 (32-bit wrap-around compare unless f1 has SEQNO64); fences on different contexts WARN and answer false.',
    fields: { f1: { kind: 'name', doc: 'first fence' }, f2: { kind: 'name', doc: 'second fence' } },
    returns: ['later'],
    errnos: [],
    violations: ['warn_on', 'use_after_free'],
  },
  dma_fence_add_callback: {
    kernel: 'dma_fence_add_callback() (drivers/dma-buf/dma-fence.c)',
    rust: 'DmaFence::register_callback() (RFC)',
    summary:
      'Queues the callback at the tail; ENOENT (not queued, never run) when the fence is signaled. Adding a callback that is still queued is a `bug_on` (refused). `do`: the callback\'s body, calls run at signal time in the signalling task, atomic, with the fence\'s lock held.',
    fields: { fence, cb, do: { kind: 'json', optional: true, check: (v: unknown) => checkCallbackBody(v), doc: 'the body: calls run when the callback runs' } },
    returns: [],
    errnos: ['ENOENT'],
    violations: ['bug_on', 'use_after_free'],
  },
  dma_fence_remove_callback: {
    kernel: 'dma_fence_remove_callback() (drivers/dma-buf/dma-fence.c)',
    summary: 'Unlinks the callback if it is still queued.',
    fields: { fence, cb },
    returns: ['removed'],
    errnos: [],
    violations: ['use_after_free'],
  },
  dma_fence_enable_sw_signaling: {
    kernel: 'dma_fence_enable_sw_signaling() (drivers/dma-buf/dma-fence.c)',
    summary: 'Sets ENABLE_SIGNAL (the modelled ops have no enable_signaling hook).',
    fields: { fence },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  dma_fence_signal: {
    kernel: 'dma_fence_signal() (drivers/dma-buf/dma-fence.c, v6.17 int return)',
    rust: 'DmaFence::signal() (RFC)',
    summary:
      'Sets SIGNALED and runs every queued callback in registration order; EINVAL when already signaled. Callback bodies run in `task` (default `irq`): their outcomes under `bodies`, their violations also at the top level.',
    fields: { fence, task: { kind: 'name', optional: true, doc: 'the signalling task (runs callback bodies; default "irq")' } },
    returns: ['callbacks (when any ran)', 'bodies (when a callback had a body)'],
    errnos: ['EINVAL'],
    violations: ['use_after_free', 'lockdep', 'might_sleep'],
  },
  dma_fence_check_and_signal: {
    kernel: 'dma_fence_check_and_signal() (drivers/dma-buf/dma-fence.c, v7.0)',
    summary: 'Signals if not yet signaled; returns whether it already was.',
    fields: { fence },
    returns: ['was_signaled', 'callbacks (when any ran)', 'bodies (when a callback had a body)'],
    errnos: [],
    violations: ['use_after_free', 'lockdep', 'might_sleep'],
  },
  dma_fence_set_error: {
    kernel: 'dma_fence_set_error() (include/linux/dma-fence.h)',
    rust: 'set_error() (Asahi)',
    summary: 'Stores the error; WARNs when signaled and WARNs when not in [-4095, -1] (both, once each, when both hold), but stores it anyway.',
    fields: { fence, error: { kind: 'int', doc: 'a negative errno, e.g. -5' } },
    returns: [],
    errnos: [],
    violations: ['warn_on', 'use_after_free'],
  },
  dma_fence_get_status: {
    kernel: 'dma_fence_get_status() (drivers/dma-buf/dma-fence.c)',
    summary: '0 while unsignaled; 1, or the error, once signaled.',
    fields: { fence },
    returns: ['status'],
    errnos: [],
    violations: ['use_after_free'],
  },
  dma_fence_is_signaled: {
    kernel: 'dma_fence_is_signaled() (include/linux/dma-fence.h)',
    summary: 'Whether SIGNALED is set.',
    fields: { fence },
    returns: ['signaled'],
    errnos: [],
    violations: ['use_after_free'],
  },
  dma_fence_wait_timeout: {
    kernel: 'dma_fence_wait_timeout() / dma_fence_default_wait() (drivers/dma-buf/dma-fence.c)',
    summary:
      'might_sleep and the might-wait annotation (edges from every held lock to dma_fence_map, even for a poll), then enables signaling and waits: signaled → the timeout (1 for 0); a poll (0) of an unsignaled fence → 0; otherwise blocked. A negative timeout WARNs and answers EINVAL before the fence is read.',
    fields: { fence, task, timeout: { kind: 'int', doc: 'jiffies; 0 polls' } },
    returns: ['ret'],
    errnos: ['EINVAL'],
    violations: ['warn_on', 'use_after_free', 'lockdep', 'might_sleep'],
  },
  dma_fence_begin_signalling: {
    kernel: 'dma_fence_begin_signalling() (drivers/dma-buf/dma-fence.c)',
    rust: 'DmaFence::begin_signalling() (RFC)',
    summary: 'Opens a signalling section for the task; the cookie is true when it was already inside one.',
    fields: { task },
    returns: ['cookie'],
    errnos: [],
    violations: [],
  },
  dma_fence_end_signalling: {
    kernel: 'dma_fence_end_signalling() (drivers/dma-buf/dma-fence.c)',
    summary:
      'Closes the section opened with the matching cookie (true: ends one nested begin; the kernel returns at once, so an unmatched true reports nothing). False with no section held: lockdep bad unlock balance, recorded, and the call completes.',
    fields: { task, cookie: { kind: 'bool', doc: 'the cookie begin returned' } },
    returns: [],
    errnos: [],
    violations: ['lockdep'],
  },
} as const satisfies { readonly [type: string]: EventDef };

/** A dma_fence event type. */
export type DmaFenceEventType = keyof typeof DMA_FENCE_EVENTS;

/**
 * A decoded dma_fence event (u64 fields as bigints), inferred from {@link DMA_FENCE_EVENTS}' field
 * schemas so that type and schema cannot drift. The machines' events are its members.
 */
export type DmaFenceEvent = DecodedEvents<typeof DMA_FENCE_EVENTS>;
