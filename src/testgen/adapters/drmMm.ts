import type { AnyMachineSnapshot } from 'xstate';
import { drmMmMachine } from '../../../machines/drmMm.machine.js';
import { mmInfo } from '../../drm-mm/protocol.js';
import { Kernel } from '../../kernel/Kernel.js';
import { leafOf } from '../generatePaths.js';
import { type Answer, type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a `drm_mm` path runs on: allocator `m` in a kernel of its own. */
export interface AllocatorSut {
  readonly kernel: Kernel;
}

const MM = 'm';

/** The allocator-wide calls, each with the answer a live allocator gives. */
const QUERIES = ['drm_mm_holes', 'drm_mm_nodes', 'drm_mm_clean'] as const;

const EVENTS: { readonly [state: string]: readonly MachineEvent[] } = {
  released: [
    { type: 'drm_mm_init', rangeEmpty: true },
    { type: 'drm_mm_init' },
    { type: 'drm_mm_takedown' },
    ...QUERIES.map((type) => ({ type })),
  ],
  live: [{ type: 'drm_mm_init' }, { type: 'drm_mm_takedown' }, ...QUERIES.map((type) => ({ type }))],
};

/** Runs `drm_mm` paths against the kernel handle: allocator `m`, with one node while it is live. */
export const drmMmAdapter: MachineAdapter<AllocatorSut> = {
  machine: drmMmMachine,
  events: (s: AnyMachineSnapshot): readonly MachineEvent[] => EVENTS[leafOf(s)] ?? [],
  setup(): AllocatorSut {
    const kernel = new Kernel();
    // A released allocator the kernel knows: initialised once and taken down (a name never
    // initialised is library misuse, not a machine state).
    const init = kernel.call({ type: 'drm_mm_init', mm: MM, start: '0', size: '4096' });
    const down = kernel.call({ type: 'drm_mm_takedown', mm: MM });
    expectThat(init.ok && down.ok, 'setting up a released allocator');
    return { kernel };
  },
  exec(sut, event): Answer {
    switch (event.type) {
      case 'drm_mm_init': {
        if (event.rangeEmpty === true) return sut.kernel.call({ type: 'drm_mm_init', mm: MM, start: '4096', size: '0' });
        const r = sut.kernel.call({ type: 'drm_mm_init', mm: MM, start: '0', size: '4096' });
        // A node, so that the takedown has something to orphan.
        if (r.ok) expectThat(sut.kernel.call({ type: 'drm_mm_insert_node', mm: MM, node: `n${sut.kernel.seq}`, size: '64' }).ok, 'a first node fits');
        return r;
      }
      case 'drm_mm_takedown': {
        const r = sut.kernel.call({ type: 'drm_mm_takedown', mm: MM });
        if (r.ok) expectThat(r.clean === false, 'the node left on the allocator makes it not clean');
        return r;
      }
      default:
        return sut.kernel.callJson({ type: event.type, mm: MM });
    }
  },
  checks: {
    released: (sut) => {
      expectThat(mmInfo(sut.kernel.world, MM)?.live === false, 'a released allocator is not live');
      const probe = sut.kernel.fork().call({ type: 'drm_mm_holes', mm: MM });
      expectThat(!probe.ok && probe.violations[0]?.kind === 'use_after_free', 'listing a released allocator is a use after free');
    },
    live: (sut) => {
      expectThat(mmInfo(sut.kernel.world, MM)?.live === true, 'a live allocator is live');
      const probe = sut.kernel.fork().call({ type: 'drm_mm_holes', mm: MM });
      expectThat(probe.ok, 'a live allocator lists its holes');
    },
  },
};
