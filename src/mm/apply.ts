import { type Branch, type BranchTrace, branchViolations, compileMachine, decide, hasEffect } from '../../machines/machineTable.js';
import { mmStructMachine } from '../../machines/mmStruct.machine.js';
import { vmAreaStructMachine } from '../../machines/vmAreaStruct.machine.js';
import { DrmstateError } from '../errors.js';
import type { Errno } from '../errno.js';
import { type Misuse, unknownObject } from '../world/Misuse.js';
import { type Outcome, type OutcomeValue, fail, ok, refused } from '../world/Outcome.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type Violation, type ViolationKind, violation } from '../world/Violation.js';
import { type World, withSlice } from '../world/World.js';
import { MMAP_LOCK_CLASS } from '../locking/lockdep.js';
import { type LockCallType, contextCall, initRwsem, lockCall, lockdepEnabled, lockingOf, mightSleep } from '../locking/ops.js';
import type { MmEvent } from './events.js';
import {
  DEFAULT_MMAP_BASE,
  MAP_FLAGS,
  PAGE_SIZE,
  PROT_FLAGS,
  TASK_SIZE,
  findVma,
  insertPiece,
  offsetInPage,
  pageAlign,
  parseFlags,
  placeMapping,
  unmapRange,
  vmFlagsOf,
  vmaLookup,
} from './layout.js';
import type { MmLifecycle, MmRecord, MmState, MmTask, Piece, VmaLifecycle, VmaRecord, VmaRefRecord } from './state.js';

/** The compiled `mm_struct` machine. */
export const MM_TABLE = compileMachine(mmStructMachine);
/** The compiled `vm_area_struct` machine. */
export const VMA_TABLE = compileMachine(vmAreaStructMachine);

/** The named effects of the `mm_struct` branches that this file performs (a test checks the list). */
export const MM_EFFECTS: ReadonlySet<string> = new Set([
  'mightSleep',
  'mmgrabCount',
  'mmdropCount',
  'mmgetCount',
  'mmputCount',
  'exitMmap',
  'free',
  'returnMm',
  'doMmap',
  'mmapWriteLock',
  'doVmiMunmap',
  'findVma',
  'vmaLookup',
  'isContended',
  'rwsem',
  'dropRefs',
]);

/** The named effects of the `vm_area_struct` branches that this file performs. */
export const VMA_EFFECTS: ReadonlySet<string> = new Set(['mmapRegion', 'removeVma', 'splitVma', 'readVma']);

const NO_TASK: MmTask = Object.freeze({ refs: Object.freeze([]) as readonly VmaRefRecord[] });

function unknown(what: string, name: string, field: string): Misuse {
  return unknownObject(`no ${what} named ${JSON.stringify(name)} was ever created`, field, name);
}

function findMm(s: MmState, name: string, field = 'mm'): MmRecord {
  const m = s.mms.get(name);
  if (m === undefined) throw unknown('mm', name, field);
  return m;
}

function withMm(world: World, slice: MmState): World {
  return withSlice(world, 'mm', slice);
}

/** A slice with some maps replaced. */
function patch(s: MmState, p: Partial<MmState>): MmState {
  return Object.freeze({ ...s, ...p });
}

/** What a violation message may mention. */
interface Said {
  readonly call: string;
  readonly name: string;
  readonly rec?: MmRecord;
  readonly task?: string;
}

/** The message of one violation a branch records, keyed by the check that raised it. */
function say(check: string | undefined, fallback: string, w: Said): string {
  const mm = JSON.stringify(w.name);
  switch (check) {
    case 'freed':
      return `${w.call} on mm ${mm} after __mmdrop freed it (mm_count reached 0): use after free`;
    case 'tornDown':
      return `${w.call} on mm ${mm}, whose mm_users is 0: exit_mmap already tore its address space down (only mmget_not_zero may turn an mmgrab reference into a user, D6; the kernel cannot see this)`;
    case 'usersCount':
      return `mmdrop on mm ${mm} drops the one mm_count reference its ${w.rec?.users ?? '?'} user(s) hold: __mmdrop would free it under them (refcount underflow of the caller's references)`;
    case 'usersUnderflow':
      return `${w.call} on mm ${mm} with mm_users already 0: the atomic_t underflows (the kernel prints nothing; an mmgrab keeps the struct)`;
    case 'unlocked':
      return `${w.call} on VMA ${mm} in task ${JSON.stringify(w.task)}: no mmap lock protects the reference (its guard was released, or it was never looked up under one; VmaRef's invariant): use after free the kernel cannot see`;
    case 'unmapped':
      return `${w.call} on VMA ${mm}, which is unmapped: use after free`;
    case 'assertLocked':
      return `WARNING: ${w.call}(${w.name}) in task ${JSON.stringify(w.task)} without the mmap lock: mmap_assert_locked (lockdep_assert_held) fails`;
    case 'assertWriteLocked':
      return `WARNING: ${w.call}(${w.name}) in task ${JSON.stringify(w.task)} without the mmap lock held for write: mmap_assert_write_locked (lockdep_assert_held_write) fails`;
    default:
      return `${w.call}: ${fallback}`;
  }
}

/** The violations a branch records, with their messages. */
function violationsOf(b: Branch, w: Said, objects: readonly string[]): Violation[] {
  return branchViolations(b.meta).map((v) => violation(v.kind as ViolationKind, say(v.check, b.description, w), objects));
}

/** The outcome of a branch that changes nothing: its errno, its refusal, or ok with its returns. */
function answer(b: Branch, vs: readonly Violation[], values: { readonly [k: string]: OutcomeValue } = {}): ApplyResult['outcome'] {
  if (b.meta.refused) return refused(...vs);
  if (b.meta.errno !== undefined) return fail(b.meta.errno as Errno, vs);
  return ok({ ...(b.meta.returns ?? {}), ...values }, vs);
}

/** The VMA's machine decides one call; the record's new state when the branch moves it. */
function decideVma(rec: VmaRecord | undefined, type: string, facts: object, trace: BranchTrace | undefined): Branch {
  return decide(VMA_TABLE, rec?.state ?? VMA_TABLE.initial, type, {}, { type, ...facts }, trace) as Branch;
}

/** An unmap of `[lo, hi)`: the map after, each touched VMA's machine told, and the names. */
function unmapAndTell(
  s: MmState,
  rec: MmRecord,
  lo: bigint,
  hi: bigint,
  trace: BranchTrace | undefined,
): { vmas: MmState['vmas']; map: readonly Piece[]; unmapped: string[]; split: string[] } {
  const r = unmapRange(rec.map, lo, hi);
  let vmas = s.vmas;
  const unmapped: string[] = [];
  const split: string[] = [];
  for (const name of [...r.unmapped, ...r.split]) {
    const v = vmas.get(name) as VmaRecord;
    const b = decideVma(v, 'vm_munmap', { whole: r.unmapped.includes(name) }, trace);
    if (hasEffect(b.meta, 'removeVma')) unmapped.push(name);
    else split.push(name);
    if (b.target !== v.state) vmas = vmas.set(name, Object.freeze({ ...v, state: b.target as VmaLifecycle }));
  }
  // Keep address order, as unmapRange gives it.
  const order = [...r.unmapped, ...r.split];
  const byOrder = (a: string, b: string): number => order.indexOf(a) - order.indexOf(b);
  return { vmas, map: r.map, unmapped: unmapped.sort(byOrder), split: split.sort(byOrder) };
}

/** exit_mmap: every VMA of the mm hears it and is unmapped; the names in address order. */
function exitMmap(s: MmState, rec: MmRecord, trace: BranchTrace | undefined): { vmas: MmState['vmas']; unmapped: string[] } {
  let vmas = s.vmas;
  const unmapped: string[] = [];
  for (const p of rec.map) {
    if (unmapped.includes(p.vma)) continue;
    unmapped.push(p.vma);
    const v = vmas.get(p.vma) as VmaRecord;
    const b = decideVma(v, 'exit_mmap', {}, trace);
    vmas = vmas.set(p.vma, Object.freeze({ ...v, state: b.target as VmaLifecycle }));
  }
  return { vmas, unmapped };
}

/** The task's part with one more reference (replacing its earlier one to the same VMA). */
function withRef(s: MmState, task: string, ref: VmaRefRecord): MmState['tasks'] {
  const t = s.tasks.get(task) ?? NO_TASK;
  return s.tasks.set(task, Object.freeze({ refs: Object.freeze([...t.refs.filter((r) => r.vma !== ref.vma), Object.freeze(ref)]) }));
}

/** A call the mm_struct machine decides on the mm it names. */
type MmCall = Exclude<MmEvent, { readonly type: 'mm_alloc' | 'get_task_mm' | 'task_mm_borrow' | 'vma_start' | 'vma_end' | 'vma_flags' }>;

/** The facts a vm_munmap's guards read. */
function munmapFacts(e: Extract<MmEvent, { type: 'vm_munmap' }>): { badRange: boolean; emptyRange: boolean } {
  const badRange = offsetInPage(e.addr) !== 0n || e.addr > TASK_SIZE || e.len > TASK_SIZE - e.addr;
  return { badRange, emptyRange: !badRange && pageAlign(e.len) === 0n };
}

/** The name of an mm's `mmap_lock` in the locking protocol's lock table. */
export function mmapLockOf(mm: string): string {
  return `mmap_lock:${mm}`;
}

/** Whether `task` holds `mm`'s mmap lock (for read or write). */
export function holdsMmapLock(world: World, mm: string, task: string): boolean {
  const rec = lockingOf(world).locks.get(mmapLockOf(mm));
  return rec !== undefined && (rec.owner === task || rec.readers.includes(task));
}

/** Whether `mm`'s mmap lock has no holder and no waiter. */
function lockIsFree(world: World, mm: string): boolean {
  const rec = lockingOf(world).locks.get(mmapLockOf(mm));
  return rec === undefined || (rec.owner === null && rec.readers.length === 0 && rec.waiters.length === 0);
}

/** The rwsem call of each mmap lock call (include/linux/mmap_lock.h). */
const RWSEM_CALL: { readonly [type: string]: LockCallType } = {
  mmap_read_lock: 'down_read',
  // ABSTRACTION: no task receives a fatal signal, so the killable waits never answer -EINTR.
  mmap_read_lock_killable: 'down_read',
  mmap_read_trylock: 'down_read_trylock',
  mmap_read_unlock: 'up_read',
  mmap_write_lock: 'down_write',
  mmap_write_lock_killable: 'down_write',
  mmap_write_trylock: 'down_write_trylock',
  mmap_write_unlock: 'up_write',
  mmap_write_downgrade: 'downgrade_write',
};

/** A compound call's progress: the world so far and the findings in the order the kernel makes them. */
interface Step {
  world: World;
  readonly vs: Violation[];
}

/**
 * Takes `mm`'s mmap lock for a call that holds it across its own work (vm_mmap, vm_munmap, the
 * last mmput's exit_mmap): the result when it cannot go on now.
 *
 * ABSTRACTION: such a call cannot be queued half-done (the grant would have to finish it), so a
 * lock another task holds or waits for makes it block before it changes anything, to be retried:
 * the kernel's lockdep annotation of that sleeping acquisition is not recorded. A lock the task
 * itself holds makes the rwsem's own answer: queued on itself, with lockdep's report.
 */
function cannotLock(step: Step, mm: string, task: string, trace: BranchTrace | undefined): ApplyResult | undefined {
  if (lockIsFree(step.world, mm)) return undefined;
  if (holdsMmapLock(step.world, mm, task)) {
    const r = lockCall(step.world, 'down_write', mmapLockOf(mm), task, trace);
    return { world: r.world, outcome: { ...r.outcome, violations: [...step.vs, ...r.outcome.violations] } as Outcome };
  }
  return { world: step.world, outcome: { ok: false, blocked: true, violations: step.vs } };
}

/** One rwsem call on `mm`'s lock inside a compound call (it cannot block: cannotLock said so). */
function rwsem(step: Step, type: LockCallType, mm: string, task: string, trace: BranchTrace | undefined): void {
  const r = lockCall(step.world, type, mmapLockOf(mm), task, trace);
  step.world = r.world;
  step.vs.push(...r.outcome.violations);
}

/** The world with the task's references into `mm` dropped once it no longer holds `mm`'s lock. */
function dropRefs(world: World, mm: string, task: string): World {
  const s = world.mm;
  const t = s.tasks.get(task);
  if (t === undefined || holdsMmapLock(world, mm, task)) return world;
  const refs = t.refs.filter((r) => r.mm !== mm);
  if (refs.length === t.refs.length) return world;
  return withMm(world, patch(s, { tasks: refs.length === 0 ? s.tasks.delete(task) : s.tasks.set(task, Object.freeze({ refs: Object.freeze(refs) })) }));
}

/**
 * One call on a named mm: the `mm_struct` machine picks the branch; this performs the effects it
 * names (the locking protocol's sleep check and rwsem, the VMA machine deciding vm_mmap's errno
 * and the unmaps), and returns what it fixes.
 */
function callMm(world: World, s: MmState, name: string, rec: MmRecord, e: MmCall | Extract<MmEvent, { type: 'get_task_mm' | 'task_mm_borrow' }>, trace: BranchTrace | undefined): ApplyResult {
  // KERNEL: mmap_assert_locked is lockdep_assert_held, which a lockdep turned off answers "held";
  // CONFIG_DEBUG_VM's rwsem_is_locked BUG is off.
  const facts =
    e.type === 'vm_munmap'
      ? munmapFacts(e)
      : e.type === 'find_vma' || e.type === 'mmap_assert_locked'
        ? { unlocked: lockdepEnabled(world) && !holdsMmapLock(world, name, e.task) }
        : e.type === 'mmap_assert_write_locked'
          ? { unlocked: lockdepEnabled(world) && lockingOf(world).locks.get(mmapLockOf(name))?.owner !== e.task }
          : {};
  const b = decide(MM_TABLE, rec.state, e.type, { users: rec.users, count: rec.count }, { ...e, ...facts }, trace) as Branch;
  const m = b.meta;
  const task = 'task' in e ? e.task : undefined;
  const effects = m.effects ?? [];
  const step: Step = { world, vs: [] };
  // KERNEL: mmput sleep-checks before it looks at the count.
  if (task !== undefined && effects.includes('mightSleep')) step.vs.push(...mightSleep(world, task, `${e.type}(${name})`, trace).violations);
  step.vs.push(...violationsOf(b, { call: e.type, name, rec, task }, task === undefined ? [name] : [name, task]));
  if (m.refused) return { world, outcome: refused(...step.vs) };
  if (task !== undefined && effects.includes('rwsem')) {
    const r = lockCall(world, RWSEM_CALL[e.type] as LockCallType, mmapLockOf(name), task, trace);
    return { world: effects.includes('dropRefs') ? dropRefs(r.world, name, task) : r.world, outcome: r.outcome };
  }
  if (task !== undefined && effects.includes('mmapWriteLock')) {
    // KERNEL: vm_munmap takes the write lock before do_vmi_munmap checks the range.
    const blocked = cannotLock(step, name, task, trace);
    if (blocked !== undefined) return blocked;
    rwsem(step, 'down_write', name, task, trace);
  }
  if (m.errno !== undefined) {
    if (task !== undefined && effects.includes('mmapWriteLock')) rwsem(step, 'up_write', name, task, trace);
    return { world: step.world, outcome: fail(m.errno as Errno, step.vs) };
  }
  if (e.type === 'vm_mmap') return doMmap(step, name, rec, e, trace);
  if (e.type === 'mmput_async' && effects.includes('exitMmap') && !lockIsFree(step.world, name)) {
    // ABSTRACTION: the kworker's exit_mmap would wait for the lock; the model makes the call wait
    // (before it changes anything) instead of queueing work, so no zero-user mm has a lock holder.
    return { world, outcome: { ok: false, blocked: true, violations: step.vs } };
  }
  if (e.type === 'mmput' && effects.includes('exitMmap')) {
    const blocked = cannotLock(step, name, e.task, trace);
    if (blocked !== undefined) return blocked;
    // KERNEL: exit_mmap unmaps under the read lock, then frees the page tables and VMAs under the
    // write lock (mm/mmap.c), also for an mm without VMAs.
    for (const t of ['down_read', 'up_read', 'down_write', 'up_write'] as const) rwsem(step, t, name, e.task, trace);
  }
  let users = rec.users;
  let count = rec.count;
  let map = rec.map;
  let slice = step.world.mm;
  const values: { [k: string]: OutcomeValue } = {};
  for (const effect of effects) {
    switch (effect) {
      case 'mmgrabCount':
        count++;
        values.mm_count = count;
        break;
      case 'mmdropCount':
        count--;
        if (e.type === 'mmdrop') values.mm_count = count;
        break;
      case 'mmgetCount':
        users++;
        if (e.type === 'mmget') values.mm_users = users;
        break;
      case 'mmputCount':
        users--;
        values.mm_users = users;
        break;
      case 'exitMmap': {
        const r = exitMmap(slice, { ...rec, map }, trace);
        slice = patch(slice, { vmas: r.vmas });
        map = [];
        values.unmapped = r.unmapped;
        break;
      }
      case 'returnMm':
        values.mm = name;
        break;
      case 'isContended':
        // KERNEL: rwsem_is_contended: !list_empty(&sem->wait_list).
        values.contended = (lockingOf(step.world).locks.get(mmapLockOf(name))?.waiters.length ?? 0) > 0;
        break;
      case 'doVmiMunmap':
        if (e.type === 'vm_munmap') {
          const r = unmapAndTell(slice, { ...rec, map }, e.addr, e.addr + pageAlign(e.len), trace);
          slice = patch(slice, { vmas: r.vmas });
          map = r.map;
          values.unmapped = r.unmapped;
          values.split = r.split;
        }
        break;
      case 'findVma':
      case 'vmaLookup':
        if (e.type === 'find_vma' || e.type === 'vma_lookup') {
          const p = effect === 'findVma' ? findVma(map, e.addr) : vmaLookup(map, e.addr);
          values.vma = p === undefined ? null : p.vma;
          // INVARIANT: a reference is recorded only under the lock (VmaRef's invariant); the
          // task's release of the lock ends it.
          if (p !== undefined && holdsMmapLock(step.world, name, e.task))
            slice = patch(slice, { tasks: withRef(slice, e.task, { vma: p.vma, mm: name, start: p.start, end: p.end }) });
        }
        break;
      default:
        // mightSleep and mmapWriteLock came first; free is the target state.
        break;
    }
  }
  if (task !== undefined && effects.includes('mmapWriteLock')) {
    step.world = withMm(step.world, slice);
    rwsem(step, 'up_write', name, task, trace);
    slice = step.world.mm;
  }
  const next: MmRecord = Object.freeze({ ...rec, state: b.target as MmLifecycle, users, count, map });
  slice = patch(slice, { mms: slice.mms.set(name, next) });
  return { world: withMm(step.world, slice), outcome: ok({ ...(m.returns ?? {}), ...values }, step.vs) };
}

/**
 * vm_mmap on a live mm (vm_mmap_pgoff, mm/util.c): the write lock, then the VMA's machine decides
 * do_mmap's errno; mmap_region allocates the VMA (GFP_KERNEL) and maps it; the lock is released.
 */
function doMmap(step: Step, name: string, rec: MmRecord, e: Extract<MmEvent, { type: 'vm_mmap' }>, trace: BranchTrace | undefined): ApplyResult {
  const flags = parseFlags(e.type, 'flags', e.flags as string, MAP_FLAGS);
  const prot = e.prot === undefined ? PROT_FLAGS.PROT_READ | PROT_FLAGS.PROT_WRITE : parseFlags(e.type, 'prot', e.prot as string, PROT_FLAGS);
  const old = step.world.mm.vmas.get(e.vma);
  if (old !== undefined && old.state === 'mapped')
    throw new DrmstateError('MALFORMED_EVENT', `vm_mmap: ${JSON.stringify(e.vma)} already names a mapped VMA; name the new mapping something else`, { field: 'vma' });
  const blocked = cannotLock(step, name, e.task, trace);
  if (blocked !== undefined) return blocked;
  rwsem(step, 'down_write', name, e.task, trace);
  const place = placeMapping(rec.map, BigInt(rec.mmapBase), e.addr ?? 0n, e.len, flags);
  const facts = 'errno' in place ? { [place.check]: true } : {};
  const b = decideVma(old, e.type, facts, trace);
  if (b.meta.errno !== undefined || !('addr' in place)) {
    rwsem(step, 'up_write', name, e.task, trace);
    return { world: step.world, outcome: fail(b.meta.errno as Errno, step.vs) };
  }
  // KERNEL: __mmap_new_vma allocates the VMA with vm_area_alloc (GFP_KERNEL) under the write lock.
  const alloc = contextCall(step.world, { type: 'kmalloc', task: e.task, gfp: 'GFP_KERNEL' }, trace);
  step.world = alloc.world;
  step.vs.push(...alloc.outcome.violations);
  let slice = step.world.mm;
  let map = rec.map;
  const values: { [k: string]: OutcomeValue } = { start: place.addr };
  const end = place.addr + place.len;
  // KERNEL: mmap_region unmaps whatever a MAP_FIXED range overlaps before it maps.
  const r = unmapAndTell(slice, rec, place.addr, end, trace);
  if (r.unmapped.length > 0 || r.split.length > 0) {
    slice = patch(slice, { vmas: r.vmas });
    map = r.map;
    values.unmapped = r.unmapped;
    values.split = r.split;
  }
  map = insertPiece(map, { start: place.addr.toString(), end: end.toString(), vma: e.vma });
  const vma: VmaRecord = Object.freeze({ state: b.target as VmaLifecycle, mm: name, flags: vmFlagsOf(prot, flags) });
  step.world = withMm(step.world, patch(slice, { vmas: slice.vmas.set(e.vma, vma), mms: slice.mms.set(name, Object.freeze({ ...rec, map })) }));
  rwsem(step, 'up_write', name, e.task, trace);
  return { world: step.world, outcome: ok(values, step.vs) };
}

/** A VmaRef read: the VMA's machine decides whether the task's reference is still protected. */
function readVma(world: World, s: MmState, e: Extract<MmEvent, { type: 'vma_start' | 'vma_end' | 'vma_flags' }>, trace: BranchTrace | undefined): ApplyResult {
  const v = s.vmas.get(e.vma);
  if (v === undefined) throw unknown('VMA', e.vma, 'vma');
  const ref = (s.tasks.get(e.task) ?? NO_TASK).refs.find((r) => r.vma === e.vma);
  const mm = s.mms.get(v.mm);
  const piece = ref === undefined ? undefined : mm?.map.find((p) => p.vma === e.vma && p.start === ref.start && p.end === ref.end);
  const b = decideVma(v, e.type, { referenced: piece !== undefined }, trace);
  const vs = violationsOf(b, { call: e.type, name: e.vma, task: e.task }, [e.vma, e.task]);
  if (b.meta.refused || piece === undefined) return { world, outcome: answer(b, vs) };
  const value: OutcomeValue = e.type === 'vma_start' ? BigInt(piece.start) : e.type === 'vma_end' ? BigInt(piece.end) : v.flags;
  return { world, outcome: ok({ [e.type === 'vma_start' ? 'start' : e.type === 'vma_end' ? 'end' : 'flags']: value }, vs) };
}

function mmAlloc(world: World, s: MmState, e: Extract<MmEvent, { type: 'mm_alloc' }>, trace: BranchTrace | undefined): ApplyResult {
  const old = s.mms.get(e.mm);
  if (old !== undefined && old.state !== 'freed')
    throw new DrmstateError('MALFORMED_EVENT', `mm_alloc: ${JSON.stringify(e.mm)} already names a live mm; name the new one something else`, { field: 'mm' });
  const base = e.mmap_base ?? DEFAULT_MMAP_BASE;
  if (offsetInPage(base) !== 0n || base < PAGE_SIZE || base > TASK_SIZE)
    throw new DrmstateError('MALFORMED_EVENT', `mm_alloc: mmap_base ${base} must be page aligned, in [${PAGE_SIZE}, ${TASK_SIZE}]`, { field: 'mmap_base' });
  let w = world;
  const vs: Violation[] = [];
  // KERNEL: allocate_mm is a GFP_KERNEL slab allocation (kernel/fork.c), in the calling task.
  if (e.task !== undefined) {
    const r = contextCall(w, { type: 'kmalloc', task: e.task, gfp: 'GFP_KERNEL' }, trace);
    w = r.world;
    vs.push(...r.outcome.violations);
  }
  // KERNEL: mmap_init_lock's init_rwsem: one lockdep class for every mm's mmap_lock.
  const init = initRwsem(w, mmapLockOf(e.mm), MMAP_LOCK_CLASS, trace);
  if (!init.outcome.ok) return { world, outcome: refused(...vs, ...init.outcome.violations) };
  w = init.world;
  // KERNEL: mm_init sets mm_users and mm_count to 1; arch_pick_mmap_layout sets mmap_base.
  const rec: MmRecord = Object.freeze({ state: MM_TABLE.initial as MmLifecycle, users: 1, count: 1, mmapBase: base.toString(), map: Object.freeze([]) as readonly Piece[] });
  const slice = patch(w.mm, { mms: w.mm.mms.set(e.mm, rec), owners: e.task === undefined ? w.mm.owners : w.mm.owners.set(e.task, e.mm) });
  return { world: withMm(w, slice), outcome: ok({ mm_users: 1, mm_count: 1 }, vs) };
}

/**
 * `task_exit` for mm: the task's VMA references end with it (the mmap lock it held is the locking
 * protocol's to report). Pure.
 */
export function mmTaskExit(world: World, task: string): { world: World; violations: Violation[] } {
  const s = world.mm;
  if (!s.tasks.has(task)) return { world, violations: [] };
  return { world: withMm(world, patch(s, { tasks: s.tasks.delete(task) })), violations: [] };
}

/**
 * Applies one decoded mm event. Pure.
 *
 * Models kernel/fork.c (mm_alloc, mmput, mmput_async, get_task_mm), include/linux/sched/mm.h,
 * mm/mmap.c, mm/vma.c and mm/util.c (vm_mmap, vm_munmap, find_vma, exit_mmap) of v6.17.
 *
 * @throws {Misuse} `UNKNOWN_OBJECT` for an mm or VMA name never created.
 * @throws {DrmstateError} `MALFORMED_EVENT` for a name already live, an unknown flag, a bad mmap_base.
 */
export function applyMm(world: World, e: MmEvent, trace?: BranchTrace): ApplyResult {
  const s = world.mm;
  switch (e.type) {
    case 'mm_alloc':
      return mmAlloc(world, s, e, trace);
    case 'get_task_mm':
    case 'task_mm_borrow': {
      const owner = s.owners.get(e.task);
      // KERNEL: a task with no mm (never given one here) answers NULL before any count is read.
      if (owner === undefined) return { world, outcome: ok({ mm: null }) };
      return callMm(world, s, owner, findMm(s, owner), e, trace);
    }
    case 'vma_start':
    case 'vma_end':
    case 'vma_flags':
      return readVma(world, s, e, trace);
    default:
      return callMm(world, s, e.mm, findMm(s, e.mm), e, trace);
  }
}
