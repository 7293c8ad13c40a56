import type { AnyMachineSnapshot } from 'xstate';
import { rwSemaphoreMachine } from '../../../machines/rwSemaphore.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { type LockSut, TASKS, execLockCall, holdersOf, isWaiting, lockSut, probe } from './lockAdapter.js';

/** The most read holds a path keeps (bounds the graph: readers may take it again). */
const MAX_READERS = 3;

const CALLS = ['down_read', 'down_read_trylock', 'up_read', 'down_write', 'down_write_trylock', 'up_write', 'downgrade_write'] as const;

/** Runs `rw_semaphore` paths with two and three tasks (t1–t3) on rwsem `L`. */
export const rwSemaphoreAdapter: MachineAdapter<LockSut> = {
  machine: rwSemaphoreMachine,
  events: (s: AnyMachineSnapshot): MachineEvent[] => {
    const h = holdersOf(s);
    const out: MachineEvent[] = [];
    out.push({ type: 'init_rwsem' });
    for (const task of TASKS) {
      if (isWaiting(s, task)) continue;
      for (const type of CALLS) {
        if ((type === 'down_read' || type === 'down_read_trylock') && h.readers.length >= MAX_READERS) continue;
        out.push({ type, task });
      }
    }
    return out;
  },
  setup: () => lockSut('init_rwsem'),
  exec: (sut, event, branch, before) => execLockCall(sut, rwSemaphoreMachine, event, branch, before),
  checks: {
    unlocked: (sut) => expectThat(probe(sut, 'down_write_trylock').locked === true, 'a free rwsem must be write-trylockable'),
    readLocked: (sut, s) =>
      expectThat(probe(sut, 'down_read_trylock').locked === (holdersOf(s).waiters.length === 0), 'a reader-owned rwsem shares with readers unless somebody waits'),
    writeLocked: (sut) => expectThat(probe(sut, 'down_read_trylock').locked === false, 'a writer-owned rwsem refuses readers'),
  },
};
