import { signallingSectionMachine } from '../../../machines/signallingSection.machine.js';
import { SignallingSection } from '../../api/dmaFence.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a signalling-section path runs on: task `t`. */
export interface SectionSut {
  readonly kernel: Kernel;
}

/** Runs signalling-section paths against {@link SignallingSection}. */
export const signallingSectionAdapter: MachineAdapter<SectionSut> = {
  machine: signallingSectionMachine,
  events: (): MachineEvent[] => [
    { type: 'dma_fence_begin_signalling' },
    { type: 'dma_fence_end_signalling', cookie: true },
    { type: 'dma_fence_end_signalling', cookie: false },
  ],
  setup: () => ({ kernel: new Kernel() }),
  exec(sut, event, branch) {
    if (event.type === 'dma_fence_begin_signalling') {
      const s = SignallingSection.begin(sut.kernel, 't');
      expectThat(s.cookie === (branch.source === 'inside'), `cookie ${String(s.cookie)} in ${branch.source}`);
      return { ok: true, violations: [] };
    }
    const o = sut.kernel.call({ type: 'dma_fence_end_signalling', task: 't', cookie: event.cookie as boolean });
    return o;
  },
  checks: {
    outside: (sut) => expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === false, 'begin must return false outside'),
    inside: (sut) => expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === true, 'begin must return true inside'),
  },
};
