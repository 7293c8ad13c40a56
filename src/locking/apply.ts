import type { BranchTrace } from '../../machines/machineTable.js';
import { ok } from '../world/Outcome.js';
import type { ApplyResult } from '../world/Protocol.js';
import type { Violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import type { LockingEvent } from './events.js';
import { contextCall, lockCall, lockInit, lockKindOf, lockingOf, setDebugLocks } from './ops.js';

/**
 * Applies one decoded locking event. Pure.
 *
 * Models kernel/locking/mutex.c, rwsem.c, the spinlock API, the RCU read side, IRQ flags,
 * might_sleep, might_fault, kmalloc's might_alloc and the memalloc scopes (v6.17), with lockdep's
 * checks (kernel/locking/lockdep.c).
 *
 * @throws {Misuse} `UNKNOWN_OBJECT` for a lock never initialised.
 * @throws {DrmstateError} `MALFORMED_EVENT` for a call on a lock of another kind or by a task
 *   asleep on a lock.
 */
export function applyLocking(world: World, e: LockingEvent, trace?: BranchTrace): ApplyResult {
  switch (e.type) {
    case 'mutex_init':
    case 'spin_lock_init':
    case 'init_rwsem':
      return lockInit(world, lockKindOf(e.type) ?? 'mutex', e.lock, e.class, trace);
    case 'debug_locks_off':
      return { world: setDebugLocks(world, 'off'), outcome: ok() };
    case 'lockdep_prove_all':
      return { world: setDebugLocks(world, 'proveAll'), outcome: ok() };
    case 'rcu_read_lock':
    case 'rcu_read_unlock':
    case 'local_irq_disable':
    case 'local_irq_enable':
    case 'might_fault':
    case 'might_sleep':
    case 'memalloc_noreclaim_save':
    case 'memalloc_nofs_save':
    case 'memalloc_noio_save':
      return contextCall(world, { type: e.type, task: e.task }, trace);
    case 'memalloc_noreclaim_restore':
    case 'memalloc_nofs_restore':
    case 'memalloc_noio_restore':
      return contextCall(world, { type: e.type, task: e.task, flags: e.flags }, trace);
    case 'kmalloc':
      return contextCall(world, { type: e.type, task: e.task, gfp: e.gfp }, trace);
    default:
      return lockCall(world, e.type, e.lock as string, e.task as string, trace);
  }
}

/**
 * `task_exit` for locking: lockdep_sys_exit reports every lock still held (a spinlock, a mutex, an
 * RCU read section), then the task's context is cleared. Locks it holds stay held. Pure.
 *
 * Models lockdep_sys_exit() (kernel/locking/lockdep.c).
 */
export function lockingTaskExit(world: World, task: string, trace?: BranchTrace): { world: World; violations: readonly Violation[] } {
  if (lockingOf(world).tasks.get(task) === undefined) return { world, violations: [] };
  const r = contextCall(world, { type: 'task_exit', task }, trace);
  return { world: r.world, violations: r.outcome.violations };
}
