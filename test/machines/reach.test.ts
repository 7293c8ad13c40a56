import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { authoredBranches, compileMachine } from '../../machines/machineTable.js';
import { reachedBranches } from './reach.js';

/** Every registered machine: kernel `apply` must reach each of its branches. */
const MACHINE_IDS = Object.keys(MACHINES).sort();

describe('reachedBranches (conformance samples and generated paths through kernel apply)', () => {
  const reached = reachedBranches(MACHINE_IDS);

  for (const id of MACHINE_IDS) {
    it(`${id}: apply reaches every authored branch`, () => {
      const machine = MACHINES[id];
      expect(machine).toBeDefined();
      const authored = authoredBranches(compileMachine(machine as NonNullable<typeof machine>));
      const missing = [...authored.keys()].filter((b) => !(reached.get(id)?.has(b) ?? false));
      expect(missing).toEqual([]);
      expect(reached.get(id)?.size).toBeGreaterThan(0);
    });
  }

  it('reports only the machines it was asked for', () => {
    expect([...reached.keys()].sort()).toEqual([...MACHINE_IDS].sort());
  });
});
