import { assign, setup } from 'xstate';
import { FREE, type LockHolders, dropExclusive, enqueue, handOverMutex, takeExclusive } from './lockHolders.js';

/**
 * Lifecycle of one `struct mutex`: free, held, held with sleepers queued.
 *
 * Kernel: [kernel/locking/mutex.c](https://github.com/torvalds/linux/blob/v6.17/kernel/locking/mutex.c)
 * (mutex_lock, __mutex_lock_common, mutex_trylock, mutex_unlock, __mutex_unlock_slowpath);
 * [include/linux/mutex.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/mutex.h).
 * Rust: `kernel::sync::Mutex` / `MutexGuard`.
 *
 * Modelled:
 * - `mutex_lock`: `might_sleep()`, then lockdep's acquisition (before any wait), then the lock, or a
 *   place at the tail of `wait_list` (`blocked`, `queued`);
 * - `mutex_trylock`: `{ locked }`, annotated for lockdep only when it succeeds;
 * - `mutex_unlock`: lockdep's release, then the lock goes to the first waiter (`woke`) or is free;
 *   an unlock by a task that does not hold it is lockdep's "bad unlock balance" and the lock is
 *   released anyway (the slow path clears the owner whoever it was);
 * - relocking a mutex the task holds: lockdep's recursive locking, and the task sleeps on itself.
 *
 * Abstracted away:
 * - optimistic spinning and lock stealing between a wake-up and the waiter running: a woken waiter
 *   takes the lock at once (MUTEX_FLAG_HANDOFF's effect), because drmstate steps whole calls;
 * - `CONFIG_DEBUG_MUTEXES`' WARN on a foreign unlock: lockdep reports first and turns the WARN silent;
 * - interruptible and killable variants: no signals are modelled.
 *
 * Invariants: lockRecordsAreWellFormed.
 *
 * Docs: docs/locking.md.
 */

/** The guard inputs: who holds the mutex and who sleeps on it (the World's lock record). */
export type MutexContext = LockHolders;

/** Calls on a mutex; `task` is the calling thread. */
export type MutexEvent =
  /** `void mutex_init(struct mutex *lock)`. No errno. */
  | { readonly type: 'mutex_init' }
  /** `void mutex_lock(struct mutex *lock)`: sleeps until it has the lock. */
  | { readonly type: 'mutex_lock'; readonly task: string }
  /** `int mutex_trylock(struct mutex *lock)`: 1 when it took the lock. */
  | { readonly type: 'mutex_trylock'; readonly task: string }
  /** `void mutex_unlock(struct mutex *lock)`. */
  | { readonly type: 'mutex_unlock'; readonly task: string };

const taskOf = (e: MutexEvent): string => (e.type === 'mutex_init' ? '' : e.task);

/** A re-initialisation of a live mutex: its wait list would be overwritten. */
const INIT_LIVE = {
  description: 'Re-initialises a mutex that is held: its owner and wait list would be overwritten; bug_on, refused.',
  meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'initLive' }], refused: true },
} as const;

/** Lock of a held mutex by another task, or by its owner (recursion: lockdep, and it sleeps on itself). */
const LOCK_HELD = [
  {
    guard: 'isOwner',
    target: 'contended',
    actions: 'listAddTail',
    description: 'The owner locks it again: lockdep "possible recursive locking", then it sleeps on itself forever (blocked, queued).',
    meta: { blocked: true, returns: { queued: true }, violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'recursive' }], effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
  },
  {
    target: 'contended',
    actions: 'listAddTail',
    description: 'Held by another task: lockdep records the acquisition, then the caller sleeps at the tail of wait_list (blocked, queued).',
    meta: { blocked: true, returns: { queued: true }, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
  },
] as const;

/** The `struct mutex` statechart. */
export const mutexMachine = setup({
  types: { context: {} as MutexContext, events: {} as MutexEvent },
  guards: {
    /** `__owner_task(owner) == current` (mutex.c). */
    isOwner: ({ context, event }) => context.owner === taskOf(event),
    /** The owner unlocks and the first waiter is the only one (nobody waits after the hand-over). */
    isOwnerWithOneWaiter: ({ context, event }) => context.owner === taskOf(event) && context.waiters.length === 1,
    /** The first waiter is the only one: after the hand-over nobody waits (`list_empty(&lock->wait_list)`). */
    isLastWaiter: ({ context }) => context.waiters.length === 1,
  },
  actions: {
    /** `__mutex_trylock` succeeds: the owner field is the caller. */
    takeOwnership: assign(({ context, event }) => takeExclusive(context, taskOf(event))),
    /** `__mutex_add_waiter`: the caller joins the tail of `wait_list`. */
    listAddTail: assign(({ context, event }) => enqueue(context, taskOf(event), 'write')),
    /** `__mutex_unlock_slowpath` clears the owner. */
    clearOwner: assign(({ context }) => dropExclusive(context)),
    /** `__mutex_unlock_slowpath` wakes the first waiter, which takes the lock. */
    wakeFirstWaiter: assign(({ context }) => handOverMutex(context).next),
    /** `mutex_init`: a free mutex with an empty wait list. */
    mutexInit: assign(() => FREE),
  },
}).createMachine({
  id: 'mutex',
  initial: 'unlocked',
  context: FREE,
  states: {
    unlocked: {
      description: 'Owner field 0: the mutex is free and nobody waits.',
      on: {
        mutex_init: { actions: 'mutexInit', description: 'Initialises (again) a free mutex.', meta: { effects: ['init'] } },
        mutex_lock: {
          target: 'locked',
          actions: 'takeOwnership',
          description: 'might_sleep, lockdep acquisition, then the fast path takes it.',
          meta: { effects: ['mightSleep', 'lockdepAcquire', 'takeExclusive'] },
        },
        mutex_trylock: {
          target: 'locked',
          actions: 'takeOwnership',
          description: 'Takes it: returns 1 (lockdep records a trylock).',
          meta: { returns: { locked: true }, effects: ['takeExclusive', 'lockdepTryAcquire'] },
        },
        mutex_unlock: {
          description: 'Unlocks a free mutex: lockdep "bad unlock balance"; the owner stays 0.',
          meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], effects: ['lockdepRelease'] },
        },
      },
    },
    locked: {
      description: 'Held by its owner; nobody waits.',
      on: {
        mutex_init: INIT_LIVE,
        mutex_lock: LOCK_HELD,
        mutex_trylock: { description: 'Held: returns 0, nothing recorded.', meta: { returns: { locked: false } } },
        mutex_unlock: [
          {
            guard: 'isOwner',
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'The owner unlocks: lockdep release, the mutex is free.',
            meta: { effects: ['lockdepRelease', 'dropExclusive'] },
          },
          {
            target: 'unlocked',
            actions: 'clearOwner',
            description: 'Another task unlocks it: lockdep "bad unlock balance", and the slow path frees it anyway.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], effects: ['lockdepRelease', 'dropExclusive'] },
          },
        ],
      },
    },
    contended: {
      description: 'Held, with MUTEX_FLAG_WAITERS: tasks sleep on wait_list.',
      on: {
        mutex_init: INIT_LIVE,
        mutex_lock: LOCK_HELD,
        mutex_trylock: { description: 'Held: returns 0, nothing recorded.', meta: { returns: { locked: false } } },
        mutex_unlock: [
          {
            guard: 'isOwnerWithOneWaiter',
            target: 'locked',
            actions: 'wakeFirstWaiter',
            description: 'The owner unlocks and wakes the only waiter, which now holds it (woke).',
            meta: { effects: ['lockdepRelease', 'handOverMutex'] },
          },
          {
            guard: 'isOwner',
            actions: 'wakeFirstWaiter',
            description: 'The owner unlocks and wakes the first waiter, which now holds it (woke); the others keep waiting.',
            meta: { effects: ['lockdepRelease', 'handOverMutex'] },
          },
          {
            guard: 'isLastWaiter',
            target: 'locked',
            actions: 'wakeFirstWaiter',
            description: 'Another task unlocks it: lockdep "bad unlock balance"; the only waiter is woken and holds it (woke).',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], effects: ['lockdepRelease', 'handOverMutex'] },
          },
          {
            actions: 'wakeFirstWaiter',
            description: 'Another task unlocks it: lockdep "bad unlock balance"; the first waiter is woken and holds it (woke).',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }], effects: ['lockdepRelease', 'handOverMutex'] },
          },
        ],
      },
    },
  },
});
