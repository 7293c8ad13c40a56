import { type AnyMachineSnapshot, type AnyStateMachine, getNextSnapshot } from 'xstate';
import type { LockHolders } from '../../../machines/lockHolders.js';
import type { Branch } from '../../../machines/machineTable.js';
import { Kernel } from '../../kernel/Kernel.js';
import type { Event } from '../../world/Event.js';
import { type Answer, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a lock path runs on: one lock `L` on a kernel that keeps lockdep on (`--lockdep-all`). */
export interface LockSut {
  readonly kernel: Kernel;
}

/** A kernel with lock `L` initialised by `init` and lockdep kept on after reports. */
export function lockSut(init: string): LockSut {
  const kernel = new Kernel();
  kernel.callJson({ type: 'lockdep_prove_all' });
  kernel.callJson({ type: init, lock: 'L' });
  return { kernel };
}

/** The tasks a path of a lock machine uses. */
export const TASKS = ['t1', 't2', 't3'] as const;

/** The holders in a snapshot's context. */
export function holdersOf(s: AnyMachineSnapshot): LockHolders {
  return s.context as LockHolders;
}

/** Whether a task sleeps on the lock (it makes no call until woken). */
export function isWaiting(s: AnyMachineSnapshot, task: string): boolean {
  return holdersOf(s).waiters.some((w) => w.task === task);
}

/**
 * Performs a lock call through the kernel and checks what the machine fixes beside errno and
 * violations: `locked` of a trylock, `queued` of a sleeping call, and the tasks woken.
 */
export function execLockCall(sut: LockSut, machine: AnyStateMachine, event: MachineEvent, branch: Branch, before: AnyMachineSnapshot): Answer {
  const e: Event = event.type.endsWith('init') || event.type === 'init_rwsem' ? { type: event.type, lock: 'L' } : { type: event.type, lock: 'L', task: event.task as string };
  const o = sut.kernel.callJson(e);
  const locked = branch.meta.returns?.locked;
  if (locked !== undefined) expectThat(o.locked === locked, `${event.type} answered locked=${String(o.locked)}, the machine says ${String(locked)}`);
  const queued = branch.meta.returns?.queued === true;
  expectThat((o.queued === true) === queued, `${event.type} answered queued=${String(o.queued)}`);
  // The woken: waiters before that the machine's next context no longer lists.
  const after = holdersOf(getNextSnapshot(machine, before, event));
  const want = holdersOf(before)
    .waiters.map((w) => w.task)
    .filter((t) => !after.waiters.some((w) => w.task === t));
  const got = (o.woke as readonly string[] | undefined) ?? [];
  expectThat(JSON.stringify(got) === JSON.stringify(want), `${event.type} woke ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  return { ok: o.ok, ...(o.blocked === true ? { blocked: true as const } : {}), violations: o.violations };
}

/** Answers a probe call on a fork of the system (the system itself is not changed). */
export function probe(sut: LockSut, type: string): Record<string, unknown> {
  return sut.kernel.fork().callJson({ type, lock: 'L', task: 'probe' }) as unknown as Record<string, unknown>;
}
