import { dmaFenceCbMachine } from '../../../machines/dmaFenceCb.machine.js';
import { type DmaFence, DmaFenceCtx } from '../../api/dmaFence.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a `dma_fence_cb` path runs on: callback `cb` and the fence it last touched. */
export interface CbSut {
  readonly kernel: Kernel;
  readonly ctx: DmaFenceCtx;
  fence: DmaFence;
}

function freshFence(sut: { ctx: DmaFenceCtx }, signaled: boolean): DmaFence {
  const f = sut.ctx.newFence();
  if (signaled) f.signal();
  return f;
}

function forkFence(sut: CbSut, fence: DmaFence): DmaFence {
  const k = sut.kernel.fork();
  return new (fence.constructor as typeof DmaFence)(k, fence.name);
}

/** Runs `dma_fence_cb` paths against {@link DmaFence}'s callback calls. */
export const dmaFenceCbAdapter: MachineAdapter<CbSut> = {
  machine: dmaFenceCbMachine,
  // The fence's signal reaches only a queued slot: dma_fence_signal walks the fence's cb_list.
  events: (s): MachineEvent[] => [
    { type: 'dma_fence_add_callback', fenceSignaled: false },
    { type: 'dma_fence_add_callback', fenceSignaled: true },
    { type: 'dma_fence_remove_callback' },
    ...(s.value === 'registered' ? [{ type: 'dma_fence_signal' }] : []),
  ],
  setup(): CbSut {
    const kernel = new Kernel();
    const ctx = DmaFenceCtx.new(kernel, 'ctx');
    const sut = { kernel, ctx, fence: freshFence({ ctx }, true) };
    // The slot comes into being unqueued: an add refused by a signaled fence.
    sut.fence.registerCallback('cb');
    return sut;
  },
  exec(sut, event, branch) {
    switch (event.type) {
      case 'dma_fence_add_callback': {
        if (branch.meta.refused) return sut.fence.registerCallback('cb');
        sut.fence = freshFence(sut, event.fenceSignaled as boolean);
        return sut.fence.registerCallback('cb');
      }
      case 'dma_fence_remove_callback': {
        const r = sut.fence.removeCallback('cb');
        expectThat(r.ok && r.value === (branch.source === 'registered'), `remove_callback answered ${JSON.stringify(r)}`);
        return r;
      }
      case 'dma_fence_signal': {
        // Only a queued slot answers the signal (the machine's one branch for it): it runs once.
        const r = sut.fence.signal();
        expectThat(r.ok && (r.value as readonly string[]).includes('cb') && branch.target === 'invoked', `signal ran ${JSON.stringify(r)}`);
        return r;
      }
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    unqueued: (sut) => notQueued(sut),
    invoked: (sut) => notQueued(sut),
    removed: (sut) => notQueued(sut),
    registered: (sut) => {
      const r = forkFence(sut, sut.fence).removeCallback('cb');
      expectThat(r.ok && r.value === true, 'remove_callback must find it queued');
      const again = forkFence(sut, sut.fence).registerCallback('cb');
      expectThat(!again.ok && again.violations[0]?.kind === 'bug_on', 'adding it again must be refused');
      const s = forkFence(sut, sut.fence).signal();
      expectThat(s.ok && (s.value as readonly string[]).filter((c) => c === 'cb').length === 1, 'signal must run it once');
    },
  },
};

function notQueued(sut: CbSut): void {
  const r = forkFence(sut, sut.fence).removeCallback('cb');
  expectThat(r.ok && r.value === false, 'remove_callback must answer false');
  const k = sut.kernel.fork();
  const f = DmaFenceCtx.new(k, 'probe-ctx').newFence('probe');
  const add = f.registerCallback('cb');
  expectThat(add.ok, 'it may be added to a fresh fence');
  // Signalling the fence it last touched does not run it: it is on no list.
  const last = forkFence(sut, sut.fence);
  if (!last.info().flags.signaled) {
    const s = last.signal();
    expectThat(s.ok && !(s.value as readonly string[]).includes('cb'), `signal of its last fence ran it: ${JSON.stringify(s)}`);
  }
}
