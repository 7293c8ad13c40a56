import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import type { MachineAdapter } from '../../src/testgen/MachineAdapter.js';
import { generatePaths } from '../../src/testgen/generatePaths.js';
import { runMachinePaths, runPath } from '../../src/testgen/runPaths.js';

describe('runMachinePaths', () => {
  for (const id of Object.keys(ADAPTERS)) {
    it(`covers every state and transition of ${id} with passing paths`, () => {
      const c = runMachinePaths(ADAPTERS[id] as MachineAdapter);
      expect(c.failures).toEqual([]);
      expect(c.uncovered).toEqual({ states: [], transitions: [] });
      expect(c.states.covered).toBe(c.states.total);
      expect(c.transitions.covered).toBe(c.transitions.total);
      expect(c.transitions.total).toBeGreaterThan(0);
    });
  }

  it('has an adapter for every registered machine', () => {
    expect(Object.keys(ADAPTERS).sort()).toEqual(Object.keys(MACHINES).sort());
  });
});

describe('runPath', () => {
  it('fails a path when the implementation answers differently from the machine', () => {
    const real = ADAPTERS.dma_fence as MachineAdapter<{ fence: { isSignaled(): unknown } }>;
    // A broken implementation: is_signaled always answers true.
    const broken: MachineAdapter<{ fence: { isSignaled(): unknown } }> = {
      ...real,
      setup() {
        const sut = real.setup();
        sut.fence.isSignaled = () => ({ ok: true, value: true, violations: [] });
        return sut;
      },
    };
    const path = generatePaths(broken as MachineAdapter).find((p) => p.steps.length === 0);
    expect(path).toBeDefined();
    const r = runPath(broken as MachineAdapter, path as NonNullable<typeof path>);
    expect(r.ok).toBe(false);
  });

  it('fails a path when a call answers an errno the machine does not expect', () => {
    const real = ADAPTERS.dma_fence_signalling as MachineAdapter;
    const broken: MachineAdapter = { ...real, exec: () => ({ ok: false, errno: 'EINVAL', violations: [] }) };
    const c = runMachinePaths(broken);
    expect(c.failures.length).toBeGreaterThan(0);
    expect(c.transitions.covered).toBeLessThan(c.transitions.total);
  });
});
