import type { AnyMachineSnapshot } from 'xstate';
import { type SignallingSectionContext, signallingSectionMachine } from '../../../machines/signallingSection.machine.js';
import { SignallingSection } from '../../api/dmaFence.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a signalling-section path runs on: task `t`, lockdep kept on after reports until `debug_locks_off`. */
export interface SectionSut {
  readonly kernel: Kernel;
}

/** The most nested begins a path keeps outstanding (bounds the graph). */
const MAX_NESTED = 2;

/** Runs signalling-section paths against {@link SignallingSection}, `task_exit` and `debug_locks_off`. */
export const signallingSectionAdapter: MachineAdapter<SectionSut> = {
  machine: signallingSectionMachine,
  events: (s: AnyMachineSnapshot): MachineEvent[] => {
    const c = s.context as SignallingSectionContext;
    const list: MachineEvent[] = [
      { type: 'dma_fence_end_signalling', cookie: true },
      { type: 'dma_fence_end_signalling', cookie: false },
      { type: 'task_exit' },
    ];
    if (!c.lockdepOff) list.push({ type: 'debug_locks_off' });
    if (c.nested < MAX_NESTED) list.unshift({ type: 'dma_fence_begin_signalling', atomic: false }, { type: 'dma_fence_begin_signalling', atomic: true });
    return list;
  },
  setup: () => {
    const kernel = new Kernel();
    // --lockdep-all: a bad unlock does not turn lockdep off; only debug_locks_off does.
    kernel.call({ type: 'lockdep_prove_all' });
    return { kernel };
  },
  exec(sut, event, branch) {
    if (event.type === 'dma_fence_begin_signalling') {
      // in_atomic(): an RCU read section around the begin (non-preemptible RCU raises the preempt count).
      if (event.atomic === true) sut.kernel.call({ type: 'rcu_read_lock', task: 't' });
      const s = SignallingSection.begin(sut.kernel, 't');
      if (event.atomic === true) sut.kernel.call({ type: 'rcu_read_unlock', task: 't' });
      const cookie = (branch.meta as { cookie?: boolean }).cookie === true;
      expectThat(s.cookie === cookie, `cookie ${String(s.cookie)} in ${branch.source}, the machine says ${String(cookie)}`);
      return { ok: true, violations: [] };
    }
    if (event.type === 'task_exit') return sut.kernel.call({ type: 'task_exit', task: 't' });
    if (event.type === 'debug_locks_off') return sut.kernel.call({ type: 'debug_locks_off' });
    return sut.kernel.call({ type: 'dma_fence_end_signalling', task: 't', cookie: event.cookie as boolean });
  },
  checks: {
    outside: (sut, s) =>
      expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === (s.context as SignallingSectionContext).lockdepOff, 'begin must return false outside (true once lockdep is off)'),
    inside: (sut) => expectThat(SignallingSection.begin(sut.kernel.fork(), 't').cookie === true, 'begin must return true inside'),
  },
};
