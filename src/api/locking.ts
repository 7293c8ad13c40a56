import { DrmstateError } from '../errors.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { Outcome } from '../world/Outcome.js';
import type { Violation } from '../world/Violation.js';
import { freshName } from './result.js';

/**
 * What taking a lock answered: the guard when the task holds it now; otherwise `blocked` (a
 * spinlock held elsewhere) or `queued` (the task sleeps on the lock until a release lists it in
 * `woke`; then {@link Pending.guard} gives its guard). `violations` carries lockdep and
 * might_sleep reports.
 */
export type Locked<G> =
  | { readonly ok: true; readonly guard: G; readonly violations: readonly Violation[] }
  | { readonly ok: false; readonly blocked: true; readonly queued: boolean; readonly pending?: Pending<G>; readonly violations: readonly Violation[] };

/** A queued acquisition: its guard once a release woke the task. */
export class Pending<G> {
  constructor(
    private readonly make: () => G,
    private readonly kernel: Kernel,
    readonly task: string,
  ) {}

  /** The guard, once the task was woken (granted). @throws {DrmstateError} `BAD_ARGUMENT` while it still waits. */
  guard(): G {
    if (this.kernel.world.locking.tasks.get(this.task)?.waiting) throw new DrmstateError('BAD_ARGUMENT', `task ${JSON.stringify(this.task)} still waits for the lock`);
    return this.make();
  }
}

function locked<G>(o: Outcome, kernel: Kernel, task: string, make: () => G): Locked<G> {
  if (o.ok) return { ok: true, guard: make(), violations: o.violations };
  const queued = o.queued === true;
  return { ok: false, blocked: true, queued, ...(queued ? { pending: new Pending(make, kernel, task) } : {}), violations: o.violations };
}

/** A guard: the hold of one lock by one task, released by {@link Guard.release} (Rust's drop). */
export class Guard {
  private released = false;

  constructor(
    readonly kernel: Kernel,
    readonly lock: string,
    readonly task: string,
    private readonly unlock: string,
  ) {}

  /**
   * Releases the lock (drop). Answers the release's outcome (`woke`: the tasks it granted).
   * @throws {DrmstateError} `BAD_ARGUMENT` for a second release.
   */
  release(): Outcome {
    if (this.released) throw new DrmstateError('BAD_ARGUMENT', `this guard of ${JSON.stringify(this.lock)} was released already`);
    this.released = true;
    return this.kernel.callJson({ type: this.unlock, lock: this.lock, task: this.task });
  }
}

/** Rust's `MutexGuard`. */
export class MutexGuard extends Guard {}
/** Rust's `SpinLockGuard`. */
export class SpinLockGuard extends Guard {}
/** Rust's `RwSemaphoreReadGuard` (an `MmapReadGuard` is one). */
export class RwSemaphoreReadGuard extends Guard {}
/** Rust's `RwSemaphoreWriteGuard`. */
export class RwSemaphoreWriteGuard extends Guard {
  /**
   * downgrade_write: the writer keeps the lock for read.
   * Models downgrade_write() (kernel/locking/rwsem.c).
   */
  downgrade(): { readonly guard: RwSemaphoreReadGuard; readonly outcome: Outcome } {
    const outcome = this.kernel.callJson({ type: 'downgrade_write', lock: this.lock, task: this.task });
    return { guard: new RwSemaphoreReadGuard(this.kernel, this.lock, this.task, 'up_read'), outcome };
  }
}

/**
 * A `struct mutex`: Rust's `kernel::sync::Mutex`.
 *
 * @example
 *   const m = Mutex.new(k, 'L');
 *   const r = m.lock('t1');
 *   if (r.ok) r.guard.release();
 */
export class Mutex {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
  ) {}

  /** Models mutex_init(). @throws {DrmstateError} for a bad name. */
  static new(kernel: Kernel, name: string = freshName(kernel, 'mutex'), cls?: string): Mutex {
    kernel.callJson({ type: 'mutex_init', lock: name, ...(cls !== undefined ? { class: cls } : {}) });
    return new Mutex(kernel, name);
  }

  /** Models mutex_lock(): the guard, or queued. */
  lock(task: string): Locked<MutexGuard> {
    const o = this.kernel.callJson({ type: 'mutex_lock', lock: this.name, task });
    return locked(o, this.kernel, task, () => new MutexGuard(this.kernel, this.name, task, 'mutex_unlock'));
  }

  /** Models mutex_trylock(): the guard, or undefined when it is held. */
  tryLock(task: string): MutexGuard | undefined {
    const o = this.kernel.callJson({ type: 'mutex_trylock', lock: this.name, task });
    return o.locked === true ? new MutexGuard(this.kernel, this.name, task, 'mutex_unlock') : undefined;
  }
}

/** A `spinlock_t`: Rust's `kernel::sync::SpinLock`. The holder is atomic until the guard is released. */
export class SpinLock {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
  ) {}

  /** Models spin_lock_init(). */
  static new(kernel: Kernel, name: string = freshName(kernel, 'spinlock'), cls?: string): SpinLock {
    kernel.callJson({ type: 'spin_lock_init', lock: name, ...(cls !== undefined ? { class: cls } : {}) });
    return new SpinLock(kernel, name);
  }

  /** Models spin_lock() (or spin_lock_irqsave() with `irqsave`): the guard, or blocked (spinning). */
  lock(task: string, options: { irqsave?: boolean } = {}): Locked<SpinLockGuard> {
    const irq = options.irqsave === true;
    const o = this.kernel.callJson({ type: irq ? 'spin_lock_irqsave' : 'spin_lock', lock: this.name, task });
    return locked(o, this.kernel, task, () => new SpinLockGuard(this.kernel, this.name, task, irq ? 'spin_unlock_irqrestore' : 'spin_unlock'));
  }
}

/** A `struct rw_semaphore`: the mmap lock's kind. */
export class RwSemaphore {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
  ) {}

  /** Models init_rwsem(). */
  static new(kernel: Kernel, name: string = freshName(kernel, 'rwsem'), cls?: string): RwSemaphore {
    kernel.callJson({ type: 'init_rwsem', lock: name, ...(cls !== undefined ? { class: cls } : {}) });
    return new RwSemaphore(kernel, name);
  }

  /** Models down_read(). */
  read(task: string): Locked<RwSemaphoreReadGuard> {
    const o = this.kernel.callJson({ type: 'down_read', lock: this.name, task });
    return locked(o, this.kernel, task, () => new RwSemaphoreReadGuard(this.kernel, this.name, task, 'up_read'));
  }

  /** Models down_write(). */
  write(task: string): Locked<RwSemaphoreWriteGuard> {
    const o = this.kernel.callJson({ type: 'down_write', lock: this.name, task });
    return locked(o, this.kernel, task, () => new RwSemaphoreWriteGuard(this.kernel, this.name, task, 'up_write'));
  }

  /** Models down_read_trylock(). */
  tryRead(task: string): RwSemaphoreReadGuard | undefined {
    const o = this.kernel.callJson({ type: 'down_read_trylock', lock: this.name, task });
    return o.locked === true ? new RwSemaphoreReadGuard(this.kernel, this.name, task, 'up_read') : undefined;
  }

  /** Models down_write_trylock(). */
  tryWrite(task: string): RwSemaphoreWriteGuard | undefined {
    const o = this.kernel.callJson({ type: 'down_write_trylock', lock: this.name, task });
    return o.locked === true ? new RwSemaphoreWriteGuard(this.kernel, this.name, task, 'up_write') : undefined;
  }
}

/** An RCU read-side guard: Rust's `rcu::Guard` (a `RevocableGuard` holds one). */
export class RcuGuard {
  private released = false;

  constructor(
    readonly kernel: Kernel,
    readonly task: string,
    /** What rcu_read_lock answered. */
    readonly outcome: Outcome,
  ) {}

  /** Models rcu_read_unlock() (drop). @throws {DrmstateError} `BAD_ARGUMENT` for a second release. */
  release(): Outcome {
    if (this.released) throw new DrmstateError('BAD_ARGUMENT', 'this RCU guard was released already');
    this.released = true;
    return this.kernel.callJson({ type: 'rcu_read_unlock', task: this.task });
  }
}

/**
 * Opens an RCU read section in `task`: atomic until the guard is released.
 * Models rcu_read_lock() (include/linux/rcupdate.h).
 */
export function rcuReadLock(kernel: Kernel, task: string): RcuGuard {
  return new RcuGuard(kernel, task, kernel.callJson({ type: 'rcu_read_lock', task }));
}

/**
 * `KBox::new(value, flags)`: an allocation in `task` with a GFP mask (a reclaiming mask is a sleep
 * point and touches fs_reclaim and the MMU-notifier map). The model's allocations never fail.
 */
export const KBox = {
  /** Models kmalloc(size, gfp) via KBox::new. */
  new(kernel: Kernel, task: string, gfp: 'GFP_KERNEL' | 'GFP_NOFS' | 'GFP_NOIO' | 'GFP_ATOMIC' | 'GFP_NOWAIT' | 'GFP_KERNEL_ACCOUNT' | 'GFP_USER' | 'GFP_HIGHUSER' | 'GFP_HIGHUSER_MOVABLE'): Outcome {
    return kernel.callJson({ type: 'kmalloc', task, gfp });
  },
} as const;
