import { type Branch, type BranchTrace, compileMachine, decide } from '../../machines/machineTable.js';
import { type DrmMmNodeMeta, drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { drmMmMachine } from '../../machines/drmMm.machine.js';
import { drmMmScanMachine } from '../../machines/drmMmScan.machine.js';
import { unknownObject } from '../world/Misuse.js';
import type { Errno } from '../errno.js';
import { type Outcome, fail, ok, refused } from '../world/Outcome.js';
import { ZERO_HASH } from '../world/hash.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type ViolationKind, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import { U64_MAX, readU64 } from '../world/fields.js';
import {
  type InsertMode,
  type Placement,
  findPlacement,
  findReserveHole,
  linkNode,
  removeNode,
  scanAddBlock,
  scanColorEvict,
  scanRemoveBlock,
} from './allocator.js';
import { type ColorAdjustFn, colorAdjustFn } from './colorAdjust.js';
import type { DrmMmEvent } from './events.js';
import { HEAD, type Hole, type ListItem, type Mm, initMm, shared, u64 } from './mm.js';
import type { DrmMmState, HeldBlock, NodeRecord, NodeState, ScanRecord, ScanState } from './state.js';

/** The node machine compiled once to a lookup table. */
export const NODE_TABLE = compileMachine(drmMmNodeMachine);

/** The scan machine compiled once to a lookup table. */
export const SCAN_TABLE = compileMachine(drmMmScanMachine);

/** The allocator machine compiled once to a lookup table. */
export const MM_TABLE = compileMachine(drmMmMachine);

/** What one machine decision means for the call: go on (with the branch's target), or its answer. */
type Verdict = { ok: true; branch: Branch } | { ok: false; branch: Branch; outcome: Outcome };

/**
 * What a call names, for its violation messages and `objects`: formatted only when a branch
 * refuses (the answers that succeed build no text).
 */
interface Subject {
  readonly scan?: string;
  readonly node?: string;
  /** The allocator ('' or absent for a node on none). */
  readonly mm?: string;
}

/** `scan "s", node "n1", drm_mm "m1"` and the same names as `objects`. */
function describe(subject: Subject): { text: string; objects: string[] } {
  const parts: string[] = [];
  const objects: string[] = [];
  if (subject.scan !== undefined) {
    parts.push(`scan "${subject.scan}"`);
    objects.push(subject.scan);
  }
  if (subject.node !== undefined) {
    parts.push(`node "${subject.node}"`);
    objects.push(subject.node);
  }
  if (subject.mm !== undefined && subject.mm !== '') {
    parts.push(`drm_mm "${subject.mm}"`);
    objects.push(subject.mm);
  }
  return { text: parts.join(', '), objects };
}

/**
 * Asks a machine which branch a call takes and reads the kernel's answer off the branch's meta: a
 * refusal (violation, nothing changes), an errno, or go on. The `event` carries the facts the
 * guards read; a fact may be a getter (on a class), evaluated only when a guard asks for it.
 */
function verdict(
  table: typeof NODE_TABLE,
  state: string,
  event: { readonly type: string; readonly [fact: string]: unknown },
  subject: Subject,
  trace: BranchTrace | undefined,
): Verdict {
  const b = decide(table, state, event.type, {}, event, trace);
  // INVARIANT: every state of these machines answers every event (test/machines enforces it).
  if (b === undefined) throw new Error(`machine ${table.id}: no branch for ${event.type} in ${state}`);
  const m = b.meta;
  if (m.refused === true) {
    const d = describe(subject);
    const v = violation(m.violation as ViolationKind, `${event.type}: ${d.text}: ${b.description}`, d.objects);
    return { ok: false, branch: b, outcome: refused(v) };
  }
  if (m.errno !== undefined) return { ok: false, branch: b, outcome: fail(m.errno as Errno) };
  return { ok: true, branch: b };
}

function result(world: World, slice: DrmMmState, outcome: Outcome): ApplyResult {
  return { world: slice === world.drmMm ? world : { ...world, drmMm: slice }, outcome };
}

function getMm(s: DrmMmState, name: string): Mm {
  const mm = s.mms.get(name);
  if (mm === undefined) throw unknownObject(`no drm_mm named "${name}" (run drm_mm_init first)`, 'mm', name);
  return mm;
}

/**
 * A node by name. A name never used before is a cleared `struct drm_mm_node` (the caller embeds
 * it zeroed in C): it exists, unlinked, from its first mention.
 */
function nodeOf(s: DrmMmState, name: string): NodeRecord {
  return s.nodes.get(name) ?? FRESH_NODE;
}

/** The scan machine's state of a scan record; a scan never initialised is the zeroed struct. */
function scanState(sc: ScanRecord | undefined): ScanState {
  return sc === undefined ? 'zeroed' : sc.held === null ? 'idle' : 'scanning';
}

/** The allocator machine's state of an allocator record (a name never initialised is `released`). */
function mmState(mm: Mm | undefined): 'live' | 'released' {
  return mm?.live === true ? 'live' : 'released';
}


/** The registered function an allocator's `{ fn }` names (undefined for none or `{ gap }`). */
function adjustFnOf(s: DrmMmState, mm: Mm): ColorAdjustFn | undefined {
  // A world restored from a snapshot has no functions: misuse until they are registered again.
  return mm.adjust === null ? undefined : colorAdjustFn(s.colorAdjust, mm.adjust);
}

/**
 * The slice with new allocator and node maps, built field by field (not spread: the hot path of
 * every insertion and removal).
 */
function withMaps(s: DrmMmState, mms: DrmMmState['mms'], nodes: DrmMmState['nodes']): DrmMmState {
  return { mms, nodes, scans: s.scans, colorAdjust: s.colorAdjust };
}

/** A node record in another machine state, every other field kept (built field by field). */
function withState(n: NodeRecord, state: NodeState): NodeRecord {
  if (n.prev === undefined && n.next === undefined && n.scan === undefined) {
    return n.rule === undefined
      ? { state, mm: n.mm, gen: n.gen, start: n.start, size: n.size, color: n.color }
      : { state, mm: n.mm, gen: n.gen, start: n.start, size: n.size, color: n.color, rule: n.rule };
  }
  return { ...n, state };
}

function itemOf(name: string, n: NodeRecord): ListItem {
  return { name, start: n.start, size: n.size, color: n.color };
}

interface InsertArgs {
  readonly type: string;
  readonly mm: string;
  readonly node: string;
  readonly size: bigint;
  readonly alignment: bigint;
  readonly color: bigint;
  readonly rangeStart: bigint;
  readonly rangeEnd: bigint;
  readonly mode: InsertMode;
  readonly once: boolean;
}

const FRESH_NODE: NodeRecord = Object.freeze({ state: 'unlinked', mm: '', gen: 0, start: 0n, size: 0n, color: 0n });

/** drm_mm_insert_node_in_range and its wrappers. */
type InsertEvent = Extract<DrmMmEvent, { type: 'drm_mm_insert_node_in_range' | 'drm_mm_insert_node_generic' | 'drm_mm_insert_node' }>;

/**
 * The drm_mm_insert_node_in_range() call each insertion makes. KERNEL: drm_mm_insert_node_generic()
 * searches the whole range [0, U64_MAX), and drm_mm_insert_node() is generic with alignment 0,
 * colour 0 and best fit (include/drm/drm_mm.h).
 */
function inRangeCall(e: InsertEvent): InsertArgs {
  // Built field by field (no spread): one object of one shape per call, on the hot path.
  if (e.type === 'drm_mm_insert_node')
    return { type: e.type, mm: e.mm, node: e.node, size: e.size, alignment: 0n, color: 0n, rangeStart: 0n, rangeEnd: U64_MAX, mode: 'best', once: false };
  const ranged = e.type === 'drm_mm_insert_node_in_range';
  return {
    type: e.type,
    mm: e.mm,
    node: e.node,
    size: e.size,
    alignment: e.alignment,
    color: e.color,
    rangeStart: ranged ? e.range_start : 0n,
    rangeEnd: ranged ? e.range_end : U64_MAX,
    mode: e.mode,
    once: e.once ?? false,
  };
}

/** The answer to a refused or errno branch of an insertion: an ENOSPC names the node from now on. */
function insertFailed(world: World, s: DrmMmState, node: string, outcome: Outcome): ApplyResult {
  if (outcome.errno !== undefined && !s.nodes.has(node)) {
    // The call named the node: it exists from now on, still unlinked.
    return result(world, { ...s, nodes: s.nodes.set(node, FRESH_NODE) }, outcome);
  }
  return result(world, s, outcome);
}

/**
 * The facts of an insertion or reservation, for the node machine's guards. `fits` is a getter on
 * the class (not on a literal: V8 keeps such objects fast): the search runs once, and only when
 * the machine's `hasRoom` guard asks, as the kernel searches only past its checks.
 */
class PlacementCall {
  readonly rangeInverted: boolean;
  readonly scanActive: boolean;
  readonly allocatorTakenDown: boolean;
  /** The search's answer: null before it ran, undefined for no room. */
  private found: Placement | Hole | undefined | null = null;

  constructor(
    readonly type: string,
    private readonly s: DrmMmState,
    private readonly mm: Mm,
    private readonly search: (mm: Mm, fn: ColorAdjustFn | undefined) => Placement | Hole | undefined,
    rangeInverted: boolean,
  ) {
    this.rangeInverted = rangeInverted;
    this.scanActive = mm.scanActive > 0;
    this.allocatorTakenDown = !mm.live;
  }

  get fits(): boolean {
    if (this.found === null) this.found = this.search(this.mm, adjustFnOf(this.s, this.mm));
    return this.found !== undefined;
  }

  /** The search's answer (after a branch that needed it). */
  get result(): Placement | Hole | undefined {
    return this.found ?? undefined;
  }

  readonly [fact: string]: unknown;
}

function insert(world: World, s: DrmMmState, a: InsertArgs, trace: BranchTrace | undefined): ApplyResult {
  const mm = getMm(s, a.mm);
  const rec = nodeOf(s, a.node);
  const event = new PlacementCall(
    a.type,
    s,
    mm,
    (m, fn) => findPlacement(m, a.size, a.alignment, a.color, a.rangeStart, a.rangeEnd, a.mode, a.once, fn),
    a.rangeStart > a.rangeEnd,
  );
  const v = verdict(NODE_TABLE, rec.state, event, { node: a.node, mm: a.mm }, trace);
  if (!v.ok) return insertFailed(world, s, a.node, v.outcome);
  const p = event.result as Placement;
  const size = shared(a.size);
  const color = shared(a.color);
  const item: ListItem = { name: a.node, start: p.start, size, color };
  const next: NodeRecord = {
    state: v.branch.target as NodeState,
    mm: a.mm,
    gen: mm.gen,
    start: p.start,
    size,
    color,
    rule: { alignment: a.alignment <= 1n ? 0n : a.alignment, rangeStart: a.rangeStart, rangeEnd: a.rangeEnd },
  };
  return result(
    world,
    withMaps(s, s.mms.set(a.mm, linkNode(mm, p.hole, item, s.mms.session)), s.nodes.set(a.node, next)),
    ok({ start: p.start }),
  );
}

function reserve(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_reserve_node' }>, trace: BranchTrace | undefined): ApplyResult {
  const mm = getMm(s, e.mm);
  const rec = nodeOf(s, e.node);
  const event = new PlacementCall(e.type, s, mm, (m, fn) => findReserveHole(m, e.start, e.size, e.color, fn), false);
  const v = verdict(NODE_TABLE, rec.state, event, { node: e.node, mm: e.mm }, trace);
  if (!v.ok) return insertFailed(world, s, e.node, v.outcome);
  const hole = event.result as Hole;
  const size = shared(e.size);
  const color = shared(e.color);
  const item: ListItem = { name: e.node, start: e.start, size, color };
  const next: NodeRecord = { state: v.branch.target as NodeState, mm: e.mm, gen: mm.gen, start: e.start, size, color };
  return result(
    world,
    withMaps(s, s.mms.set(e.mm, linkNode(mm, hole, item, s.mms.session)), s.nodes.set(e.node, next)),
    ok(),
  );
}

function remove(world: World, s: DrmMmState, name: string, trace: BranchTrace | undefined): ApplyResult {
  const rec = nodeOf(s, name);
  const mm = rec.state === 'inserted' ? s.mms.get(rec.mm) : undefined;
  const v = verdict(NODE_TABLE, rec.state, { type: 'drm_mm_remove_node', scanActive: (mm?.scanActive ?? 0) > 0 }, { node: name, mm: rec.mm }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  const m = mm as Mm;
  return result(
    world,
    withMaps(s, s.mms.set(rec.mm, removeNode(m, itemOf(name, rec), s.mms.session)), s.nodes.set(name, withState(rec, v.branch.target as NodeState))),
    ok(),
  );
}

function allocated(world: World, s: DrmMmState, name: string, trace: BranchTrace | undefined): ApplyResult {
  const rec = nodeOf(s, name);
  const v = verdict(NODE_TABLE, rec.state, { type: 'drm_mm_node_allocated' }, { node: name, mm: rec.mm }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  // The machine's branch carries the answer.
  const returns = (v.branch.meta as DrmMmNodeMeta).returns as NonNullable<DrmMmNodeMeta['returns']>;
  return result(world, s, ok({ allocated: returns.allocated }));
}

function init(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_init' }>, trace: BranchTrace | undefined): ApplyResult {
  const old = s.mms.get(e.mm);
  // KERNEL: drm_mm_init's DRM_MM_BUG_ON(start + size <= start): empty or wrapping ranges.
  const v = verdict(MM_TABLE, mmState(old), { type: e.type, rangeEmpty: u64(e.start + e.size) <= e.start }, { mm: e.mm }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  const ca = e.color_adjust as { gap?: unknown; fn?: string } | undefined;
  const gap = ca?.gap === undefined ? null : readU64('drm_mm_init', 'color_adjust.gap', ca.gap);
  const adjust = ca?.fn ?? null;
  // A function named by the log must be registered in this world; an unknown name is misuse,
  // refused before any change.
  if (adjust !== null) colorAdjustFn(s.colorAdjust, adjust);
  const mm = initMm((old?.gen ?? 0) + 1, e.start, e.size, gap, adjust);
  return result(world, { ...s, mms: s.mms.set(e.mm, mm) }, ok());
}

function takedown(world: World, s: DrmMmState, name: string, trace: BranchTrace | undefined): ApplyResult {
  const mm = getMm(s, name);
  const av = verdict(MM_TABLE, mmState(mm), { type: 'drm_mm_takedown' }, { mm: name }, trace);
  if (!av.ok) return result(world, s, av.outcome);
  // Every node's machine answers the takedown: a scanned block of this allocator refuses it, a
  // linked node is orphaned, every other node is untouched. In the order of the nodes' names, so
  // that with several scanned blocks the refusal names the same one whatever the map's own order
  // (a replay's edit session keeps another).
  let nodes = s.nodes;
  for (const [key, rec] of s.nodes.sortedEntries()) {
    const event = { type: 'drm_mm_takedown', otherAllocator: rec.mm !== name || rec.gen !== mm.gen };
    const v = verdict(NODE_TABLE, rec.state, event, { node: key, mm: name }, trace);
    if (!v.ok) return result(world, s, v.outcome);
    if (v.branch.target !== rec.state) nodes = nodes.set(key, { ...rec, state: v.branch.target as NodeState });
  }
  const clean = mm.count === 0;
  // ABSTRACTION: the kernel WARNs when the allocator is not clean; the kernel-produced conformance
  // outcomes carry no violation for it, so neither does the model. `clean: false` reports it.
  const dead = mm.with({ live: false, list: null, count: 0, byAddr: null, bySize: null, stack: null, stackHash: ZERO_HASH, scanActive: 0 });
  return result(world, { ...s, mms: s.mms.set(name, dead), nodes }, ok({ clean }));
}

function scanInit(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_scan_init_with_range' }>, trace: BranchTrace | undefined): ApplyResult {
  const mm = getMm(s, e.mm);
  const event = {
    type: e.type,
    allocatorTakenDown: !mm.live,
    rangeEmpty: e.range_start >= e.range_end,
    sizeInvalid: e.size === 0n || e.size > e.range_end - e.range_start,
    scanActive: mm.scanActive > 0,
  };
  const v = verdict(SCAN_TABLE, scanState(s.scans.get(e.scan)), event, { scan: e.scan, mm: e.mm }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  const rec: ScanRecord = {
    mm: e.mm,
    gen: mm.gen,
    size: e.size,
    alignment: e.alignment <= 1n ? 0n : e.alignment,
    color: e.color,
    rangeStart: e.range_start,
    rangeEnd: e.range_end,
    // KERNEL: the scan keeps the raw mode and tests `mode == DRM_MM_INSERT_HIGH`, which HIGH with
    // the ONCE flag is not: such a scan places at the bottom, like the other modes.
    mode: e.mode === 'high' && e.once === true ? 'low' : e.mode,
    hitStart: U64_MAX,
    hitEnd: 0n,
    held: null,
  };
  return result(world, { ...s, scans: s.scans.set(e.scan, rec) }, ok());
}

function scanAdd(world: World, s: DrmMmState, scanName: string, name: string, trace: BranchTrace | undefined): ApplyResult {
  const sc = s.scans.get(scanName);
  const rec = nodeOf(s, name);
  const subject = { scan: scanName, node: name, mm: sc?.mm ?? rec.mm };
  // The scan answers first: a zeroed one has no allocator to compare the node with.
  const sv = verdict(SCAN_TABLE, scanState(sc), { type: 'drm_mm_scan_add_block' }, subject, trace);
  if (!sv.ok) return result(world, s, sv.outcome);
  const scan = sc as ScanRecord;
  const v = verdict(NODE_TABLE, rec.state, { type: 'drm_mm_scan_add_block', otherAllocator: rec.mm !== scan.mm || rec.gen !== scan.gen }, subject, trace);
  if (!v.ok) return result(world, s, v.outcome);
  // INVARIANT: an inserted node of the scan's allocator and generation means that allocator is live.
  const mm = s.mms.get(scan.mm) as Mm;
  const r = scanAddBlock(mm, scan, itemOf(name, rec), adjustFnOf(s, mm), s.mms.session);
  const held: HeldBlock = { node: name, below: scan.held };
  return result(
    world,
    {
      ...s,
      mms: s.mms.set(scan.mm, r.mm),
      nodes: s.nodes.set(name, { ...rec, state: v.branch.target as NodeState, prev: r.prev, next: r.next, scan: scanName }),
      scans: s.scans.set(scanName, { ...scan, hitStart: r.hitStart, hitEnd: r.hitEnd, held }),
    },
    ok({ found: r.found }),
  );
}

/** The roster without one block (usually the top one: blocks come back in reverse order). */
function without(h: HeldBlock | null, node: string): HeldBlock | null {
  if (h === null) return null;
  if (h.node === node) return h.below;
  return { node: h.node, below: without(h.below, node) };
}

function scanRemove(world: World, s: DrmMmState, scanName: string, name: string, trace: BranchTrace | undefined): ApplyResult {
  const sc = s.scans.get(scanName);
  const rec = nodeOf(s, name);
  const subject = { scan: scanName, node: name, mm: sc?.mm ?? rec.mm };
  const lastBlock = sc?.held?.node === name && sc.held.below === null;
  const sv = verdict(SCAN_TABLE, scanState(sc), { type: 'drm_mm_scan_remove_block', lastBlock }, subject, trace);
  if (!sv.ok) return result(world, s, sv.outcome);
  const scan = sc as ScanRecord;
  const mm = s.mms.get(rec.mm);
  let outOfOrder = false;
  if (rec.state === 'scanned' && mm !== undefined) {
    // KERNEL: the node's kept prev link must be linked and its list successor must be the node's
    // kept next link; otherwise blocks are not coming off in reverse order.
    const prevRec = rec.prev === HEAD ? undefined : s.nodes.get(rec.prev as string);
    if (prevRec !== undefined && prevRec.state !== 'inserted') outOfOrder = true;
    else {
      const after = mm.nextAfter(prevRec === undefined ? undefined : prevRec.start);
      outOfOrder = (after?.name ?? HEAD) !== rec.next;
    }
  }
  const event = {
    type: 'drm_mm_scan_remove_block',
    otherAllocator: rec.mm !== scan.mm || rec.gen !== scan.gen,
    otherScan: rec.scan !== scanName,
    outOfOrder,
  };
  const v = verdict(NODE_TABLE, rec.state, event, subject, trace);
  if (!v.ok) return result(world, s, v.outcome);
  const r = scanRemoveBlock(mm as Mm, scan, itemOf(name, rec), s.mms.session);
  const { prev: _p, next: _n, scan: _s, ...rest } = rec;
  return result(
    world,
    {
      ...s,
      mms: s.mms.set(rec.mm, r.mm),
      nodes: s.nodes.set(name, { ...rest, state: v.branch.target as NodeState }),
      scans: s.scans.set(scanName, { ...scan, held: without(scan.held, name) }),
    },
    ok({ evict: r.evict }),
  );
}

/**
 * The facts of drm_mm_scan_color_evict, for the scan machine's guards: `hitHoleMissing` walks
 * hole_stack once, and only when the guard asks (past the call's other checks).
 */
class ColorEvictCall {
  readonly type = 'drm_mm_scan_color_evict';
  readonly allocatorTakenDown: boolean;
  /** The walk's answer: a node name, NULL, undefined for no covering hole, or not yet walked. */
  private found: string | null | undefined | typeof NOT_WALKED = NOT_WALKED;

  constructor(
    private readonly s: DrmMmState,
    private readonly sc: ScanRecord | undefined,
    private readonly mm: Mm | undefined,
  ) {
    this.allocatorTakenDown = sc !== undefined && mm !== undefined && (!mm.live || mm.gen !== sc.gen);
  }

  get hitHoleMissing(): boolean {
    if (this.found === NOT_WALKED) this.found = scanColorEvict(this.mm as Mm, this.sc as ScanRecord, adjustFnOf(this.s, this.mm as Mm));
    return this.found === undefined;
  }

  /** The node to evict, or NULL (after the branch that needed the walk). */
  get node(): string | null {
    return this.found as string | null;
  }

  readonly [fact: string]: unknown;
}

const NOT_WALKED: unique symbol = Symbol('not walked');

function colorEvict(world: World, s: DrmMmState, scanName: string, trace: BranchTrace | undefined): ApplyResult {
  const sc = s.scans.get(scanName);
  const event = new ColorEvictCall(s, sc, sc === undefined ? undefined : s.mms.get(sc.mm));
  const v = verdict(SCAN_TABLE, scanState(sc), event, { scan: scanName, mm: sc?.mm }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  return result(world, s, ok({ node: event.node }));
}

function query(world: World, s: DrmMmState, type: string, name: string, f: (mm: Mm) => Outcome, trace: BranchTrace | undefined): ApplyResult {
  const mm = getMm(s, name);
  const v = verdict(MM_TABLE, mmState(mm), { type }, { mm: name }, trace);
  if (!v.ok) return result(world, s, v.outcome);
  return result(world, s, f(mm));
}

/**
 * Applies one decoded drm_mm event: the kernel's answer and the next world. `trace`, when given,
 * is told every machine branch the call takes.
 *
 * A node or scan named for the first time is the zeroed struct a caller embeds in C, in its
 * machine's initial state.
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` for an allocator never initialised, or a colour-adjust
 *   function the world does not know.
 */
export function applyDrmMm(world: World, e: DrmMmEvent, trace?: BranchTrace): ApplyResult {
  const s = world.drmMm;
  switch (e.type) {
    case 'drm_mm_init':
      return init(world, s, e, trace);
    case 'drm_mm_insert_node_in_range':
    case 'drm_mm_insert_node_generic':
    case 'drm_mm_insert_node':
      return insert(world, s, inRangeCall(e), trace);
    case 'drm_mm_reserve_node':
      return reserve(world, s, e, trace);
    case 'drm_mm_remove_node':
      return remove(world, s, e.node, trace);
    case 'drm_mm_holes':
      return query(world, s, e.type, e.mm, (mm) => ok({ holes: mm.holes().map((h) => [h.addr, u64(h.addr + h.size)]) }), trace);
    case 'drm_mm_nodes':
      return query(world, s, e.type, e.mm, (mm) => ok({ nodes: mm.nodes().map((n) => [n.name, n.start, n.size, n.color]) }), trace);
    case 'drm_mm_clean':
      return query(world, s, e.type, e.mm, (mm) => ok({ clean: mm.count === 0 }), trace);
    case 'drm_mm_node_allocated':
      return allocated(world, s, e.node, trace);
    case 'drm_mm_scan_init_with_range':
      return scanInit(world, s, e, trace);
    case 'drm_mm_scan_add_block':
      return scanAdd(world, s, e.scan, e.node, trace);
    case 'drm_mm_scan_remove_block':
      return scanRemove(world, s, e.scan, e.node, trace);
    case 'drm_mm_scan_color_evict':
      return colorEvict(world, s, e.scan, trace);
    case 'drm_mm_takedown':
      return takedown(world, s, e.mm, trace);
  }
}
