import { assign, setup } from 'xstate';

/**
 * Lifecycle of `struct mm_struct`: its two reference counts, `mm_users` (the address space) and
 * `mm_count` (the struct), from mm_alloc to the last mmdrop.
 *
 * Kernel: [kernel/fork.c](https://github.com/torvalds/linux/blob/v6.17/kernel/fork.c) (mm_init,
 * mm_alloc, __mmput, mmput, mmput_async, get_task_mm),
 * [include/linux/sched/mm.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/sched/mm.h)
 * (mmgrab, mmdrop, mmget, mmget_not_zero),
 * [mm/mmap.c](https://github.com/torvalds/linux/blob/v6.17/mm/mmap.c) (exit_mmap, find_vma).
 * Rust: `Mm`, `MmWithUser`, `MmWithUserAsync` in rust/kernel/mm.rs and rust/kernel/mm/mmput_async.rs.
 *
 * Modelled:
 * - `mm_count` (mmgrab/mmdrop) and `mm_users` (mmget/mmget_not_zero/get_task_mm/mmput);
 * - the last mmput: exit_mmap unmaps every VMA, then the users' collective `mm_count` reference
 *   is dropped, which frees the struct when no mmgrab holds it;
 * - the misuse the kernel cannot see: mmget of a torn-down address space, an mmput past zero, an
 *   mmdrop of the users' own count reference, and every call on a freed struct;
 * - the mmap lock: each mmap_* call is the locking protocol's rwsem call on the mm's lock (class
 *   `mmap_lock`); mmput's might_sleep; exit_mmap's read-then-write acquisition; vm_mmap's and
 *   vm_munmap's write lock; find_vma's mmap_assert_locked.
 *
 * Abstracted away:
 * - the transient `tearingDown` condition of the spec: exit_mmap runs inside the last mmput, so
 *   no call ever observes it;
 * - the VMAs, the counts and the task binding: data in the world (src/mm), per DESIGN;
 * - `init_mm` and lazy-TLB references: no simulated task is a kernel thread.
 *
 * Invariants: mmRecordsAreWellFormed, usersHoldOneCount, mapsExistOnlyWithUsers.
 *
 * Docs: docs/mm.md.
 */

/** The counts the lifecycle decisions read (the world keeps them beside the state). */
export interface MmStructContext {
  /** `mm->mm_users`. */
  readonly users: number;
  /** `mm->mm_count`. */
  readonly count: number;
}

/** The facts of one call that the guards read, gathered by `apply` before deciding. */
export interface MmStructFacts {
  /** vm_munmap: `offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start`. */
  readonly badRange?: boolean;
  /** vm_munmap: `start + PAGE_ALIGN(len) == start`. */
  readonly emptyRange?: boolean;
  /**
   * find_vma and mmap_assert_locked: lockdep is on and the task does not hold the mmap lock
   * (`!lockdep_is_held`); mmap_assert_write_locked: it does not hold it for write.
   */
  readonly unlocked?: boolean;
}

/**
 * Calls on one mm (each a kernel function taking the `struct mm_struct *`):
 *
 * - `void mmgrab(mm)`, `void mmdrop(mm)`; `void mmget(mm)`, `bool mmget_not_zero(mm)`;
 * - `void mmput(mm)` (may sleep), `void mmput_async(mm)`;
 * - `struct mm_struct *get_task_mm(task)` and `current->mm` (task_mm_borrow), on the task's mm;
 * - `unsigned long vm_mmap(…)` (placement errnos are the VMA's: machines/vmAreaStruct.machine.ts);
 * - `int vm_munmap(start, len)`: `-EINVAL` for a bad range;
 * - `find_vma(mm, addr)`, `vma_lookup(mm, addr)`.
 */
export type MmStructEvent = MmStructFacts & {
  readonly type:
    | 'mmgrab'
    | 'mmdrop'
    | 'mmget'
    | 'mmget_not_zero'
    | 'mmput'
    | 'mmput_async'
    | 'get_task_mm'
    | 'task_mm_borrow'
    | 'vm_mmap'
    | 'vm_munmap'
    | 'find_vma'
    | 'vma_lookup'
    | 'mmap_assert_locked'
    | 'mmap_assert_write_locked'
    | 'mmap_lock_is_contended'
    | MmapLockCall;
};

/** The mmap lock calls (include/linux/mmap_lock.h): each the rwsem call of the locking protocol. */
export type MmapLockCall =
  | 'mmap_read_lock'
  | 'mmap_read_lock_killable'
  | 'mmap_read_trylock'
  | 'mmap_read_unlock'
  | 'mmap_write_lock'
  | 'mmap_write_lock_killable'
  | 'mmap_write_trylock'
  | 'mmap_write_unlock'
  | 'mmap_write_downgrade';

const ACQUIRES = ['mmap_read_lock', 'mmap_read_lock_killable', 'mmap_read_trylock', 'mmap_write_lock', 'mmap_write_lock_killable', 'mmap_write_trylock'] as const;
const RELEASES = ['mmap_read_unlock', 'mmap_write_unlock', 'mmap_write_downgrade'] as const;

/** A lock call on a live mm: the locking protocol's rwsem answers; a release ends the task's VMA references. */
const LIVE_LOCK = Object.fromEntries([
  ...ACQUIRES.map((t) => [t, { description: 'The rwsem of class mmap_lock answers (locking protocol): acquired, blocked and queued, or a trylock\'s locked.', meta: { effects: ['rwsem'] } }]),
  ...RELEASES.map((t) => [
    t,
    { description: 'The rwsem answers (woke: the tasks it granted); once the task holds it no more, its VMA references from this mm are dead.', meta: { effects: ['rwsem', 'dropRefs'] } },
  ]),
]) as { readonly [K in MmapLockCall]: { readonly description: string; readonly meta: { readonly effects: readonly string[] } } };

/** A use of a freed struct: refused. */
const FREED = { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'freed' }], refused: true } as const;
/** A use of the address space after exit_mmap tore it down: refused. */
const TORN_DOWN = { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'tornDown' }], refused: true } as const;

/**
 * A lock call on a zero-user mm: the lock of a torn-down address space (Rust's `Mm` has no lock).
 * No task can still hold it: both last puts wait for the lock to be free before they tear down.
 */
const TORN_DOWN_LOCK = Object.fromEntries(
  [...ACQUIRES, ...RELEASES].map((t) => [t, { description: 'The address space is torn down: its mmap lock is a use after free the kernel cannot see; refused.', meta: TORN_DOWN }]),
);

/** The last mmput (sync or async): exit_mmap, then the users' count reference. */
function lastPut(sleeps: boolean) {
  const pre = sleeps ? ['mightSleep'] : [];
  return [
    {
      guard: 'isLastUserAndLastCount' as const,
      target: 'freed',
      actions: ['mmputCount', 'mmdropCount'] as const,
      description: 'Last user, no mmgrab left: exit_mmap unmaps every VMA, then mmdrop frees the struct.',
      meta: { effects: [...pre, 'mmputCount', 'exitMmap', 'mmdropCount', 'free'] },
    },
    {
      guard: 'isLastUser' as const,
      target: 'usersGone',
      actions: ['mmputCount', 'mmdropCount'] as const,
      description: 'Last user: exit_mmap unmaps every VMA, then the users\' mm_count reference is dropped; an mmgrab keeps the struct.',
      meta: { effects: [...pre, 'mmputCount', 'exitMmap', 'mmdropCount'] },
    },
    { actions: 'mmputCount' as const, description: 'Drops one user; mm_users after.', meta: { effects: [...pre, 'mmputCount'] } },
  ];
}

/** The `struct mm_struct` statechart (id `mm_struct`): see the header above. */
export const mmStructMachine = setup({
  types: { context: {} as MmStructContext, events: {} as MmStructEvent, input: {} as Partial<MmStructContext> | undefined },
  guards: {
    /** `atomic_dec_and_test(&mm->mm_users)` in mmput/mmput_async (kernel/fork.c). */
    isLastUser: ({ context }) => context.users === 1,
    /** The last user, and `atomic_dec_and_test(&mm->mm_count)` in the mmdrop that ends __mmput. */
    isLastUserAndLastCount: ({ context }) => context.users === 1 && context.count === 1,
    /** `atomic_dec_and_test(&mm->mm_count)` in mmdrop (include/linux/sched/mm.h). */
    isLastCount: ({ context }) => context.count === 1,
    /** do_vmi_munmap's `offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE-start` (mm/vma.c). */
    isBadRange: ({ event }) => event.badRange === true,
    /** `WARN_ON(debug_locks && !lockdep_is_held(&mm->mmap_lock))` of mmap_assert_locked (include/linux/mmap_lock.h). */
    isAssertLockedFailing: ({ event }) => event.unlocked === true,
    /** do_vmi_munmap's `end == start` after `PAGE_ALIGN(len)` (mm/vma.c). */
    isEmptyRange: ({ event }) => event.emptyRange === true,
  },
  actions: {
    /** `atomic_inc(&mm->mm_count)` (mmgrab). */
    mmgrabCount: assign({ count: ({ context }) => context.count + 1 }),
    /** `atomic_dec(&mm->mm_count)` (mmdrop). */
    mmdropCount: assign({ count: ({ context }) => context.count - 1 }),
    /** `atomic_inc(&mm->mm_users)` (mmget, mmget_not_zero, get_task_mm). */
    mmgetCount: assign({ users: ({ context }) => context.users + 1 }),
    /** `atomic_dec(&mm->mm_users)` (mmput, mmput_async). */
    mmputCount: assign({ users: ({ context }) => context.users - 1 }),
  },
}).createMachine({
  id: 'mm_struct',
  initial: 'live',
  context: ({ input }) => ({ users: input?.users ?? 1, count: input?.count ?? 1 }),
  states: {
    live: {
      description: 'mm_users ≥ 1 and mm_count ≥ 1 (the users hold one count together): the address space exists.',
      tags: ['alive'],
      on: {
        mmgrab: { actions: 'mmgrabCount', description: 'Pins the struct; mm_count after.', meta: { effects: ['mmgrabCount'] } },
        mmdrop: [
          {
            guard: 'isLastCount',
            description: 'Drops the one mm_count reference the users hold: the struct would be freed under its users; refused.',
            meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'usersCount' }], refused: true },
          },
          { actions: 'mmdropCount', description: 'Drops a count reference; mm_count after.', meta: { effects: ['mmdropCount'] } },
        ],
        mmget: { actions: 'mmgetCount', description: 'Pins the address space; mm_users after.', meta: { effects: ['mmgetCount'] } },
        mmget_not_zero: {
          actions: 'mmgetCount',
          description: 'mm_users is not 0: takes a user reference; returns true.',
          meta: { returns: { got: true }, effects: ['mmgetCount'] },
        },
        mmput: lastPut(true),
        mmput_async: lastPut(false),
        get_task_mm: {
          actions: 'mmgetCount',
          description: 'The task has this mm: mmget, and returns it.',
          meta: { effects: ['mmgetCount', 'returnMm'] },
        },
        task_mm_borrow: { description: 'Returns current->mm; no count changes.', meta: { effects: ['returnMm'] } },
        vm_mmap: { description: 'Maps a new VMA under the write lock; the VMA\'s machine decides the errno.', meta: { effects: ['doMmap'] } },
        vm_munmap: [
          { guard: 'isBadRange', description: 'Unaligned start or a range past TASK_SIZE: -EINVAL.', meta: { errno: 'EINVAL', effects: ['mmapWriteLock'] } },
          { guard: 'isEmptyRange', description: 'Zero length after PAGE_ALIGN: -EINVAL.', meta: { errno: 'EINVAL', effects: ['mmapWriteLock'] } },
          { description: 'Unmaps [start, start + PAGE_ALIGN(len)) under the write lock, splitting VMAs at its ends; 0.', meta: { effects: ['mmapWriteLock', 'doVmiMunmap'] } },
        ],
        find_vma: [
          {
            guard: 'isAssertLockedFailing',
            description: 'mmap_assert_locked: the task does not hold the mmap lock (lockdep on): a lockdep WARN; the lookup still runs.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'assertLocked' }], effects: ['findVma'] },
          },
          { description: 'The first VMA ending above addr, or null; the task holds the mmap lock.', meta: { effects: ['findVma'] } },
        ],
        vma_lookup: { description: 'The VMA containing addr, or null; asserts nothing.', meta: { effects: ['vmaLookup'] } },
        mmap_assert_locked: [
          {
            guard: 'isAssertLockedFailing',
            description: 'rwsem_assert_held (lockdep_assert_held): the task holds no mmap lock (lockdep on): a lockdep WARN.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'assertLocked' }] },
          },
          { description: 'The task holds the mmap lock (or lockdep is off): nothing.' },
        ],
        mmap_assert_write_locked: [
          {
            guard: 'isAssertLockedFailing',
            description: 'rwsem_assert_held_write (lockdep_assert_held_write): the task does not hold the mmap lock for write (lockdep on): a lockdep WARN.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'assertWriteLocked' }] },
          },
          { description: 'The task holds the mmap lock for write (or lockdep is off): nothing.' },
        ],
        mmap_lock_is_contended: { description: 'rwsem_is_contended: whether a task waits on the mmap lock (contended).', meta: { effects: ['isContended'] } },
        ...LIVE_LOCK,
      },
    },
    usersGone: {
      description: 'mm_users == 0 and mm_count ≥ 1: exit_mmap tore the address space down; only mmgrab holders remain.',
      tags: ['alive'],
      on: {
        mmgrab: { actions: 'mmgrabCount', description: 'Pins the struct (the caller holds a count); mm_count after.', meta: { effects: ['mmgrabCount'] } },
        mmdrop: [
          { guard: 'isLastCount', target: 'freed', actions: 'mmdropCount', description: 'Last count reference: __mmdrop frees the struct.', meta: { effects: ['mmdropCount', 'free'] } },
          { actions: 'mmdropCount', description: 'Drops a count reference; mm_count after.', meta: { effects: ['mmdropCount'] } },
        ],
        mmget: {
          description: 'mmget of a zero-user mm resurrects a torn-down address space (the kernel cannot see it); use_after_free, refused.',
          meta: TORN_DOWN,
        },
        mmget_not_zero: { description: 'mm_users is 0: refuses; returns false.', meta: { returns: { got: false } } },
        mmput: {
          description: 'might_sleep, then mm_users is already 0: an atomic_t underflow the kernel does not report; refused.',
          meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'usersUnderflow' }], refused: true, effects: ['mightSleep'] },
        },
        mmput_async: {
          description: 'mm_users is already 0: an atomic_t underflow the kernel does not report; refused.',
          meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'usersUnderflow' }], refused: true },
        },
        get_task_mm: { description: 'The task is exiting (exit_mm cleared task->mm before the last mmput): null.', meta: { returns: { mm: null } } },
        task_mm_borrow: { description: 'The task is exiting: current->mm is null.', meta: { returns: { mm: null } } },
        vm_mmap: { description: 'The address space is torn down: mapping into it is a use after free; refused.', meta: TORN_DOWN },
        vm_munmap: { description: 'The address space is torn down: a use after free; refused.', meta: TORN_DOWN },
        find_vma: { description: 'The VMA tree was destroyed by exit_mmap: a use after free; refused.', meta: TORN_DOWN },
        vma_lookup: { description: 'The VMA tree was destroyed by exit_mmap: a use after free; refused.', meta: TORN_DOWN },
        mmap_assert_locked: { description: 'The address space is torn down: its mmap lock is a use after free the kernel cannot see; refused.', meta: TORN_DOWN },
        mmap_assert_write_locked: { description: 'The address space is torn down: its mmap lock is a use after free the kernel cannot see; refused.', meta: TORN_DOWN },
        mmap_lock_is_contended: { description: 'The address space is torn down: its mmap lock is a use after free the kernel cannot see; refused.', meta: TORN_DOWN },
        ...TORN_DOWN_LOCK,
      },
    },
    freed: {
      type: 'final',
      description: 'mm_count reached 0: __mmdrop freed the struct; every call is a use after free.',
      tags: ['released'],
      on: {
        mmgrab: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        mmdrop: { description: 'The struct is freed: a further mmdrop is a use after free (not an underflow); refused.', meta: FREED },
        mmget: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        mmget_not_zero: { description: 'The struct is freed: reading mm_users is a use after free; refused.', meta: FREED },
        mmput: { description: 'might_sleep, then the struct is freed: use_after_free, refused.', meta: { ...FREED, effects: ['mightSleep'] } },
        mmput_async: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        get_task_mm: { description: 'The task\'s mm is long gone (exit_mm cleared task->mm): null.', meta: { returns: { mm: null } } },
        task_mm_borrow: { description: 'The task\'s mm is long gone: current->mm is null.', meta: { returns: { mm: null } } },
        vm_mmap: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        vm_munmap: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        find_vma: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        vma_lookup: { description: 'The struct is freed: use_after_free, refused.', meta: FREED },
        mmap_assert_locked: { description: 'The struct and its mmap_lock are freed: use_after_free, refused.', meta: FREED },
        mmap_assert_write_locked: { description: 'The struct and its mmap_lock are freed: use_after_free, refused.', meta: FREED },
        mmap_lock_is_contended: { description: 'The struct and its mmap_lock are freed: use_after_free, refused.', meta: FREED },
        ...Object.fromEntries([...ACQUIRES, ...RELEASES].map((t) => [t, { description: 'The struct and its mmap_lock are freed: use_after_free, refused.', meta: FREED }])),
      },
    },
  },
});
