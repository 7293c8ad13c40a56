import { describe, expect, expectTypeOf, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { authoredBranches, branchViolations, compileMachine } from '../../machines/machineTable.js';
import { DMA_FENCE_EVENTS, type DmaFenceEvent } from '../../src/dma-fence/events.js';
import { VIOLATION_KINDS } from '../../src/world/Violation.js';

/** The machines of the dma_fence protocol. */
const MACHINE_IDS = ['dma_fence_context', 'dma_fence', 'dma_fence_cb', 'dma_fence_signalling'];

/**
 * Violation kinds an event lists that no machine branch records, each decided where no machine
 * answers: none left (contexts have their machine; init of a live fence is the fence machine's).
 */
const OUTSIDE_MACHINES: { readonly [type: string]: readonly string[] } = {
  // Decided by the locking protocol's machines: a wait's might_sleep and might-wait annotation, and
  // the calls of callback bodies that a signal (or a release) runs.
  dma_fence_wait_timeout: ['lockdep', 'might_sleep'],
  dma_fence_signal: ['lockdep', 'might_sleep'],
  dma_fence_check_and_signal: ['lockdep', 'might_sleep'],
  dma_fence_put: ['lockdep', 'might_sleep'],
};

/** What the machines' branches for an event type record: violation kinds and errnos. */
function fromMachines(type: string): { kinds: Set<string>; errnos: Set<string> } {
  const kinds = new Set<string>();
  const errnos = new Set<string>();
  for (const id of MACHINE_IDS) {
    const machine = MACHINES[id];
    if (machine === undefined) throw new Error(`no machine ${id}`);
    for (const b of authoredBranches(compileMachine(machine)).values()) {
      if (b.event !== type) continue;
      for (const v of branchViolations(b.meta)) kinds.add(v.kind);
      if (b.meta.errno !== undefined) errnos.add(b.meta.errno);
    }
  }
  return { kinds, errnos };
}

describe('DMA_FENCE_EVENTS', () => {
  for (const [type, def] of Object.entries(DMA_FENCE_EVENTS)) {
    it(`${type}: lists violation kinds only, each once`, () => {
      for (const k of def.violations) expect(VIOLATION_KINDS, k).toContain(k);
      expect(new Set(def.violations).size).toBe(def.violations.length);
    });

    it(`${type}: lists exactly the kinds its machine branches record, plus those decided outside a machine`, () => {
      const { kinds } = fromMachines(type);
      const outside = OUTSIDE_MACHINES[type] ?? [];
      for (const k of kinds) expect(def.violations, `${type} records ${k} in a machine branch`).toContain(k);
      for (const k of outside) expect(kinds.has(k), `${type}: ${k} is listed as outside the machines but a branch records it`).toBe(false);
      expect([...def.violations].sort()).toEqual([...new Set([...kinds, ...outside])].sort());
    });

    it(`${type}: lists exactly the errnos its machine branches answer`, () => {
      expect([...def.errnos].sort()).toEqual([...fromMachines(type).errnos].sort());
    });
  }
});

describe('DmaFenceEvent', () => {
  it('is inferred from the field schemas', () => {
    type SetError = Extract<DmaFenceEvent, { type: 'dma_fence_set_error' }>;
    expectTypeOf<SetError['error']>().toEqualTypeOf<number>();
    expectTypeOf<SetError['fence']>().toEqualTypeOf<string>();
    expectTypeOf<Extract<DmaFenceEvent, { type: 'dma_fence_end_signalling' }>['cookie']>().toEqualTypeOf<boolean>();
    expectTypeOf<Extract<DmaFenceEvent, { type: 'dma_fence_init' }>['seqno']>().toEqualTypeOf<bigint | undefined>();
    expectTypeOf<DmaFenceEvent['type']>().toEqualTypeOf<keyof typeof DMA_FENCE_EVENTS>();
  });
});
