import type { Invariant } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import { lockingOf } from './ops.js';

const STATES: { readonly [kind: string]: ReadonlySet<string> } = {
  mutex: new Set(['unlocked', 'locked', 'contended']),
  spinlock: new Set(['unlocked', 'locked']),
  rwsem: new Set(['unlocked', 'readLocked', 'writeLocked']),
};

/**
 * For every lock, its record is well formed: a state of its kind's machine that agrees with its
 * holders (free: no owner and no reader; a mutex or spinlock held by one owner; an rwsem held by
 * readers or by one writer, never both), and every waiter is a task asleep on that lock.
 *
 * Kernel: the owner field and count of mutex.c and rwsem.c admit exactly these combinations.
 * Broken by: no bundled model yet (the machines' path tests check each transition).
 */
export const lockRecordsAreWellFormed: Invariant = {
  name: 'lockRecordsAreWellFormed',
  statement: 'For every lock, the state is a machine state of its kind that agrees with its owner, readers and waiters, and every waiter sleeps on that lock.',
  holds: (w: World) => {
    const s = lockingOf(w);
    for (const [name, l] of s.locks.entries()) {
      if (!STATES[l.kind]?.has(l.state)) return false;
      if (l.owner !== null && l.readers.length > 0) return false;
      const held = l.owner !== null || l.readers.length > 0;
      if ((l.state === 'unlocked') === held) return false;
      if (l.state === 'readLocked' && l.readers.length === 0) return false;
      if ((l.state === 'writeLocked' || l.state === 'locked' || l.state === 'contended') && l.owner === null) return false;
      if (l.kind === 'mutex' && (l.state === 'contended') !== l.waiters.length > 0) return false;
      for (const wt of l.waiters) if (s.tasks.get(wt.task)?.waiting?.lock !== name) return false;
    }
    return true;
  },
};

/**
 * For every lock that nobody holds, nobody waits: a release always hands a contended lock on.
 *
 * Kernel: __mutex_unlock_slowpath wakes the first waiter and rwsem_wake runs rwsem_mark_wake
 * whenever RWSEM_FLAG_WAITERS is left alone in the count.
 * Broken by: no bundled model yet.
 */
export const freeLocksHaveNoWaiters: Invariant = {
  name: 'freeLocksHaveNoWaiters',
  statement: 'For every lock that is free, its wait list is empty.',
  holds: (w: World) => {
    for (const [, l] of lockingOf(w).locks.entries()) if (l.state === 'unlocked' && l.waiters.length > 0) return false;
    return true;
  },
};

/** The locking invariants, type invariant first. */
export const lockingInvariants: readonly Invariant[] = [lockRecordsAreWellFormed, freeLocksHaveNoWaiters];
