import type { LockHolders, LockWaiter } from '../../machines/lockHolders.js';
import { type Hash64, StreamHash } from '../world/hash.js';
import { HashedMap } from '../world/HashedMap.js';

/** The kinds of lock the protocol models (the machine each is decided by). */
export type LockKind = 'mutex' | 'spinlock' | 'rwsem';

/** One lock the caller initialised: its class, its machine state, its holders and waiters. */
export interface LockRecord extends LockHolders {
  readonly kind: LockKind;
  /** The lockdep class (`lock_class_key`): the lock's name unless `class` was given at init. */
  readonly class: string;
  /** The leaf state of the lock's machine (`unlocked`, `locked`, `contended`, `readLocked`, `writeLocked`). */
  readonly state: string;
  /** For a spinlock taken with `spin_lock_irqsave`: whether IRQs were off before (the `flags` word). */
  readonly irqSaved: boolean | null;
}

/**
 * lockdep's wait types (include/linux/lockdep_types.h) without CONFIG_PROVE_RAW_LOCK_NESTING, where
 * LD_WAIT_CONFIG equals LD_WAIT_SPIN.
 */
export const LD_WAIT_INV = 0;
export const LD_WAIT_FREE = 1;
export const LD_WAIT_SPIN = 2;
export const LD_WAIT_CONFIG = LD_WAIT_SPIN;
export const LD_WAIT_SLEEP = 3;
export const LD_WAIT_MAX = 4;

/** One entry of lockdep's `held_locks` stack (`struct held_lock`). */
export interface HeldLock {
  /** The lock instance (a lock's name, or a pseudo-lock map's name). */
  readonly lock: string;
  readonly class: string;
  /** 0 exclusive, 1 shared (non-recursive read), 2 recursive read. */
  readonly read: 0 | 1 | 2;
  readonly trylock: boolean;
  /** Whether lockdep checks dependencies through it (`check`; 0 for the RCU map). */
  readonly check: boolean;
  /** The class's wait_type_inner (0: not checked). */
  readonly wait: number;
  /**
   * Set for a hold another protocol also keeps in its own slice (dma_fence_map of a signalling
   * section): left out of this slice's hash, so worlds that only use that protocol keep their
   * fingerprints.
   */
  readonly ext?: true;
}

/** One task's part in locking: lockdep's held locks and the execution context. */
export interface LockTask {
  readonly held: readonly HeldLock[];
  /** Preempt count raised by spinlocks held. */
  readonly preempt: number;
  /** RCU read-side nesting. */
  readonly rcu: number;
  readonly irqsOff: boolean;
  /** PF_MEMALLOC* bits of `current->flags`. */
  readonly pflags: number;
  /** The lock the task sleeps on (queued), and for what. */
  readonly waiting: { readonly lock: string; readonly mode: LockWaiter['mode'] } | null;
}

/** A task that holds nothing, may sleep and has no allocation scope. */
export const IDLE_LOCK_TASK: LockTask = Object.freeze({ held: Object.freeze([]) as readonly HeldLock[], preempt: 0, rcu: 0, irqsOff: false, pflags: 0, waiting: null });

/** One dependency lockdep recorded at run time: `from` was held when `to` was acquired. */
export interface EdgeRecord {
  readonly from: string;
  readonly to: string;
  /** The call that first made it (`t1: mutex_lock(L)`). */
  readonly by: string;
}

/** The locking part of the world. */
export interface LockingState {
  readonly locks: HashedMap<LockRecord>;
  /** Each task's part (tasks with nothing outstanding are not stored). */
  readonly tasks: HashedMap<LockTask>;
  /**
   * The hashed view of {@link LockingState.tasks}: each task's encoding without the holds marked
   * `ext`, only for tasks whose encoding is not idle. Its hash is the protocol's task table hash.
   */
  readonly taskKeys: HashedMap<string>;
  /** The dependency graph recorded at run time (the boot-primed chain is a constant beside it). */
  readonly edges: HashedMap<EdgeRecord>;
  /** `debug_locks`: lockdep is on until its first report. */
  readonly debugLocks: boolean;
  /** The `--lockdep-all` override: reports do not turn lockdep off. */
  readonly proveAll: boolean;
}

declare module '../world/World.js' {
  interface WorldSlices {
    locking: LockingState;
  }
}

const SEP = 124;

function feedLock(l: LockRecord, h: StreamHash): void {
  h.str(l.kind).char(SEP).str(l.class).char(SEP).str(l.state).char(SEP).str(l.owner ?? '-').char(SEP);
  for (const r of l.readers) h.str(r).char(1);
  h.char(SEP);
  for (const w of l.waiters) h.str(w.mode).char(2).str(w.task).char(1);
  h.char(SEP).str(l.irqSaved === null ? '-' : l.irqSaved ? '1' : '0');
}

/** The canonical encoding of a task's hashed part: '' when idle (the task is then not stored). */
export function encodeLockTask(t: LockTask): string {
  const held = t.held.filter((h) => h.ext !== true);
  if (held.length === 0 && t.preempt === 0 && t.rcu === 0 && !t.irqsOff && t.pflags === 0 && t.waiting === null) return '';
  const hs = held.map((h) => `${h.lock}\u0002${h.class}\u0002${h.read}${h.trylock ? 't' : '-'}${h.check ? 'c' : '-'}${h.wait}`).join('\u0001');
  return `${hs}|${t.preempt}|${t.rcu}|${t.irqsOff ? 1 : 0}|${t.pflags}|${t.waiting === null ? '-' : `${t.waiting.mode}\u0002${t.waiting.lock}`}`;
}

/** Whether a task record is idle as a whole (nothing held at all, not even an `ext` hold). */
export function isIdleLockTask(t: LockTask): boolean {
  return t.held.length === 0 && encodeLockTask(t) === '';
}

/** Empty maps of each kind. */
export const lockingMaps = {
  locks: (): HashedMap<LockRecord> => HashedMap.empty('locking.lock', { feed: feedLock }),
  tasks: (): HashedMap<LockTask> => HashedMap.empty('locking.task', encodeLockTask),
  taskKeys: (): HashedMap<string> => HashedMap.empty('task', (s: string) => `locking\u0003${s}`),
  edges: (): HashedMap<EdgeRecord> => HashedMap.empty('locking.edge', (e: EdgeRecord) => `${e.from}|${e.to}|${e.by}`),
};

/** The locking slice of an empty world: lockdep on, no lock, no edge beyond the primed chain. */
export function initialLockingState(): LockingState {
  return Object.freeze({
    locks: lockingMaps.locks(),
    tasks: lockingMaps.tasks(),
    taskKeys: lockingMaps.taskKeys(),
    edges: lockingMaps.edges(),
    debugLocks: true,
    proveAll: false,
  });
}

/** The hash of the two flags as the string `debugLocks proveAll` of 0/1 digits, indexed by debugLocks·2 + proveAll. */
const FLAG_HASHES: readonly Hash64[] = ['00', '01', '10', '11'].map((bits) =>
  Object.freeze(new StreamHash().reset({ h1: 0xdeadbeef ^ 0x10c, h2: 0x41c6ce57 ^ 0x10c }).char(bits.charCodeAt(0)).char(bits.charCodeAt(1)).digest()),
);

/** The slice's hash, its task table left out (the kernel hashes that apart). */
export function hashLockingState(s: LockingState): Hash64 {
  const a = FLAG_HASHES[(s.debugLocks ? 2 : 0) + (s.proveAll ? 1 : 0)] as Hash64;
  const l = s.locks.hash;
  const e = s.edges.hash;
  return { lo: (a.lo + l.lo + e.lo) >>> 0, hi: (a.hi + l.hi + e.hi) >>> 0 };
}
