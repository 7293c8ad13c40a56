/**
 * Who holds a sleeping lock and who waits on it: the data the `mutex`, `spinlock` and
 * `rw_semaphore` machines' guards read, and the pure hand-over rules their actions (and the locking
 * protocol's effects) apply. Shared by the statecharts and the protocol so that both hand a lock
 * over the same way.
 *
 * Models the owner field and `wait_list` of `struct mutex` (kernel/locking/mutex.c) and the count,
 * owner and `wait_list` of `struct rw_semaphore` (kernel/locking/rwsem.c).
 */

/** One sleeping waiter on a lock's `wait_list`: the task and what it asked for. */
export interface LockWaiter {
  readonly task: string;
  /** `RWSEM_WAITING_FOR_READ` / `RWSEM_WAITING_FOR_WRITE`; a mutex waiter is always `write`. */
  readonly mode: 'read' | 'write';
}

/** The holders and waiters of one lock. */
export interface LockHolders {
  /** The exclusive holder (mutex or spinlock owner, rwsem writer), or null. */
  readonly owner: string | null;
  /** The rwsem's readers, in the order they got it (a task may appear more than once). */
  readonly readers: readonly string[];
  /** The `wait_list`, head first. */
  readonly waiters: readonly LockWaiter[];
}

/** A free lock with nobody waiting. */
export const FREE: LockHolders = Object.freeze({ owner: null, readers: Object.freeze([]) as readonly string[], waiters: Object.freeze([]) as readonly LockWaiter[] });

/** The holders after `task` took the lock exclusively. */
export function takeExclusive(h: LockHolders, task: string): LockHolders {
  return { owner: task, readers: h.readers, waiters: h.waiters };
}

/** The holders after `task` took the rwsem for read. */
export function takeShared(h: LockHolders, task: string): LockHolders {
  return { owner: h.owner, readers: [...h.readers, task], waiters: h.waiters };
}

/** The holders after `task` joined the tail of the wait list (`list_add_tail`). */
export function enqueue(h: LockHolders, task: string, mode: 'read' | 'write'): LockHolders {
  return { owner: h.owner, readers: h.readers, waiters: [...h.waiters, { task, mode }] };
}

/** The holders after the exclusive holder let go (whoever asked). */
export function dropExclusive(h: LockHolders): LockHolders {
  return { owner: null, readers: h.readers, waiters: h.waiters };
}

/**
 * The holders after one reader let go: `task`'s read hold, or — for an `up_read` by a task that
 * holds none, which the kernel still counts as a reader leaving — the latest reader's.
 */
export function dropShared(h: LockHolders, task: string): LockHolders {
  const at = h.readers.lastIndexOf(task);
  const i = at >= 0 ? at : h.readers.length - 1;
  return { owner: h.owner, readers: h.readers.filter((_, j) => j !== i), waiters: h.waiters };
}

/** The reader whose hold {@link dropShared} drops for `task`. */
export function sharedDroppedFor(h: LockHolders, task: string): string | undefined {
  return h.readers.includes(task) ? task : h.readers[h.readers.length - 1];
}

/**
 * The mutex unlock slow path's wake-up: the first waiter is handed the lock (`__mutex_unlock_slowpath`
 * wakes the head of `wait_list`; the model lets it take the lock at once).
 */
export function handOverMutex(h: LockHolders): { readonly next: LockHolders; readonly woke: readonly string[] } {
  const head = h.waiters[0];
  if (head === undefined) return { next: { owner: null, readers: h.readers, waiters: h.waiters }, woke: [] };
  return { next: { owner: head.task, readers: h.readers, waiters: h.waiters.slice(1) }, woke: [head.task] };
}

/**
 * How `rwsem_mark_wake` was asked to wake (kernel/locking/rwsem.c): `any` from `rwsem_wake` (an
 * unlock), `readOwned` from `rwsem_downgrade_wake` (the caller already holds it for read).
 */
export type RwsemWakeType = 'any' | 'readOwned';

/**
 * `rwsem_mark_wake`: a writer at the head is woken only for `any` (and then takes the lock); a
 * reader at the head grants every queued reader, in queue order, writers staying queued.
 */
export function rwsemMarkWake(h: LockHolders, type: RwsemWakeType): { readonly next: LockHolders; readonly woke: readonly string[] } {
  const head = h.waiters[0];
  if (head === undefined) return { next: h, woke: [] };
  if (head.mode === 'write') {
    if (type !== 'any') return { next: h, woke: [] };
    return { next: { owner: head.task, readers: h.readers, waiters: h.waiters.slice(1) }, woke: [head.task] };
  }
  const woke = h.waiters.filter((w) => w.mode === 'read').map((w) => w.task);
  return { next: { owner: h.owner, readers: [...h.readers, ...woke], waiters: h.waiters.filter((w) => w.mode === 'write') }, woke };
}

/** `__downgrade_write`: the writer becomes a reader (whoever asked). */
export function downgrade(h: LockHolders): LockHolders {
  return h.owner === null ? h : { owner: null, readers: [...h.readers, h.owner], waiters: h.waiters };
}
