import { type Branch, type BranchTrace, branchViolations, compileMachine, decide, hasEffect } from '../../machines/machineTable.js';
import { deviceMachine } from '../../machines/device.machine.js';
import { devresMachine } from '../../machines/devres.machine.js';
import { drmDeviceMachine } from '../../machines/drmDevice.machine.js';
import { drmFileMachine } from '../../machines/drmFile.machine.js';
import { drmGemHandleMachine } from '../../machines/drmGemHandle.machine.js';
import { drmGemObjectMachine } from '../../machines/drmGemObject.machine.js';
import { drmRegistrationMachine } from '../../machines/drmRegistration.machine.js';
import { callDrmMm, nodeInfo } from '../drm-mm/protocol.js';
import { DMA_RESV_CLASS, DRM_UNPLUG_SRCU, RCU_LOCK_MAP } from '../locking/lockdep.js';
import { contextCall, holdsMap, lockCall, lockdepEnabled, lockdepReport, lockingOf, mapAcquire, mapRelease, mapSync, mutexInit } from '../locking/ops.js';
import type { Errno } from '../errno.js';
import type { Event } from '../world/Event.js';
import { Misuse, unknownObject } from '../world/Misuse.js';
import { type FailOutcome, type OutcomeValue, fail, ok, refused } from '../world/Outcome.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type Violation, type ViolationKind, violation } from '../world/Violation.js';
import { type World, withSlice } from '../world/World.js';
import { type DrmEvent, decodeDrm } from './events.js';
import {
  type BusDeviceRecord,
  type DevresAction,
  type DevresRecord,
  type DrmDeviceRecord,
  type DrmDeviceState,
  type DrmFileRecord,
  type DrmState,
  type DrmTask,
  type GemObjectRecord,
  IDLE,
  type ReadSection,
  type RegistrationRecord,
} from './state.js';

/** The compiled machines. */
export const TABLES = {
  device: compileMachine(deviceMachine),
  drm: compileMachine(drmDeviceMachine),
  reg: compileMachine(drmRegistrationMachine),
  devres: compileMachine(devresMachine),
  file: compileMachine(drmFileMachine),
  obj: compileMachine(drmGemObjectMachine),
  handle: compileMachine(drmGemHandleMachine),
};

/** `PAGE_SIZE` of the modelled (64-bit) kernel. */
export const PAGE_SIZE = 4096n;
/** `DRM_FILE_PAGE_OFFSET_START`: page 0x100000 (byte 4 GiB), include/drm/drm_vma_manager.h. */
export const DRM_FILE_PAGE_OFFSET_START = 0x100000n;
/** `DRM_FILE_PAGE_OFFSET_SIZE`: 0xFFFFF00 pages, include/drm/drm_vma_manager.h (64-bit). */
export const DRM_FILE_PAGE_OFFSET_SIZE = 0xfffff00n;
/** `MAX_LFS_FILESIZE` (64-bit): the largest shmem file. */
const MAX_LFS_FILESIZE = (1n << 63n) - 1n;

/** The offset manager's drm_mm of a DRM device. */
export function offsetMmName(drm: string): string {
  return `drm_vma:${drm}`;
}

/** The drm_mm node of an object's vma node. */
export function offsetNodeName(drm: string, obj: string): string {
  return `drm_vma:${drm}:${obj}`;
}

/** A call in progress: the world so far and the violations recorded. */
interface Acc {
  world: World;
  readonly vs: Violation[];
}

function slice(w: World): DrmState {
  return w.drm;
}

function put(acc: Acc, p: Partial<DrmState>): void {
  acc.world = withSlice(acc.world, 'drm', { ...slice(acc.world), ...p });
}

function unknown(what: string, name: string, field: string): Misuse {
  return unknownObject(`no ${what} named ${JSON.stringify(name)} was ever created`, field, name);
}

function malformed(message: string, field: string): Misuse {
  return new Misuse('MALFORMED_EVENT', message, field);
}

function getDevice(w: World, name: string, field = 'dev'): BusDeviceRecord {
  const r = slice(w).devices.get(name);
  if (r === undefined) throw unknown('device', name, field);
  return r;
}
function getDrm(w: World, name: string, field = 'drm'): DrmDeviceRecord {
  const r = slice(w).drms.get(name);
  if (r === undefined) throw unknown('DRM device', name, field);
  return r;
}
function getFile(w: World, name: string): DrmFileRecord {
  const r = slice(w).files.get(name);
  if (r === undefined) throw unknown('DRM file', name, 'file');
  return r;
}
function getObj(w: World, name: string, field = 'obj'): GemObjectRecord {
  const r = slice(w).objects.get(name);
  if (r === undefined) throw unknown('GEM object', name, field);
  return r;
}
function getReg(w: World, name: string): RegistrationRecord {
  const r = slice(w).regs.get(name);
  if (r === undefined) throw unknown('registration', name, 'reg');
  return r;
}
function getDevres(w: World, name: string): DevresRecord {
  const r = slice(w).devres.get(name);
  if (r === undefined) throw unknown('Devres', name, 'res');
  return r;
}
function task(w: World, name: string): DrmTask {
  return slice(w).tasks.get(name) ?? IDLE;
}
function setTask(acc: Acc, name: string, t: DrmTask): void {
  const idle = t.sections.length === 0 && t.guards.length === 0 && t.waiting === null;
  const s = slice(acc.world);
  put(acc, { tasks: idle ? s.tasks.delete(name) : s.tasks.set(name, Object.freeze(t)) });
}

/** The violations of a branch, with a message naming the call and the objects. */
function record(acc: Acc, b: Branch, call: string, objects: readonly string[]): void {
  for (const v of branchViolations(b.meta)) acc.vs.push(violation(v.kind as ViolationKind, `${call} (${objects.join(', ')}): ${b.description}`, objects));
}

/** The outcome of a refusing branch: its violations, nothing changed. */
function refusal(b: Branch, call: string, objects: readonly string[]): FailOutcome {
  return refused(...branchViolations(b.meta).map((v) => violation(v.kind as ViolationKind, `${call} (${objects.join(', ')}): ${b.description}`, objects)));
}

function ask(table: (typeof TABLES)[keyof typeof TABLES], state: string, event: { type: string; [k: string]: unknown }, trace: BranchTrace | undefined): Branch {
  const b = decide(table, state, event.type, {}, event, trace);
  // INVARIANT: the protocol asks a final state only the events it answers (the machines' tests check the rest).
  if (b === undefined) throw new Error(`machine ${table.id}: state ${state} does not answer ${event.type}`);
  return b;
}

function isUnplugged(s: DrmDeviceState): boolean {
  return s === 'referenced.unplugged.synchronizing' || s === 'referenced.unplugged.synchronized';
}

function anySection(w: World, kind: 'sections' | 'guards'): boolean {
  for (const [, t] of slice(w).tasks.entries()) if (t[kind].length > 0) return true;
  return false;
}

/** Marks every open read section of a kind with the task now waiting for its grace period. */
function markReaders(acc: Acc, kind: 'sections' | 'guards', waiter: string): void {
  const s = slice(acc.world);
  let tasks = s.tasks;
  for (const [name, t] of s.tasks.entries()) {
    if (t[kind].length === 0) continue;
    const list = t[kind].map((r) => (r.waiters.includes(waiter) ? r : { on: r.on, waiters: [...r.waiters, waiter] }));
    tasks = tasks.set(name, Object.freeze({ ...t, [kind]: list }));
  }
  put(acc, { tasks });
}

/**
 * Ends a task's innermost read section on `on`, and completes every wait that was waiting only for
 * sections of that kind begun before it: returns the tasks woken, in the order they began waiting.
 */
function endSection(acc: Acc, taskName: string, kind: 'sections' | 'guards', on: string, trace: BranchTrace | undefined): string[] {
  const t = task(acc.world, taskName);
  const list = t[kind];
  let at = -1;
  for (let i = list.length - 1; i >= 0; i--) if ((list[i] as ReadSection).on === on) { at = i; break; }
  const ended = list[at] as ReadSection;
  setTask(acc, taskName, { ...t, [kind]: list.filter((_, i) => i !== at) });
  const woke: string[] = [];
  for (const waiter of ended.waiters) {
    let still = false;
    for (const [, other] of slice(acc.world).tasks.entries()) if (other[kind].some((r) => r.waiters.includes(waiter))) still = true;
    if (still) continue;
    if (completeWait(acc, waiter, trace)) woke.push(waiter);
  }
  return woke;
}

/** The second phase of a queued call; false when it waits again (an unbind that meets another revocation). */
function completeWait(acc: Acc, waiter: string, trace: BranchTrace | undefined): boolean {
  const t = task(acc.world, waiter);
  const w = t.waiting;
  if (w === null) return false;
  if (w.kind === 'unplug') {
    setTask(acc, waiter, { ...t, waiting: null });
    const d = getDrm(acc.world, w.drm);
    // ABSTRACTION: a device released while its unplug waited has nothing left to unregister.
    if (d.state !== 'referenced.unplugged.synchronizing') return true;
    const b = ask(TABLES.drm, d.state, { type: 'drm_dev_unplug', ownSection: false, readers: false, woken: true }, trace);
    setDrm(acc, w.drm, { ...d, state: b.target as DrmDeviceState, registered: hasEffect(b.meta, 'unregister') ? false : d.registered });
    return true;
  }
  setTask(acc, waiter, { ...t, waiting: null });
  const rest = runActions(acc, w.dev, waiter, w.rest, trace);
  if (rest === undefined) return true;
  setTask(acc, waiter, { ...task(acc.world, waiter), waiting: { kind: 'unbind', dev: w.dev, rest } });
  markReaders(acc, 'guards', waiter);
  return false;
}

function setDrm(acc: Acc, name: string, d: DrmDeviceRecord): void {
  put(acc, { drms: slice(acc.world).drms.set(name, Object.freeze(d)) });
}
function setObj(acc: Acc, name: string, o: GemObjectRecord): void {
  put(acc, { objects: slice(acc.world).objects.set(name, Object.freeze(o)) });
}
function setFile(acc: Acc, name: string, f: DrmFileRecord): void {
  put(acc, { files: slice(acc.world).files.set(name, Object.freeze(f)) });
}
function setDevice(acc: Acc, name: string, d: BusDeviceRecord): void {
  put(acc, { devices: slice(acc.world).devices.set(name, Object.freeze(d)) });
}

function addAction(acc: Acc, dev: string, a: DevresAction): void {
  const d = getDevice(acc.world, dev);
  setDevice(acc, dev, { ...d, actions: [...d.actions, a] });
}

/**
 * Runs devres actions in order (the caller passes them last-registered-first). Returns the actions
 * still to run when a Devres revocation must wait for RCU readers (the revocation itself done),
 * undefined when all ran.
 */
function runActions(acc: Acc, dev: string, waiter: string, actions: readonly DevresAction[], trace: BranchTrace | undefined): DevresAction[] | undefined {
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as DevresAction;
    switch (a.kind) {
      case 'action':
        for (const e of a.do ?? []) {
          const r = applyDrm(acc.world, decodeDrm(e), trace);
          acc.world = r.world;
          acc.vs.push(...r.outcome.violations);
        }
        break;
      case 'drmPut':
        drmDevPut(acc, a.name, trace);
        break;
      case 'registration':
        dropRegistration(acc, a.name, true, trace);
        break;
      case 'devres': {
        const r = getDevres(acc.world, a.name);
        // KERNEL: Revocable::revoke calls synchronize_rcu when it revoked: every RCU reader must go.
        const b = ask(TABLES.devres, r.state, { type: 'device_unbind', readers: anySection(acc.world, 'guards') }, trace);
        put(acc, { devres: slice(acc.world).devres.set(a.name, Object.freeze({ ...r, state: b.target as DevresRecord['state'] })) });
        if (b.meta.queued) return actions.slice(i + 1);
        break;
      }
    }
  }
  return undefined;
}


/** drm_dev_put: the device machine's branch; at zero, drm_dev_release with its leak report. */
function drmDevPut(acc: Acc, name: string, trace: BranchTrace | undefined): boolean {
  const d = getDrm(acc.world, name);
  const b = ask(TABLES.drm, d.state, { type: 'drm_dev_put', last: d.refcount === 1 }, trace);
  if (b.meta.refused) {
    acc.vs.push(...refusal(b, 'drm_dev_put', [name]).violations);
    return false;
  }
  record(acc, b, 'drm_dev_put', [name]);
  const next = { ...d, refcount: d.refcount - 1 };
  if (!hasEffect(b.meta, 'release')) {
    setDrm(acc, name, next);
    return true;
  }
  // KERNEL: drm_dev_release: driver->release, then the drm-managed actions in reverse, among them
  // drm_vma_offset_manager_destroy (drm_mm_takedown) and the parent's put_device.
  const alive: string[] = [];
  const offsets: string[] = [];
  for (const [o, rec] of slice(acc.world).objects.sortedEntries()) {
    if (rec.drm !== name || rec.state !== 'alive') continue;
    alive.push(o);
    if (rec.offset) offsets.push(o);
  }
  if (alive.length > 0)
    acc.vs.push(violation('leak', `drm_dev_release of ${JSON.stringify(name)}: GEM object${alive.length === 1 ? '' : 's'} still alive (${alive.join(', ')})`, [name, ...alive]));
  // KERNEL: drm_vma_offset_manager_destroy → drm_mm_takedown: WARN(!drm_mm_clean(mm), "Memory
  // manager not clean during takedown.") when an offset is left (the spec's rule G5).
  if (offsets.length > 0)
    acc.vs.push(
      violation(
        'warn_on',
        `drm_mm_takedown of ${JSON.stringify(name)}'s offset manager: Memory manager not clean during takedown (mmap offsets of ${offsets.join(', ')} still allocated)`,
        [name, ...offsets],
      ),
    );
  if (d.mm !== null) acc.world = callDrmMm(acc.world, { type: 'drm_mm_takedown', mm: d.mm }, trace).world;
  setDrm(acc, name, { ...next, state: 'released', refcount: 0 });
  return true;
}

function dropRegistration(acc: Acc, name: string, byDevres: boolean, trace: BranchTrace | undefined): FailOutcome | undefined {
  const r = getReg(acc.world, name);
  const b = ask(TABLES.reg, r.state, { type: 'drm_registration_drop', foreign: r.owner !== null, byDevres }, trace);
  if (b.meta.refused) return refusal(b, 'drm_registration_drop', [name]);
  put(acc, { regs: slice(acc.world).regs.set(name, Object.freeze({ ...r, state: 'dropped' })) });
  const d = getDrm(acc.world, r.drm);
  const u = ask(TABLES.drm, d.state, { type: 'drm_dev_unregister' }, trace);
  if (u.meta.refused) acc.vs.push(...refusal(u, 'drm_dev_unregister', [r.drm]).violations);
  else {
    record(acc, u, 'drm_dev_unregister', [r.drm]);
    setDrm(acc, r.drm, { ...d, state: u.target as DrmDeviceState, registered: hasEffect(u.meta, 'unregister') ? false : d.registered });
  }
  drmDevPut(acc, r.drm, trace);
  return undefined;
}

/** Frees an object: removes its offset node and its flink name. */
function freeObject(acc: Acc, name: string, o: GemObjectRecord, trace: BranchTrace | undefined): void {
  const d = getDrm(acc.world, o.drm);
  if (o.offset && d.mm !== null) acc.world = callDrmMm(acc.world, { type: 'drm_mm_remove_node', node: offsetNodeName(o.drm, name) }, trace).world;
  if (o.name !== 0) setDrm(acc, o.drm, { ...getDrm(acc.world, o.drm), names: d.names.filter(([n]) => n !== o.name) });
  setObj(acc, name, { ...o, state: 'freed', refcount: 0, offset: false, name: 0, handleCount: 0, allow: [] });
}

/** drm_gem_object_put (and a VMA's put): the object machine's branch. */
function objectPut(acc: Acc, name: string, call: string, trace: BranchTrace | undefined): FailOutcome | undefined {
  const o = getObj(acc.world, name);
  const d = getDrm(acc.world, o.drm);
  const b = ask(TABLES.obj, o.state, { type: 'drm_gem_object_put', last: o.refcount === 1, deviceReleased: d.state === 'released' }, trace);
  if (b.meta.refused) return refusal(b, call, [name]);
  if (hasEffect(b.meta, 'free')) freeObject(acc, name, o, trace);
  else setObj(acc, name, { ...o, refcount: o.refcount - 1 });
  return undefined;
}

/** The per-handle release of GEM_CLOSE and drm_gem_release: the object's handle put, the allow-list revoke, the id removed. */
function releaseHandle(acc: Acc, fileName: string, id: number, trace: BranchTrace | undefined): FailOutcome | undefined {
  const f = getFile(acc.world, fileName);
  const objName = (f.handles.find(([h]) => h === id) as readonly [number, string])[1];
  const o = getObj(acc.world, objName);
  const d = getDrm(acc.world, o.drm);
  const b = ask(
    TABLES.obj,
    o.state,
    { type: 'drm_gem_handle_delete', lastHandle: o.handleCount === 1, last: o.handleCount === 1 && o.refcount === 1 },
    trace,
  );
  if (b.meta.refused) return refusal(b, 'drm_gem_handle_delete', [fileName, objName]);
  setFile(acc, fileName, { ...f, handles: f.handles.filter(([h]) => h !== id) });
  const allow = o.allow.flatMap(([file, n]) => (file !== fileName ? [[file, n] as const] : n > 1 ? [[file, n - 1] as const] : []));
  let next: GemObjectRecord = { ...o, allow, handleCount: o.handleCount - 1 };
  if (hasEffect(b.meta, 'removeName') && o.name !== 0) {
    setDrm(acc, o.drm, { ...d, names: d.names.filter(([n]) => n !== o.name) });
    next = { ...next, name: 0 };
  }
  if (hasEffect(b.meta, 'free')) freeObject(acc, objName, next, trace);
  else setObj(acc, objName, hasEffect(b.meta, 'krefPut') ? { ...next, refcount: next.refcount - 1 } : next);
  return undefined;
}

function lowestFree(ids: readonly number[]): number {
  let n = 1;
  for (const id of [...ids].sort((a, b) => a - b)) {
    if (id === n) n++;
    else if (id > n) break;
  }
  return n;
}

/** drm_gem_handle_create_tail: the handle slot's branch (the open callback), then the object's. */
function createHandle(acc: Acc, fileName: string, objName: string, call: string, trace: BranchTrace | undefined): { outcome: FailOutcome } | { handle: number } {
  const f = getFile(acc.world, fileName);
  const o = getObj(acc.world, objName);
  if (o.state === 'freed') {
    const b = ask(TABLES.obj, o.state, { type: 'drm_gem_handle_create', hasHandles: false, deviceReleased: false }, trace);
    return { outcome: refusal(b, call, [fileName, objName]) };
  }
  if (getDrm(acc.world, o.drm).state === 'released') {
    const b = ask(TABLES.obj, o.state, { type: 'drm_gem_handle_create', hasHandles: o.handleCount > 0, deviceReleased: true }, trace);
    return { outcome: refusal(b, call, [fileName, objName]) };
  }
  const id = lowestFree(f.handles.map(([h]) => h));
  const hb = ask(TABLES.handle, 'free', { type: 'drm_gem_handle_create', ...(o.openFails !== null ? { open_fails: o.openFails } : {}) }, trace);
  if (hb.meta.errno !== undefined) return { outcome: fail(hb.meta.errno as Errno) };
  const ob = ask(TABLES.obj, o.state, { type: 'drm_gem_handle_create', hasHandles: o.handleCount > 0, deviceReleased: false }, trace);
  const allow = o.allow.some(([file]) => file === fileName)
    ? o.allow.map(([file, n]) => (file === fileName ? ([file, n + 1] as const) : ([file, n] as const)))
    : [...o.allow, [fileName, 1] as const].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  setObj(acc, objName, { ...o, handleCount: o.handleCount + 1, refcount: o.refcount + (hasEffect(ob.meta, 'krefGet') ? 1 : 0), allow });
  setFile(acc, fileName, { ...f, handles: [...f.handles, [id, objName] as const].sort((a, b) => a[0] - b[0]) });
  return { handle: id };
}

function done(acc: Acc, values?: { readonly [k: string]: OutcomeValue }): ApplyResult {
  return { world: acc.world, outcome: ok(values ?? {}, acc.vs) };
}

/** A call's result with the locking protocol's RCU read-side call of the same task after it (a Devres guard's section), its violations added. */
function withRcu(r: ApplyResult, type: 'rcu_read_lock' | 'rcu_read_unlock', t: string, trace?: BranchTrace): ApplyResult {
  const c = contextCall(r.world, { type, task: t }, trace);
  const vs = c.outcome.violations;
  return vs.length === 0 ? { world: c.world, outcome: r.outcome } : { world: c.world, outcome: { ...r.outcome, violations: [...r.outcome.violations, ...vs] } };
}

function queued(acc: Acc): ApplyResult {
  return { world: acc.world, outcome: { ok: false, blocked: true, queued: true, violations: acc.vs } };
}

function refuse(world: World, o: FailOutcome): ApplyResult {
  return { world, outcome: o };
}

/** The file machine's answer to a call naming the file; a refusal or undefined to go on. */
function fileGate(acc: Acc, fileName: string, event: { type: string; [k: string]: unknown }, trace: BranchTrace | undefined): Branch {
  return ask(TABLES.file, getFile(acc.world, fileName).state, event, trace);
}

function checkFresh(exists: boolean, what: string, name: string, field: string): void {
  if (exists) throw malformed(`${JSON.stringify(name)} already names a live ${what}; pick another name`, field);
}

function alloc(acc: Acc, e: Extract<DrmEvent, { type: 'drm_dev_alloc' | 'devm_drm_dev_alloc' }>, trace: BranchTrace | undefined): ApplyResult {
  const old = slice(acc.world).drms.get(e.drm);
  checkFresh(old !== undefined && old.state !== 'released', 'DRM device', e.drm, 'drm');
  getDevice(acc.world, e.parent, 'parent');
  const features = (e.features as readonly string[] | undefined) ?? ['gem'];
  let mm: string | null = null;
  if (features.includes('gem')) {
    // KERNEL: drm_gem_init → drm_vma_offset_manager_init(DRM_FILE_PAGE_OFFSET_START, DRM_FILE_PAGE_OFFSET_SIZE).
    mm = offsetMmName(e.drm);
    const r = callDrmMm(acc.world, { type: 'drm_mm_init', mm, start: DRM_FILE_PAGE_OFFSET_START.toString(), size: DRM_FILE_PAGE_OFFSET_SIZE.toString() }, trace);
    acc.world = r.world;
  }
  const managed = e.type === 'devm_drm_dev_alloc';
  setDrm(acc, e.drm, { state: TABLES.drm.initial as DrmDeviceState, refcount: 1, parent: e.parent, managed, features: [...features], registered: false, mm, names: [] });
  if (managed) addAction(acc, e.parent, { kind: 'drmPut', name: e.drm });
  return done(acc);
}

function register(acc: Acc, drm: string, call: string, trace: BranchTrace | undefined): FailOutcome | undefined {
  const d = getDrm(acc.world, drm);
  const b = ask(TABLES.drm, d.state, { type: 'drm_dev_register' }, trace);
  if (b.meta.refused) return refusal(b, call, [drm]);
  setDrm(acc, drm, { ...d, state: b.target as DrmDeviceState, registered: true });
  return undefined;
}

function drmGet(acc: Acc, drm: string, call: string, trace: BranchTrace | undefined): FailOutcome | undefined {
  const d = getDrm(acc.world, drm);
  const b = ask(TABLES.drm, d.state, { type: 'drm_dev_get' }, trace);
  if (b.meta.refused) return refusal(b, call, [drm]);
  setDrm(acc, drm, { ...d, refcount: d.refcount + 1 });
  return undefined;
}

function unbind(acc: Acc, dev: string, taskName: string, trace: BranchTrace | undefined): ApplyResult {
  const d = getDevice(acc.world, dev);
  const before = acc.world;
  // The release is run first to learn whether it waits: the machine decides on that fact.
  let rest: DevresAction[] | undefined;
  if (d.state === 'added.bound') {
    setDevice(acc, dev, { ...d, actions: [] });
    rest = runActions(acc, dev, taskName, [...d.actions].reverse(), trace);
  }
  const b = ask(TABLES.device, d.state, { type: 'device_unbind', waits: rest !== undefined, ownGuard: task(before, taskName).guards.length > 0 }, trace);
  if (b.meta.refused) return refuse(before, refusal(b, 'device_unbind', [dev, taskName]));
  if (!hasEffect(b.meta, 'devresReleaseAll')) {
    acc.world = before;
    return done(acc);
  }
  setDevice(acc, dev, { ...getDevice(acc.world, dev), state: b.target as BusDeviceRecord['state'] });
  if (rest === undefined) return done(acc);
  setTask(acc, taskName, { ...task(acc.world, taskName), waiting: { kind: 'unbind', dev, rest } });
  markReaders(acc, 'guards', taskName);
  return queued(acc);
}

/** The locking protocol's name of a GEM object's reservation lock. */
export function resvLock(obj: string): string {
  return `resv:${obj}`;
}

/**
 * Applies one decoded drm event. Pure.
 *
 * Models drivers/gpu/drm/drm_drv.c, drm_file.c, drm_ioctl.c, drm_gem.c, drm_vma_manager.c and
 * rust/kernel/drm/, rust/kernel/devres.rs, rust/kernel/revocable.rs (v6.17).
 *
 * @throws {Misuse} `UNKNOWN_OBJECT` for a name never created; `MALFORMED_EVENT` for a name that is
 *   still live where the call creates one.
 */
export function applyDrm(world: World, e: DrmEvent, trace?: BranchTrace): ApplyResult {
  const acc: Acc = { world, vs: [] };
  const s = slice(world);
  switch (e.type) {
    case 'device_add':
      checkFresh(s.devices.has(e.dev), 'device', e.dev, 'dev');
      setDevice(acc, e.dev, { state: TABLES.device.initial as BusDeviceRecord['state'], actions: [] });
      return done(acc);
    case 'driver_bind': {
      const d = getDevice(world, e.dev);
      const b = ask(TABLES.device, d.state, { type: 'driver_bind' }, trace);
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      setDevice(acc, e.dev, { ...d, state: b.target as BusDeviceRecord['state'] });
      return done(acc);
    }
    case 'device_unbind':
      return unbind(acc, e.dev, e.task ?? e.dev, trace);
    case 'devm_add_action': {
      const d = getDevice(world, e.dev);
      ask(TABLES.device, d.state, { type: 'devm_add_action' }, trace);
      addAction(acc, e.dev, { kind: 'action', name: e.action, do: ((e.do as readonly Event[] | undefined) ?? []).map((x) => Object.freeze({ ...x })) });
      return done(acc);
    }
    case 'drm_dev_alloc':
    case 'devm_drm_dev_alloc':
      return alloc(acc, e, trace);
    case 'drm_dev_get': {
      const r = drmGet(acc, e.drm, e.type, trace);
      return r ? refuse(world, r) : done(acc);
    }
    case 'drm_dev_put': {
      if (!drmDevPut(acc, e.drm, trace)) return refuse(world, refused(...acc.vs));
      return done(acc);
    }
    case 'drm_dev_register': {
      const r = register(acc, e.drm, e.type, trace);
      return r ? refuse(world, r) : done(acc);
    }
    case 'drm_dev_unregister': {
      const d = getDrm(world, e.drm);
      const b = ask(TABLES.drm, d.state, { type: 'drm_dev_unregister' }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.drm]));
      record(acc, b, e.type, [e.drm]);
      setDrm(acc, e.drm, { ...d, state: b.target as DrmDeviceState, registered: hasEffect(b.meta, 'unregister') ? false : d.registered });
      return done(acc);
    }
    case 'drm_dev_unplug': {
      const d = getDrm(world, e.drm);
      const t = task(world, e.task);
      const b = ask(TABLES.drm, d.state, { type: 'drm_dev_unplug', ownSection: t.sections.length > 0, readers: anySection(world, 'sections'), woken: false }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.drm, e.task]));
      if (hasEffect(b.meta, 'mightSleep')) {
        // KERNEL: synchronize_srcu → __synchronize_srcu: srcu_lock_sync (lockdep: the held locks
        // against every section's read hold, rule E1), then might_sleep() (the task context decides).
        const l = mapSync(acc.world, e.task, DRM_UNPLUG_SRCU, `drm_dev_unplug(${e.drm}): synchronize_srcu`);
        acc.world = l.world;
        acc.vs.push(...l.violations);
        // KERNEL: RCU_LOCKDEP_WARN(lock_is_held(&rcu_lock_map), "Illegal synchronize_srcu() in …
        // RCU read-side critical section"): lockdep_rcu_suspicious, which leaves lockdep on.
        if (lockdepEnabled(acc.world) && holdsMap(acc.world, e.task, RCU_LOCK_MAP))
          acc.vs.push(
            violation('lockdep', `suspicious RCU usage: drm_dev_unplug(${e.drm}) in task ${JSON.stringify(e.task)}: Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section`, [e.task]),
          );
        const c = contextCall(acc.world, { type: 'might_sleep', task: e.task }, trace);
        acc.world = c.world;
        acc.vs.push(...c.outcome.violations);
      }
      setDrm(acc, e.drm, { ...d, state: b.target as DrmDeviceState, registered: hasEffect(b.meta, 'unregister') ? false : d.registered });
      if (!hasEffect(b.meta, 'queueWaiter')) return done(acc);
      setTask(acc, e.task, { ...t, waiting: { kind: 'unplug', drm: e.drm } });
      markReaders(acc, 'sections', e.task);
      return queued(acc);
    }
    case 'drm_dev_enter': {
      const d = getDrm(world, e.drm);
      const b = ask(TABLES.drm, d.state, { type: 'drm_dev_enter' }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.drm, e.task]));
      if (hasEffect(b.meta, 'srcuReadLock')) {
        // KERNEL: srcu_read_lock → srcu_lock_acquire (lock_map_acquire_read): a recursive read hold
        // of the domain's lockdep map, so sections nest; locks taken inside get edges from the map
        // only (the hold stops check_prevs_add's walk). ABSTRACTION: no edge goes into the map
        // (noEdgesInto): lockdep's paths never enter a recursive reader and leave through a
        // reader's hold, and every way out of this map is a section's read hold, so such edges
        // close no cycle lockdep reports.
        const l = mapAcquire(acc.world, e.task, DRM_UNPLUG_SRCU, { read: 'recursive', noEdgesInto: true, ext: true, what: `drm_dev_enter(${e.drm})` });
        acc.world = l.world;
        acc.vs.push(...l.violations);
        const t = task(acc.world, e.task);
        setTask(acc, e.task, { ...t, sections: [...t.sections, { on: e.drm, waiters: [] }] });
      }
      return done(acc, b.meta.returns);
    }
    case 'drm_dev_exit': {
      const d = getDrm(world, e.drm);
      const t = task(world, e.task);
      const b = ask(TABLES.drm, d.state, { type: 'drm_dev_exit', inSection: t.sections.some((x) => x.on === e.drm) }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.drm, e.task]));
      // KERNEL: srcu_read_unlock → srcu_lock_release.
      const l = mapRelease(acc.world, e.task, DRM_UNPLUG_SRCU, `drm_dev_exit(${e.drm})`, true);
      acc.world = l.world;
      acc.vs.push(...l.violations);
      const woke = endSection(acc, e.task, 'sections', e.drm, trace);
      return done(acc, woke.length > 0 ? { woke } : undefined);
    }
    case 'drm_dev_is_unplugged': {
      const d = getDrm(world, e.drm);
      const b = ask(TABLES.drm, d.state, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.drm]));
      return done(acc, b.meta.returns);
    }
    case 'drm_registration_new': {
      const old = s.regs.get(e.reg);
      checkFresh(old !== undefined && old.state !== 'dropped', 'registration', e.reg, 'reg');
      const r = register(acc, e.drm, e.type, trace) ?? drmGet(acc, e.drm, e.type, trace);
      if (r) return refuse(world, r);
      put(acc, { regs: slice(acc.world).regs.set(e.reg, Object.freeze({ state: 'registered', drm: e.drm, owner: null })) });
      return done(acc);
    }
    case 'drm_registration_new_foreign_owned': {
      const old = s.regs.get(e.reg);
      checkFresh(old !== undefined && old.state !== 'dropped', 'registration', e.reg, 'reg');
      const d = getDrm(world, e.drm);
      const p = getDevice(world, e.parent, 'parent');
      const b = ask(TABLES.device, p.state, { type: e.type, otherParent: d.parent !== e.parent }, trace);
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.reg, e.parent]));
      const r = register(acc, e.drm, e.type, trace) ?? drmGet(acc, e.drm, e.type, trace);
      if (r) return refuse(world, r);
      put(acc, { regs: slice(acc.world).regs.set(e.reg, Object.freeze({ state: 'registered', drm: e.drm, owner: e.parent })) });
      addAction(acc, e.parent, { kind: 'registration', name: e.reg });
      return done(acc);
    }
    case 'drm_registration_drop': {
      const r = dropRegistration(acc, e.reg, false, trace);
      return r ? refuse(world, r) : done(acc);
    }
    case 'devres_new': {
      checkFresh(s.devres.has(e.res), 'Devres', e.res, 'res');
      const d = getDevice(world, e.dev);
      const b = ask(TABLES.device, d.state, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.res, e.dev]));
      put(acc, { devres: s.devres.set(e.res, Object.freeze({ state: TABLES.devres.initial as DevresRecord['state'], dev: e.dev })) });
      addAction(acc, e.dev, { kind: 'devres', name: e.res });
      return done(acc);
    }
    case 'devres_try_access': {
      const r = getDevres(world, e.res);
      const b = ask(TABLES.devres, r.state, { type: e.type }, trace);
      if (!hasEffect(b.meta, 'rcuReadLock')) return done(acc, b.meta.returns);
      const t = task(world, e.task);
      setTask(acc, e.task, { ...t, guards: [...t.guards, { on: e.res, waiters: [] }] });
      // The guard is an RCU read section of the locking protocol: the task is atomic while it lives.
      return withRcu(done(acc, b.meta.returns), 'rcu_read_lock', e.task, trace);
    }
    case 'devres_guard_drop':
    case 'devres_guard_deref': {
      const r = getDevres(world, e.res);
      const b = ask(TABLES.devres, r.state, { type: e.type, holdsGuard: task(world, e.task).guards.some((g) => g.on === e.res) }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.res, e.task]));
      if (!hasEffect(b.meta, 'rcuReadUnlock')) return done(acc);
      const woke = endSection(acc, e.task, 'guards', e.res, trace);
      return withRcu(done(acc, woke.length > 0 ? { woke } : undefined), 'rcu_read_unlock', e.task, trace);
    }
    case 'devres_access': {
      const r = getDevres(world, e.res);
      const dv = getDevice(world, e.dev);
      const b = ask(TABLES.devres, r.state, { type: e.type, otherDevice: r.dev !== e.dev, unbound: dv.state !== 'added.bound' }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.res, e.dev]));
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      return done(acc);
    }
    case 'drm_open': {
      const old = s.files.get(e.file);
      checkFresh(old !== undefined && old.state === 'open', 'DRM file', e.file, 'file');
      const d = getDrm(world, e.drm);
      const b = ask(TABLES.drm, d.state, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file, e.drm]));
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      setDrm(acc, e.drm, { ...d, refcount: d.refcount + 1 });
      setFile(acc, e.file, { state: TABLES.file.initial as DrmFileRecord['state'], drm: e.drm, handles: [] });
      return done(acc);
    }
    case 'drm_release': {
      const f = getFile(world, e.file);
      const b = fileGate(acc, e.file, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      // KERNEL: drm_gem_release walks the handle table in ascending id order.
      for (const [id] of f.handles) {
        ask(TABLES.handle, 'live', { type: 'drm_gem_handle_delete' }, trace);
        const r = releaseHandle(acc, e.file, id, trace);
        if (r) acc.vs.push(...r.violations);
      }
      setFile(acc, e.file, { ...getFile(acc.world, e.file), state: 'released', handles: [] });
      drmDevPut(acc, f.drm, trace);
      return done(acc);
    }
    case 'drm_ioctl': {
      const f = getFile(world, e.file);
      const d = getDrm(world, f.drm);
      const b = fileGate(acc, e.file, { type: e.type, unplugged: isUnplugged(d.state) }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      return done(acc);
    }
    case 'drm_gem_object_init': {
      const old = s.objects.get(e.obj);
      checkFresh(old !== undefined && old.state === 'alive', 'GEM object', e.obj, 'obj');
      const d = getDrm(world, e.drm);
      const b = ask(TABLES.drm, d.state, { type: e.type, misaligned: e.size % PAGE_SIZE !== 0n, oversized: e.size > MAX_LFS_FILESIZE }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.obj, e.drm]));
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      setObj(acc, e.obj, {
        state: TABLES.obj.initial as GemObjectRecord['state'],
        drm: e.drm,
        size: e.size.toString(),
        refcount: 1,
        handleCount: 0,
        offset: false,
        name: 0,
        openFails: e.open_fails ?? null,
        allow: [],
      });
      return done(acc);
    }
    case 'drm_gem_object_get': {
      const o = getObj(world, e.obj);
      const b = ask(TABLES.obj, o.state, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.obj]));
      setObj(acc, e.obj, { ...o, refcount: o.refcount + 1 });
      return done(acc);
    }
    case 'dma_resv_lock':
    case 'dma_resv_unlock': {
      const o = getObj(world, e.obj);
      const b = ask(TABLES.obj, o.state, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.obj]));
      // The reservation lock is the locking protocol's: initialised with the object's first lock.
      const lock = resvLock(e.obj);
      const w = lockingOf(world).locks.has(lock) ? world : mutexInit(world, lock, DMA_RESV_CLASS).world;
      return lockCall(w, hasEffect(b.meta, 'resvLock') ? 'mutex_lock' : 'mutex_unlock', lock, e.task, trace);
    }
    case 'drm_gem_object_put': {
      const r = objectPut(acc, e.obj, e.type, trace);
      return r ? refuse(world, r) : done(acc);
    }
    case 'drm_gem_handle_create': {
      getObj(world, e.obj);
      const b = fileGate(acc, e.file, { type: e.type }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      const r = createHandle(acc, e.file, e.obj, e.type, trace);
      return 'outcome' in r ? refuse(world, r.outcome) : done(acc, { handle: r.handle });
    }
    case 'drm_gem_object_lookup':
    case 'drm_gem_handle_delete':
    case 'drm_gem_flink': {
      const f = getFile(world, e.file);
      const b = fileGate(acc, e.file, { type: e.type, notGem: !getDrm(world, f.drm).features.includes('gem') }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      if (b.meta.errno !== undefined) return refuse(world, fail(b.meta.errno as Errno));
      const entry = f.handles.find(([h]) => h === e.handle);
      const hb = ask(TABLES.handle, entry === undefined ? 'free' : 'live', { type: e.type }, trace);
      if (hb.meta.errno !== undefined) return refuse(world, fail(hb.meta.errno as Errno));
      if (entry === undefined) return done(acc, hb.meta.returns);
      const objName = entry[1];
      if (e.type === 'drm_gem_handle_delete') {
        const r = releaseHandle(acc, e.file, e.handle, trace);
        return r ? refuse(world, r) : done(acc);
      }
      const o = getObj(world, objName);
      const ob = ask(TABLES.obj, o.state, { type: e.type }, trace);
      if (ob.meta.refused) return refuse(world, refusal(ob, e.type, [e.file, objName]));
      if (e.type === 'drm_gem_object_lookup') {
        setObj(acc, objName, { ...o, refcount: o.refcount + (hasEffect(ob.meta, 'krefGet') ? 1 : 0) });
        return done(acc, { found: true, obj: objName });
      }
      // KERNEL: drm_gem_flink_ioctl: idr_alloc(&dev->object_name_idr, obj, 1, 0) on first use.
      if (o.name !== 0) return done(acc, { name: o.name });
      const d = getDrm(world, o.drm);
      const name = lowestFree(d.names.map(([n]) => n));
      setDrm(acc, o.drm, { ...d, names: [...d.names, [name, objName] as const].sort((a, b) => a[0] - b[0]) });
      setObj(acc, objName, { ...o, name });
      return done(acc, { name });
    }
    case 'drm_gem_open_by_name': {
      const f = getFile(world, e.file);
      const d = getDrm(world, f.drm);
      const found = d.names.find(([n]) => n === e.name);
      const b = fileGate(acc, e.file, { type: e.type, notGem: !d.features.includes('gem'), nameFound: found !== undefined }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      if (b.meta.errno !== undefined || found === undefined) return refuse(world, fail((b.meta.errno ?? 'ENOENT') as Errno));
      const r = createHandle(acc, e.file, found[1], e.type, trace);
      if ('outcome' in r) return refuse(world, r.outcome);
      return done(acc, { handle: r.handle, size: BigInt(getObj(acc.world, found[1]).size) });
    }
    case 'drm_gem_create_mmap_offset': {
      const o = getObj(world, e.obj);
      const d = getDrm(world, o.drm);
      const b = ask(TABLES.obj, o.state, { type: e.type, hasOffset: o.offset, deviceReleased: d.state === 'released' }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.obj]));
      if (d.mm === null) throw malformed(`drm_gem_create_mmap_offset: ${JSON.stringify(o.drm)} was allocated without the gem feature (no offset manager)`, 'obj');
      const node = offsetNodeName(o.drm, e.obj);
      if (hasEffect(b.meta, 'drmVmaOffsetAdd')) {
        // KERNEL: drm_vma_offset_add → drm_mm_insert_node(mgr, node, size >> PAGE_SHIFT): mode best, no alignment.
        const r = callDrmMm(acc.world, { type: 'drm_mm_insert_node', mm: d.mm, node, size: (BigInt(o.size) / PAGE_SIZE).toString() }, trace);
        if (!r.outcome.ok) return refuse(world, fail(r.outcome.errno as Errno));
        acc.world = r.world;
        setObj(acc, e.obj, { ...o, offset: true });
      }
      const info = nodeInfo(acc.world, node);
      return done(acc, { offset: (info?.start ?? 0n) * PAGE_SIZE });
    }
    case 'drm_gem_free_mmap_offset': {
      const o = getObj(world, e.obj);
      const d = getDrm(world, o.drm);
      const b = ask(TABLES.obj, o.state, { type: e.type, deviceReleased: d.state === 'released' }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.obj]));
      if (o.offset && d.mm !== null) {
        acc.world = callDrmMm(acc.world, { type: 'drm_mm_remove_node', node: offsetNodeName(o.drm, e.obj) }, trace).world;
        setObj(acc, e.obj, { ...o, offset: false });
      }
      return done(acc);
    }
    case 'drm_gem_mmap': {
      const f = getFile(world, e.file);
      const old = s.vmas.get(e.vma);
      checkFresh(old !== undefined && old.state === 'mapped', 'VMA', e.vma, 'vma');
      const d = getDrm(world, f.drm);
      // KERNEL: the mmap syscall refuses a misaligned offset and a zero length; vma_pages rounds up.
      let found: string | undefined;
      if (e.offset % PAGE_SIZE === 0n && e.len > 0n && d.mm !== null) {
        const pgoff = e.offset / PAGE_SIZE;
        const pages = (e.len + PAGE_SIZE - 1n) / PAGE_SIZE;
        for (const [name, o] of s.objects.sortedEntries()) {
          if (o.drm !== f.drm || !o.offset || o.state !== 'alive') continue;
          const n = nodeInfo(world, offsetNodeName(f.drm, name));
          // KERNEL: drm_vma_offset_exact_lookup_locked: the node starts at pgoff and spans the pages.
          if (n !== undefined && n.start === pgoff && n.start + n.size >= pgoff + pages) found = name;
        }
      }
      const allowed = found !== undefined && getObj(world, found).allow.some(([file]) => file === e.file);
      const b = fileGate(acc, e.file, { type: e.type, unplugged: isUnplugged(d.state), found: found !== undefined, allowed }, trace);
      if (b.meta.refused) return refuse(world, refusal(b, e.type, [e.file]));
      if (b.meta.errno !== undefined || found === undefined) return refuse(world, fail((b.meta.errno ?? 'EINVAL') as Errno));
      const o = getObj(world, found);
      ask(TABLES.obj, o.state, { type: 'drm_gem_object_get' }, trace);
      setObj(acc, found, { ...o, refcount: o.refcount + 1 });
      put(acc, { vmas: slice(acc.world).vmas.set(e.vma, Object.freeze({ state: 'mapped', obj: found, file: e.file })) });
      return done(acc);
    }
    case 'drm_gem_vm_close': {
      const v = s.vmas.get(e.vma);
      if (v === undefined) throw unknown('VMA', e.vma, 'vma');
      // ABSTRACTION: no machine keeps the VMA; a second close touches a freed vm_area_struct.
      if (v.state === 'closed') return refuse(world, refused(violation('use_after_free', `drm_gem_vm_close (${e.vma}): the VMA was unmapped already`, [e.vma])));
      const r = objectPut(acc, v.obj, e.type, trace);
      if (r) return refuse(world, r);
      put(acc, { vmas: slice(acc.world).vmas.set(e.vma, Object.freeze({ ...v, state: 'closed' })) });
      return done(acc);
    }
  }
}

/**
 * `task_exit` for drm: a task that returns to user space inside a drm_dev_enter section or holding a
 * Devres guard is lockdep's "lock held when returning to user space"; recorded, and cleared (a
 * queued wait it caused is left to the remaining readers).
 *
 * Models lockdep_sys_exit() (kernel/locking/lockdep.c) for `drm_unplug_srcu` and the RCU read lock.
 */
export function drmTaskExit(world: World, taskName: string): { world: World; violations: Violation[] } {
  const t = task(world, taskName);
  const vs: Violation[] = [];
  if (t.sections.length === 0 && t.guards.length === 0) return { world, violations: vs };
  const acc: Acc = { world, vs };
  // KERNEL: one report, and only while lockdep is on (it turns lockdep off): lockdepReport.
  const report = (message: string): void => {
    const r = lockdepReport(acc.world, message, [taskName]);
    acc.world = r.world;
    vs.push(...r.violations);
  };
  if (t.sections.length > 0) report(`task ${JSON.stringify(taskName)} returns to user space inside drm_dev_enter of ${t.sections.map((x) => x.on).join(', ')} (drm_unplug_srcu held)`);
  if (t.guards.length > 0) report(`task ${JSON.stringify(taskName)} returns to user space holding a Devres guard on ${t.guards.map((x) => x.on).join(', ')} (rcu_read_lock held)`);
  setTask(acc, taskName, { ...t, sections: [], guards: [] });
  return { world: acc.world, violations: vs };
}
