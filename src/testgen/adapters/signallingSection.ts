import type { AnyMachineSnapshot } from 'xstate';
import { signallingSectionMachine } from '../../../machines/signallingSection.machine.js';
import { SignallingSection } from '../../api/dmaFence.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a signalling-section path runs on: task `t`. */
export interface SectionSut {
  readonly kernel: Kernel;
}

/** The most nested begins a path keeps outstanding (bounds the graph). */
const MAX_NESTED = 2;

/** Runs signalling-section paths against {@link SignallingSection} and `task_exit`. */
export const signallingSectionAdapter: MachineAdapter<SectionSut> = {
  machine: signallingSectionMachine,
  events: (s: AnyMachineSnapshot): MachineEvent[] => {
    const list: MachineEvent[] = [
      { type: 'dma_fence_end_signalling', cookie: true },
      { type: 'dma_fence_end_signalling', cookie: false },
      { type: 'task_exit' },
    ];
    if ((s.context as { nested: number }).nested < MAX_NESTED) list.unshift({ type: 'dma_fence_begin_signalling' });
    return list;
  },
  setup: () => ({ kernel: new Kernel() }),
  exec(sut, event, branch) {
    if (event.type === 'dma_fence_begin_signalling') {
      const s = SignallingSection.begin(sut.kernel, 't');
      expectThat(s.cookie === (branch.source === 'inside'), `cookie ${String(s.cookie)} in ${branch.source}`);
      return { ok: true, violations: [] };
    }
    if (event.type === 'task_exit') return sut.kernel.call({ type: 'task_exit', task: 't' });
    return sut.kernel.call({ type: 'dma_fence_end_signalling', task: 't', cookie: event.cookie as boolean });
  },
  checks: {
    outside: (sut) => expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === false, 'begin must return false outside'),
    inside: (sut) => expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === true, 'begin must return true inside'),
  },
};
