import { type Branch, type BranchTrace, branchViolations, compileMachine, decide, hasEffect } from '../../machines/machineTable.js';
import { type DmaFenceCallType, dmaFenceMachine } from '../../machines/dmaFence.machine.js';
import { dmaFenceCbMachine } from '../../machines/dmaFenceCb.machine.js';
import { dmaFenceContextMachine } from '../../machines/dmaFenceContext.machine.js';
import { signallingSectionMachine } from '../../machines/signallingSection.machine.js';
import { DrmstateError } from '../errors.js';
import { type Misuse, unknownObject } from '../world/Misuse.js';
import { ERRNO_VALUES, MAX_ERRNO } from '../errno.js';
import type { Errno } from '../errno.js';
import { type Outcome, type OutcomeValue, blocked, fail, ok, refused } from '../world/Outcome.js';
import type { ApplyResult, KernelCalls } from '../world/Protocol.js';
import { type Violation, type ViolationKind, violation } from '../world/Violation.js';
import { type World, withSlice } from '../world/World.js';
import type { DmaFenceEvent } from './events.js';
import { DMA_FENCE_MAP } from '../locking/lockdep.js';
import { callbackEnter, callbackExit, fenceLockClass, fenceLockTouch, holdsMap, inAtomic, lockdepEnabled, lockdepReport, mapAcquire, mapRelease, mightSleep, mightWait } from '../locking/ops.js';
import { applyLockingEvent, isLockingEvent } from '../locking/apply.js';
import { LOCKING_EVENTS } from '../locking/events.js';
import { DMA_FENCE_EVENTS } from './events.js';
import type { Event } from '../world/Event.js';
import { decodeFields } from '../world/fields.js';
import type { EventDef } from '../world/Protocol.js';
import { outcomeToJson } from '../world/logFormat.js';
import { type CbRecord, type CbState, type DmaFenceState, type DmaFenceTask, type FenceRecord, type FenceState, IDLE_TASK } from './state.js';

/** The compiled `dma_fence` machine. */
export const FENCE_TABLE = compileMachine(dmaFenceMachine);
/** The compiled `dma_fence_context` machine. */
export const CONTEXT_TABLE = compileMachine(dmaFenceContextMachine);
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

function unknown(what: string, name: string, field: string): Misuse {
  return unknownObject(`no ${what} named ${JSON.stringify(name)} was ever created`, field, name);
}

function find(s: DmaFenceState, name: string, field = 'fence'): Found {
  if (s.stubNames.size > 0 && s.stubNames.has(name) && s.stub) return { rec: s.stub, isStub: true };
  const rec = s.fences.get(name);
  if (rec === undefined) throw unknown('fence', name, field);
  return { rec, isStub: false };
}

/**
 * The slice with some fields replaced; the slice itself when none differs. In a replay's edit
 * session the maps change in place (see `EditSession`), so most calls keep the slice and the
 * world objects as they are (the replay hot path).
 */
function patch(s: DmaFenceState, p: Partial<DmaFenceState>): DmaFenceState {
  for (const k in p) if (p[k as keyof DmaFenceState] !== s[k as keyof DmaFenceState]) return { ...s, ...p };
  return s;
}

/** A writable copy of a fence record, written out field by field (a spread costs several times more on the fence hot path). */
function copyFence(r: FenceRecord): { -readonly [K in keyof FenceRecord]: FenceRecord[K] } {
  return { state: r.state, refcount: r.refcount, context: r.context, seqno: r.seqno, seqno64: r.seqno64, error: r.error, cbs: r.cbs };
}

function put(s: DmaFenceState, name: string, f: Found, rec: FenceRecord): DmaFenceState {
  if (f.isStub) return patch(s, { stub: rec });
  // The hot path of every fence call: one field, written out (no partial object to walk).
  const fences = s.fences.set(name, rec);
  return fences === s.fences ? s : { counter: s.counter, contexts: s.contexts, fences, cbs: s.cbs, stub: s.stub, stubNames: s.stubNames, tasks: s.tasks };
}

function withFences(world: World, slice: DmaFenceState): World {
  return withSlice(world, 'dmaFence', slice);
}

/** The world with one task's section state replaced (an idle one is not stored). */
function withTask(world: World, task: string, t: DmaFenceTask): World {
  const s = world.dmaFence;
  const idle = !t.signalling && t.nested === 0;
  return withFences(world, patch(s, { tasks: idle ? s.tasks.delete(task) : s.tasks.set(task, Object.freeze(t)) }));
}

function hex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

function contextAlloc(world: World, s: DmaFenceState, e: Extract<DmaFenceEvent, { type: 'dma_fence_context_alloc' }>, trace: BranchTrace | undefined): ApplyResult {
  const num = e.num ?? 1;
  if (num < 0 || num > 0xffffffff)
    throw new DrmstateError('MALFORMED_EVENT', 'dma_fence_context_alloc: num is an unsigned int', { field: 'num' });
  const first = BigInt(s.counter);
  // The context name's machine decides the WARN; this performs the allocation every branch makes.
  const b = decide(CONTEXT_TABLE, s.contexts.has(e.ctx) ? 'allocated' : 'unallocated', e.type, {}, { type: e.type, num }, trace) as Branch;
  const vs: Violation[] = branchViolations(b.meta).map((v) => violation(v.kind as ViolationKind, `dma_fence_context_alloc(${num}): WARN_ON(!num)`, [e.ctx]));
  const next = BigInt.asUintN(64, first + BigInt(num)).toString();
  const slice: DmaFenceState = {
    ...s,
    counter: next,
    contexts: s.contexts.set(e.ctx, Object.freeze({ id: first.toString(), next: '1' })),
  };
  return { world: withFences(world, slice), outcome: ok({ context: first }, vs) };
}

/** A dma_fence_init or dma_fence_init64 call. */
type InitCall = Extract<DmaFenceEvent, { type: 'dma_fence_init' | 'dma_fence_init64' }>;

function init(world: World, s: DmaFenceState, e: InitCall, trace: BranchTrace | undefined): ApplyResult {
  const ctx = s.contexts.get(e.ctx);
  if (ctx === undefined) throw unknown('fence context', e.ctx, 'ctx');
  const old = s.fences.get(e.fence);
  // A live fence's machine answers the init (refusing it); a name never used or freed starts a new
  // lifecycle in the machine's initial state.
  if (old !== undefined && old.state !== 'freed') {
    const b = decide(FENCE_TABLE, old.state, e.type, { refcount: old.refcount, pending: old.cbs.length }, e, trace) as Branch;
    if (b.meta.refused) return { world, outcome: refused(...violationsOf(b, { call: e.type, name: e.fence, rec: old, ran: NO_NAMES, event: e })) };
  }
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

/** A call the `dma_fence` machine decides, on the one fence it names (`f1` for is_later). */
type FenceCall = Extract<DmaFenceEvent, { readonly type: DmaFenceCallType }>;

/**
 * The named effects of the `dma_fence` and `dma_fence_cb` branches that this file performs. A test
 * checks that every effect a branch names is here.
 */
export const FENCE_EFFECTS: ReadonlySet<string> = new Set([
  'krefGet',
  'krefPut',
  'setErrorDeadlock',
  'runCallbacks',
  'release',
  'listAddTail',
  'listDelInit',
  'storeError',
  'returnErrorOrOne',
  'returnTimeout',
  'compareSeqnos',
  'mightWait',
]);

/** The named effects of the `dma_fence_cb` branches that this file performs. */
export const CB_EFFECTS: ReadonlySet<string> = new Set(['listDelInit', 'runCallback']);

const NO_NAMES: readonly string[] = Object.freeze([]);

/** What a violation message may mention: the call, the fence and what the call did. */
interface Said {
  readonly call: string;
  readonly name: string;
  readonly rec: FenceRecord;
  readonly ran: readonly string[];
  readonly event: FenceCall | InitCall;
  /** For dma_fence_is_later: the second fence. */
  readonly other?: FenceRecord;
  /** For dma_fence_add_callback: the fence the slot is still queued on. */
  readonly host?: string;
}

/** The message and objects of one violation a branch records, keyed by the check that raised it. */
function say(check: string | undefined, fallback: string, w: Said): { message: string; objects: readonly string[] } {
  const e = w.event;
  switch (check) {
    case 'releasedWithPendingSignals':
      // KERNEL: dma_fence_release prints driver:timeline:context:seqno, the numbers in hex.
      return {
        message: `Fence ${DRIVER_NAME}:${DRIVER_NAME}:${hex(w.rec.context)}:${hex(w.rec.seqno)} released with pending signals!`,
        objects: [w.name, ...w.ran],
      };
    case 'signaled':
      return { message: `dma_fence_set_error on signaled fence ${JSON.stringify(w.name)}`, objects: [w.name] };
    case 'outOfRange':
      return { message: `dma_fence_set_error(${e.type === 'dma_fence_set_error' ? e.error : '?'}): not in [-${MAX_ERRNO}, -1]`, objects: [w.name] };
    case 'negativeTimeout':
      return { message: `dma_fence_wait_timeout(${e.type === 'dma_fence_wait_timeout' ? e.timeout : '?'}): WARN_ON(timeout < 0)`, objects: [w.name] };
    case 'acrossContexts':
      return e.type === 'dma_fence_is_later'
        ? { message: `dma_fence_is_later across contexts ${w.rec.context} and ${w.other?.context ?? '?'}`, objects: [e.f1, e.f2] }
        : { message: fallback, objects: [w.name] };
    case 'stillAlive':
      return { message: `${w.call} on fence ${JSON.stringify(w.name)}, which is still alive (refcount ${w.rec.refcount})`, objects: [w.name] };
    case 'released':
      return { message: `${w.call} on fence ${JSON.stringify(w.name)} after it was released`, objects: [w.name] };
    case 'alreadyReleased':
      // KERNEL: refcount_t saturates and warns on a put of a freed object.
      return { message: `dma_fence_put on fence ${JSON.stringify(w.name)}, already released`, objects: [w.name] };
    case 'f2Released':
      return e.type === 'dma_fence_is_later'
        ? { message: `dma_fence_is_later on fence ${JSON.stringify(e.f2)} after it was released`, objects: [e.f2] }
        : { message: fallback, objects: [w.name] };
    case 'staticStub':
      return { message: 'dma_fence_put drops the last reference of the static stub fence: it would be kfree()d', objects: [w.name] };
    case 'stillQueued':
      return e.type === 'dma_fence_add_callback'
        ? {
            message: `dma_fence_add_callback: callback ${JSON.stringify(e.cb)} is still queued on fence ${JSON.stringify(w.host)} (list_add corruption)`,
            objects: [e.cb, w.host ?? w.name],
          }
        : { message: fallback, objects: [w.name] };
    default:
      return { message: `${w.call}: ${fallback}`, objects: [w.name] };
  }
}

/** The violations a branch records, with their messages. */
function violationsOf(b: Branch, w: Said): Violation[] {
  const list = branchViolations(b.meta);
  if (list.length === 0) return [];
  return list.map((v) => {
    const { message, objects } = say(v.check, b.description, w);
    return violation(v.kind as ViolationKind, message, objects);
  });
}

/**
 * Runs a fence's queued callbacks (dma_fence_signal_timestamp_locked): each slot on the list is
 * asked its `dma_fence_signal` branch; those whose branch runs the callback ran, in list order.
 */
function runCallbacks(cbs: DmaFenceState['cbs'], rec: FenceRecord, fence: string, trace: BranchTrace | undefined): { cbs: DmaFenceState['cbs']; ran: string[] } {
  const ran: string[] = [];
  const event = { type: 'dma_fence_signal', fence };
  let out = cbs;
  for (const name of rec.cbs) {
    const cb = out.get(name) as CbRecord;
    const b = decide(CB_TABLE, cb.state, 'dma_fence_signal', {}, event, trace) as Branch;
    if (hasEffect(b.meta, 'runCallback')) ran.push(name);
    if (b.target !== cb.state) out = out.set(name, Object.freeze({ state: b.target as CbState, fence: cb.fence }));
  }
  return { cbs: out, ran };
}

/**
 * The dma_fence_cb slot's part of dma_fence_remove_callback: the slot's branch answers whether it
 * was queued, and its `listDelInit` unlinks it from whichever fence holds it.
 */
function removeFromSlot(
  s: DmaFenceState,
  name: string,
  f: Found,
  rec: FenceRecord,
  e: Extract<FenceCall, { readonly type: 'dma_fence_remove_callback' }>,
  trace: BranchTrace | undefined,
): { slice: DmaFenceState; rec: FenceRecord; removed: OutcomeValue | undefined } {
  const cb = s.cbs.get(e.cb) as CbRecord;
  const cbb = decide(CB_TABLE, cb.state, e.type, {}, e, trace) as Branch;
  const removed = cbb.meta.returns?.removed;
  if (!hasEffect(cbb.meta, 'listDelInit')) return { slice: s, rec, removed };
  let slice = patch(s, { cbs: s.cbs.set(e.cb, Object.freeze({ state: cbb.target as CbState, fence: cb.fence })) });
  // KERNEL: list_del_init unlinks the node from whichever list holds it, so the fence it is queued on
  // loses it even when the call names another fence.
  if (cb.fence === name && !f.isStub) return { slice, rec: { ...rec, cbs: rec.cbs.filter((c) => c !== e.cb) }, removed };
  const host = s.stubNames.has(cb.fence) ? undefined : s.fences.get(cb.fence);
  if (host !== undefined) slice = patch(slice, { fences: slice.fences.set(cb.fence, Object.freeze({ ...host, cbs: host.cbs.filter((c) => c !== e.cb) })) });
  return { slice, rec, removed };
}

/** The dma_fence calls that always take `fence->lock` (their fence's lock class is touched inside a body). */
const TAKES_FENCE_LOCK = new Set(['dma_fence_signal', 'dma_fence_check_and_signal', 'dma_fence_remove_callback', 'dma_fence_enable_sw_signaling', 'dma_fence_get_status']);

/**
 * Whether a call of a callback body takes its fence's lock (dma-fence.c): the calls that always do,
 * dma_fence_add_callback unless the fence is signaled (it answers ENOENT before locking),
 * dma_fence_wait_timeout unless the timeout is negative (it WARNs and returns first), and the
 * dma_fence_put that releases a fence with callbacks pending (dma_fence_release signals it under the
 * lock).
 */
function takesFenceLock(raw: { readonly type: string; readonly [field: string]: unknown }, f: FenceRecord): boolean {
  if (TAKES_FENCE_LOCK.has(raw.type)) return true;
  switch (raw.type) {
    case 'dma_fence_add_callback':
      return f.state !== 'signaled';
    case 'dma_fence_wait_timeout':
      return !(Number(raw.timeout) < 0);
    case 'dma_fence_put':
      return f.refcount === 1 && f.cbs.length > 0 && f.state !== 'signaled';
    default:
      return false;
  }
}

/**
 * Runs callback bodies the way dma_fence_signal_timestamp_locked calls `cur->func`: in the signalling
 * task, with `fence->lock` held and IRQs off (spin_lock_irqsave), each body's calls in order. The
 * calls' outcomes are listed per callback; their violations are also returned, naming the callback.
 * A dma_fence call in a body that takes a fence lock annotates that lock's class (the same fence, or
 * one of the same context, is lockdep's recursive locking). This is the Rust `DmaFenceCbFunc::callback`.
 *
 * Calls of other protocols go through `kernel`, the kernel composed around dma_fence.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` for a body call no protocol answers.
 */
function runBodies(
  world: World,
  rec: FenceRecord,
  cbs: readonly (readonly [string, readonly Event[]])[],
  task: string,
  sectioned: boolean,
  trace: BranchTrace | undefined,
  kernel: KernelCalls | undefined,
): { world: World; bodies: { [cb: string]: OutcomeValue }; violations: Violation[] } {
  const cls = fenceLockClass(rec.context);
  const vs: Violation[] = [];
  const bodies: { [cb: string]: OutcomeValue } = {};
  // KERNEL: dma_fence_signal opens a signalling section around the locked signal (begin returns
  // true, doing nothing, inside a section or in atomic context).
  let w = world;
  const section = sectioned && lockdepEnabled(w) && !inAtomic(w, task) && !holdsMap(w, task, DMA_FENCE_MAP);
  if (section) w = mapAcquire(w, task, DMA_FENCE_MAP, { read: true, trylock: true, what: 'dma_fence_signal()' }).world;
  const enter = callbackEnter(w, task, cls);
  w = enter.world;
  vs.push(...enter.violations);
  for (const [cb, body] of cbs) {
    const outs: OutcomeValue[] = [];
    for (const raw of body) {
      const def = DMA_FENCE_EVENTS[raw.type as keyof typeof DMA_FENCE_EVENTS] as EventDef | undefined;
      const fields = (def ?? (LOCKING_EVENTS as { readonly [t: string]: EventDef | undefined })[raw.type])?.fields;
      const ev: Event = fields !== undefined && 'task' in fields ? { ...raw, task } : raw;
      const pre: Violation[] = [];
      let r: ApplyResult;
      if (def !== undefined) {
        const named = typeof raw.fence === 'string' ? w.dmaFence.fences.get(raw.fence) : undefined;
        const locks = named !== undefined && takesFenceLock(raw, named);
        // KERNEL: the put's release WARNs before it locks, and the wait's might_sleep and
        // might-wait annotation come before enable_sw_signaling locks: their lock comes after.
        const lockLast = raw.type === 'dma_fence_put' || raw.type === 'dma_fence_wait_timeout';
        if (locks && !lockLast) {
          const t = fenceLockTouch(w, task, fenceLockClass(named.context), `${raw.type}(${raw.fence})`);
          w = t.world;
          pre.push(...t.violations);
        }
        r = applyDmaFence(w, decodeFields<DmaFenceEvent>(ev, def.fields), trace, kernel);
        if (locks && lockLast) {
          const t = fenceLockTouch(r.world, task, fenceLockClass(named.context), `${raw.type}(${raw.fence})`);
          r = t.violations.length === 0 ? { world: t.world, outcome: r.outcome } : { world: t.world, outcome: { ...r.outcome, violations: [...r.outcome.violations, ...t.violations] } as Outcome };
        }
      } else if (isLockingEvent(raw.type)) r = applyLockingEvent(w, ev, trace);
      // Any other protocol's call goes through the kernel composed around this one (mmput, a GEM put, …).
      else if (kernel !== undefined) r = kernel.call(w, raw, task);
      else throw new DrmstateError('MALFORMED_EVENT', `callback ${JSON.stringify(cb)}: "${raw.type}" is not a dma_fence or locking call (no kernel composed around dma_fence for others)`, { field: 'do' });
      w = r.world;
      const all = [...pre, ...r.outcome.violations];
      const json = outcomeToJson(all.length === r.outcome.violations.length ? r.outcome : { ...r.outcome, violations: all }) as { [k: string]: OutcomeValue };
      outs.push({ type: raw.type, ...json });
      for (const v of all) vs.push(violation(v.kind, `in callback ${JSON.stringify(cb)} (${raw.type}): ${v.message}`, v.objects));
    }
    bodies[cb] = outs;
  }
  const exit = callbackExit(w, task, cls, enter.irqsWereOff);
  vs.push(...exit.violations);
  w = exit.world;
  if (section) {
    const r = mapRelease(w, task, DMA_FENCE_MAP, 'dma_fence_signal()', true);
    w = r.world;
    vs.push(...r.violations);
  }
  return { world: w, bodies, violations: vs };
}

/**
 * One call on a live fence: the `dma_fence` machine picks the branch, and this performs the effects
 * the branch names, returns the values it fixes, and records its violations. For add and remove
 * the callback slot's own machine is asked as well.
 */
function callFence(world: World, s: DmaFenceState, f: Found, name: string, e: FenceCall, trace: BranchTrace | undefined, kernel?: KernelCalls): ApplyResult {
  const rec0 = f.rec;
  let other: FenceRecord | undefined;
  let event: unknown = e;
  if (e.type === 'dma_fence_set_error') {
    // KERNEL: the parameter is a C `int`, so a wider error arrives truncated to 32 bits (ToInt32 is
    // exact for every safe integer): the WARN checks the truncated value.
    const error = e.error | 0;
    if (error !== e.error) event = { ...e, error };
  } else if (e.type === 'dma_fence_put') {
    if (f.isStub) event = { ...e, stub: true };
  } else if (e.type === 'dma_fence_is_later') {
    other = find(s, e.f2, 'f2').rec;
    event = { ...e, f2Released: other.state === 'freed', acrossContexts: rec0.context !== other.context };
  }
  const b = decide(FENCE_TABLE, rec0.state, e.type, { refcount: rec0.refcount, pending: rec0.cbs.length }, event, trace) as Branch;
  const m = b.meta;
  // KERNEL: dma_fence_wait_timeout calls might_sleep() and __dma_fence_might_wait() before it looks
  // at the fence, whatever the timeout: even a poll is a sleep point and records the wait's edges.
  let waited: readonly Violation[] = NO_VIOLATIONS;
  if (hasEffect(m, 'mightWait') && e.type === 'dma_fence_wait_timeout') {
    const what = `dma_fence_wait_timeout(${name}, ${e.timeout})`;
    const a = mightSleep(world, e.task, what, trace);
    const c = mightWait(a.world, e.task, what);
    world = c.world;
    waited = [...a.violations, ...c.violations];
  }
  if (m.blocked) return { world, outcome: waited.length === 0 ? blocked() : { ok: false, blocked: true, violations: waited } };
  // A refusing branch (freed memory, a released f2, the stub's last reference) changes nothing and
  // names no effect.
  if (m.refused) return { world, outcome: refused(...violationsOf(b, { call: e.type, name, rec: rec0, ran: NO_NAMES, event: e, other })) };
  let slice = s;
  // The fence record as the effects leave it: a copy made on the first write.
  let d: { -readonly [K in keyof FenceRecord]: FenceRecord[K] } | undefined;
  let ran: readonly string[] = NO_NAMES;
  // Values the effects return, besides those the branch fixes.
  let extra: { [k: string]: OutcomeValue } | undefined;
  let host: string | undefined;
  if (e.type === 'dma_fence_add_callback') {
    const cb = s.cbs.get(e.cb) ?? { state: CB_TABLE.initial as CbState, fence: name };
    host = cb.fence;
    const cbb = decide(CB_TABLE, cb.state, e.type, {}, { ...e, fenceSignaled: rec0.state === 'signaled' }, trace) as Branch;
    if (cbb.meta.refused) return { world, outcome: refused(...violationsOf(cbb, { call: e.type, name, rec: rec0, ran, event: e, host })) };
    // KERNEL: on a signaled fence the node is initialised as not queued; either way the slot now
    // belongs to this fence.
    const body = e.do !== undefined && cbb.target === 'registered' ? { body: e.do as readonly Event[] } : {};
    slice = patch(slice, { cbs: slice.cbs.set(e.cb, Object.freeze({ state: cbb.target as CbState, fence: name, ...body })) });
  }
  // The bodies of the queued callbacks, read before any effect: a replay's edit session changes the
  // callback map in place.
  let queuedBodies: Map<string, readonly Event[]> | undefined;
  for (const c of rec0.cbs) {
    const body = s.cbs.get(c)?.body;
    if (body !== undefined) (queuedBodies ??= new Map()).set(c, body);
  }
  const effects = m.effects;
  if (effects !== undefined) {
    for (let i = 0; i < effects.length; i++) {
      switch (effects[i]) {
        case 'krefGet':
          (d ??= copyFence(rec0)).refcount++;
          break;
        case 'krefPut':
          (d ??= copyFence(rec0)).refcount--;
          break;
        case 'setErrorDeadlock':
          // KERNEL: dma_fence_release sets -EDEADLK before it signals, so the callbacks see the error.
          (d ??= copyFence(rec0)).error = -ERRNO_VALUES.EDEADLK;
          break;
        case 'runCallbacks': {
          const r = runCallbacks(slice.cbs, rec0, name, trace);
          slice = patch(slice, { cbs: r.cbs });
          ran = r.ran;
          (d ??= copyFence(rec0)).cbs = NO_NAMES;
          break;
        }
        case 'release':
          // KERNEL: dma_fence_free; the record stays, in the freed state, so that later uses are found.
          break;
        case 'listAddTail':
          if (e.type === 'dma_fence_add_callback') (d ??= copyFence(rec0)).cbs = [...rec0.cbs, e.cb];
          break;
        case 'listDelInit':
          if (e.type === 'dma_fence_remove_callback') {
            const r = removeFromSlot(slice, name, f, d ?? rec0, e, trace);
            slice = r.slice;
            if (r.rec !== (d ?? rec0)) (d ??= copyFence(rec0)).cbs = r.rec.cbs;
            if (r.removed !== undefined) (extra ??= {}).removed = r.removed;
          }
          break;
        case 'storeError':
          if (e.type === 'dma_fence_set_error') (d ??= copyFence(rec0)).error = e.error | 0;
          break;
        case 'returnErrorOrOne':
          (extra ??= {}).status = (d ?? rec0).error || 1;
          break;
        case 'returnTimeout':
          if (e.type === 'dma_fence_wait_timeout') (extra ??= {}).ret = e.timeout;
          break;
        case 'compareSeqnos':
          if (other !== undefined) (extra ??= {}).later = isLater(rec0, other);
          break;
        default:
          break;
      }
    }
  }
  if (b.target !== rec0.state) (d ??= copyFence(rec0)).state = b.target as FenceState;
  if (d !== undefined) slice = put(slice, name, f, d);
  const own = m.violation === undefined && m.violations === undefined ? NO_VIOLATIONS : violationsOf(b, { call: e.type, name, rec: rec0, ran, event: e, other });
  const vs = waited.length === 0 ? own : [...waited, ...own];
  let next = slice === s ? world : withFences(world, slice);
  let vs2: readonly Violation[] = vs;
  const withBodies = queuedBodies === undefined ? NO_NAMES : ran.filter((c) => queuedBodies.has(c));
  if (queuedBodies !== undefined && withBodies.length > 0) {
    const task = (e.type === 'dma_fence_signal' ? e.task : undefined) ?? 'irq';
    const r = runBodies(next, rec0, withBodies.map((c) => [c, queuedBodies.get(c) ?? []] as const), task, e.type === 'dma_fence_signal', trace, kernel);
    next = r.world;
    vs2 = [...vs, ...r.violations];
    (extra ??= {}).bodies = r.bodies;
  }
  if (m.errno !== undefined) return { world: next, outcome: fail(m.errno as Errno, vs2) };
  if (m.returns === undefined && extra === undefined && ran.length === 0 && vs2.length === 0) return { world: next, outcome: ok() };
  return { world: next, outcome: ok(outcomeValues(m.returns, extra, ran), vs2) };
}

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);

/** The outcome fields: those the branch fixes, those the effects returned, then the callbacks that ran. */
function outcomeValues(
  fixed: { readonly [k: string]: OutcomeValue } | undefined,
  extra: { [k: string]: OutcomeValue } | undefined,
  ran: readonly string[],
): { readonly [k: string]: OutcomeValue } {
  if (ran.length === 0) {
    if (fixed === undefined) return extra ?? {};
    if (extra === undefined) return fixed;
  }
  const out: { [k: string]: OutcomeValue } = {};
  for (const k in fixed) out[k] = fixed[k] as OutcomeValue;
  for (const k in extra) out[k] = extra[k] as OutcomeValue;
  // The list is this call's own (runCallbacks builds it), so the outcome may keep it.
  if (ran.length > 0) out.callbacks = ran;
  return out;
}

/**
 * Whether f1 is later than f2 (__dma_fence_is_later, dma-fence.h): 64-bit seqnos only with SEQNO64
 * on f1; otherwise the signed difference of the low 32 bits.
 */
function isLater(a: FenceRecord, b: FenceRecord): boolean {
  const s1 = BigInt(a.seqno);
  const s2 = BigInt(b.seqno);
  return a.seqno64 ? s1 > s2 : BigInt.asIntN(32, BigInt.asUintN(32, s1) - BigInt.asUintN(32, s2)) > 0n;
}

/** What a signalling-section branch names beside errno and violation. */
interface SectionMeta {
  /** The cookie begin returns. */
  readonly cookie?: boolean;
  /** How the count of outstanding nested begins moves. */
  readonly nested?: 1 | -1;
  /** Whether the task's section state is cleared (task_exit). */
  readonly clear?: boolean;
}

/** The branch of the signalling-section machine a task's call takes (lockdep's state read from the locking protocol). */
function sectionBranch(world: World, t: DmaFenceTask, event: { type: string; cookie?: boolean; atomic?: boolean }, trace?: BranchTrace): Branch {
  const state = t.signalling ? 'inside' : 'outside';
  const off = !lockdepEnabled(world);
  // Lockdep went off (its first report, in whatever protocol): the task's section context takes
  // the machine's debug_locks_off branch before the call is decided with lockdep off.
  if (off) decide(SECTION_TABLE, state, 'debug_locks_off', { nested: t.nested, lockdepOff: false }, { type: 'debug_locks_off' }, trace);
  const b = decide(SECTION_TABLE, state, event.type, { nested: t.nested, lockdepOff: off }, event, trace);
  // INVARIANT: every state answers every event of the machine with an unguarded last branch (a test checks it).
  if (b === undefined) throw new Error(`signalling-section machine has no branch for ${event.type}`);
  return b;
}

/** The task's section state after a branch: the hold from the target, the nested count from the meta. */
function sectionAfter(t: DmaFenceTask, b: Branch): DmaFenceTask {
  const m = b.meta as SectionMeta;
  if (m.clear) return IDLE_TASK;
  return { signalling: b.target === 'inside', nested: t.nested + (m.nested ?? 0) };
}

function beginSignalling(world: World, task: string, trace?: BranchTrace): ApplyResult {
  const t = world.dmaFence.tasks.get(task) ?? IDLE_TASK;
  const b = sectionBranch(world, t, { type: 'dma_fence_begin_signalling', atomic: inAtomic(world, task) }, trace);
  let w = world;
  let vs: readonly Violation[] = NO_VIOLATIONS;
  // KERNEL: a successful read trylock of dma_fence_map: held from now on, no dependency recorded.
  if (hasEffect(b.meta, 'acquireMap')) ({ world: w, violations: vs } = mapAcquire(w, task, DMA_FENCE_MAP, { read: true, trylock: true, ext: true, what: 'dma_fence_begin_signalling()' }));
  return { world: withTask(w, task, sectionAfter(t, b)), outcome: ok({ cookie: (b.meta as SectionMeta).cookie === true }, vs) };
}

function endSignalling(world: World, task: string, cookie: boolean, trace?: BranchTrace): ApplyResult {
  const t = world.dmaFence.tasks.get(task) ?? IDLE_TASK;
  const b = sectionBranch(world, t, { type: 'dma_fence_end_signalling', cookie }, trace);
  const vs: Violation[] = [];
  let w = world;
  if (b.meta.violation === 'lockdep') {
    // KERNEL: lock_release of a map the task does not hold: print_unlock_imbalance_bug, then return.
    const r = lockdepReport(w, `dma_fence_end_signalling(false) in task ${JSON.stringify(task)}, which holds no dma_fence_map: bad unlock balance`, [task]);
    w = r.world;
    vs.push(...r.violations);
  }
  if (hasEffect(b.meta, 'releaseMap')) {
    const r = mapRelease(w, task, DMA_FENCE_MAP, 'dma_fence_end_signalling(false)', true);
    w = r.world;
    vs.push(...r.violations);
  }
  return { world: withTask(w, task, sectionAfter(t, b)), outcome: ok({}, vs) };
}

/**
 * `task_exit` for dma_fence: a task that returns to user space inside a signalling section is
 * lockdep's "lock held when returning to user space"; recorded, and the task's section state is
 * cleared (a nested begin never ended holds nothing lockdep sees). Pure.
 *
 * Models lockdep_sys_exit() (kernel/locking/lockdep.c) for the `dma_fence_map` of
 * drivers/dma-buf/dma-fence.c.
 */
export function dmaFenceTaskExit(world: World, task: string, trace?: BranchTrace): { world: World; violations: Violation[] } {
  const t = world.dmaFence.tasks.get(task) ?? IDLE_TASK;
  const b = sectionBranch(world, t, { type: 'task_exit' }, trace);
  const vs: Violation[] = [];
  let w = world;
  if (b.meta.violation === 'lockdep') {
    // KERNEL: lockdep_sys_exit sees only held locks: the hold of dma_fence_map (a nested begin that
    // returned true holds none).
    const r = lockdepReport(w, `task ${JSON.stringify(task)} returns to user space holding dma_fence_map (a signalling section never ended): lock held when returning to user space`, [task]);
    w = r.world;
    vs.push(...r.violations);
  }
  return { world: withTask(w, task, sectionAfter(t, b)), violations: vs };
}

/**
 * Applies one decoded dma_fence event. Pure. `trace`, when given, is told every `dma_fence` and
 * `dma_fence_cb` branch the call takes.
 *
 * Models the functions of drivers/dma-buf/dma-fence.c and include/linux/dma-fence.h (v6.17).
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` for a fence, context or callback name never created.
 */
export function applyDmaFence(world: World, e: DmaFenceEvent, trace?: BranchTrace, kernel?: KernelCalls): ApplyResult {
  const s = world.dmaFence;
  switch (e.type) {
    case 'dma_fence_context_alloc':
      return contextAlloc(world, s, e, trace);
    case 'dma_fence_init':
    case 'dma_fence_init64':
      return init(world, s, e, trace);
    case 'dma_fence_get_stub':
      return getStub(world, s, e.fence);
    case 'dma_fence_begin_signalling':
      return beginSignalling(world, e.task, trace);
    case 'dma_fence_end_signalling':
      return endSignalling(world, e.task, e.cookie, trace);
    case 'dma_fence_is_later': {
      const f1 = find(s, e.f1, 'f1');
      find(s, e.f2, 'f2');
      return callFence(world, s, f1, e.f1, e, trace, kernel);
    }
    default: {
      const f = find(s, e.fence);
      if (e.type === 'dma_fence_remove_callback' && !s.cbs.has(e.cb)) throw unknown('callback', e.cb, 'cb');
      return callFence(world, s, f, e.fence, e, trace, kernel);
    }
  }
}
