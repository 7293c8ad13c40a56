import type { AnyMachineSnapshot } from 'xstate';
import { dmaFenceMachine } from '../../../machines/dmaFence.machine.js';
import { DmaFence, DmaFenceCtx } from '../../api/dmaFence.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type Answer, type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system a `dma_fence` path runs on: one fence under test, a sibling on its context, a spare callback. */
export interface FenceSut {
  readonly kernel: Kernel;
  readonly ctx: DmaFenceCtx;
  readonly fence: DmaFence;
  readonly sibling: DmaFence;
  /** A fence on another context, for dma_fence_is_later's WARN. */
  readonly stranger: DmaFence;
  /** A released fence on the same context, for dma_fence_is_later's use-after-free of f2. */
  readonly ghost: DmaFence;
  /** Callbacks queued on the fence, in order, as the path added them. */
  readonly queued: string[];
  next: number;
}

const MAX_REFS = 2;
const MAX_PENDING = 2;

/** Performs one event on the released fence: every answer is the finding itself. */
function execOnFreed(sut: FenceSut, event: MachineEvent): Answer {
  const f = sut.fence;
  switch (event.type) {
    case 'dma_fence_get':
      return f.get();
    case 'dma_fence_put':
      return f.put();
    case 'dma_fence_signal':
      return f.signal();
    case 'dma_fence_check_and_signal':
      return f.checkAndSignal();
    case 'dma_fence_enable_sw_signaling':
      return f.enableSwSignaling();
    case 'dma_fence_add_callback':
      return f.registerCallback(`cb${++sut.next}`);
    case 'dma_fence_remove_callback':
      return f.removeCallback('spare');
    case 'dma_fence_set_error':
      return f.setError(event.error as number);
    case 'dma_fence_get_status':
      return f.status();
    case 'dma_fence_is_signaled':
      return f.isSignaled();
    case 'dma_fence_is_later':
      return f.isLater(sut.sibling);
    case 'dma_fence_wait_timeout':
      return f.waitTimeout('t', event.timeout as number);
    default:
      throw new Error(`no executor for ${event.type}`);
  }
}

/** Runs `dma_fence` paths against {@link DmaFence}. */
export const dmaFenceAdapter: MachineAdapter<FenceSut> = {
  machine: dmaFenceMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const ctx = s.context as { refcount: number; pending: number };
    const list: MachineEvent[] = [
      { type: 'dma_fence_put' },
      { type: 'dma_fence_signal' },
      { type: 'dma_fence_check_and_signal' },
      { type: 'dma_fence_enable_sw_signaling' },
      { type: 'dma_fence_remove_callback' },
      { type: 'dma_fence_set_error', error: -5 },
      { type: 'dma_fence_set_error', error: 0 },
      { type: 'dma_fence_get_status' },
      { type: 'dma_fence_is_signaled' },
      { type: 'dma_fence_is_later', acrossContexts: false, f2Released: false },
      { type: 'dma_fence_is_later', acrossContexts: true, f2Released: false },
      { type: 'dma_fence_is_later', acrossContexts: false, f2Released: true },
      { type: 'dma_fence_wait_timeout', timeout: -1 },
      { type: 'dma_fence_wait_timeout', timeout: 0 },
      { type: 'dma_fence_wait_timeout', timeout: 5 },
    ];
    // Only a live fence's machine answers an init; a freed one's starts a new lifecycle.
    if (!s.matches('freed')) list.push({ type: 'dma_fence_init' }, { type: 'dma_fence_init64' });
    if (ctx.refcount < MAX_REFS) list.push({ type: 'dma_fence_get' });
    // The static stub is always signaled: its last reference is offered where the fence's is.
    if (s.matches('signaled') && ctx.refcount === 1) list.push({ type: 'dma_fence_put', stub: true });
    if (ctx.pending < MAX_PENDING) list.push({ type: 'dma_fence_add_callback' });
    return list;
  },
  setup(): FenceSut {
    const kernel = new Kernel();
    const ctx = DmaFenceCtx.new(kernel, 'ctx');
    const fence = ctx.newFence('f');
    const sibling = ctx.newFence('sibling');
    // A callback slot that exists but is on no list, for removals with nothing queued.
    sibling.signal();
    sibling.registerCallback('spare');
    const stranger = DmaFenceCtx.new(kernel, 'other').newFence('stranger');
    const ghost = ctx.newFence('ghost');
    ghost.put();
    return { kernel, ctx, fence, sibling, stranger, ghost, queued: [], next: 0 };
  },
  exec(sut, event, branch) {
    const f = sut.fence;
    if (branch.source === 'freed') return execOnFreed(sut, event);
    switch (event.type) {
      case 'dma_fence_init':
        return sut.ctx.newFence('f').created;
      case 'dma_fence_init64':
        return sut.kernel.call({ type: 'dma_fence_init64', fence: 'f', ctx: 'ctx' });
      case 'dma_fence_get':
        return f.get();
      case 'dma_fence_put': {
        if (event.stub === true) {
          // A fresh name for the stub takes a reference; putting it leaves the stub's own last one.
          const stub = DmaFence.stub(sut.kernel, `stub${++sut.next}`);
          expectThat(stub.put().ok, 'a put of a stub reference that is not the last succeeds');
          return stub.put();
        }
        const r = f.put();
        if (r.ok && branch.target === 'freed') {
          expectThat(JSON.stringify(r.value) === JSON.stringify(sut.queued), `release ran ${JSON.stringify(r.value)}, expected ${JSON.stringify(sut.queued)}`);
          sut.queued.length = 0;
        }
        return r;
      }
      case 'dma_fence_signal':
      case 'dma_fence_check_and_signal': {
        const r = event.type === 'dma_fence_signal' ? f.signal() : f.checkAndSignal();
        if (r.ok && branch.target === 'signaled' && event.type === 'dma_fence_signal') {
          const ran = r.value as readonly string[];
          expectThat(JSON.stringify(ran) === JSON.stringify(sut.queued), `signal ran ${JSON.stringify(ran)}, expected ${JSON.stringify(sut.queued)}`);
          sut.queued.length = 0;
        }
        if (r.ok && event.type === 'dma_fence_check_and_signal') {
          expectThat(r.value === (branch.source === 'signaled'), `was_signaled ${String(r.value)} in ${branch.source}`);
          sut.queued.length = 0;
        }
        return r;
      }
      case 'dma_fence_enable_sw_signaling':
        return f.enableSwSignaling();
      case 'dma_fence_add_callback': {
        const cb = `cb${++sut.next}`;
        const r = f.registerCallback(cb);
        if (r.ok) sut.queued.push(cb);
        return r;
      }
      case 'dma_fence_remove_callback': {
        const cb = sut.queued.length > 0 ? (sut.queued[sut.queued.length - 1] as string) : 'spare';
        const r = f.removeCallback(cb);
        expectThat(r.ok && r.value === sut.queued.length > 0, `remove_callback(${cb}) answered ${JSON.stringify(r)}`);
        if (sut.queued.length > 0) sut.queued.pop();
        return r;
      }
      case 'dma_fence_set_error':
        return f.setError(event.error as number);
      case 'dma_fence_get_status':
        return f.status();
      case 'dma_fence_is_signaled':
        return f.isSignaled();
      case 'dma_fence_is_later': {
        if (event.f2Released === true) return f.isLater(sut.ghost);
        if (event.acrossContexts === true) {
          const r = f.isLater(sut.stranger);
          expectThat(r.ok && r.value === false, 'fences on different contexts are never later');
          return r;
        }
        const r = f.isLater(sut.sibling);
        expectThat(r.ok && r.value === false, 'f (seqno 1) is not later than its sibling (seqno 2)');
        return r;
      }
      case 'dma_fence_wait_timeout':
        return f.waitTimeout('t', event.timeout as number);
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    unsignaled: (sut, snap) => {
      const r = sut.fence.isSignaled();
      expectThat(r.ok && r.value === false, 'is_signaled must be false');
      const st = sut.fence.status();
      expectThat(st.ok && st.value === 0, 'get_status must be 0');
      const info = sut.fence.info();
      const ctx = snap.context as { refcount: number; pending: number };
      expectThat(info.refcount === ctx.refcount, `refcount ${info.refcount}, machine says ${ctx.refcount}`);
      expectThat(info.callbacks.length === ctx.pending, `${info.callbacks.length} callbacks queued, machine says ${ctx.pending}`);
      const probe = new DmaFence(sut.kernel.fork(), 'f').signal();
      expectThat(probe.ok && JSON.stringify(probe.value) === JSON.stringify(sut.queued), 'signalling now would run the queued callbacks in order');
    },
    'unsignaled.signalingDisabled': (sut) => expectThat(!sut.fence.info().flags.enableSignal, 'ENABLE_SIGNAL must be clear'),
    'unsignaled.signalingEnabled': (sut) => expectThat(sut.fence.info().flags.enableSignal, 'ENABLE_SIGNAL must be set'),
    signaled: (sut, snap) => {
      const r = sut.fence.isSignaled();
      expectThat(r.ok && r.value === true, 'is_signaled must be true');
      const st = sut.fence.status();
      expectThat(st.ok && st.value !== 0, 'get_status must be 1 or the error');
      expectThat(sut.fence.info().refcount === (snap.context as { refcount: number }).refcount, 'refcount must match');
      const probe = new DmaFence(sut.kernel.fork(), 'f').registerCallback('probe');
      expectThat(!probe.ok && probe.errno === 'ENOENT', 'add_callback must answer ENOENT');
    },
    freed: (sut) => {
      const probe = new DmaFence(sut.kernel.fork(), 'f').get();
      expectThat(!probe.ok && probe.violations[0]?.kind === 'use_after_free', 'a get after release must be a use_after_free');
      const put = new DmaFence(sut.kernel.fork(), 'f').put();
      expectThat(!put.ok && put.violations[0]?.kind === 'refcount_underflow', 'a put after release must be a refcount_underflow');
    },
  },
};
