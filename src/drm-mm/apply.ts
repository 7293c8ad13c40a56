import { colorAdjustFn } from './colorAdjust.js';
import { compileMachine, decide } from '../../machines/machineTable.js';
import { type DrmMmNodeFacts, drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { DrmstateError } from '../errors.js';
import { type Misuse, unknownObject } from '../world/Misuse.js';
import type { Errno } from '../errno.js';
import { type Outcome, fail, ok, refused } from '../world/Outcome.js';
import { ZERO_HASH } from '../world/hash.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type ViolationKind, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import { U64_MAX, readU64 } from '../world/fields.js';
import {
  type InsertMode,
  type ScanParams,
  findPlacement,
  findReserveHole,
  linkNode,
  removeNode,
  scanAddBlock,
  scanColorEvict,
  scanRemoveBlock,
} from './allocator.js';
import type { DrmMmEvent } from './events.js';
import { HEAD, type ListItem, type Mm, initMm, shared, u64 } from './mm.js';
import type { DrmMmState, NodeRecord, NodeState, ScanRecord } from './state.js';

/** The node machine compiled once to a lookup table. */
export const NODE_TABLE = compileMachine(drmMmNodeMachine);

/** Result of asking the node machine: the target state, or the outcome of a refused/errno branch. */
type Step = { ok: true; target: NodeState } | { ok: false; outcome: Outcome; target: NodeState };

/** Asks the node machine which branch a call takes from the node's state. */
function step(state: NodeState, type: string, facts: DrmMmNodeFacts, objects: string[]): Step {
  const b = decide(NODE_TABLE, state, type, {}, { type, ...facts });
  if (b === undefined) return { ok: true, target: state };
  const m = b.meta;
  if (m.refused === true) {
    return { ok: false, target: state, outcome: refused(violation((m.violation ?? 'bug_on') as ViolationKind, b.description, objects)) };
  }
  if (m.errno !== undefined) return { ok: false, target: b.target as NodeState, outcome: fail(m.errno as Errno) };
  return { ok: true, target: b.target as NodeState };
}

function result(world: World, slice: DrmMmState, outcome: Outcome): ApplyResult {
  return { world: slice === world.drmMm ? world : { ...world, drmMm: slice }, outcome };
}

function unknown(kind: string, name: string, field: string): Misuse {
  return unknownObject(`no ${kind} named "${name}" (create it first)`, field, name);
}

function getMm(s: DrmMmState, name: string): Mm {
  const mm = s.mms.get(name);
  if (mm === undefined) throw unknown('drm_mm (run drm_mm_init)', name, 'mm');
  return mm;
}

function getNode(s: DrmMmState, name: string): NodeRecord {
  const n = s.nodes.get(name);
  if (n === undefined) throw unknown('drm_mm_node (insert or reserve it)', name, 'node');
  return n;
}

function getScan(s: DrmMmState, name: string): ScanRecord {
  const sc = s.scans.get(name);
  if (sc === undefined) throw unknown('drm_mm_scan (run drm_mm_scan_init_with_range)', name, 'scan');
  return sc;
}

function deadMm(name: string): Outcome {
  return refused(violation('use_after_free', `drm_mm "${name}" was taken down`, [name]));
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
  const common = { type: e.type, mm: e.mm, node: e.node, size: e.size };
  if (e.type === 'drm_mm_insert_node')
    return { ...common, alignment: 0n, color: 0n, rangeStart: 0n, rangeEnd: U64_MAX, mode: 'best', once: false };
  const ranged = e.type === 'drm_mm_insert_node_in_range';
  return {
    ...common,
    alignment: e.alignment,
    color: e.color,
    rangeStart: ranged ? e.range_start : 0n,
    rangeEnd: ranged ? e.range_end : U64_MAX,
    mode: e.mode,
    once: e.once ?? false,
  };
}

function insert(world: World, s: DrmMmState, a: InsertArgs): ApplyResult {
  const mm = getMm(s, a.mm);
  const rec = s.nodes.get(a.node) ?? FRESH_NODE;
  const rangeInverted = a.rangeStart > a.rangeEnd;
  // KERNEL: the search reads nothing when the call is refused, so run it only on a usable allocator.
  const usable = mm.live && mm.scanActive === 0 && !rangeInverted && (rec.state === 'unlinked' || rec.state === 'removed');
  const placed = usable ? findPlacement(mm, a.size, a.alignment, a.color, a.rangeStart, a.rangeEnd, a.mode, a.once) : undefined;
  const st = step(rec.state, a.type, { rangeInverted, scanActive: mm.scanActive > 0, allocatorTakenDown: !mm.live, fits: placed !== undefined }, [a.node, a.mm]);
  if (!st.ok) {
    if (st.outcome.errno !== undefined && !s.nodes.has(a.node)) {
      // The call named the node: it exists from now on, still unlinked.
      return result(world, { ...s, nodes: s.nodes.set(a.node, FRESH_NODE) }, st.outcome);
    }
    return result(world, s, st.outcome);
  }
  const p = placed as NonNullable<typeof placed>;
  const size = shared(a.size);
  const color = shared(a.color);
  const item: ListItem = { name: a.node, start: p.start, size, color };
  const next: NodeRecord = {
    state: st.target,
    mm: a.mm,
    gen: mm.gen,
    start: p.start,
    size,
    color,
    rule: { alignment: a.alignment <= 1n ? 0n : a.alignment, rangeStart: a.rangeStart, rangeEnd: a.rangeEnd },
  };
  return result(
    world,
    { ...s, mms: s.mms.set(a.mm, linkNode(mm, p.hole, item)), nodes: s.nodes.set(a.node, next) },
    ok({ start: p.start }),
  );
}

function reserve(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_reserve_node' }>): ApplyResult {
  const mm = getMm(s, e.mm);
  const rec = s.nodes.get(e.node) ?? FRESH_NODE;
  const usable = mm.live && mm.scanActive === 0 && (rec.state === 'unlinked' || rec.state === 'removed');
  const hole = usable ? findReserveHole(mm, e.start, e.size, e.color) : undefined;
  const st = step(rec.state, e.type, { scanActive: mm.scanActive > 0, allocatorTakenDown: !mm.live, fits: hole !== undefined }, [e.node, e.mm]);
  if (!st.ok) {
    if (st.outcome.errno !== undefined && !s.nodes.has(e.node)) {
      return result(world, { ...s, nodes: s.nodes.set(e.node, FRESH_NODE) }, st.outcome);
    }
    return result(world, s, st.outcome);
  }
  const size = shared(e.size);
  const color = shared(e.color);
  const item: ListItem = { name: e.node, start: e.start, size, color };
  const next: NodeRecord = { state: st.target, mm: e.mm, gen: mm.gen, start: e.start, size, color };
  return result(
    world,
    { ...s, mms: s.mms.set(e.mm, linkNode(mm, hole as NonNullable<typeof hole>, item)), nodes: s.nodes.set(e.node, next) },
    ok(),
  );
}

function remove(world: World, s: DrmMmState, name: string): ApplyResult {
  const rec = getNode(s, name);
  const mm = rec.state === 'inserted' ? s.mms.get(rec.mm) : undefined;
  const st = step(rec.state, 'drm_mm_remove_node', { scanActive: (mm?.scanActive ?? 0) > 0 }, [name]);
  if (!st.ok) return result(world, s, st.outcome);
  const m = mm as Mm;
  return result(
    world,
    { ...s, mms: s.mms.set(rec.mm, removeNode(m, itemOf(name, rec))), nodes: s.nodes.set(name, { ...rec, state: st.target }) },
    ok(),
  );
}

function init(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_init' }>): ApplyResult {
  const old = s.mms.get(e.mm);
  if (old !== undefined && old.live) {
    return result(world, s, refused(violation('bug_on', `drm_mm "${e.mm}" is live: initialising it again would corrupt its lists`, [e.mm])));
  }
  // KERNEL: drm_mm_init's DRM_MM_BUG_ON(start + size <= start): empty or wrapping ranges.
  if (u64(e.start + e.size) <= e.start) {
    return result(world, s, refused(violation('bug_on', 'drm_mm_init: start + size <= start', [e.mm])));
  }
  const ca = e.color_adjust as { gap?: unknown; fn?: string } | undefined;
  const gap = ca?.gap === undefined ? null : readU64('drm_mm_init', 'color_adjust.gap', ca.gap);
  const adjust = ca?.fn ?? null;
  // A function named by the log must be registered; an unknown name is misuse, refused before any change.
  if (adjust !== null) colorAdjustFn(adjust);
  const mm = initMm((old?.gen ?? 0) + 1, e.start, e.size, gap, adjust);
  return result(world, { ...s, mms: s.mms.set(e.mm, mm) }, ok());
}

function takedown(world: World, s: DrmMmState, name: string): ApplyResult {
  const mm = getMm(s, name);
  if (!mm.live) return result(world, s, deadMm(name));
  if (mm.scanActive > 0) {
    return result(world, s, refused(violation('bug_on', `drm_mm_takedown while an eviction scan holds ${mm.scanActive} block(s)`, [name])));
  }
  const clean = mm.count === 0;
  let nodes = s.nodes;
  for (const item of mm.nodes()) {
    const rec = nodes.get(item.name) as NodeRecord;
    const st = step(rec.state, 'drm_mm_takedown', {}, [item.name]);
    nodes = nodes.set(item.name, { ...rec, state: st.target });
  }
  // ABSTRACTION: the kernel WARNs when the allocator is not clean; the kernel-produced conformance
  // outcomes carry no violation for it, so neither does the model. `clean: false` reports it.
  const dead = mm.with({ live: false, list: null, count: 0, byAddr: null, bySize: null, stack: null, stackHash: ZERO_HASH, scanActive: 0 });
  return result(world, { ...s, mms: s.mms.set(name, dead), nodes }, ok({ clean }));
}

function scanInit(world: World, s: DrmMmState, e: Extract<DrmMmEvent, { type: 'drm_mm_scan_init_with_range' }>): ApplyResult {
  const mm = getMm(s, e.mm);
  if (!mm.live) return result(world, s, deadMm(e.mm));
  const bugs: string[] = [];
  // KERNEL: drm_mm_scan_init_with_range's DRM_MM_BUG_ONs, in order.
  if (e.range_start >= e.range_end) bugs.push('start >= end');
  else if (e.size === 0n || e.size > e.range_end - e.range_start) bugs.push('!size || size > end - start');
  else if (mm.scanActive > 0) bugs.push('another scan is active on this drm_mm');
  if (bugs.length > 0) return result(world, s, refused(violation('bug_on', `drm_mm_scan_init_with_range: ${bugs[0]}`, [e.scan, e.mm])));
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
  };
  return result(world, { ...s, scans: s.scans.set(e.scan, rec) }, ok());
}

function scanAdd(world: World, s: DrmMmState, scanName: string, name: string): ApplyResult {
  const sc = getScan(s, scanName);
  const rec = getNode(s, name);
  const mm = s.mms.get(sc.mm) as Mm;
  const scanDead = !mm.live || mm.gen !== sc.gen;
  const st = step(
    rec.state,
    'drm_mm_scan_add_block',
    { allocatorTakenDown: scanDead, otherAllocator: rec.mm !== sc.mm || rec.gen !== sc.gen },
    [name, scanName],
  );
  if (!st.ok) return result(world, s, st.outcome);
  if (scanDead) return result(world, s, deadMm(sc.mm));
  const r = scanAddBlock(mm, sc, itemOf(name, rec));
  return result(
    world,
    {
      mms: s.mms.set(sc.mm, r.mm),
      nodes: s.nodes.set(name, { ...rec, state: st.target, prev: r.prev, next: r.next }),
      scans: s.scans.set(scanName, { ...sc, hitStart: r.hitStart, hitEnd: r.hitEnd }),
    },
    ok({ found: r.found }),
  );
}

function scanRemove(world: World, s: DrmMmState, scanName: string, name: string): ApplyResult {
  const sc = getScan(s, scanName);
  const rec = getNode(s, name);
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
  const st = step(rec.state, 'drm_mm_scan_remove_block', { otherAllocator: rec.mm !== sc.mm || rec.gen !== sc.gen, outOfOrder }, [name, scanName]);
  if (!st.ok) return result(world, s, st.outcome);
  const r = scanRemoveBlock(mm as Mm, sc, itemOf(name, rec));
  const { prev: _p, next: _n, ...rest } = rec;
  return result(world, { ...s, mms: s.mms.set(rec.mm, r.mm), nodes: s.nodes.set(name, { ...rest, state: st.target }) }, ok({ evict: r.evict }));
}

function colorEvict(world: World, s: DrmMmState, scanName: string): ApplyResult {
  const sc = getScan(s, scanName);
  const mm = s.mms.get(sc.mm) as Mm;
  if (!mm.live || mm.gen !== sc.gen) return result(world, s, deadMm(sc.mm));
  const r = scanColorEvict(mm, sc as ScanParams);
  if (r === undefined) {
    return result(world, s, refused(violation('bug_on', 'drm_mm_scan_color_evict: no hole covers the scan hit', [scanName, sc.mm])));
  }
  return result(world, s, ok({ node: r }));
}

function query(world: World, s: DrmMmState, name: string, f: (mm: Mm) => Outcome): ApplyResult {
  const mm = getMm(s, name);
  if (!mm.live) return result(world, s, deadMm(name));
  return result(world, s, f(mm));
}

/**
 * Applies one decoded drm_mm event: the kernel's answer and the next world.
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` for an allocator, node or scan never created.
 */
export function applyDrmMm(world: World, e: DrmMmEvent): ApplyResult {
  const s = world.drmMm;
  switch (e.type) {
    case 'drm_mm_init':
      return init(world, s, e);
    case 'drm_mm_insert_node_in_range':
    case 'drm_mm_insert_node_generic':
    case 'drm_mm_insert_node':
      return insert(world, s, inRangeCall(e));
    case 'drm_mm_reserve_node':
      return reserve(world, s, e);
    case 'drm_mm_remove_node':
      return remove(world, s, e.node);
    case 'drm_mm_holes':
      return query(world, s, e.mm, (mm) => ok({ holes: mm.holes().map((h) => [h.addr, u64(h.addr + h.size)]) }));
    case 'drm_mm_nodes':
      return query(world, s, e.mm, (mm) => ok({ nodes: mm.nodes().map((n) => [n.name, n.start, n.size, n.color]) }));
    case 'drm_mm_clean':
      return query(world, s, e.mm, (mm) => ok({ clean: mm.count === 0 }));
    case 'drm_mm_node_allocated': {
      const rec = getNode(s, e.node);
      return result(world, s, ok({ allocated: rec.state === 'inserted' || rec.state === 'scanned' || rec.state === 'orphaned' }));
    }
    case 'drm_mm_scan_init_with_range':
      return scanInit(world, s, e);
    case 'drm_mm_scan_add_block':
      return scanAdd(world, s, e.scan, e.node);
    case 'drm_mm_scan_remove_block':
      return scanRemove(world, s, e.scan, e.node);
    case 'drm_mm_scan_color_evict':
      return colorEvict(world, s, e.scan);
    case 'drm_mm_takedown':
      return takedown(world, s, e.mm);
  }
}
