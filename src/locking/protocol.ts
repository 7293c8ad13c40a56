import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { decodeFields } from '../world/fields.js';
import { ZERO_HASH } from '../world/hash.js';
import type { Protocol } from '../world/Protocol.js';
import { mutexMachine } from '../../machines/mutex.machine.js';
import { rwSemaphoreMachine } from '../../machines/rwSemaphore.machine.js';
import { spinlockMachine } from '../../machines/spinlock.machine.js';
import { taskContextMachine } from '../../machines/taskContext.machine.js';
import { applyLocking, lockingTaskExit } from './apply.js';
import { LOCKING_EVENTS, type LockingEvent } from './events.js';
import { lockingInvariants } from './invariants.js';
import { type LockRecord, type LockTask, type LockingState, encodeLockTask, hashLockingState, initialLockingState, lockingMaps } from './state.js';
import type { EdgeRecord } from './state.js';

const DEFS = new Map<string, (typeof LOCKING_EVENTS)[keyof typeof LOCKING_EVENTS]>(
  Object.entries(LOCKING_EVENTS) as [string, (typeof LOCKING_EVENTS)[keyof typeof LOCKING_EVENTS]][],
);

function bad(msg: string): DrmstateError {
  return new DrmstateError('BAD_SNAPSHOT', `locking slice: ${msg}`);
}

const EMPTY_HASH = hashLockingState(initialLockingState());

/**
 * The locking protocol: mutexes, spinlocks, rwsems, the per-task context (RCU, IRQs, memalloc
 * scopes, sleep points, allocations) and the lockdep twin that checks them.
 * Models kernel/locking/ (v6.17) with CONFIG_PROVE_LOCKING; see docs/locking.md.
 */
export const lockingProtocol: Protocol<'locking', LockingEvent> = {
  key: 'locking',
  events: LOCKING_EVENTS,
  initial: initialLockingState,
  decode(event: Event): LockingEvent {
    const def = DEFS.get(event.type);
    if (def === undefined) throw new DrmstateError('MALFORMED_EVENT', `not a locking event: ${event.type}`, { field: 'type' });
    return decodeFields<LockingEvent>(event, def.fields);
  },
  apply: applyLocking,
  hash: hashLockingState,
  // Version 1 logs predate this protocol: the slice contributes nothing to their fingerprints.
  v1Hash: () => EMPTY_HASH,
  toSnapshot(s: LockingState): unknown {
    return {
      locks: s.locks.sortedEntries(),
      tasks: s.tasks.sortedEntries(),
      edges: s.edges.sortedEntries().map(([, e]) => e),
      debugLocks: s.debugLocks,
      proveAll: s.proveAll,
    };
  },
  fromSnapshot(data: unknown): LockingState {
    const d = data as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null) throw bad('expected an object');
    for (const k of ['locks', 'tasks', 'edges']) if (d[k] !== undefined && !Array.isArray(d[k])) throw bad(`"${k}" must be a list`);
    let locks = lockingMaps.locks();
    for (const [k, v] of (d.locks as [string, LockRecord][] | undefined) ?? []) locks = locks.set(k, Object.freeze(v));
    let tasks = lockingMaps.tasks();
    let taskKeys = lockingMaps.taskKeys();
    for (const [k, v] of (d.tasks as [string, LockTask][] | undefined) ?? []) {
      tasks = tasks.set(k, Object.freeze(v));
      const key = encodeLockTask(v);
      if (key !== '') taskKeys = taskKeys.set(k, key);
    }
    let edges = lockingMaps.edges();
    for (const e of (d.edges as EdgeRecord[] | undefined) ?? []) edges = edges.set(`${e.from}\u0000${e.to}`, Object.freeze(e));
    return Object.freeze({ locks, tasks, taskKeys, edges, debugLocks: d.debugLocks !== false, proveAll: d.proveAll === true });
  },
  view(world) {
    const s = (world as { locking?: LockingState }).locking ?? initialLockingState();
    return {
      locks: Object.fromEntries(s.locks.sortedEntries()),
      tasks: Object.fromEntries(s.tasks.sortedEntries()),
      edges: s.edges.sortedEntries().map(([, e]) => `${e.from} → ${e.to}`),
      debugLocks: s.debugLocks,
    };
  },
  footprint(event: Event): readonly string[] | null {
    // Every acquisition and release reads and may extend the one dependency graph, and lockdep's
    // first report turns it off for everyone.
    const lock = event.lock;
    return typeof lock === 'string' ? [`lock:${lock}`, 'lockdep'] : ['lockdep'];
  },
  invariants: lockingInvariants,
  machines: [mutexMachine, spinlockMachine, rwSemaphoreMachine, taskContextMachine],
  docs: 'docs/locking.md',
  fixtures: 'locking',
  tasks: { table: (s) => s.taskKeys, v1Hash: () => ZERO_HASH, exit: lockingTaskExit },
};


/** The locking slice's type (re-exported so that declarations carry its WorldSlices entry). */
export type { LockingState } from './state.js';
