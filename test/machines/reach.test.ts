import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { authoredBranches, compileMachine } from '../../machines/machineTable.js';
import { reachedBranches } from './reach.js';

/** Every registered machine: kernel `apply` must reach each of its branches. */
const MACHINE_IDS = Object.keys(MACHINES).sort();

/**
 * Branches apply cannot reach by construction, each with the reason (the adapters still run them:
 * a later unbind, another handle's creation). A slot that is on no list is
 * never shown its fence's signal: dma_fence_signal walks only the fence's own cb_list. The machine
 * still answers the event in those states, as every non-final state must.
 */
const UNREACHABLE: { readonly [machineId: string]: { readonly [branch: string]: string } } = {
  dma_fence_cb: {
    'unqueued:dma_fence_signal:0': 'a slot on no list is not walked by dma_fence_signal',
    'invoked:dma_fence_signal:0': 'a slot on no list is not walked by dma_fence_signal',
    'removed:dma_fence_signal:0': 'a slot on no list is not walked by dma_fence_signal',
  },
  devres: {
    'initialised.revoked:device_unbind:0': 'a revocation runs once: the devres action leaves the device\'s list when it runs, so no later unbind reaches a revoked Devres',
  },
  drm_gem_handle: {
    'live:drm_gem_handle_create:0': 'idr_alloc hands out the lowest free id, never a live one: a creation is asked of a free slot only',
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
