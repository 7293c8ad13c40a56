import { type Branch, type BranchTrace, branchViolations, compileMachine, decide } from '../../machines/machineTable.js';
import { FREE, type LockHolders, downgrade, dropExclusive, dropShared, enqueue, handOverMutex, rwsemMarkWake, sharedDroppedFor, takeExclusive, takeShared } from '../../machines/lockHolders.js';
import { mutexMachine } from '../../machines/mutex.machine.js';
import { rwSemaphoreMachine } from '../../machines/rwSemaphore.machine.js';
import { spinlockMachine } from '../../machines/spinlock.machine.js';
import { MEMALLOC_BIT, PF_MEMALLOC, PF_MEMALLOC_NOFS, PF_MEMALLOC_NOIO, isAtomicContext, taskContextMachine } from '../../machines/taskContext.machine.js';
import { DrmstateError } from '../errors.js';
import { unknownObject } from '../world/Misuse.js';
import type { Outcome, OutcomeValue } from '../world/Outcome.js';
import { ok } from '../world/Outcome.js';
import { type Violation, type ViolationKind, violation } from '../world/Violation.js';
import { type World, withSlice } from '../world/World.js';
import { DMA_FENCE_MAP, FS_RECLAIM, LockingStep, MMAP_LOCK_CLASS, MMU_NOTIFIER_MAP, RCU_LOCK_MAP } from './lockdep.js';
import { type HeldLock, LD_WAIT_CONFIG, LD_WAIT_SLEEP, type LockKind, type LockRecord, type LockTask, type LockingState, initialLockingState } from './state.js';

/** The compiled lock and context machines. */
export const MUTEX_TABLE = compileMachine(mutexMachine);
export const SPINLOCK_TABLE = compileMachine(spinlockMachine);
export const RWSEM_TABLE = compileMachine(rwSemaphoreMachine);
export const CONTEXT_TABLE = compileMachine(taskContextMachine);

const TABLES = { mutex: MUTEX_TABLE, spinlock: SPINLOCK_TABLE, rwsem: RWSEM_TABLE } as const;

/** What a locking call did: the new world and the outcome (`ok`/`blocked`/`queued`, `woke`, `locked`, `flags`). */
export interface LockingResult {
  readonly world: World;
  readonly outcome: Outcome;
}

/** What a lockdep annotation did: the new world and its findings. */
export interface AnnotationResult {
  readonly world: World;
  readonly violations: readonly Violation[];
}

/** The locking slice of a world (the empty one when the kernel was composed without it). */
export function lockingOf(world: World): LockingState {
  return (world as { locking?: LockingState }).locking ?? EMPTY;
}

const EMPTY = initialLockingState();

function withLocking(world: World, s: LockingState): World {
  return lockingOf(world) === s ? world : withSlice(world, 'locking', s);
}

/** The event types that take a lock, by the kind of lock they take. */
export const LOCK_CALLS = {
  mutex: ['mutex_init', 'mutex_lock', 'mutex_trylock', 'mutex_unlock'],
  spinlock: ['spin_lock_init', 'spin_lock', 'spin_lock_irqsave', 'spin_unlock', 'spin_unlock_irqrestore'],
  rwsem: ['init_rwsem', 'down_read', 'down_read_trylock', 'up_read', 'down_write', 'down_write_trylock', 'up_write', 'downgrade_write'],
} as const;

/** A call on a lock (not an init). */
export type LockCallType = Exclude<(typeof LOCK_CALLS)[LockKind][number], 'mutex_init' | 'spin_lock_init' | 'init_rwsem'>;

const KIND_OF = new Map<string, LockKind>();
for (const [kind, types] of Object.entries(LOCK_CALLS)) for (const t of types) KIND_OF.set(t, kind as LockKind);

const READ_CALLS = new Set(['down_read', 'down_read_trylock', 'up_read']);
const INIT_OF: { readonly [k in LockKind]: string } = { mutex: 'mutex_init', spinlock: 'spin_lock_init', rwsem: 'init_rwsem' };

/** The kind of lock a call takes, or undefined for a call that takes none. */
export function lockKindOf(type: string): LockKind | undefined {
  return KIND_OF.get(type);
}

function misuseAsleep(task: string, t: LockTask): DrmstateError {
  return new DrmstateError(
    'MALFORMED_EVENT',
    `task ${JSON.stringify(task)} is asleep, queued on ${JSON.stringify(t.waiting?.lock)}: it makes no call until the call that grants it lists it in "woke"`,
    { field: 'task' },
  );
}

/** The leaf of the task_context machine for a task's record. */
function contextState(t: LockTask): string {
  return isAtomicContext(t) ? 'atomic' : 'sleepable';
}

/** The context's answer to a sleep point: a might_sleep violation in atomic context. */
function sleepPoint(step: LockingStep, task: string, what: string, trace: BranchTrace | undefined): void {
  const t = step.task(task);
  const b = decide(CONTEXT_TABLE, contextState(t), 'might_sleep', t, { type: 'might_sleep' }, trace) as Branch;
  for (const v of branchViolations(b.meta)) if (v.kind === 'might_sleep') step.add(sleepViolation(task, t, what));
}

function sleepViolation(task: string, t: LockTask, what: string): Violation {
  const where = [t.preempt > 0 ? 'a spinlock held' : '', t.rcu > 0 ? 'inside an RCU read section' : '', t.irqsOff ? 'IRQs disabled' : ''].filter((x) => x !== '').join(', ');
  const inCallback = t.held.some((h) => h.class.startsWith('fence_lock:'));
  const rule = inCallback ? ' (rule C of cross-protocol.md: a fence callback runs atomic)' : t.rcu > 0 ? ' (rules B1/F1 of cross-protocol.md)' : ' (rule B1 of cross-protocol.md)';
  return violation(
    'might_sleep',
    `BUG: sleeping function called from invalid context: ${what} in task ${JSON.stringify(task)} (in_atomic(): ${t.preempt + t.rcu > 0 ? 1 : 0}, irqs_disabled(): ${t.irqsOff ? 1 : 0}; ${where})${rule}`,
    [task],
  );
}

/**
 * `lock` initialised (again) as a lock of `kind`, with lockdep class `cls` (default: its name).
 * A re-initialisation of a held lock is a `bug_on`, refused.
 *
 * Models mutex_init(), spin_lock_init(), init_rwsem().
 */
export function lockInit(world: World, kind: LockKind, lock: string, cls: string | undefined, trace?: BranchTrace): LockingResult {
  const s = lockingOf(world);
  const rec = s.locks.get(lock);
  const type = INIT_OF[kind];
  const b = decide(TABLES[kind], rec?.kind === kind ? rec.state : TABLES[kind].initial, type, rec ?? FREE, { type }, trace) as Branch;
  if (b.meta.refused) {
    const vs = branchViolations(b.meta).map((v) =>
      violation(v.kind as ViolationKind, `${type}(${lock}): ${lock} is held by ${rec?.owner ?? rec?.readers.join(', ') ?? '?'}; re-initialising a live lock corrupts it (refused)`, [lock]),
    );
    return { world, outcome: { ok: false, violations: vs } };
  }
  const next: LockRecord = Object.freeze({ kind, class: cls ?? lock, state: b.target, owner: null, readers: [], waiters: [], irqSaved: null });
  return { world: withLocking(world, { ...s, locks: s.locks.set(lock, next) }), outcome: ok() };
}

/**
 * One call on an initialised lock by `task`: the lock's machine picks the branch; this performs
 * the effects it names (the context's sleep check, lockdep's annotations, the hand-over).
 *
 * @throws {Misuse} `UNKNOWN_OBJECT` for a lock never initialised.
 * @throws {DrmstateError} `MALFORMED_EVENT` for a call of another kind of lock, or by a task asleep
 *   on a lock.
 */
export function lockCall(world: World, type: LockCallType, lock: string, task: string, trace?: BranchTrace): LockingResult {
  const s0 = lockingOf(world);
  const kind = KIND_OF.get(type) as LockKind;
  const rec = s0.locks.get(lock);
  if (rec === undefined) throw unknownObject(`no lock named ${JSON.stringify(lock)} was ever initialised (${INIT_OF[kind]} first)`, 'lock', lock);
  if (rec.kind !== kind) throw new DrmstateError('MALFORMED_EVENT', `${type}: ${JSON.stringify(lock)} is a ${rec.kind}, not a ${kind}`, { field: 'lock' });
  const t0 = s0.tasks.get(task);
  if (t0?.waiting) throw misuseAsleep(task, t0);
  const what = `${type}(${lock})`;
  const b = decide(TABLES[kind], rec.state, type, rec, { type, task }, trace) as Branch;
  const step = LockingStep.of(s0, `${task}: ${what}`);
  if (b.meta.refused) {
    for (const v of branchViolations(b.meta)) {
      const msg = `${what} by task ${JSON.stringify(task)}: ${b.description}`;
      if (v.kind === 'lockdep') step.report(`bad unlock balance detected!: ${msg}`, [lock]);
      else if (v.check === 'wrongMode') step.warnDebugRwsems(`DEBUG_RWSEMS_WARN_ON: ${msg}`, [lock]);
      else step.add(violation(v.kind as ViolationKind, msg, [lock]));
    }
    return { world: withLocking(world, step.s), outcome: { ok: false, violations: step.violations } };
  }
  const read = READ_CALLS.has(type);
  const queued = b.meta.returns?.queued === true;
  const spinOnly = b.meta.blocked === true && !queued;
  const wait = kind === 'spinlock' ? LD_WAIT_CONFIG : LD_WAIT_SLEEP;
  const hold = (trylock: boolean): HeldLock => Object.freeze({ lock, class: rec.class, read: read ? 1 : 0, trylock, check: true, wait });
  let h: LockHolders = rec;
  let irqSaved = rec.irqSaved;
  let woke: readonly string[] = [];
  // The holder whose hold a foreign release drops (for the twin's own stack).
  const foreign = type === 'up_read' ? sharedDroppedFor(rec, task) : rec.owner ?? undefined;
  for (const effect of b.meta.effects ?? []) {
    switch (effect) {
      case 'mightSleep':
        sleepPoint(step, task, what, trace);
        break;
      case 'lockdepAcquire':
        step.acquire(task, hold(false), !spinOnly);
        break;
      case 'lockdepTryAcquire':
        step.acquire(task, hold(true));
        break;
      case 'lockdepRelease':
        step.release(task, lock, foreign);
        break;
      case 'lockdepDowngrade':
        step.downgrade(task, lock, rec.owner ?? undefined);
        break;
      case 'takeExclusive':
        h = takeExclusive(h, task);
        break;
      case 'takeShared':
        h = takeShared(h, task);
        break;
      case 'enqueue':
        h = enqueue(h, task, read ? 'read' : 'write');
        step.setTask(task, { ...step.task(task), waiting: { lock, mode: read ? 'read' : 'write' } });
        break;
      case 'dropExclusive':
        h = dropExclusive(h);
        break;
      case 'dropShared':
        h = dropShared(h, task);
        break;
      case 'downgrade':
        h = downgrade(h);
        break;
      case 'handOverMutex': {
        const r = handOverMutex(h);
        h = r.next;
        woke = r.woke;
        break;
      }
      case 'markWakeAny':
      case 'markWakeReadOwned': {
        const r = rwsemMarkWake(h, effect === 'markWakeAny' ? 'any' : 'readOwned');
        h = r.next;
        woke = r.woke;
        break;
      }
      case 'debugRwsemsWarn':
        step.warnDebugRwsems(`DEBUG_RWSEMS_WARN_ON(rwsem_owner(sem) != current): ${what} by task ${JSON.stringify(task)}, which is not the writer`, [lock]);
        break;
      case 'preemptDisable': {
        const t = step.task(task);
        step.setTask(task, { ...t, preempt: t.preempt + 1 });
        break;
      }
      case 'preemptEnable': {
        // ABSTRACTION: an unlock by a task whose count is 0 would underflow it (a DEBUG_PREEMPT
        // WARN, silent once lockdep has reported the unlock): the count stays at 0.
        const t = step.task(task);
        step.setTask(task, { ...t, preempt: Math.max(0, t.preempt - 1) });
        break;
      }
      case 'irqSave': {
        const t = step.task(task);
        irqSaved = t.irqsOff;
        step.setTask(task, { ...t, irqsOff: true });
        break;
      }
      case 'irqRestore': {
        const t = step.task(task);
        // ABSTRACTION: the flags word is the one the irqsave of this hold saved (or the caller's
        // own state when the lock was not taken with irqsave).
        step.setTask(task, { ...t, irqsOff: irqSaved ?? t.irqsOff });
        irqSaved = null;
        break;
      }
      default:
        break;
    }
  }
  for (const w of woke) {
    const t = step.task(w);
    step.setTask(w, { ...t, waiting: null });
  }
  const next: LockRecord = Object.freeze({ kind, class: rec.class, state: b.target, owner: h.owner, readers: h.readers, waiters: h.waiters, irqSaved });
  const s = step.s;
  const world2 = withLocking(world, { ...s, locks: s.locks.set(lock, next) });
  const vs = step.violations;
  if (b.meta.blocked) return { world: world2, outcome: queued ? { ok: false, blocked: true, queued: true, violations: vs } : { ok: false, blocked: true, violations: vs } };
  const values: { [k: string]: OutcomeValue } = {};
  if (b.meta.returns?.locked !== undefined) values.locked = b.meta.returns.locked;
  if (woke.length > 0) values.woke = [...woke];
  return { world: world2, outcome: ok(values, vs) };
}

/** `mutex_init(lock)`, class `cls` (default: the lock's name). */
export const mutexInit = (world: World, lock: string, cls?: string, trace?: BranchTrace): LockingResult => lockInit(world, 'mutex', lock, cls, trace);
/** `mutex_lock(lock)` by `task`. */
export const mutexLock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'mutex_lock', lock, task, trace);
/** `mutex_trylock(lock)` by `task`: `{ ok: true, locked }`. */
export const mutexTrylock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'mutex_trylock', lock, task, trace);
/** `mutex_unlock(lock)` by `task`. */
export const mutexUnlock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'mutex_unlock', lock, task, trace);
/** `init_rwsem(lock)`, class `cls` (default: the lock's name; `mmap_lock` for an mm's). */
export const initRwsem = (world: World, lock: string, cls?: string, trace?: BranchTrace): LockingResult => lockInit(world, 'rwsem', lock, cls, trace);
/** `down_read(lock)` by `task`. */
export const downRead = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'down_read', lock, task, trace);
/** `down_read_trylock(lock)` by `task`: `{ ok: true, locked }`. */
export const downReadTrylock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'down_read_trylock', lock, task, trace);
/** `up_read(lock)` by `task`. */
export const upRead = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'up_read', lock, task, trace);
/** `down_write(lock)` by `task`. */
export const downWrite = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'down_write', lock, task, trace);
/** `down_write_trylock(lock)` by `task`: `{ ok: true, locked }`. */
export const downWriteTrylock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'down_write_trylock', lock, task, trace);
/** `up_write(lock)` by `task`. */
export const upWrite = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'up_write', lock, task, trace);
/** `downgrade_write(lock)` by `task`. */
export const downgradeWrite = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'downgrade_write', lock, task, trace);
/** `spin_lock_init(lock)`, class `cls`. */
export const spinLockInit = (world: World, lock: string, cls?: string, trace?: BranchTrace): LockingResult => lockInit(world, 'spinlock', lock, cls, trace);
/** `spin_lock(lock)` by `task`. */
export const spinLock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'spin_lock', lock, task, trace);
/** `spin_unlock(lock)` by `task`. */
export const spinUnlock = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'spin_unlock', lock, task, trace);
/** `spin_lock_irqsave(lock, flags)` by `task`. */
export const spinLockIrqsave = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'spin_lock_irqsave', lock, task, trace);
/** `spin_unlock_irqrestore(lock, flags)` by `task`. */
export const spinUnlockIrqrestore = (world: World, lock: string, task: string, trace?: BranchTrace): LockingResult => lockCall(world, 'spin_unlock_irqrestore', lock, task, trace);

/** The GFP bits the model reads (include/linux/gfp_types.h), as bit flags of its own. */
const GFP = { DIRECT_RECLAIM: 1, KSWAPD_RECLAIM: 2, IO: 4, FS: 8, HIGH: 16, HARDWALL: 32, HIGHMEM: 64, MOVABLE: 128, ACCOUNT: 256, NOWARN: 512 } as const;
const RECLAIM = GFP.DIRECT_RECLAIM | GFP.KSWAPD_RECLAIM;

/** The GFP masks `kmalloc` takes, as gfp_types.h composes them. */
export const GFP_MASKS: { readonly [name: string]: number } = {
  GFP_ATOMIC: GFP.HIGH | GFP.KSWAPD_RECLAIM,
  GFP_KERNEL: RECLAIM | GFP.IO | GFP.FS,
  GFP_KERNEL_ACCOUNT: RECLAIM | GFP.IO | GFP.FS | GFP.ACCOUNT,
  GFP_NOWAIT: GFP.KSWAPD_RECLAIM | GFP.NOWARN,
  GFP_NOIO: RECLAIM,
  GFP_NOFS: RECLAIM | GFP.IO,
  GFP_USER: RECLAIM | GFP.IO | GFP.FS | GFP.HARDWALL,
  GFP_HIGHUSER: RECLAIM | GFP.IO | GFP.FS | GFP.HARDWALL | GFP.HIGHMEM,
  GFP_HIGHUSER_MOVABLE: RECLAIM | GFP.IO | GFP.FS | GFP.HARDWALL | GFP.HIGHMEM | GFP.MOVABLE,
};

/** `current_gfp_context`: NOIO scopes drop __GFP_IO and __GFP_FS, NOFS scopes __GFP_FS. */
function currentGfpContext(gfp: number, pflags: number): number {
  if (pflags & PF_MEMALLOC_NOIO) return gfp & ~(GFP.IO | GFP.FS);
  if (pflags & PF_MEMALLOC_NOFS) return gfp & ~GFP.FS;
  return gfp;
}

/** An exclusive acquisition of a pseudo-lock map (`lock_map_acquire`). */
function mapHold(map: string, read: 0 | 1 | 2 = 0, trylock = false): HeldLock {
  return Object.freeze({ lock: map, class: map, read, trylock, check: true, wait: 0 });
}

/** A call on the task's own context: the task_context machine picks the branch, this performs its effects. */
export function contextCall(
  world: World,
  event: { readonly type: string; readonly task: string; readonly gfp?: string; readonly flags?: number },
  trace?: BranchTrace,
): LockingResult {
  const s0 = lockingOf(world);
  const task = event.task;
  const t0 = s0.tasks.get(task);
  if (t0?.waiting) throw misuseAsleep(task, t0);
  const t = t0 ?? { held: [], preempt: 0, rcu: 0, irqsOff: false, pflags: 0, waiting: null };
  const what = event.type === 'kmalloc' ? `kmalloc(${event.gfp})` : `${event.type}()`;
  const gfp = event.gfp === undefined ? 0 : (GFP_MASKS[event.gfp] as number);
  const mevent = { type: event.type, blocking: (gfp & GFP.DIRECT_RECLAIM) !== 0, flags: event.flags ?? 0 };
  const b = decide(CONTEXT_TABLE, contextState(t), event.type, t, mevent, trace) as Branch;
  const step = LockingStep.of(s0, `${task}: ${what}`);
  if (b.meta.refused) {
    step.report(`bad unlock balance detected!: task ${JSON.stringify(task)} calls ${what} with no RCU read section open (refused: the count would go negative)`, [RCU_LOCK_MAP]);
    return { world: withLocking(world, step.s), outcome: { ok: false, violations: step.violations } };
  }
  // The machine's sleep check comes first where the kernel makes it first (__might_fault); a
  // kmalloc makes its reclaim annotations before might_sleep_if.
  const sleeps = branchViolations(b.meta).some((v) => v.kind === 'might_sleep');
  if (sleeps && event.type !== 'kmalloc') step.add(sleepViolation(task, t, what));
  const values: { [k: string]: OutcomeValue } = {};
  for (const effect of b.meta.effects ?? []) {
    switch (effect) {
      case 'rcuLockAcquire':
        step.acquire(task, Object.freeze({ lock: RCU_LOCK_MAP, class: RCU_LOCK_MAP, read: 2, trylock: false, check: false, wait: LD_WAIT_CONFIG }));
        break;
      case 'rcuLockRelease':
        step.release(task, RCU_LOCK_MAP);
        break;
      case 'mightLockReadMmap':
        // KERNEL: might_lock_read(&current->mm->mmap_lock): an acquisition and release at once.
        step.acquire(task, Object.freeze({ lock: MMAP_LOCK_CLASS, class: MMAP_LOCK_CLASS, read: 1, trylock: false, check: true, wait: LD_WAIT_SLEEP }), false);
        break;
      case 'mightAlloc': {
        // KERNEL: fs_reclaim_acquire: the effective mask after current_gfp_context; __need_reclaim
        // wants __GFP_DIRECT_RECLAIM and no PF_MEMALLOC.
        const eff = currentGfpContext(gfp, t.pflags);
        if ((eff & GFP.DIRECT_RECLAIM) !== 0 && (t.pflags & PF_MEMALLOC) === 0) {
          const fs = (eff & GFP.FS) !== 0;
          if (fs) step.acquire(task, mapHold(FS_RECLAIM));
          step.acquire(task, mapHold(MMU_NOTIFIER_MAP), false);
          if (fs && step.isHeld(task, FS_RECLAIM) && step.on) step.release(task, FS_RECLAIM);
        }
        if (sleeps) step.add(sleepViolation(task, t, what));
        break;
      }
      case 'memallocSave': {
        const bit = MEMALLOC_BIT[event.type] as number;
        values.flags = ~step.task(task).pflags & bit;
        const c = step.task(task);
        step.setTask(task, { ...c, pflags: c.pflags | bit });
        break;
      }
      case 'memallocRestore': {
        const c = step.task(task);
        step.setTask(task, { ...c, pflags: c.pflags & ~(event.flags ?? 0) });
        break;
      }
      case 'warnIrqsOffAtExit':
        // KERNEL: WARN(irqs_disabled(), "syscall %lu left IRQs disabled"), whether or not lockdep is on.
        step.add(violation('warn_on', `WARNING: syscall left IRQs disabled: task ${JSON.stringify(task)} returns to user space with IRQs off (local_irq_enable follows)`, [task]));
        break;
      case 'lockdepSysExit':
        step.sysExit(task);
        break;
      default:
        break;
    }
  }
  // The counters and the IRQ flag follow the machine's actions.
  const c = step.task(task);
  const ctx: LockTask =
    event.type === 'rcu_read_lock'
      ? { ...c, rcu: c.rcu + 1 }
      : event.type === 'rcu_read_unlock'
        ? { ...c, rcu: c.rcu - 1 }
        : event.type === 'local_irq_disable'
          ? { ...c, irqsOff: true }
          : event.type === 'local_irq_enable'
            ? { ...c, irqsOff: false }
            : event.type === 'task_exit'
              ? { held: [], preempt: 0, rcu: 0, irqsOff: false, pflags: 0, waiting: null }
              : c;
  step.setTask(task, ctx);
  return { world: withLocking(world, step.s), outcome: ok(values, step.violations) };
}

/** Whether `in_atomic()` holds for `task`: its preempt count (spinlocks, and RCU read sections in this config). */
export function inAtomic(world: World, task: string): boolean {
  const t = lockingOf(world).tasks.get(task);
  return t !== undefined && t.preempt + t.rcu > 0;
}

/** Whether lockdep still tracks (`debug_locks`): false after the first report unless `--lockdep-all`. */
export function lockdepEnabled(world: World): boolean {
  return lockingOf(world).debugLocks;
}

/**
 * `lock_acquire` of a pseudo-lock map (no lock behind it) by `task`: lockdep's checks and edges.
 * `ext` marks a hold the calling protocol also records itself (left out of this slice's hash).
 */
export function mapAcquire(
  world: World,
  task: string,
  map: string,
  how: { read?: boolean | 'recursive'; trylock?: boolean; ext?: boolean; noEdgesInto?: boolean; what: string },
): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: ${how.what}`);
  // `read: 'recursive'` is lock_map_acquire_read (read 2: the same task may nest it).
  const h0 = mapHold(map, how.read === 'recursive' ? 2 : how.read ? 1 : 0, how.trylock === true);
  const h = how.ext ? Object.freeze({ ...h0, ext: true as const }) : h0;
  // `noEdgesInto`: the acquisition is checked as a trylock (no edge from the held locks into the
  // map, no cycle search), but kept as the hold it is, so later acquisitions stop their walk at it.
  if (how.noEdgesInto === true) step.acquire(task, Object.freeze({ ...h, trylock: true }), true, h);
  else step.acquire(task, h);
  return { world: withLocking(world, step.s), violations: step.violations };
}

/**
 * `lock_release` of a pseudo-lock map by `task` (bad unlock balance when not held). `ifHeld`: the
 * caller's own record says it holds the map, so a twin that does not know the hold (a world read
 * from a version-1 snapshot) releases nothing and reports nothing.
 */
export function mapRelease(world: World, task: string, map: string, what: string, ifHeld = false): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: ${what}`);
  if (ifHeld && !step.isHeld(task, map)) return { world, violations: [] };
  step.release(task, map);
  return { world: withLocking(world, step.s), violations: step.violations };
}

/**
 * `lock_map_sync()` of a pseudo-lock map by `task` (include/linux/lockdep.h, as synchronize_srcu's
 * srcu_lock_sync annotates it): an exclusive acquisition checked against the held locks (their
 * edges into the map, and any cycle through the map's readers), not kept.
 */
export function mapSync(world: World, task: string, map: string, what: string): AnnotationResult {
  return touch(world, task, mapHold(map), what);
}

/** An acquisition of `hold` checked against `task`'s held locks (edges, cycles), not kept. */
function touch(world: World, task: string, hold: HeldLock, what: string): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: ${what}`);
  if (!step.on) return { world, violations: [] };
  step.acquire(task, hold, false);
  return { world: withLocking(world, step.s), violations: step.violations };
}

/** The lockdep hold of a fence's `fence->lock` (a spinlock of class `cls`). */
function fenceLockHold(cls: string): HeldLock {
  return Object.freeze({ lock: cls, class: cls, read: 0, trylock: false, check: true, wait: LD_WAIT_CONFIG });
}

/** `might_sleep()` in `task` for the call `what`: a might_sleep violation in atomic context. */
export function mightSleep(world: World, task: string, what: string, trace?: BranchTrace): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: ${what}`);
  sleepPoint(step, task, what, trace);
  return { world, violations: step.violations };
}

/**
 * `__dma_fence_might_wait()` in `task` (drivers/dma-buf/dma-fence.c): a read hold of
 * `dma_fence_map` is dropped, the map is acquired exclusively and released (edges from the held
 * locks to `dma_fence_map`), and the read hold is taken back as a trylock.
 */
export function mightWait(world: World, task: string, what: string): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: ${what}`);
  if (!step.on) return { world, violations: [] };
  const t = step.task(task);
  const readHold = t.held.find((h) => h.lock === DMA_FENCE_MAP && h.read !== 0);
  if (readHold !== undefined) step.release(task, DMA_FENCE_MAP);
  step.acquire(task, mapHold(DMA_FENCE_MAP), false);
  if (readHold !== undefined && step.on) step.acquire(task, readHold);
  return { world: withLocking(world, step.s), violations: step.violations };
}

/**
 * Records a lockdep report another protocol's machine decided (dma_fence's unbalanced end, a
 * section open at task_exit): unless `--lockdep-all` is on, lockdep is turned off. Nothing is
 * recorded when lockdep is already off.
 */
export function lockdepReport(world: World, message: string, objects: readonly string[]): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), message);
  step.report(message, objects);
  return { world: withLocking(world, step.s), violations: step.violations };
}

/** `debug_locks_off()` (lib/debug_locks.c), or the `--lockdep-all` override that keeps lockdep on after reports. */
export function setDebugLocks(world: World, change: 'off' | 'proveAll'): World {
  const s = lockingOf(world);
  return withLocking(world, change === 'off' ? { ...s, debugLocks: false } : { ...s, proveAll: true });
}

/** The lockdep class of a fence's `fence->lock` in the model: one spinlock per fence context. */
export function fenceLockClass(context: string): string {
  return `fence_lock:${context}`;
}

/** Whether `task` holds `map` in lockdep's stack (with lockdep off: true, as lock_is_held answers). */
export function holdsMap(world: World, task: string, map: string): boolean {
  return LockingStep.of(lockingOf(world), '').isHeld(task, map);
}

/**
 * Enters a fence callback's context in `task`: `spin_lock_irqsave(fence->lock)` as
 * dma_fence_signal takes it — IRQs off, the preempt count raised, the lock's class held.
 * {@link callbackExit} undoes it. Returns the IRQ state to restore.
 */
export function callbackEnter(world: World, task: string, cls: string): AnnotationResult & { readonly irqsWereOff: boolean } {
  const step = LockingStep.of(lockingOf(world), `${task}: spin_lock_irqsave(${cls})`);
  const t = step.task(task);
  step.setTask(task, { ...t, irqsOff: true, preempt: t.preempt + 1 });
  step.acquire(task, fenceLockHold(cls));
  return { world: withLocking(world, step.s), violations: step.violations, irqsWereOff: t.irqsOff };
}

/** Leaves a fence callback's context (`spin_unlock_irqrestore(fence->lock)`). */
export function callbackExit(world: World, task: string, cls: string, irqsWereOff: boolean): AnnotationResult {
  const step = LockingStep.of(lockingOf(world), `${task}: spin_unlock_irqrestore(${cls})`);
  if (step.isHeld(task, cls) && step.on) step.release(task, cls);
  const t = step.task(task);
  step.setTask(task, { ...t, irqsOff: irqsWereOff, preempt: Math.max(0, t.preempt - 1) });
  return { world: withLocking(world, step.s), violations: step.violations };
}

/**
 * An acquisition and release of a fence's lock class by a call made inside a callback body (the
 * call takes `fence->lock`): the same class already held is lockdep's recursive locking (rule C).
 */
export function fenceLockTouch(world: World, task: string, cls: string, what: string): AnnotationResult {
  return touch(world, task, fenceLockHold(cls), what);
}
