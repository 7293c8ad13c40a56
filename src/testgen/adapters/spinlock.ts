import type { AnyMachineSnapshot } from 'xstate';
import { spinlockMachine } from '../../../machines/spinlock.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { type LockSut, execLockCall, lockSut, probe } from './lockAdapter.js';

/** Runs `spinlock` paths with tasks t1 and t2 on spinlock `L`. */
export const spinlockAdapter: MachineAdapter<LockSut> = {
  machine: spinlockMachine,
  events: (): MachineEvent[] => {
    const out: MachineEvent[] = [{ type: 'spin_lock_init' }];
    for (const task of ['t1', 't2'])
      for (const type of ['spin_lock', 'spin_lock_irqsave', 'spin_unlock', 'spin_unlock_irqrestore']) out.push({ type, task });
    return out;
  },
  setup: () => lockSut('spin_lock_init'),
  exec: (sut, event, branch, before: AnyMachineSnapshot) => execLockCall(sut, spinlockMachine, event, branch, before),
  checks: {
    unlocked: (sut) => expectThat(probe(sut, 'spin_lock').ok === true, 'a free spinlock must be taken'),
    locked: (sut) => expectThat(probe(sut, 'spin_lock').blocked === true, 'a held spinlock must make a locker spin'),
  },
};
