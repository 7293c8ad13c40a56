import { type Branch, compileMachine, decide } from '../../machines/machineTable.js';
import { dmaFenceMachine } from '../../machines/dmaFence.machine.js';
import { dmaFenceCbMachine } from '../../machines/dmaFenceCb.machine.js';
import { signallingSectionMachine } from '../../machines/signallingSection.machine.js';
import { DrmstateError } from '../errors.js';
import { MAX_ERRNO, negErrno } from '../errno.js';
import type { Errno } from '../errno.js';
import { type Outcome, blocked, fail, ok, refused } from '../world/Outcome.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type Violation, violation } from '../world/Violation.js';
import { type TaskState, type World, taskState, withSlice } from '../world/World.js';
import type { DmaFenceEvent } from './events.js';
import type { CbRecord, CbState, DmaFenceState, FenceRecord, FenceState } from './state.js';

/** The compiled `dma_fence` machine. */
export const FENCE_TABLE = compileMachine(dmaFenceMachine);
/** The compiled `dma_fence_cb` machine. */
export const CB_TABLE = compileMachine(dmaFenceCbMachine);
/** The compiled per-task signalling-section machine. */
export const SECTION_TABLE = compileMachine(signallingSectionMachine);

/** The driver and timeline names of the modelled fences' ops (the stub's are "stub"). */
export const DRIVER_NAME = 'drmstate';

/** A fence found by name: the record and where it lives. */
interface Found {
  readonly rec: FenceRecord;
  readonly isStub: boolean;
}

const ERRNO_EDEADLK = negErrno('EDEADLK');

function unknown(what: string, name: string, field: string): DrmstateError {
  return new DrmstateError('UNKNOWN_OBJECT', `no ${what} named ${JSON.stringify(name)} was ever created`, { field });
}

function find(s: DmaFenceState, name: string, field = 'fence'): Found {
  if (s.stubNames.size > 0 && s.stubNames.has(name) && s.stub) return { rec: s.stub, isStub: true };
  const rec = s.fences.get(name);
  if (rec === undefined) throw unknown('fence', name, field);
  return { rec, isStub: false };
}

/**
 * The slice with some fields replaced; the slice itself when none differs. In a replay's edit
 * session the maps change in place (see `withTransientEdits`), so most calls keep the slice and the
 * world objects as they are (the replay hot path).
 */
function patch(s: DmaFenceState, p: Partial<DmaFenceState>): DmaFenceState {
  for (const k in p) if (p[k as keyof DmaFenceState] !== s[k as keyof DmaFenceState]) return { ...s, ...p };
  return s;
}

function put(s: DmaFenceState, name: string, f: Found, rec: FenceRecord): DmaFenceState {
  return f.isStub ? patch(s, { stub: rec }) : patch(s, { fences: s.fences.set(name, rec) });
}

function withFences(world: World, slice: DmaFenceState): World {
  return withSlice(world, 'dmaFence', slice);
}

function withTask(world: World, task: string, t: TaskState | undefined): World {
  return withSlice(world, 'tasks', t === undefined ? world.tasks.delete(task) : world.tasks.set(task, Object.freeze(t)));
}

function useAfterFree(call: string, name: string): Outcome {
  return refused(violation('use_after_free', `${call} on fence ${JSON.stringify(name)} after it was released`, [name]));
}

function fenceBranch(rec: FenceRecord, event: DmaFenceEvent): Branch {
  const b = decide(FENCE_TABLE, rec.state, event.type, { refcount: rec.refcount, pending: rec.cbs.length }, event);
  // INVARIANT: every non-final state answers every event of the machine (a test checks it).
  if (b === undefined) throw new Error(`dma_fence machine has no branch for ${event.type} in ${rec.state}`);
  return b;
}

function hex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

/** Runs a fence's queued callbacks (dma_fence_signal_timestamp_locked): each once, in list order. */
function runCallbacks(s: DmaFenceState, rec: FenceRecord): { cbs: DmaFenceState['cbs']; ran: string[] } {
  let cbs = s.cbs;
  for (const name of rec.cbs) {
    const cb = cbs.get(name) as CbRecord;
    const b = decide(CB_TABLE, cb.state, 'dma_fence_signal', {});
    cbs = cbs.set(name, Object.freeze({ state: (b?.target ?? cb.state) as CbState, fence: cb.fence }));
  }
  return { cbs, ran: [...rec.cbs] };
}

function signalled(rec: FenceRecord, error = rec.error): FenceRecord {
  return { ...rec, state: 'signaled', error, cbs: [] };
}

function callbacksField(ran: readonly string[]): { callbacks?: string[] } {
  return ran.length > 0 ? { callbacks: [...ran] } : {};
}

function contextAlloc(world: World, s: DmaFenceState, e: Extract<DmaFenceEvent, { type: 'dma_fence_context_alloc' }>): ApplyResult {
  const num = e.num ?? 1;
  if (num < 0 || num > 0xffffffff)
    throw new DrmstateError('MALFORMED_EVENT', 'dma_fence_context_alloc: num is an unsigned int', { field: 'num' });
  const first = BigInt(s.counter);
  const vs: Violation[] = num === 0 ? [violation('warn_on', 'dma_fence_context_alloc(0): WARN_ON(!num)', [e.ctx])] : [];
  const next = BigInt.asUintN(64, first + BigInt(num)).toString();
  const slice: DmaFenceState = {
    ...s,
    counter: next,
    contexts: s.contexts.set(e.ctx, Object.freeze({ id: first.toString(), next: '1' })),
  };
  return { world: withFences(world, slice), outcome: ok({ context: first }, vs) };
}

function init(world: World, s: DmaFenceState, e: Extract<DmaFenceEvent, { type: 'dma_fence_init' | 'dma_fence_init64' }>): ApplyResult {
  const ctx = s.contexts.get(e.ctx);
  if (ctx === undefined) throw unknown('fence context', e.ctx, 'ctx');
  const old = s.fences.get(e.fence);
  if (old !== undefined && old.state !== 'freed')
    return {
      world,
      outcome: refused(violation('bug_on', `${e.type} on fence ${JSON.stringify(e.fence)}, which is still alive (refcount ${old.refcount})`, [e.fence])),
    };
  let seqno: bigint;
  let contexts = s.contexts;
  if (e.seqno === undefined) {
    seqno = BigInt(ctx.next);
    contexts = contexts.set(e.ctx, Object.freeze({ id: ctx.id, next: BigInt.asUintN(64, seqno + 1n).toString() }));
  } else {
    // KERNEL: an explicit seqno is the caller's; the per-context counter is ours and does not move.
    seqno = e.seqno;
  }
  const rec: FenceRecord = Object.freeze({
    state: FENCE_TABLE.initial as FenceState,
    refcount: 1,
    context: ctx.id,
    seqno: seqno.toString(),
    seqno64: e.type === 'dma_fence_init64',
    error: 0,
    cbs: [],
  });
  const slice = patch(s, { contexts, fences: s.fences.set(e.fence, rec), stubNames: s.stubNames.delete(e.fence) });
  return { world: withFences(world, slice), outcome: ok({ context: BigInt(ctx.id), seqno }) };
}

function getStub(world: World, s: DmaFenceState, name: string): ApplyResult {
  const other = s.fences.get(name);
  if (other !== undefined && other.state !== 'freed')
    throw new DrmstateError('MALFORMED_EVENT', `dma_fence_get_stub: ${JSON.stringify(name)} already names a live fence; pick another name`, {
      field: 'fence',
    });
  // KERNEL: the stub is initialised, ENABLE_SIGNAL set and signaled on first use; then a reference is taken.
  const stub: FenceRecord = s.stub ?? { state: 'signaled', refcount: 1, context: '0', seqno: '0', seqno64: false, error: 0, cbs: [] };
  const slice: DmaFenceState = {
    ...s,
    fences: other !== undefined ? s.fences.delete(name) : s.fences,
    stub: Object.freeze({ ...stub, refcount: stub.refcount + 1 }),
    stubNames: s.stubNames.set(name, true),
  };
  // KERNEL: dma_fence_get_stub returns only the pointer; the vocabulary gives it no outcome fields.
  return { world: withFences(world, slice), outcome: ok() };
}

function putFence(world: World, s: DmaFenceState, name: string, f: Found, b: Branch): ApplyResult {
  const rec = f.rec;
  if (b.target !== 'freed') return { world: withFences(world, put(s, name, f, { ...rec, refcount: rec.refcount - 1 })), outcome: ok() };
  if (f.isStub)
    return {
      world,
      outcome: refused(violation('bug_on', 'dma_fence_put drops the last reference of the static stub fence: it would be kfree()d', [name])),
    };
  if (b.meta.violation === 'warn_on') {
    // KERNEL: dma_fence_release WARNs, sets -EDEADLK and signals under the lock before freeing.
    const msg = `Fence ${DRIVER_NAME}:${DRIVER_NAME}:${hex(rec.context)}:${hex(rec.seqno)} released with pending signals!`;
    const { cbs, ran } = runCallbacks(s, rec);
    const freed: FenceRecord = { ...signalled(rec, ERRNO_EDEADLK), state: 'freed', refcount: 0 };
    return {
      world: withFences(world, patch(put(s, name, f, freed), { cbs })),
      outcome: ok(callbacksField(ran), [violation('warn_on', msg, [name, ...ran])]),
    };
  }
  return { world: withFences(world, put(s, name, f, { ...rec, state: 'freed', refcount: 0 })), outcome: ok() };
}

function signal(world: World, s: DmaFenceState, name: string, f: Found, b: Branch, check: boolean): ApplyResult {
  if (b.target !== 'signaled' || f.rec.state === 'signaled') {
    return { world, outcome: check ? ok({ was_signaled: true }) : fail(b.meta.errno as Errno) };
  }
  const { cbs, ran } = runCallbacks(s, f.rec);
  const slice = patch(put(s, name, f, signalled(f.rec)), { cbs });
  return { world: withFences(world, slice), outcome: ok(check ? { was_signaled: false, ...callbacksField(ran) } : callbacksField(ran)) };
}

function addCallback(world: World, s: DmaFenceState, name: string, f: Found, cbName: string, b: Branch): ApplyResult {
  const cb = s.cbs.get(cbName) ?? { state: CB_TABLE.initial as CbState, fence: name };
  const cbb = decide(CB_TABLE, cb.state, 'dma_fence_add_callback', {}, { type: 'dma_fence_add_callback', fenceSignaled: f.rec.state === 'signaled' });
  if (cbb?.meta.refused)
    return {
      world,
      outcome: refused(
        violation('bug_on', `dma_fence_add_callback: callback ${JSON.stringify(cbName)} is still queued on fence ${JSON.stringify(cb.fence)} (list_add corruption)`, [
          cbName,
          cb.fence,
        ]),
      ),
    };
  const cbState = (cbb?.target ?? cb.state) as CbState;
  if (b.meta.errno === 'ENOENT') {
    // KERNEL: on a signaled fence the node is initialised as not queued and the callback never runs.
    const slice = patch(s, { cbs: s.cbs.set(cbName, Object.freeze({ state: cbState, fence: name })) });
    return { world: withFences(world, slice), outcome: fail('ENOENT') };
  }
  const rec: FenceRecord = { ...f.rec, state: b.target as FenceState, cbs: [...f.rec.cbs, cbName] };
  const slice = patch(put(s, name, f, rec), { cbs: s.cbs.set(cbName, Object.freeze({ state: cbState, fence: name })) });
  return { world: withFences(world, slice), outcome: ok() };
}

function removeCallback(world: World, s: DmaFenceState, name: string, cbName: string): ApplyResult {
  const cb = s.cbs.get(cbName);
  if (cb === undefined) throw unknown('callback', cbName, 'cb');
  if (cb.state !== 'registered') return { world, outcome: ok({ removed: false }) };
  // KERNEL: list_del_init unlinks the node from whichever list holds it, so the fence it is queued on
  // loses it even when the call names another fence.
  const host = s.stubNames.has(cb.fence) ? undefined : s.fences.get(cb.fence);
  let slice = patch(s, { cbs: s.cbs.set(cbName, Object.freeze({ state: 'removed', fence: cb.fence })) });
  if (host !== undefined) slice = patch(slice, { fences: slice.fences.set(cb.fence, Object.freeze({ ...host, cbs: host.cbs.filter((c) => c !== cbName) })) });
  return { world: withFences(world, slice), outcome: ok({ removed: true }) };
}

function isLater(world: World, s: DmaFenceState, e: Extract<DmaFenceEvent, { type: 'dma_fence_is_later' }>): ApplyResult {
  const a = find(s, e.f1, 'f1');
  const b = find(s, e.f2, 'f2');
  if (a.rec.state === 'freed') return { world, outcome: useAfterFree('dma_fence_is_later', e.f1) };
  if (b.rec.state === 'freed') return { world, outcome: useAfterFree('dma_fence_is_later', e.f2) };
  if (a.rec.context !== b.rec.context)
    return {
      world,
      outcome: ok({ later: false }, [violation('warn_on', `dma_fence_is_later across contexts ${a.rec.context} and ${b.rec.context}`, [e.f1, e.f2])]),
    };
  const s1 = BigInt(a.rec.seqno);
  const s2 = BigInt(b.rec.seqno);
  // KERNEL: __dma_fence_is_later compares 64-bit seqnos only with SEQNO64 on f1; otherwise the signed
  // difference of the low 32 bits.
  const later = a.rec.seqno64 ? s1 > s2 : BigInt.asIntN(32, BigInt.asUintN(32, s1) - BigInt.asUintN(32, s2)) > 0n;
  return { world, outcome: ok({ later }) };
}

function setError(world: World, s: DmaFenceState, name: string, f: Found, error: number): ApplyResult {
  const vs: Violation[] = [];
  if (f.rec.state === 'signaled') vs.push(violation('warn_on', `dma_fence_set_error on signaled fence ${JSON.stringify(name)}`, [name]));
  if (error >= 0 || error < -MAX_ERRNO) vs.push(violation('warn_on', `dma_fence_set_error(${error}): not in [-${MAX_ERRNO}, -1]`, [name]));
  return { world: withFences(world, put(s, name, f, { ...f.rec, error })), outcome: ok({}, vs) };
}

function waitTimeout(world: World, s: DmaFenceState, name: string, f: Found, timeout: number, b: Branch): ApplyResult {
  if (b.meta.errno === 'EINVAL')
    return { world, outcome: fail('EINVAL', [violation('warn_on', `dma_fence_wait_timeout(${timeout}): WARN_ON(timeout < 0)`, [name])]) };
  if (b.meta.blocked) return { world, outcome: blocked() };
  if (f.rec.state === 'signaled') return { world, outcome: ok({ ret: timeout === 0 ? 1 : timeout }) };
  // A poll of an unsignaled fence: signaling is now enabled, and the answer is 0.
  const next = b.target === f.rec.state ? world : withFences(world, put(s, name, f, { ...f.rec, state: b.target as FenceState }));
  return { world: next, outcome: ok({ ret: 0 }) };
}

function beginSignalling(world: World, task: string): ApplyResult {
  const t = taskState(world, task);
  const b = decide(SECTION_TABLE, t.signalling ? 'inside' : 'outside', 'dma_fence_begin_signalling', {});
  if (b?.target === 'inside' && !t.signalling) return { world: withTask(world, task, { ...t, signalling: true }), outcome: ok({ cookie: false }) };
  return { world, outcome: ok({ cookie: true }) };
}

function endSignalling(world: World, task: string, cookie: boolean): ApplyResult {
  const t = taskState(world, task);
  const b = decide(SECTION_TABLE, t.signalling ? 'inside' : 'outside', 'dma_fence_end_signalling', {}, { type: 'dma_fence_end_signalling', cookie });
  if (b?.meta.refused)
    return {
      world,
      outcome: refused(violation('lockdep', `dma_fence_end_signalling(false) in task ${JSON.stringify(task)}, which holds no dma_fence_map: bad unlock balance`, [task])),
    };
  if (b?.target === 'outside' && t.signalling) return { world: withTask(world, task, undefined), outcome: ok() };
  return { world, outcome: ok() };
}

/**
 * Applies one decoded dma_fence event. Pure.
 *
 * Models the functions of drivers/dma-buf/dma-fence.c and include/linux/dma-fence.h (v6.17).
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` for a fence, context or callback name never created.
 */
export function applyDmaFence(world: World, e: DmaFenceEvent): ApplyResult {
  const s = world.dmaFence;
  switch (e.type) {
    case 'dma_fence_context_alloc':
      return contextAlloc(world, s, e);
    case 'dma_fence_init':
    case 'dma_fence_init64':
      return init(world, s, e);
    case 'dma_fence_get_stub':
      return getStub(world, s, e.fence);
    case 'dma_fence_is_later':
      return isLater(world, s, e);
    case 'dma_fence_begin_signalling':
      return beginSignalling(world, e.task);
    case 'dma_fence_end_signalling':
      return endSignalling(world, e.task, e.cookie);
    default:
      break;
  }
  const name = e.fence;
  const f = find(s, name);
  if (e.type === 'dma_fence_remove_callback' && !s.cbs.has(e.cb)) throw unknown('callback', e.cb, 'cb');
  if (e.type === 'dma_fence_wait_timeout' && e.timeout < 0) {
    // KERNEL: dma_fence_wait_timeout returns -EINVAL on WARN_ON(timeout < 0) before it touches the
    // fence, so even a released fence is not read.
    return { world, outcome: fail('EINVAL', [violation('warn_on', `dma_fence_wait_timeout(${e.timeout}): WARN_ON(timeout < 0)`, [name])]) };
  }
  if (f.rec.state === 'freed') {
    // KERNEL: refcount_t saturates and warns on a put of a freed object; any other access reads freed memory.
    if (e.type === 'dma_fence_put')
      return { world, outcome: refused(violation('refcount_underflow', `dma_fence_put on fence ${JSON.stringify(name)}, already released`, [name])) };
    return { world, outcome: useAfterFree(e.type, name) };
  }
  const b = fenceBranch(f.rec, e);
  switch (e.type) {
    case 'dma_fence_get':
      return { world: withFences(world, put(s, name, f, { ...f.rec, refcount: f.rec.refcount + 1 })), outcome: ok() };
    case 'dma_fence_put':
      return putFence(world, s, name, f, b);
    case 'dma_fence_signal':
      return signal(world, s, name, f, b, false);
    case 'dma_fence_check_and_signal':
      return signal(world, s, name, f, b, true);
    case 'dma_fence_enable_sw_signaling':
      return b.target === f.rec.state ? { world, outcome: ok() } : { world: withFences(world, put(s, name, f, { ...f.rec, state: b.target as FenceState })), outcome: ok() };
    case 'dma_fence_add_callback':
      return addCallback(world, s, name, f, e.cb, b);
    case 'dma_fence_remove_callback':
      return removeCallback(world, s, name, e.cb);
    case 'dma_fence_set_error':
      // KERNEL: the parameter is a C `int`, so a wider value arrives truncated to 32 bits.
      return setError(world, s, name, f, Number(BigInt.asIntN(32, BigInt(e.error))));
    case 'dma_fence_get_status':
      return { world, outcome: ok({ status: f.rec.state === 'signaled' ? f.rec.error || 1 : 0 }) };
    case 'dma_fence_is_signaled':
      return { world, outcome: ok({ signaled: f.rec.state === 'signaled' }) };
    case 'dma_fence_wait_timeout':
      return waitTimeout(world, s, name, f, e.timeout, b);
  }
}

