import { fenceInfo, type FenceInfo } from '../dma-fence/query.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { Event } from '../world/Event.js';
import type { Outcome } from '../world/Outcome.js';
import { type Result, freshName, result, unit } from './result.js';

export type { Result } from './result.js';

/**
 * A fence context (a timeline): the Rust RFC's `DmaFenceCtx`. Fences it creates get seqnos 1, 2, 3, …
 *
 * Every method is one kernel call, logged by the kernel handle.
 *
 * @example
 *   const k = new Kernel();
 *   const ctx = DmaFenceCtx.new(k);
 *   const f = ctx.newFence();
 *   f.registerCallback('cb');
 *   f.signal().ok; // true, and 'cb' ran
 */
export class DmaFenceCtx {
  private constructor(
    readonly kernel: Kernel,
    /** The context's name in the log. */
    readonly name: string,
    /** The id `dma_fence_context_alloc` returned. */
    readonly context: bigint,
  ) {}

  /**
   * Allocates one context. Models dma_fence_context_alloc(1) (drivers/dma-buf/dma-fence.c).
   *
   * @throws {DrmstateError} for an invalid name.
   */
  static new(kernel: Kernel, name: string = freshName(kernel, 'ctx')): DmaFenceCtx {
    const o = kernel.call({ type: 'dma_fence_context_alloc', ctx: name });
    return new DmaFenceCtx(kernel, name, o.context as bigint);
  }

  /**
   * Initialises a new fence on this context (refcount 1, unsignaled). Models dma_fence_init().
   *
   * @param seqno An explicit seqno; by default the context's next one.
   * @throws {DrmstateError} for an invalid name.
   */
  newFence(name: string = freshName(this.kernel, 'fence'), seqno?: bigint): DmaFence {
    const o = this.kernel.call({ type: 'dma_fence_init', fence: name, ctx: this.name, ...(seqno !== undefined ? { seqno } : {}) });
    return new DmaFence(this.kernel, name, o);
  }
}

/**
 * One `struct dma_fence`, by name: the Rust RFC's `DmaFence`, with its refcount explicit
 * (`get`/`put` are `ARef` clone and drop).
 */
export class DmaFence {
  /** The outcome of the call that created this handle (init, or get_stub). */
  readonly created: Outcome;

  constructor(
    readonly kernel: Kernel,
    readonly name: string,
    created?: Outcome,
  ) {
    this.created = created ?? { ok: true, violations: [] };
  }

  /** The global signalled stub fence, under a name of yours. Models dma_fence_get_stub(). */
  static stub(kernel: Kernel, name: string = freshName(kernel, 'stub')): DmaFence {
    const o = kernel.call({ type: 'dma_fence_get_stub', fence: name });
    return new DmaFence(kernel, name, o);
  }

  /** Takes a reference. Models dma_fence_get(). */
  get(): Result {
    return result(this.kernel.call({ type: 'dma_fence_get', fence: this.name }), unit);
  }

  /** Drops a reference; the last one releases the fence. Returns the callbacks release ran. Models dma_fence_put(). */
  put(): Result<readonly string[]> {
    return result(this.kernel.call({ type: 'dma_fence_put', fence: this.name }), (o) => (o.callbacks as string[] | undefined) ?? []);
  }

  /** Signals: runs the callbacks (their names are the value); EINVAL if already signaled. Models dma_fence_signal(). */
  signal(task?: string): Result<readonly string[]> {
    return result(this.kernel.call({ type: 'dma_fence_signal', fence: this.name, ...(task !== undefined ? { task } : {}) }), (o) => (o.callbacks as string[] | undefined) ?? []);
  }

  /** Signals unless signaled; the value says whether it already was. Models dma_fence_check_and_signal() (v7.0). */
  checkAndSignal(): Result<boolean> {
    return result(this.kernel.call({ type: 'dma_fence_check_and_signal', fence: this.name }), (o) => o.was_signaled as boolean);
  }

  /** Sets ENABLE_SIGNAL. Models dma_fence_enable_sw_signaling(). */
  enableSwSignaling(): Result {
    return result(this.kernel.call({ type: 'dma_fence_enable_sw_signaling', fence: this.name }), unit);
  }

  /**
   * Queues callback `cb`; ENOENT when already signaled. `body`: the calls the callback makes when it
   * runs (the Rust `DmaFenceCbFunc::callback`), in the signalling task, atomic. Models dma_fence_add_callback().
   */
  registerCallback(cb: string, body?: readonly Event[]): Result {
    return result(this.kernel.call({ type: 'dma_fence_add_callback', fence: this.name, cb, ...(body !== undefined ? { do: body } : {}) }), unit);
  }

  /** Unlinks callback `cb`; the value says whether it was still queued. Models dma_fence_remove_callback(). */
  removeCallback(cb: string): Result<boolean> {
    return result(this.kernel.call({ type: 'dma_fence_remove_callback', fence: this.name, cb }), (o) => o.removed as boolean);
  }

  /** Stores an error to report at signal time. Models dma_fence_set_error(). */
  setError(error: number): Result {
    return result(this.kernel.call({ type: 'dma_fence_set_error', fence: this.name, error }), unit);
  }

  /** 0 while pending, 1 when signaled, or the error. Models dma_fence_get_status(). */
  status(): Result<number> {
    return result(this.kernel.call({ type: 'dma_fence_get_status', fence: this.name }), (o) => o.status as number);
  }

  /** Whether the fence is signaled. Models dma_fence_is_signaled(). */
  isSignaled(): Result<boolean> {
    return result(this.kernel.call({ type: 'dma_fence_is_signaled', fence: this.name }), (o) => o.signaled as boolean);
  }

  /** Whether this fence is later than `other` on the same context. Models dma_fence_is_later(). */
  isLater(other: DmaFence): Result<boolean> {
    return result(this.kernel.call({ type: 'dma_fence_is_later', f1: this.name, f2: other.name }), (o) => o.later as boolean);
  }

  /**
   * Waits up to `timeout` jiffies in `task`: the value is the remaining time (1 for a poll that
   * found it signaled), 0 for a poll that did not; `blocked` when the task would sleep.
   * Models dma_fence_wait_timeout().
   */
  waitTimeout(task: string, timeout: number): Result<number> {
    return result(this.kernel.call({ type: 'dma_fence_wait_timeout', fence: this.name, task, timeout }), (o) => o.ret as number);
  }

  /** Reads the fence's fields and flags (no call is logged). */
  info(): FenceInfo {
    return fenceInfo(this.kernel.world, this.name);
  }
}

/**
 * A task's signalling critical section: ends with {@link SignallingSection.end}, which passes the
 * cookie back. Models dma_fence_begin_signalling() / dma_fence_end_signalling().
 *
 * @example
 *   const s = SignallingSection.begin(k, 't1');
 *   s.cookie; // false: outermost
 *   s.end();
 */
export class SignallingSection {
  private constructor(
    readonly kernel: Kernel,
    readonly task: string,
    /** The cookie: true when the task was already inside a section. */
    readonly cookie: boolean,
  ) {}

  /** Begins a section in `task`. */
  static begin(kernel: Kernel, task: string): SignallingSection {
    const o = kernel.call({ type: 'dma_fence_begin_signalling', task });
    return new SignallingSection(kernel, task, o.cookie as boolean);
  }

  /** Ends the section with its cookie. */
  end(): Result {
    return result(this.kernel.call({ type: 'dma_fence_end_signalling', task: this.task, cookie: this.cookie }), unit);
  }
}
