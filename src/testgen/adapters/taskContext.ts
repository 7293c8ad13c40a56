import type { AnyMachineSnapshot } from 'xstate';
import { PF_MEMALLOC, PF_MEMALLOC_NOFS, PF_MEMALLOC_NOIO, type TaskContextContext, taskContextMachine } from '../../../machines/taskContext.machine.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a per-task context path runs on: task `t`, lockdep kept on after reports. */
export interface ContextSut {
  readonly kernel: Kernel;
}

/** The deepest RCU nesting a path keeps (bounds the graph). */
const MAX_RCU = 2;

const SCOPES = [
  ['memalloc_noreclaim', PF_MEMALLOC],
  ['memalloc_nofs', PF_MEMALLOC_NOFS],
  ['memalloc_noio', PF_MEMALLOC_NOIO],
] as const;

/** Runs `task_context` paths against the kernel's context calls for task `t`. */
export const taskContextAdapter: MachineAdapter<ContextSut> = {
  machine: taskContextMachine,
  events: (s: AnyMachineSnapshot): MachineEvent[] => {
    const c = s.context as TaskContextContext;
    const out: MachineEvent[] = [];
    if (c.rcu < MAX_RCU) out.push({ type: 'rcu_read_lock' });
    out.push(
      { type: 'rcu_read_unlock' },
      { type: 'local_irq_disable' },
      { type: 'local_irq_enable' },
      { type: 'might_sleep' },
      { type: 'might_fault' },
      { type: 'kmalloc', blocking: true },
      { type: 'kmalloc', blocking: false },
      { type: 'task_exit' },
    );
    for (const [name, bit] of SCOPES) out.push({ type: `${name}_save` }, { type: `${name}_restore`, flags: bit }, { type: `${name}_restore`, flags: 0 });
    return out;
  },
  setup(): ContextSut {
    const kernel = new Kernel();
    kernel.callJson({ type: 'lockdep_prove_all' });
    return { kernel };
  },
  exec(sut, event) {
    if (event.type === 'kmalloc') return sut.kernel.callJson({ type: 'kmalloc', task: 't', gfp: event.blocking ? 'GFP_KERNEL' : 'GFP_ATOMIC' });
    if (event.type.endsWith('_restore')) return sut.kernel.callJson({ type: event.type, task: 't', flags: event.flags as number });
    const o = sut.kernel.callJson({ type: event.type, task: 't' });
    const scope = SCOPES.find(([name]) => event.type === `${name}_save`);
    if (scope !== undefined) expectThat(typeof o.flags === 'number' && (o.flags === 0 || o.flags === scope[1]), `${event.type} answered flags ${String(o.flags)}`);
    return o;
  },
  checks: {
    sleepable: (sut) => expectThat(sut.kernel.fork().callJson({ type: 'might_sleep', task: 't' }).violations.length === 0, 'a sleep point must be clean in a sleepable context'),
    atomic: (sut) =>
      expectThat(
        sut.kernel
          .fork()
          .callJson({ type: 'might_sleep', task: 't' })
          .violations.some((v) => v.kind === 'might_sleep'),
        'a sleep point must be reported in atomic context',
      ),
  },
};
