import { assign, setup } from 'xstate';
import { FREE, type LockHolders, dropExclusive, takeExclusive } from './lockHolders.js';

/**
 * Lifecycle of one `spinlock_t`: free or held.
 *
 * Kernel: [include/linux/spinlock.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/spinlock.h),
 * [include/linux/spinlock_api_smp.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/spinlock_api_smp.h)
 * (__raw_spin_lock: preempt_disable, spin_acquire, then spin; __raw_spin_lock_irqsave: local_irq_save first),
 * [kernel/locking/spinlock_debug.c](https://github.com/torvalds/linux/blob/v6.17/kernel/locking/spinlock_debug.c).
 * Rust: `kernel::sync::SpinLock`.
 *
 * Modelled:
 * - `spin_lock` / `spin_lock_irqsave`: the task becomes atomic (preempt count, and IRQs off for
 *   irqsave, the old IRQ state kept with the hold); lockdep's acquisition; a lock held elsewhere
 *   makes the call `blocked`, not queued: spinning changes nothing but lockdep's record;
 * - `spin_unlock` / `spin_unlock_irqrestore`: lockdep's release, the lock is free, the preempt
 *   count drops (and the IRQ state saved by irqsave comes back); a foreign or unbalanced unlock is
 *   lockdep's "bad unlock balance" and the lock is free anyway;
 * - relocking a spinlock the task holds: lockdep's recursive locking, then it spins forever.
 *
 * Abstracted away:
 * - the `flags` word of irqsave/irqrestore: the event has no such field, so the saved IRQ state is
 *   kept with the hold;
 * - `CONFIG_DEBUG_SPINLOCK`'s "wrong owner" dump: lockdep reports first and turns it silent;
 * - trylocks, `_bh` and `_irq` variants, raw spinlocks: not in the vocabulary yet.
 *
 * Invariants: lockRecordsAreWellFormed.
 *
 * Docs: docs/locking.md.
 */

/** The guard inputs: who holds the spinlock. */
export type SpinlockContext = LockHolders;

/** Calls on a spinlock; `task` is the calling thread. */
export type SpinlockEvent =
  /** `spin_lock_init(spinlock_t *lock)`. */
  | { readonly type: 'spin_lock_init' }
  /** `void spin_lock(spinlock_t *lock)`. */
  | { readonly type: 'spin_lock'; readonly task: string }
  /** `spin_lock_irqsave(spinlock_t *lock, unsigned long flags)`: saves and disables IRQs first. */
  | { readonly type: 'spin_lock_irqsave'; readonly task: string }
  /** `void spin_unlock(spinlock_t *lock)`. */
  | { readonly type: 'spin_unlock'; readonly task: string }
  /** `void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)`. */
  | { readonly type: 'spin_unlock_irqrestore'; readonly task: string };

const taskOf = (e: SpinlockEvent): string => (e.type === 'spin_lock_init' ? '' : e.task);

const BAD_UNLOCK = { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }] } as const;

/** A spin on a held lock: by its owner (recursion) or by another task. */
const SPIN = [
  {
    guard: 'isOwner',
    description: 'The owner takes it again: lockdep "possible recursive locking", then it spins on itself forever (blocked).',
    meta: { blocked: true, violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'recursive' }], effects: ['lockdepAcquire'] },
  },
  {
    description: 'Held by another task: lockdep records the acquisition, then the caller spins (blocked; nothing else changes).',
    meta: { blocked: true, effects: ['lockdepAcquire'] },
  },
] as const;

/** The `spinlock_t` statechart. */
export const spinlockMachine = setup({
  types: { context: {} as SpinlockContext, events: {} as SpinlockEvent },
  guards: {
    /** `lock->owner == current` (spinlock_debug.c, debug_spin_unlock). */
    isOwner: ({ context, event }) => context.owner === taskOf(event),
  },
  actions: {
    /** `do_raw_spin_lock` returns: the caller owns the lock. */
    takeOwnership: assign(({ context, event }) => takeExclusive(context, taskOf(event))),
    /** `do_raw_spin_unlock`: the lock is free. */
    clearOwner: assign(({ context }) => dropExclusive(context)),
    /** `spin_lock_init`: a free lock. */
    spinLockInit: assign(() => FREE),
  },
}).createMachine({
  id: 'spinlock',
  initial: 'unlocked',
  context: FREE,
  states: {
    unlocked: {
      description: 'The lock word is 0: free.',
      on: {
        spin_lock_init: { actions: 'spinLockInit', description: 'Initialises (again) a free spinlock.', meta: { effects: ['init'] } },
        spin_lock: {
          target: 'locked',
          actions: 'takeOwnership',
          description: 'preempt_disable, lockdep acquisition, takes it: the task is atomic.',
          meta: { effects: ['preemptDisable', 'lockdepAcquire', 'takeExclusive'] },
        },
        spin_lock_irqsave: {
          target: 'locked',
          actions: 'takeOwnership',
          description: 'local_irq_save, preempt_disable, lockdep acquisition, takes it.',
          meta: { effects: ['irqSave', 'preemptDisable', 'lockdepAcquire', 'takeExclusive'] },
        },
        spin_unlock: {
          description: 'Unlocks a free spinlock: lockdep "bad unlock balance"; preempt_enable.',
          meta: { ...BAD_UNLOCK, effects: ['lockdepRelease', 'preemptEnable'] },
        },
        spin_unlock_irqrestore: {
          description: 'Unlocks a free spinlock: lockdep "bad unlock balance"; IRQ state restored, preempt_enable.',
          meta: { ...BAD_UNLOCK, effects: ['lockdepRelease', 'irqRestore', 'preemptEnable'] },
        },
      },
    },
    locked: {
      description: 'Held by its owner, which runs in atomic context.',
      on: {
        spin_lock_init: {
          description: 'Re-initialises a held spinlock: its owner would lose it; bug_on, refused.',
          meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'initLive' }], refused: true },
        },
        spin_lock: SPIN,
        spin_lock_irqsave: SPIN,
        spin_unlock: [
          {
            guard: 'isOwner',
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'The owner unlocks: lockdep release, free, preempt_enable.',
            meta: { effects: ['lockdepRelease', 'dropExclusive', 'preemptEnable'] },
          },
          {
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'Another task unlocks it: lockdep "bad unlock balance"; free anyway, preempt_enable on the caller.',
            meta: { ...BAD_UNLOCK, effects: ['lockdepRelease', 'dropExclusive', 'preemptEnable'] },
          },
        ],
        spin_unlock_irqrestore: [
          {
            guard: 'isOwner',
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'The owner unlocks: lockdep release, free, IRQ state restored, preempt_enable.',
            meta: { effects: ['lockdepRelease', 'dropExclusive', 'irqRestore', 'preemptEnable'] },
          },
          {
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'Another task unlocks it: lockdep "bad unlock balance"; free anyway, IRQ state restored.',
            meta: { ...BAD_UNLOCK, effects: ['lockdepRelease', 'dropExclusive', 'irqRestore', 'preemptEnable'] },
          },
        ],
      },
    },
  },
});
