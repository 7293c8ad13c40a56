import type { AnyMachineSnapshot } from 'xstate';
import { dmaFenceContextMachine } from '../../../machines/dmaFenceContext.machine.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a `dma_fence_context` path runs on: a kernel and the context name `c`. */
export interface ContextSut {
  readonly kernel: Kernel;
}

/** Runs `dma_fence_context` paths against {@link Kernel.call}. */
export const dmaFenceContextAdapter: MachineAdapter<ContextSut> = {
  machine: dmaFenceContextMachine,
  events(_s: AnyMachineSnapshot): MachineEvent[] {
    return [
      { type: 'dma_fence_context_alloc', num: 0 },
      { type: 'dma_fence_context_alloc', num: 1 },
    ];
  },
  setup(): ContextSut {
    return { kernel: new Kernel() };
  },
  exec(sut, event) {
    const before = BigInt(sut.kernel.world.dmaFence.counter);
    const num = event.num as number;
    const r = sut.kernel.call({ type: 'dma_fence_context_alloc', ctx: 'c', num });
    expectThat(r.ok && r.context === before, `context_alloc returned ${String(r.context)}, expected the counter ${before}`);
    expectThat(BigInt(sut.kernel.world.dmaFence.counter) === before + BigInt(num), `the counter moved by ${num}`);
    return r;
  },
  checks: {
    unallocated: (sut) => expectThat(!sut.kernel.world.dmaFence.contexts.has('c'), 'the name holds no context'),
    allocated: (sut) => expectThat(sut.kernel.world.dmaFence.contexts.has('c'), 'the name holds a context'),
  },
};
