import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { authoredBranches, compileMachine } from '../../machines/machineTable.js';
import { reachedBranches } from './reach.js';

/** Every registered machine: kernel `apply` must reach each of its branches. */
const MACHINE_IDS = Object.keys(MACHINES).sort();

/**
 * Branches apply cannot reach by construction, each with the reason. The machine still answers
 * the event in those states, as every non-final state must.
 */
const UNREACHABLE: { readonly [machineId: string]: { readonly [branch: string]: string } } = {
  dma_fence_signalling: {
    'outside:debug_locks_off:0': 'debug_locks_off is the locking protocol\'s call; the section machine sees it only as its lockdepOff context',
    'inside:debug_locks_off:0': 'debug_locks_off is the locking protocol\'s call; the section machine sees it only as its lockdepOff context',
  },
};

describe('reachedBranches (conformance samples and generated paths through kernel apply)', () => {
  const reached = reachedBranches(MACHINE_IDS);

  for (const id of MACHINE_IDS) {
    it(`${id}: apply reaches every authored branch`, () => {
      const machine = MACHINES[id];
      expect(machine).toBeDefined();
      const authored = authoredBranches(compileMachine(machine as NonNullable<typeof machine>));
      const exempt = UNREACHABLE[id] ?? {};
      const missing = [...authored.keys()].filter((b) => !(reached.get(id)?.has(b) ?? false) && !(b in exempt));
      expect(missing).toEqual([]);
      expect(reached.get(id)?.size).toBeGreaterThan(0);
    });

    it(`${id}: the branches listed as unreachable exist, are not reached, and decide nothing`, () => {
      const machine = MACHINES[id];
      const authored = authoredBranches(compileMachine(machine as NonNullable<typeof machine>));
      for (const b of Object.keys(UNREACHABLE[id] ?? {})) {
        const branch = authored.get(b);
        expect(branch, b).toBeDefined();
        expect(reached.get(id)?.has(b), b).toBe(false);
        expect(branch?.meta, b).toEqual({});
        expect(branch?.target, b).toBe(branch?.source);
      }
    });
  }

  it('reports only the machines it was asked for', () => {
    expect([...reached.keys()].sort()).toEqual([...MACHINE_IDS].sort());
  });
});
