import { type Violation, violation } from '../world/Violation.js';
import { type EdgeRecord, type HeldLock, IDLE_LOCK_TASK, LD_WAIT_FREE, LD_WAIT_MAX, type LockTask, type LockingState, encodeLockTask, isIdleLockTask } from './state.js';

/** lockdep class of every `mm->mmap_lock` (all mms share one). */
export const MMAP_LOCK_CLASS = 'mmap_lock';
/** lockdep class of every `dma_resv` ww_mutex (`reservation_ww_class`'s mutex class). */
export const DMA_RESV_CLASS = 'reservation_ww_class_mutex';
/** lockdep class of the ww_acquire_ctx of `reservation_ww_class`. */
export const DMA_RESV_ACQUIRE_CLASS = 'reservation_ww_class_acquire';
/** The `__fs_reclaim_map` pseudo-lock (mm/page_alloc.c). */
export const FS_RECLAIM = 'fs_reclaim';
/** The `__mmu_notifier_invalidate_range_start_map` pseudo-lock (mm/mmu_notifier.c). */
export const MMU_NOTIFIER_MAP = 'mmu_notifier_invalidate_range_start';
/** The `i_mmap_rwsem` class of an address_space. */
export const I_MMAP_RWSEM_CLASS = 'i_mmap_rwsem';
/** The `dma_fence_lockdep_map` pseudo-lock (drivers/dma-buf/dma-fence.c). */
export const DMA_FENCE_MAP = 'dma_fence_map';
/** The `rcu_lock_map` (kernel/rcu/update.c). */
export const RCU_LOCK_MAP = 'rcu_read_lock';
/** The lockdep map of the global `drm_unplug_srcu` SRCU domain (drivers/gpu/drm/drm_drv.c). */
export const DRM_UNPLUG_SRCU = 'drm_unplug_srcu';

/**
 * The dependencies `dma_resv_lockdep()` (drivers/dma-buf/dma-resv.c, a subsys initcall) records at
 * boot, as lockdep records them: each acquisition adds one edge from the lock on top of the held
 * stack. Its sequence: mmap_read_lock, ww_acquire_init + dma_resv_lock, fs_reclaim_acquire,
 * i_mmap_lock_write/unlock, the MMU-notifier map and, inside it, __dma_fence_might_wait. A constant,
 * not world data: every world boots with it.
 */
export const PRIMED_EDGES: readonly EdgeRecord[] = Object.freeze(
  (
    [
      [MMAP_LOCK_CLASS, DMA_RESV_ACQUIRE_CLASS],
      [DMA_RESV_ACQUIRE_CLASS, DMA_RESV_CLASS],
      [DMA_RESV_CLASS, FS_RECLAIM],
      [FS_RECLAIM, I_MMAP_RWSEM_CLASS],
      [FS_RECLAIM, MMU_NOTIFIER_MAP],
      [MMU_NOTIFIER_MAP, DMA_FENCE_MAP],
    ] as const
  ).map(([from, to]) => Object.freeze({ from, to, by: 'boot: dma_resv_lockdep()' })),
);

const PRIMED_OUT = new Map<string, string[]>();
for (const e of PRIMED_EDGES) PRIMED_OUT.set(e.from, [...(PRIMED_OUT.get(e.from) ?? []), e.to]);

/** The key of an edge in the world's edge map. */
export function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** The classes `from` directly depends on: the primed chain's and the recorded ones. */
function successors(s: LockingState, from: string): string[] {
  const out = [...(PRIMED_OUT.get(from) ?? [])];
  for (const e of s.edges.entries()) if (e[1].from === from && !out.includes(e[1].to)) out.push(e[1].to);
  return out;
}

/** The edge record of a dependency, primed or recorded. */
export function edgeOf(s: LockingState, from: string, to: string): EdgeRecord | undefined {
  return s.edges.get(edgeKey(from, to)) ?? PRIMED_EDGES.find((e) => e.from === from && e.to === to);
}

/** A shortest dependency path from `from` to `to` (breadth first, as lockdep's __bfs), or undefined. */
export function dependencyPath(s: LockingState, from: string, to: string): string[] | undefined {
  const prev = new Map<string, string>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === to) {
      const path = [c];
      for (let p = prev.get(c); p !== undefined; p = prev.get(p)) path.unshift(p);
      return path;
    }
    for (const n of successors(s, c))
      if (!seen.has(n)) {
        seen.add(n);
        prev.set(n, c);
        queue.push(n);
      }
  }
  return undefined;
}

/** The cross-protocol.md rule a cycle through these classes breaks. */
function cycleRule(cycle: readonly string[], acquiring: string): string {
  if (cycle.includes(DMA_FENCE_MAP)) {
    if (acquiring === FS_RECLAIM || acquiring === MMU_NOTIFIER_MAP) return 'A1';
    if (acquiring === MMAP_LOCK_CLASS) return 'A2';
    if (acquiring === DMA_RESV_CLASS || acquiring === DMA_RESV_ACQUIRE_CLASS) return 'A3';
    return 'A5';
  }
  if (cycle.includes(DRM_UNPLUG_SRCU)) return 'E1';
  if (cycle.includes(MMAP_LOCK_CLASS) && (cycle.includes(DMA_RESV_CLASS) || cycle.includes(DMA_RESV_ACQUIRE_CLASS))) return 'D1';
  if (cycle.includes(FS_RECLAIM)) return 'D2';
  return 'lockdep';
}

/**
 * One call's work on the locking slice: the slice as it changes and the violations found, in the
 * order the kernel reports them. Protocols get one from {@link LockingStep.of} and finish it with
 * {@link LockingStep.done}.
 */
export class LockingStep {
  readonly violations: Violation[] = [];
  /** The call without its task, for messages (`mutex_lock(L)`). */
  private readonly call: string;

  private constructor(
    public s: LockingState,
    /** The call, for edge witnesses (`t1: mutex_lock(L)`). */
    readonly what: string,
  ) {
    const at = what.indexOf(': ');
    this.call = at < 0 ? what : what.slice(at + 2);
  }

  /** A step on `s` for the call described by `what`. */
  static of(s: LockingState, what: string): LockingStep {
    return new LockingStep(s, what);
  }

  /** Whether lockdep still tracks (`debug_locks`). */
  get on(): boolean {
    return this.s.debugLocks;
  }

  /** The task's record (idle when not stored). */
  task(name: string): LockTask {
    return this.s.tasks.get(name) ?? IDLE_LOCK_TASK;
  }

  /** Stores a task's record (an idle one is dropped) and its hashed encoding. */
  setTask(name: string, t: LockTask): void {
    const s = this.s;
    const key = encodeLockTask(t);
    const tasks = isIdleLockTask(t) ? s.tasks.delete(name) : s.tasks.set(name, Object.freeze(t));
    const taskKeys = key === '' ? s.taskKeys.delete(name) : s.taskKeys.set(name, key);
    if (tasks !== s.tasks || taskKeys !== s.taskKeys) this.s = { ...s, tasks, taskKeys };
  }

  /**
   * Records a lockdep report: unless `--lockdep-all` is on, `debug_locks_off()` turns lockdep off for
   * the rest of the run, and the message says so. Nothing is recorded once lockdep is off.
   */
  report(message: string, objects: readonly string[]): void {
    if (!this.s.debugLocks) return;
    if (this.s.proveAll) this.violations.push(violation('lockdep', message, objects));
    else {
      this.violations.push(violation('lockdep', `${message}; debug_locks_off(): lockdep is off for the rest of this run (drmstate run --lockdep-all keeps it on)`, objects));
      this.s = { ...this.s, debugLocks: false };
    }
  }

  /** Records a finding of another kind (might_sleep, warn_on): it never turns lockdep off. */
  add(v: Violation): void {
    this.violations.push(v);
  }

  /**
   * A `DEBUG_RWSEMS_WARN_ON` (kernel/locking/rwsem.c): the WARN, whether or not lockdep is on, then
   * `debug_locks_off()` (unless `--lockdep-all` keeps lockdep on).
   */
  warnDebugRwsems(message: string, objects: readonly string[]): void {
    this.violations.push(violation('warn_on', message, objects));
    if (!this.s.proveAll && this.s.debugLocks) this.s = { ...this.s, debugLocks: false };
  }

  /**
   * lockdep's `lock_acquire` of `next` by `task` (kernel/locking/lockdep.c, __lock_acquire):
   * check_wait_context, then for a non-trylock check_deadlock (recursion) and check_prevs_add (an
   * edge from the held lock on top, and on through trylocks, each checked for a cycle), then the
   * hold is pushed — unless a report stopped it, or `push` is false (a call that only spins or
   * sleeps on the lock records its edges and nothing else). `kept` is the hold pushed, when it
   * differs from the acquisition checked (see {@link mapAcquire}'s `noEdgesInto`).
   */
  acquire(task: string, next: HeldLock, push = true, kept: HeldLock = next): void {
    if (!this.s.debugLocks) return;
    const t = this.task(task);
    const held = t.held;
    const who = `task ${JSON.stringify(task)}`;
    // A report stops lockdep's checks of this acquisition; lockdep is then off (the hold is not
    // recorded) unless --lockdep-all keeps it on (the hold is recorded so the release balances).
    let stopped = false;
    // KERNEL: check_wait_context: a class with a wait type may not be taken inside a held lock whose
    // inner wait type is smaller (a sleeping lock under a spinlock or RCU). Trylocks are exempt; the
    // RCU map's outer type is LD_WAIT_FREE.
    const outer = next.class === RCU_LOCK_MAP ? LD_WAIT_FREE : next.wait;
    if (next.wait !== 0 && !next.trylock) {
      let inner = LD_WAIT_MAX;
      for (const h of held) if (h.wait !== 0) inner = Math.min(inner, h.wait);
      if (outer > inner) {
        const under = held.filter((h) => h.wait !== 0 && h.wait < outer).map((h) => h.class);
        this.report(`BUG: Invalid wait context: ${who} takes ${next.class} (may sleep) in ${this.call} while holding ${under.join(', ')}`, [next.class, ...under]);
        stopped = true;
      }
    }
    if (!stopped && !next.trylock && next.check) {
      // KERNEL: check_deadlock: the same class held again, unless both are reads and this one recursive.
      const same = held.find((h) => h.class === next.class);
      if (same !== undefined && !(next.read === 2 && same.read !== 0)) {
        const rule = next.class === MMAP_LOCK_CLASS ? ' (rule D5 of cross-protocol.md)' : '';
        this.report(
          `possible recursive locking detected: ${who} is trying to acquire ${next.class} (${next.lock}) in ${this.call} but already holds ${same.lock} of the same class${rule}`,
          [next.class],
        );
      } else if (same === undefined) {
        // KERNEL: check_prevs_add: from the top of the held stack down, through trylocks, to the
        // first non-trylock hold.
        for (let i = held.length - 1; i >= 0; i--) {
          const prev = held[i] as HeldLock;
          if (prev.check && prev.class !== next.class) {
            if (!this.addEdge(task, prev, next)) break;
            if (!prev.trylock) break;
          }
        }
      }
    }
    if (push && this.s.debugLocks) this.setTask(task, { ...this.task(task), held: [...this.task(task).held, kept] });
  }

  /** check_prev_add: records prev → next unless it closes a cycle (reported, not recorded). */
  private addEdge(task: string, prev: HeldLock, next: HeldLock): boolean {
    const s = this.s;
    if (edgeOf(s, prev.class, next.class) !== undefined) return true;
    const back = dependencyPath(s, next.class, prev.class);
    if (back !== undefined) {
      const cycle = [prev.class, ...back];
      const chain = back
        .slice(0, -1)
        .map((c, i) => `${c} → ${back[i + 1] as string} (${edgeOf(s, c, back[i + 1] as string)?.by ?? '?'})`)
        .join(', ');
      const rule = cycleRule(cycle, next.class);
      this.report(
        `possible circular locking dependency detected${rule === 'lockdep' ? '' : ` (rule ${rule} of cross-protocol.md)`}: task ${JSON.stringify(task)} is trying to acquire ${next.class} in ${this.call} while holding ${prev.class}, and ${chain} already recorded; cycle: ${cycle.join(' → ')}`,
        [...new Set(cycle)],
      );
      return false;
    }
    this.s = { ...s, edges: s.edges.set(edgeKey(prev.class, next.class), Object.freeze({ from: prev.class, to: next.class, by: this.what })) };
    return true;
  }

  /**
   * lockdep's `lock_release` of `lock` by `task`: the hold leaves the stack (from any depth); a lock
   * the task does not hold is "bad unlock balance detected!". `owner`, for a release of a lock
   * another task holds, is that task: ABSTRACTION — its hold leaves its stack too, so that under
   * `--lockdep-all` the twin keeps matching the lock (the kernel leaves it, but has turned lockdep off).
   */
  release(task: string, lock: string, owner?: string): void {
    if (!this.s.debugLocks) return;
    const t = this.task(task);
    const i = lastIndex(t.held, lock);
    if (i < 0) {
      this.report(`bad unlock balance detected!: task ${JSON.stringify(task)} is trying to release ${lock} in ${this.call}, but there are no more locks to release (it does not hold it)`, [lock]);
      if (owner !== undefined && owner !== task) {
        const o = this.task(owner);
        const j = lastIndex(o.held, lock);
        if (j >= 0) this.setTask(owner, { ...o, held: o.held.filter((_, k) => k !== j) });
      }
      return;
    }
    this.setTask(task, { ...t, held: t.held.filter((_, k) => k !== i) });
  }

  /** lockdep's `lock_downgrade`: the hold becomes a read hold; not held is a bad unlock. */
  downgrade(task: string, lock: string, owner?: string): void {
    if (!this.s.debugLocks) return;
    const t = this.task(task);
    const i = lastIndex(t.held, lock);
    if (i < 0) {
      this.report(`bad unlock balance detected!: task ${JSON.stringify(task)} downgrades ${lock} in ${this.call}, which it does not hold`, [lock]);
      if (owner !== undefined && owner !== task) {
        const o = this.task(owner);
        const j = lastIndex(o.held, lock);
        if (j >= 0) this.setTask(owner, { ...o, held: o.held.map((h, k) => (k === j ? { ...h, read: 1 as const } : h)) });
      }
      return;
    }
    this.setTask(task, { ...t, held: t.held.map((h, k) => (k === i ? { ...h, read: 1 as const } : h)) });
  }

  /** Whether `task` holds `lock` in lockdep's stack (`lock_is_held`); with lockdep off, true. */
  isHeld(task: string, lock: string, read?: boolean): boolean {
    if (!this.s.debugLocks) return true;
    return this.task(task).held.some((h) => h.lock === lock && (read === undefined || (h.read !== 0) === read));
  }

  /** `lockdep_sys_exit`: a task returning to user space with locks held is reported. */
  sysExit(task: string): void {
    const held = this.task(task).held.filter((h) => h.ext !== true);
    if (held.length === 0) return;
    this.report(
      `lock held when returning to user space!: task ${JSON.stringify(task)} is leaving the kernel with locks still held: ${held.map((h) => h.lock).join(', ')}`,
      held.map((h) => h.lock),
    );
  }
}

function lastIndex(held: readonly HeldLock[], lock: string): number {
  for (let i = held.length - 1; i >= 0; i--) if ((held[i] as HeldLock).lock === lock) return i;
  return -1;
}
