import type { AnyMachineSnapshot } from 'xstate';
import { mutexMachine } from '../../../machines/mutex.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { type LockSut, TASKS, execLockCall, isWaiting, lockSut, probe } from './lockAdapter.js';

/** Runs `mutex` paths with tasks t1–t3 on mutex `L`. */
export const mutexAdapter: MachineAdapter<LockSut> = {
  machine: mutexMachine,
  events: (s: AnyMachineSnapshot): MachineEvent[] => {
    const out: MachineEvent[] = [];
    out.push({ type: 'mutex_init' });
    for (const task of TASKS) {
      if (isWaiting(s, task)) continue;
      for (const type of ['mutex_lock', 'mutex_trylock', 'mutex_unlock']) out.push({ type, task });
    }
    return out;
  },
  setup: () => lockSut('mutex_init'),
  exec: (sut, event, branch, before) => execLockCall(sut, mutexMachine, event, branch, before),
  checks: {
    unlocked: (sut) => expectThat(probe(sut, 'mutex_trylock').locked === true, 'a free mutex must be trylockable'),
    locked: (sut) => expectThat(probe(sut, 'mutex_trylock').locked === false, 'a held mutex must refuse a trylock'),
    contended: (sut) => expectThat(probe(sut, 'mutex_lock').queued === true, 'a contended mutex must queue a locker'),
  },
};
