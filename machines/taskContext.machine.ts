import { assign, setup } from 'xstate';

/**
 * One task's execution context: whether it may sleep (the preempt count, RCU read sections, the
 * IRQ flag) and its allocation scope (`PF_MEMALLOC`, `PF_MEMALLOC_NOFS`, `PF_MEMALLOC_NOIO`).
 *
 * Kernel: [include/linux/preempt.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/preempt.h) (in_atomic),
 * [include/linux/rcupdate.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/rcupdate.h) (rcu_read_lock),
 * [include/linux/irqflags.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/irqflags.h),
 * [kernel/sched/core.c](https://github.com/torvalds/linux/blob/v6.17/kernel/sched/core.c) (__might_sleep, __might_resched),
 * [include/linux/sched/mm.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/sched/mm.h)
 * (might_alloc, memalloc_flags_save/restore, current_gfp_context),
 * [mm/page_alloc.c](https://github.com/torvalds/linux/blob/v6.17/mm/page_alloc.c) (fs_reclaim_acquire, __need_reclaim),
 * [mm/memory.c](https://github.com/torvalds/linux/blob/v6.17/mm/memory.c) (__might_fault).
 * Rust: `kernel::sync::rcu::Guard`, `KBox::new(…, flags)`, `UserSliceReader`.
 *
 * Modelled (CONFIG_PROVE_LOCKING, CONFIG_DEBUG_ATOMIC_SLEEP, PREEMPT_COUNT, non-preemptible RCU —
 * see docs/locking.md):
 * - `atomic` when the preempt count is raised (a spinlock held, an RCU read section) or IRQs are
 *   off; `sleepable` otherwise;
 * - a sleep point (`might_sleep`, `might_fault`, a blocking `kmalloc`, and the lock and fence-wait
 *   calls that ask this machine) in `atomic`: "sleeping function called from invalid context";
 * - `rcu_read_lock` / `rcu_read_unlock`: depth counted, lockdep's `rcu_read_lock` map held
 *   (recursive read, not checked for dependencies); an unlock with none held is lockdep's bad
 *   unlock balance and the count would go negative: refused;
 * - `local_irq_disable` / `local_irq_enable`: a flag, not a count;
 * - the memalloc scopes: `save` answers the bits it newly set (`memalloc_flags_save`), `restore`
 *   clears the bits it is given;
 * - `task_exit`: with IRQs off, the WARN "syscall left IRQs disabled"
 *   (syscall_exit_to_user_mode_work, include/linux/entry-common.h); then lockdep's check of every
 *   held lock (the protocol's lockdep twin reports each), then the context is cleared.
 *
 * Abstracted away:
 * - `__might_resched`'s once-per-second rate limit: every sleep point in atomic context is reported;
 * - hard/soft IRQ context and preempt_disable as calls: simulated tasks are process context;
 * - `PF_MEMALLOC_PIN`: no movable zones.
 *
 * Invariants: taskContextsAreWellFormed.
 *
 * Docs: docs/locking.md.
 */

/** What the context's guards read: the World's record of the task. */
export interface TaskContextContext {
  /** `preempt_count()` from spinlocks held (HARDIRQ/SOFTIRQ bits are never set here). */
  readonly preempt: number;
  /** RCU read-side nesting (`rcu_read_lock` calls not yet unlocked). */
  readonly rcu: number;
  /** `irqs_disabled()`. */
  readonly irqsOff: boolean;
  /** `current->flags & (PF_MEMALLOC | PF_MEMALLOC_NOFS | PF_MEMALLOC_NOIO)`. */
  readonly pflags: number;
}

/** Calls on the task's own context; `gfp` facts are given as whether the mask may block. */
export type TaskContextEvent =
  /** `void rcu_read_lock(void)`. */
  | { readonly type: 'rcu_read_lock' }
  /** `void rcu_read_unlock(void)`. */
  | { readonly type: 'rcu_read_unlock' }
  /** `local_irq_disable()`. */
  | { readonly type: 'local_irq_disable' }
  /** `local_irq_enable()`. */
  | { readonly type: 'local_irq_enable' }
  /** `might_sleep()`: a sleep point. */
  | { readonly type: 'might_sleep' }
  /** `might_fault()`: `__might_sleep` and a read acquisition of the mmap lock's class. */
  | { readonly type: 'might_fault' }
  /** `kmalloc(size, gfp)`; `blocking` is `gfpflags_allow_blocking(gfp)` (__GFP_DIRECT_RECLAIM). */
  | { readonly type: 'kmalloc'; readonly blocking: boolean }
  /** `unsigned int memalloc_{noreclaim,nofs,noio}_save(void)`. */
  | { readonly type: 'memalloc_noreclaim_save' | 'memalloc_nofs_save' | 'memalloc_noio_save' }
  /** `void memalloc_{noreclaim,nofs,noio}_restore(unsigned int flags)`. */
  | { readonly type: 'memalloc_noreclaim_restore' | 'memalloc_nofs_restore' | 'memalloc_noio_restore'; readonly flags: number }
  /** The task returns to user space (`lockdep_sys_exit`). */
  | { readonly type: 'task_exit' };

/** `PF_MEMALLOC` (include/linux/sched.h). */
export const PF_MEMALLOC = 0x00000800;
/** `PF_MEMALLOC_NOFS` (include/linux/sched.h). */
export const PF_MEMALLOC_NOFS = 0x00040000;
/** `PF_MEMALLOC_NOIO` (include/linux/sched.h). */
export const PF_MEMALLOC_NOIO = 0x00080000;

/** The PF_* bit of each save/restore pair. */
export const MEMALLOC_BIT: { readonly [type: string]: number } = {
  memalloc_noreclaim_save: PF_MEMALLOC,
  memalloc_noreclaim_restore: PF_MEMALLOC,
  memalloc_nofs_save: PF_MEMALLOC_NOFS,
  memalloc_nofs_restore: PF_MEMALLOC_NOFS,
  memalloc_noio_save: PF_MEMALLOC_NOIO,
  memalloc_noio_restore: PF_MEMALLOC_NOIO,
};

/** Whether a context is atomic (in_atomic() or irqs_disabled()). */
export function isAtomicContext(c: TaskContextContext): boolean {
  return c.preempt > 0 || c.rcu > 0 || c.irqsOff;
}

const SLEEP_IN_ATOMIC = { violation: 'might_sleep', violations: [{ kind: 'might_sleep', check: 'atomic' }] } as const;

/** The memalloc save/restore branches, the same in both states. */
const MEMALLOC = {
  memalloc_noreclaim_save: { actions: 'memallocSave', description: 'Sets PF_MEMALLOC; returns the bit if it was newly set, else 0.', meta: { effects: ['memallocSave'] } },
  memalloc_nofs_save: { actions: 'memallocSave', description: 'Sets PF_MEMALLOC_NOFS; returns the bit if it was newly set, else 0.', meta: { effects: ['memallocSave'] } },
  memalloc_noio_save: { actions: 'memallocSave', description: 'Sets PF_MEMALLOC_NOIO; returns the bit if it was newly set, else 0.', meta: { effects: ['memallocSave'] } },
  memalloc_noreclaim_restore: { actions: 'memallocRestore', description: 'Clears the bits given (current->flags &= ~flags).', meta: { effects: ['memallocRestore'] } },
  memalloc_nofs_restore: { actions: 'memallocRestore', description: 'Clears the bits given (current->flags &= ~flags).', meta: { effects: ['memallocRestore'] } },
  memalloc_noio_restore: { actions: 'memallocRestore', description: 'Clears the bits given (current->flags &= ~flags).', meta: { effects: ['memallocRestore'] } },
} as const;

/** The per-task context statechart. */
export const taskContextMachine = setup({
  types: { context: {} as TaskContextContext, events: {} as TaskContextEvent },
  guards: {
    /** `rcu_read_lock_held()`: an RCU read section is open. */
    hasRcuReadLock: ({ context }) => context.rcu > 0,
    /** The section being closed is the only thing that makes the task atomic. */
    isLastRcuHold: ({ context }) => context.rcu === 1 && context.preempt === 0 && !context.irqsOff,
    /** IRQs off are the only thing that makes the task atomic. */
    isOnlyIrqsOff: ({ context }) => context.irqsOff && context.preempt === 0 && context.rcu === 0,
    /** `gfpflags_allow_blocking(gfp)`: the mask has __GFP_DIRECT_RECLAIM. */
    isBlockingGfp: ({ event }) => event.type === 'kmalloc' && event.blocking,
    /** Something the task holds that lockdep tracks as a lock (an RCU read section, a spinlock). */
    holdsAtomicLock: ({ context }) => context.rcu > 0 || context.preempt > 0,
    /** {@link holdsAtomicLock}, with IRQs off too. */
    holdsAtomicLockIrqsOff: ({ context }) => (context.rcu > 0 || context.preempt > 0) && context.irqsOff,
  },
  actions: {
    /** `__rcu_read_lock`: one more nesting level (preempt_disable in this config). */
    rcuReadLock: assign({ rcu: ({ context }) => context.rcu + 1 }),
    /** `__rcu_read_unlock`: one level less. */
    rcuReadUnlock: assign({ rcu: ({ context }) => context.rcu - 1 }),
    /** `local_irq_disable`. */
    irqDisable: assign({ irqsOff: true }),
    /** `local_irq_enable`. */
    irqEnable: assign({ irqsOff: false }),
    /** `memalloc_flags_save`: `current->flags |= flags`. */
    memallocSave: assign({ pflags: ({ context, event }) => context.pflags | (MEMALLOC_BIT[event.type] ?? 0) }),
    /** `memalloc_flags_restore`: `current->flags &= ~flags`. */
    memallocRestore: assign({ pflags: ({ context, event }) => context.pflags & ~('flags' in event ? event.flags : 0) }),
    /** `task_exit` clears the context. */
    clearContext: assign({ preempt: 0, rcu: 0, irqsOff: false, pflags: 0 }),
  },
}).createMachine({
  id: 'task_context',
  initial: 'sleepable',
  context: { preempt: 0, rcu: 0, irqsOff: false, pflags: 0 },
  states: {
    sleepable: {
      description: 'Process context with preemption and IRQs enabled: the task may sleep.',
      on: {
        rcu_read_lock: { target: 'atomic', actions: 'rcuReadLock', description: 'Opens an RCU read section: atomic in this config.', meta: { effects: ['rcuLockAcquire'] } },
        rcu_read_unlock: {
          description: 'No RCU read section is open: lockdep "bad unlock balance", and the count would go negative; refused.',
          meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], refused: true },
        },
        local_irq_disable: { target: 'atomic', actions: 'irqDisable', description: 'IRQs off: atomic, but in_atomic() stays false.' },
        local_irq_enable: { description: 'IRQs already on: nothing (lockdep counts a redundant hardirqs-on silently).' },
        might_sleep: { description: 'A sleep point where sleeping is allowed.' },
        might_fault: { description: '__might_sleep, then a read acquisition of the mmap_lock class (edges from the held locks).', meta: { effects: ['mightLockReadMmap'] } },
        kmalloc: { description: 'might_alloc: the reclaim annotations (fs_reclaim, the MMU-notifier map) when the effective mask reclaims; may sleep.', meta: { effects: ['mightAlloc'] } },
        ...MEMALLOC,
        task_exit: { actions: 'clearContext', description: 'lockdep_sys_exit checks the held locks; the context is cleared.', meta: { effects: ['lockdepSysExit'] } },
      },
    },
    atomic: {
      description: 'A spinlock or an RCU read section raises the preempt count, or IRQs are off: the task must not sleep.',
      on: {
        rcu_read_lock: { actions: 'rcuReadLock', description: 'Nests an RCU read section.', meta: { effects: ['rcuLockAcquire'] } },
        rcu_read_unlock: [
          { guard: 'isLastRcuHold', target: 'sleepable', actions: 'rcuReadUnlock', description: 'Closes the last RCU read section: sleepable again.', meta: { effects: ['rcuLockRelease'] } },
          { guard: 'hasRcuReadLock', actions: 'rcuReadUnlock', description: 'Closes one RCU read section; still atomic.', meta: { effects: ['rcuLockRelease'] } },
          {
            description: 'No RCU read section is open: lockdep "bad unlock balance", and the count would go negative; refused.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], refused: true },
          },
        ],
        local_irq_disable: { actions: 'irqDisable', description: 'IRQs off (again).' },
        local_irq_enable: [
          { guard: 'isOnlyIrqsOff', target: 'sleepable', actions: 'irqEnable', description: 'IRQs on, nothing else held: sleepable.' },
          { actions: 'irqEnable', description: 'IRQs on; a spinlock or RCU section keeps it atomic.' },
        ],
        might_sleep: { description: 'A sleep point in atomic context: "sleeping function called from invalid context".', meta: SLEEP_IN_ATOMIC },
        might_fault: {
          description: 'A sleep point in atomic context (might_sleep), then the mmap_lock read annotation.',
          meta: { ...SLEEP_IN_ATOMIC, effects: ['mightLockReadMmap'] },
        },
        kmalloc: [
          {
            guard: 'isBlockingGfp',
            description: 'A blocking mask in atomic context: the reclaim annotations, then might_sleep_if reports.',
            meta: { ...SLEEP_IN_ATOMIC, effects: ['mightAlloc'] },
          },
          { description: 'GFP_ATOMIC / GFP_NOWAIT: no direct reclaim, nothing to report.', meta: { effects: ['mightAlloc'] } },
        ],
        ...MEMALLOC,
        // KERNEL: syscall_exit_to_user_mode_work WARNs "syscall left IRQs disabled" (CONFIG_PROVE_LOCKING)
        // and enables them, before exit_to_user_mode_prepare's lockdep_sys_exit checks the held locks.
        task_exit: [
          {
            guard: 'holdsAtomicLockIrqsOff',
            target: 'sleepable',
            actions: 'clearContext',
            description:
              'Returns to user space with IRQs off and an RCU section or a spinlock held: WARN "syscall left IRQs disabled", then lockdep "lock held when returning to user space"; cleared.',
            meta: {
              violation: 'warn_on',
              violations: [
                { kind: 'warn_on', check: 'irqsOffAtExit' },
                { kind: 'lockdep', check: 'heldAtExit' },
              ],
              effects: ['warnIrqsOffAtExit', 'lockdepSysExit'],
            },
          },
          {
            guard: 'holdsAtomicLock',
            target: 'sleepable',
            actions: 'clearContext',
            description: 'Returns to user space inside an RCU section or holding a spinlock: lockdep "lock held when returning to user space"; cleared.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'heldAtExit' }], effects: ['lockdepSysExit'] },
          },
          {
            target: 'sleepable',
            actions: 'clearContext',
            description: 'Returns to user space with IRQs off: WARN "syscall left IRQs disabled" (the IRQs are enabled again); cleared.',
            meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'irqsOffAtExit' }], effects: ['warnIrqsOffAtExit', 'lockdepSysExit'] },
          },
        ],
      },
    },
  },
});
