import { DrmstateError } from '../errors.js';
import type { Kernel } from '../kernel/Kernel.js';
import { type Result, freshName, result, unit } from './result.js';

/**
 * An `mmgrab` reference to an mm: the Rust `ARef<Mm>`. The struct stays allocated, but the address
 * space may already be gone, so there is no lock here: only {@link Mm.mmgetNotZero} leads on.
 *
 * @example
 *   const user = MmWithUser.alloc(k, 't');
 *   const mm = Mm.fromUser(user); // mmgrab
 *   user.put('t'); // the last user: exit_mmap
 *   mm.mmgetNotZero(); // null: the address space is gone
 */
export class Mm {
  protected constructor(
    readonly kernel: Kernel,
    /** The mm's name in the log. */
    readonly name: string,
  ) {}

  /**
   * Takes a count reference on the mm `user` names. Models `ARef::<Mm>::from(&**mm)` = mmgrab()
   * (include/linux/sched/mm.h).
   */
  static fromUser(user: MmWithUserRef): Mm {
    user.kernel.call({ type: 'mmgrab', mm: user.name });
    return new Mm(user.kernel, user.name);
  }

  /**
   * v8 of the Rust mm series only, never upstream: `Mm::mmgrab_current()`, an mmgrab of the task's
   * current->mm (upstream borrows it with `current!().mm()`, see {@link currentMm}). Null for a
   * task without an mm.
   */
  static mmgrabCurrent(kernel: Kernel, task: string): Mm | null {
    const o = kernel.call({ type: 'task_mm_borrow', task });
    if (typeof o.mm !== 'string') return null;
    kernel.call({ type: 'mmgrab', mm: o.mm });
    return new Mm(kernel, o.mm);
  }

  /** A user reference if `mm_users` is not 0, else null. Models mmget_not_zero(). */
  mmgetNotZero(): MmWithUser | null {
    const o = this.kernel.call({ type: 'mmget_not_zero', mm: this.name });
    return o.ok && o.got === true ? new MmWithUser(this.kernel, this.name) : null;
  }

  /**
   * The read lock through a count reference: what Rust's `Mm` does not offer (it has no
   * `mmap_read_lock`), exposed only so that a model can show the misuse — on a zero-user mm it is
   * a use_after_free. Models mmap_read_lock() on an mm known only to be allocated.
   */
  uncheckedMmapReadLock(task: string): Result<MmapReadGuard> {
    return result(this.kernel.call({ type: 'mmap_read_lock', mm: this.name, task }), () => new MmapReadGuard(this.kernel, this.name, task));
  }

  /** Drops the count reference. Models `drop(ARef<Mm>)` = mmdrop(). */
  drop(): Result {
    return result(this.kernel.call({ type: 'mmdrop', mm: this.name }), unit);
  }
}

/**
 * A borrowed `&MmWithUser`: `mm_users > 0` for as long as the borrow lasts, so the mmap lock may be
 * taken; it owns no reference (Rust `current!().mm()`).
 */
export class MmWithUserRef {
  /** @internal */
  constructor(
    readonly kernel: Kernel,
    /** The mm's name in the log. */
    readonly name: string,
  ) {}

  /**
   * Takes the mmap read lock in `task` (blocked while a writer holds or waits). Models
   * `MmWithUser::mmap_read_lock()` = mmap_read_lock().
   */
  mmapReadLock(task: string): Result<MmapReadGuard> {
    return result(this.kernel.call({ type: 'mmap_read_lock', mm: this.name, task }), () => new MmapReadGuard(this.kernel, this.name, task));
  }

  /** Tries the read lock: a guard, or null. Models `MmWithUser::mmap_read_trylock()`. */
  mmapReadTrylock(task: string): MmapReadGuard | null {
    const o = this.kernel.call({ type: 'mmap_read_trylock', mm: this.name, task });
    return o.ok && o.locked === true ? new MmapReadGuard(this.kernel, this.name, task) : null;
  }

  /** A user reference of its own. Models `ARef::from(&MmWithUser)` = mmget(). */
  toOwned(): MmWithUser {
    this.kernel.call({ type: 'mmget', mm: this.name });
    return new MmWithUser(this.kernel, this.name);
  }
}

/** An `mmget` reference: the Rust `ARef<MmWithUser>`. Dropping it is mmput(), which may sleep. */
export class MmWithUser extends MmWithUserRef {
  /**
   * A new mm whose current->mm is `task`'s, with its one user reference. Models mm_alloc()
   * (kernel/fork.c).
   *
   * @throws {DrmstateError} for a name that is still a live mm.
   */
  static alloc(kernel: Kernel, task: string, name: string = freshName(kernel, 'mm'), mmapBase?: bigint): MmWithUser {
    kernel.call({ type: 'mm_alloc', mm: name, task, ...(mmapBase === undefined ? {} : { mmap_base: mmapBase }) });
    return new MmWithUser(kernel, name);
  }

  /** Another user reference. Models `ARef<MmWithUser>::clone` = mmget(). */
  clone(): MmWithUser {
    return this.toOwned();
  }

  /** From now on dropped with mmput_async(). Models `MmWithUser::into_mmput_async()`. */
  intoMmputAsync(): MmWithUserAsync {
    return new MmWithUserAsync(this.kernel, this.name);
  }

  /** Drops the user reference in `task`; the last one runs exit_mmap. Models mmput() (may sleep). */
  put(task: string): Result<readonly string[]> {
    return result(this.kernel.call({ type: 'mmput', mm: this.name, task }), (o) => (o.unmapped as string[] | undefined) ?? []);
  }
}

/** An `mmget` reference dropped with mmput_async(): the Rust `ARef<MmWithUserAsync>`; fine in atomic context. */
export class MmWithUserAsync extends MmWithUserRef {
  /** Drops the user reference. Models mmput_async(). */
  put(): Result<readonly string[]> {
    return result(this.kernel.call({ type: 'mmput_async', mm: this.name }), (o) => (o.unmapped as string[] | undefined) ?? []);
  }
}

/**
 * The task's current->mm, borrowed: no refcount changes (Rust `current!().mm()`). Null for a task
 * without an mm, or whose mm's users are gone.
 *
 * @example
 *   const mm = currentMm(k, 't');
 *   const g = mm?.mmapReadLock('t');
 */
export function currentMm(kernel: Kernel, task: string): MmWithUserRef | null {
  const o = kernel.call({ type: 'task_mm_borrow', task });
  return typeof o.mm === 'string' ? new MmWithUserRef(kernel, o.mm) : null;
}

/** The address a VMA lookup names, as a u64. */
type Address = bigint | string;

/**
 * A held mmap read lock: the Rust `MmapReadGuard` (`!Send`: it unlocks on the task that locked).
 * Its {@link VmaRef}s are valid only until {@link MmapReadGuard.unlock}.
 */
export class MmapReadGuard {
  private held = true;

  /** @internal */
  constructor(
    readonly kernel: Kernel,
    /** The mm's name. */
    readonly mm: string,
    /** The task that holds it. */
    readonly task: string,
  ) {}

  /** Whether the guard still holds the lock. */
  get isHeld(): boolean {
    return this.held;
  }

  /**
   * The VMA containing `addr`, or null. Models `MmapReadGuard::vma_lookup()` = vma_lookup().
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` after {@link MmapReadGuard.unlock} (Rust's borrow checker
   *   rules that out).
   */
  vmaLookup(addr: Address): VmaRef<this> | null {
    if (!this.held) throw new DrmstateError('BAD_ARGUMENT', `this MmapReadGuard of ${JSON.stringify(this.mm)} was unlocked: take the lock again`);
    const o = this.kernel.call({ type: 'vma_lookup', mm: this.mm, task: this.task, addr });
    return typeof o.vma === 'string' ? new VmaRef<this>(this.kernel, o.vma, this.task) : null;
  }

  /**
   * Runs `f` with the guard and unlocks after it. A {@link VmaRef} returned out of `f` types as
   * `never`: it may not outlive the guard (the nearest TypeScript gets to Rust's lifetime).
   */
  static scoped<R>(guard: MmapReadGuard, f: (g: MmapReadGuard) => R): R extends VmaRef<MmapReadGuard> ? never : R {
    try {
      return f(guard) as R extends VmaRef<MmapReadGuard> ? never : R;
    } finally {
      guard.unlock();
    }
  }

  /** Releases the lock in the task that took it. Models `drop(MmapReadGuard)` = mmap_read_unlock(). */
  unlock(): Result {
    if (!this.held) throw new DrmstateError('BAD_ARGUMENT', `this MmapReadGuard of ${JSON.stringify(this.mm)} was unlocked already`);
    this.held = false;
    return result(this.kernel.call({ type: 'mmap_read_unlock', mm: this.mm, task: this.task }), unit);
  }
}

/**
 * A VMA found under a guard `G`: the Rust `&VmaRef`. Each read is checked by the model: after the
 * guard's unlock it answers `use_after_free` (the kernel cannot see it).
 */
export class VmaRef<G extends MmapReadGuard = MmapReadGuard> {
  declare private readonly guard?: G;

  /** @internal */
  constructor(
    readonly kernel: Kernel,
    /** The VMA's name. */
    readonly name: string,
    /** The task whose lock protects it. */
    readonly task: string,
  ) {}

  /** The (inclusive) start. Models `VmaRef::start()`. */
  start(): Result<bigint> {
    return result(this.kernel.call({ type: 'vma_start', vma: this.name, task: this.task }), (o) => o.start as bigint);
  }

  /** The (exclusive) end. Models `VmaRef::end()`. */
  end(): Result<bigint> {
    return result(this.kernel.call({ type: 'vma_end', vma: this.name, task: this.task }), (o) => o.end as bigint);
  }

  /** `vm_flags`. Models `VmaRef::flags()`. */
  flags(): Result<number> {
    return result(this.kernel.call({ type: 'vma_flags', vma: this.name, task: this.task }), (o) => o.flags as number);
  }
}
