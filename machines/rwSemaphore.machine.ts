import { assign, setup } from 'xstate';
import { FREE, type LockHolders, downgrade, dropExclusive, dropShared, enqueue, rwsemMarkWake, takeExclusive, takeShared } from './lockHolders.js';

/**
 * Lifecycle of one `struct rw_semaphore`: free, held by readers, held by a writer — the mmap lock
 * is one.
 *
 * Kernel: [kernel/locking/rwsem.c](https://github.com/torvalds/linux/blob/v6.17/kernel/locking/rwsem.c)
 * (rwsem_read_trylock and RWSEM_READ_FAILED_MASK, rwsem_down_read_slowpath, __down_read_trylock,
 * rwsem_write_trylock, rwsem_down_write_slowpath, __up_read, __up_write, rwsem_wake,
 * rwsem_mark_wake, __downgrade_write, rwsem_downgrade_wake);
 * [include/linux/rwsem.h](https://github.com/torvalds/linux/blob/v6.17/include/linux/rwsem.h).
 * Rust: `kernel::sync::RwSemaphore` (RFC), `mm::MmapReadGuard`.
 *
 * Modelled:
 * - readers share; a writer excludes everyone; a queued waiter (RWSEM_FLAG_WAITERS) makes new
 *   readers queue and read trylocks fail (no reader lock stealing while reader-owned with other
 *   readers); a write trylock succeeds only on RWSEM_UNLOCKED_VALUE (no holder, no waiter);
 * - contended down_read / down_write: lockdep's acquisition first, then the tail of `wait_list`
 *   (`blocked`, `queued`);
 * - releases wake as `rwsem_mark_wake` does: the last reader's up_read, or up_write, hands the
 *   lock to a writer at the head, or grants every queued reader when a reader is at the head
 *   (writers stay queued); downgrade_write (RWSEM_WAKE_READ_OWNED) grants queued readers at the
 *   head and never a writer;
 * - an up_read / up_write / downgrade by a task that does not hold it: lockdep's "bad unlock
 *   balance", and the count moves anyway (up_read has no owner check: some reader's hold goes);
 *   releases of a mode the rwsem is not held in would corrupt the count: refused.
 *
 * Abstracted away:
 * - optimistic spinning, reader lock stealing in the window between a wake-up and the woken task
 *   running, and RWSEM_FLAG_HANDOFF (it needs a waiter to time out, and time is not modelled):
 *   a woken waiter holds the lock at once, so a free rwsem never has waiters;
 * - MAX_READERS_WAKEUP (256 readers per wake-up): never reached by a bounded model;
 * - killable / interruptible variants.
 *
 * Invariants: lockRecordsAreWellFormed, freeLocksHaveNoWaiters.
 *
 * Docs: docs/locking.md.
 */

/** The guard inputs: readers, writer and wait list (the World's lock record). */
export type RwSemaphoreContext = LockHolders;

/** Calls on an rwsem; `task` is the calling thread. */
export type RwSemaphoreEvent =
  /** `init_rwsem(struct rw_semaphore *sem)`. */
  | { readonly type: 'init_rwsem' }
  /** `void down_read(struct rw_semaphore *sem)`. */
  | { readonly type: 'down_read'; readonly task: string }
  /** `int down_read_trylock(struct rw_semaphore *sem)`: 1 when it got it. */
  | { readonly type: 'down_read_trylock'; readonly task: string }
  /** `void up_read(struct rw_semaphore *sem)`. */
  | { readonly type: 'up_read'; readonly task: string }
  /** `void down_write(struct rw_semaphore *sem)`. */
  | { readonly type: 'down_write'; readonly task: string }
  /** `int down_write_trylock(struct rw_semaphore *sem)`: 1 when it got it. */
  | { readonly type: 'down_write_trylock'; readonly task: string }
  /** `void up_write(struct rw_semaphore *sem)`. */
  | { readonly type: 'up_write'; readonly task: string }
  /** `void downgrade_write(struct rw_semaphore *sem)`. */
  | { readonly type: 'downgrade_write'; readonly task: string };

const taskOf = (e: RwSemaphoreEvent): string => (e.type === 'init_rwsem' ? '' : e.task);

const BAD_UNLOCK = [{ kind: 'lockdep', check: 'badUnlock' }] as const;
/**
 * A release by a task that is not the writer: lockdep's bad unlock balance (the release annotation
 * comes first), then __up_write's / __downgrade_write's `DEBUG_RWSEMS_WARN_ON(owner != current)`.
 */
const NOT_OWNER = [
  { kind: 'lockdep', check: 'badUnlock' },
  { kind: 'warn_on', check: 'notOwner' },
] as const;
const RECURSIVE = [{ kind: 'lockdep', check: 'recursive' }] as const;
const QUEUED = { blocked: true, returns: { queued: true } } as const;

const INIT_LIVE = {
  description: 'Re-initialises a held rwsem: its count and wait list would be overwritten; bug_on, refused.',
  meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'initLive' }], refused: true },
} as const;

/**
 * A release in a mode the rwsem is not held in: the count would be corrupted. KERNEL: up_read,
 * up_write and downgrade_write call rwsem_release / lock_downgrade before __up_read / __up_write /
 * __downgrade_write, so a caller that holds the rwsem in no mode gets lockdep's "bad unlock balance"
 * first, then the DEBUG_RWSEMS_WARN_ON.
 */
const wrongMode = (what: string) =>
  [
    {
      guard: 'holdsNothing',
      description: `${what} by a task that holds it in no mode: lockdep "bad unlock balance", then DEBUG_RWSEMS_WARN_ON; the count would be corrupted; refused.`,
      meta: {
        violation: 'lockdep',
        violations: [
          { kind: 'lockdep', check: 'badUnlock' },
          { kind: 'warn_on', check: 'wrongMode' },
        ],
        refused: true,
      },
    },
    {
      description: `${what}: DEBUG_RWSEMS_WARN_ON, the count would be corrupted; refused.`,
      meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'wrongMode' }], refused: true },
    },
  ] as const;

/** A release of a free rwsem: lockdep's bad unlock, and the count would underflow. */
const FREE_RELEASE = {
  description: 'Releases a free rwsem: lockdep "bad unlock balance", and the count would underflow; refused.',
  meta: { violation: 'lockdep', violations: BAD_UNLOCK, refused: true },
} as const;

/** The `struct rw_semaphore` statechart. */
export const rwSemaphoreMachine = setup({
  types: { context: {} as RwSemaphoreContext, events: {} as RwSemaphoreEvent },
  guards: {
    /** `rwsem_owner(sem) == current`: the caller is the writer. */
    isOwner: ({ context, event }) => context.owner === taskOf(event),
    /** The caller holds it for read (lockdep's held lock of the same class). */
    isReader: ({ context, event }) => context.readers.includes(taskOf(event)),
    /** A reader of it asks again while a writer waits: recursion that sleeps behind the writer. */
    isReaderWithWaiters: ({ context, event }) => context.readers.includes(taskOf(event)) && context.waiters.length > 0,
    /** `count & RWSEM_FLAG_WAITERS`: somebody sleeps on `wait_list`. */
    hasWaiters: ({ context }) => context.waiters.length > 0,
    /** The caller is the only reader and a writer waits: its up_read leaves only RWSEM_FLAG_WAITERS. */
    isLastReaderWithWaiters: ({ context, event }) => context.readers.length === 1 && context.readers[0] === taskOf(event) && context.waiters.length > 0,
    /** The caller is the only reader. */
    isLastReader: ({ context, event }) => context.readers.length === 1 && context.readers[0] === taskOf(event),
    /** One reader is left (not the caller) and somebody waits. */
    isLastHoldWithWaiters: ({ context }) => context.readers.length === 1 && context.waiters.length > 0,
    /** One reader is left (not the caller). */
    isLastHold: ({ context }) => context.readers.length === 1,
    /** The writer unlocks and a writer is at the head of `wait_list`. */
    isOwnerWithWriterNext: ({ context, event }) => context.owner === taskOf(event) && context.waiters[0]?.mode === 'write',
    /** The writer unlocks and a reader is at the head of `wait_list`. */
    isOwnerWithReaderNext: ({ context, event }) => context.owner === taskOf(event) && context.waiters[0]?.mode === 'read',
    /** A writer is at the head of `wait_list`. */
    isWriterNext: ({ context }) => context.waiters[0]?.mode === 'write',
    /** The caller holds it in no mode: lockdep finds no held lock to release. */
    holdsNothing: ({ context, event }) => context.owner !== taskOf(event) && !context.readers.includes(taskOf(event)),
  },
  actions: {
    /** The reader bias is added and kept: the caller holds it for read. */
    addReader: assign(({ context, event }) => takeShared(context, taskOf(event))),
    /** RWSEM_WRITER_LOCKED is set with the caller as owner. */
    setWriter: assign(({ context, event }) => takeExclusive(context, taskOf(event))),
    /** `rwsem_add_waiter` for read. */
    queueReader: assign(({ context, event }) => enqueue(context, taskOf(event), 'read')),
    /** `rwsem_add_waiter` for write. */
    queueWriter: assign(({ context, event }) => enqueue(context, taskOf(event), 'write')),
    /** `__up_read`: one reader bias goes (the caller's, else the latest reader's). */
    dropReader: assign(({ context, event }) => dropShared(context, taskOf(event))),
    /** `__up_read` then `rwsem_wake`: the last reader goes and `rwsem_mark_wake(RWSEM_WAKE_ANY)` runs. */
    dropReaderAndWake: assign(({ context, event }) => rwsemMarkWake(dropShared(context, taskOf(event)), 'any').next),
    /** `__up_write`: RWSEM_WRITER_LOCKED is cleared. */
    clearWriter: assign(({ context }) => dropExclusive(context)),
    /** `__up_write` then `rwsem_wake`: `rwsem_mark_wake(RWSEM_WAKE_ANY)`. */
    clearWriterAndWake: assign(({ context }) => rwsemMarkWake(dropExclusive(context), 'any').next),
    /** `__downgrade_write` then `rwsem_downgrade_wake`: `rwsem_mark_wake(RWSEM_WAKE_READ_OWNED)`. */
    downgradeAndWake: assign(({ context }) => rwsemMarkWake(downgrade(context), 'readOwned').next),
    /** `init_rwsem`: RWSEM_UNLOCKED_VALUE and an empty wait list. */
    initRwsem: assign(() => FREE),
  },
}).createMachine({
  id: 'rw_semaphore',
  initial: 'unlocked',
  context: FREE,
  states: {
    unlocked: {
      description: 'RWSEM_UNLOCKED_VALUE: no reader, no writer, nobody waits.',
      on: {
        init_rwsem: { actions: 'initRwsem', description: 'Initialises (again) a free rwsem.', meta: { effects: ['init'] } },
        down_read: {
          target: 'readLocked',
          actions: 'addReader',
          description: 'might_sleep, lockdep acquisition (read), the fast path takes it.',
          meta: { effects: ['mightSleep', 'lockdepAcquire', 'takeShared'] },
        },
        down_read_trylock: {
          target: 'readLocked',
          actions: 'addReader',
          description: 'Takes it for read: returns 1.',
          meta: { returns: { locked: true }, effects: ['takeShared', 'lockdepTryAcquire'] },
        },
        down_write: {
          target: 'writeLocked',
          actions: 'setWriter',
          description: 'might_sleep, lockdep acquisition, the fast path takes it.',
          meta: { effects: ['mightSleep', 'lockdepAcquire', 'takeExclusive'] },
        },
        down_write_trylock: {
          target: 'writeLocked',
          actions: 'setWriter',
          description: 'cmpxchg from RWSEM_UNLOCKED_VALUE succeeds: returns 1.',
          meta: { returns: { locked: true }, effects: ['takeExclusive', 'lockdepTryAcquire'] },
        },
        up_read: FREE_RELEASE,
        up_write: FREE_RELEASE,
        downgrade_write: FREE_RELEASE,
      },
    },
    readLocked: {
      description: 'Reader-owned: one or more reader biases; a queued writer heads any wait list.',
      on: {
        init_rwsem: INIT_LIVE,
        down_read: [
          {
            guard: 'isReaderWithWaiters',
            actions: 'queueReader',
            description: 'A reader asks again with a writer queued: lockdep "possible recursive locking", then it queues behind the writer (blocked, queued).',
            meta: { ...QUEUED, violation: 'lockdep', violations: RECURSIVE, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
          {
            guard: 'hasWaiters',
            actions: 'queueReader',
            description: 'RWSEM_FLAG_WAITERS: the read fast path fails and, reader-owned with other readers, it queues (blocked, queued).',
            meta: { ...QUEUED, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
          {
            guard: 'isReader',
            actions: 'addReader',
            description: 'A reader takes it again: lockdep "possible recursive locking"; the rwsem lets it in.',
            meta: { violation: 'lockdep', violations: RECURSIVE, effects: ['mightSleep', 'lockdepAcquire', 'takeShared'] },
          },
          {
            actions: 'addReader',
            description: 'No waiter: the reader shares it.',
            meta: { effects: ['mightSleep', 'lockdepAcquire', 'takeShared'] },
          },
        ],
        down_read_trylock: [
          { guard: 'hasWaiters', description: 'RWSEM_FLAG_WAITERS is in RWSEM_READ_FAILED_MASK: returns 0.', meta: { returns: { locked: false } } },
          {
            actions: 'addReader',
            description: 'No waiter: takes a reader bias, returns 1.',
            meta: { returns: { locked: true }, effects: ['takeShared', 'lockdepTryAcquire'] },
          },
        ],
        down_write: [
          {
            guard: 'isReader',
            actions: 'queueWriter',
            description: 'A reader asks for write: lockdep "possible recursive locking", then it waits for itself (blocked, queued).',
            meta: { ...QUEUED, violation: 'lockdep', violations: RECURSIVE, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
          {
            actions: 'queueWriter',
            description: 'Readers hold it: the writer queues (blocked, queued); new readers now queue behind it.',
            meta: { ...QUEUED, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
        ],
        down_write_trylock: { description: 'Not RWSEM_UNLOCKED_VALUE: returns 0.', meta: { returns: { locked: false } } },
        up_read: [
          {
            guard: 'isLastReaderWithWaiters',
            target: 'writeLocked',
            actions: 'dropReaderAndWake',
            description: 'The last reader leaves with a writer queued: rwsem_wake hands it to that writer (woke).',
            meta: { effects: ['lockdepRelease', 'dropShared', 'markWakeAny'] },
          },
          {
            guard: 'isLastReader',
            target: 'unlocked',
            actions: 'dropReader',
            description: 'The last reader leaves: free.',
            meta: { effects: ['lockdepRelease', 'dropShared'] },
          },
          {
            guard: 'isReader',
            actions: 'dropReader',
            description: 'A reader leaves; others still hold it.',
            meta: { effects: ['lockdepRelease', 'dropShared'] },
          },
          {
            guard: 'isLastHoldWithWaiters',
            target: 'writeLocked',
            actions: 'dropReaderAndWake',
            description: 'A task that holds no read lock: lockdep "bad unlock balance"; the last reader bias goes anyway and the queued writer gets it (woke).',
            meta: { violation: 'lockdep', violations: BAD_UNLOCK, effects: ['lockdepRelease', 'dropShared', 'markWakeAny'] },
          },
          {
            guard: 'isLastHold',
            target: 'unlocked',
            actions: 'dropReader',
            description: 'A task that holds no read lock: lockdep "bad unlock balance"; the last reader bias goes anyway: free.',
            meta: { violation: 'lockdep', violations: BAD_UNLOCK, effects: ['lockdepRelease', 'dropShared'] },
          },
          {
            actions: 'dropReader',
            description: 'A task that holds no read lock: lockdep "bad unlock balance"; one reader bias goes anyway.',
            meta: { violation: 'lockdep', violations: BAD_UNLOCK, effects: ['lockdepRelease', 'dropShared'] },
          },
        ],
        up_write: wrongMode('up_write of a reader-owned rwsem'),
        downgrade_write: wrongMode('downgrade_write of a reader-owned rwsem'),
      },
    },
    writeLocked: {
      description: 'RWSEM_WRITER_LOCKED: one writer owns it.',
      on: {
        init_rwsem: INIT_LIVE,
        down_read: [
          {
            guard: 'isOwner',
            actions: 'queueReader',
            description: 'The writer asks for read: lockdep "possible recursive locking", then it waits for itself (blocked, queued).',
            meta: { ...QUEUED, violation: 'lockdep', violations: RECURSIVE, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
          {
            actions: 'queueReader',
            description: 'A writer holds it: the reader queues (blocked, queued).',
            meta: { ...QUEUED, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
        ],
        down_read_trylock: { description: 'RWSEM_WRITER_LOCKED: returns 0.', meta: { returns: { locked: false } } },
        down_write: [
          {
            guard: 'isOwner',
            actions: 'queueWriter',
            description: 'The writer asks again: lockdep "possible recursive locking", then it waits for itself (blocked, queued).',
            meta: { ...QUEUED, violation: 'lockdep', violations: RECURSIVE, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
          {
            actions: 'queueWriter',
            description: 'A writer holds it: the writer queues (blocked, queued).',
            meta: { ...QUEUED, effects: ['mightSleep', 'lockdepAcquire', 'enqueue'] },
          },
        ],
        down_write_trylock: { description: 'Not RWSEM_UNLOCKED_VALUE: returns 0.', meta: { returns: { locked: false } } },
        up_read: wrongMode('up_read of a writer-owned rwsem'),
        up_write: [
          {
            guard: 'isOwnerWithWriterNext',
            actions: 'clearWriterAndWake',
            description: 'The writer unlocks with a writer at the head: rwsem_mark_wake hands it to that writer (woke).',
            meta: { effects: ['lockdepRelease', 'dropExclusive', 'markWakeAny'] },
          },
          {
            guard: 'isOwnerWithReaderNext',
            target: 'readLocked',
            actions: 'clearWriterAndWake',
            description: 'The writer unlocks with a reader at the head: every queued reader is granted (woke), writers stay queued.',
            meta: { effects: ['lockdepRelease', 'dropExclusive', 'markWakeAny'] },
          },
          {
            guard: 'isOwner',
            target: 'unlocked',
            actions: 'clearWriter',
            description: 'The writer unlocks: free.',
            meta: { effects: ['lockdepRelease', 'dropExclusive'] },
          },
          {
            guard: 'isWriterNext',
            actions: 'clearWriterAndWake',
            description: 'Another task: lockdep "bad unlock balance", then DEBUG_RWSEMS_WARN_ON (not the owner); the writer bit goes anyway and the next writer gets it (woke).',
            meta: { violation: 'lockdep', violations: NOT_OWNER, effects: ['lockdepRelease', 'debugRwsemsWarn', 'dropExclusive', 'markWakeAny'] },
          },
          {
            guard: 'hasWaiters',
            target: 'readLocked',
            actions: 'clearWriterAndWake',
            description: 'Another task: lockdep "bad unlock balance", then DEBUG_RWSEMS_WARN_ON (not the owner); the writer bit goes anyway and the queued readers get it (woke).',
            meta: { violation: 'lockdep', violations: NOT_OWNER, effects: ['lockdepRelease', 'debugRwsemsWarn', 'dropExclusive', 'markWakeAny'] },
          },
          {
            target: 'unlocked',
            actions: 'clearWriter',
            description: 'Another task: lockdep "bad unlock balance", then DEBUG_RWSEMS_WARN_ON (not the owner); the writer bit goes anyway: free.',
            meta: { violation: 'lockdep', violations: NOT_OWNER, effects: ['lockdepRelease', 'debugRwsemsWarn', 'dropExclusive'] },
          },
        ],
        downgrade_write: [
          {
            guard: 'isOwner',
            target: 'readLocked',
            actions: 'downgradeAndWake',
            description: 'The writer now holds it for read; queued readers at the head are granted (woke), writers stay out.',
            meta: { effects: ['lockdepDowngrade', 'downgrade', 'markWakeReadOwned'] },
          },
          {
            target: 'readLocked',
            actions: 'downgradeAndWake',
            description: 'Another task: lockdep "bad unlock balance" (lock_downgrade of a lock it does not hold), then DEBUG_RWSEMS_WARN_ON (not the owner); the writer is downgraded anyway.',
            meta: { violation: 'lockdep', violations: NOT_OWNER, effects: ['lockdepDowngrade', 'debugRwsemsWarn', 'downgrade', 'markWakeReadOwned'] },
          },
        ],
      },
    },
  },
});
