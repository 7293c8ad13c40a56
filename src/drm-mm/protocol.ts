/**
 * The drm_mm range allocator as a drmstate protocol: a bit-exact model of
 * drivers/gpu/drm/drm_mm.c (v6.17), including the red-black tree shapes of lib/rbtree.c.
 *
 * Exports (stable, for the kernel layer, the API layer, docs and benchmarks):
 * - `drmMmProtocol: Protocol<'drmMm', DrmMmEvent>` — events, decode, apply, hash, snapshots, invariants;
 * - `DrmMmEvent`, `DrmMmState`, `NodeRecord`, `NodeState`, `ScanRecord` — the types;
 * - `listHoles(world, mm): [start, end][]` — drm_mm_for_each_hole order (hole_stack, most recent first);
 * - `listNodes(world, mm): NodeInfo[]` — drm_mm_for_each_node order (ascending start);
 * - `nodeInfo(world, node): NodeInfo & { state } | undefined` — one node's record;
 * - `mmInfo(world, mm): MmInfo | undefined` — an allocator's range, colour gap, liveness and scan count;
 * - `isClean(world, mm): boolean` — drm_mm_clean();
 * - `drmMmInvariants` (from ./invariants.js) — the invariants for the checker.
 */
import { drmMmMachine } from '../../machines/drmMm.machine.js';
import { drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { drmMmScanMachine } from '../../machines/drmMmScan.machine.js';
import { DrmstateError } from '../errors.js';
import { HashedMap } from '../world/HashedMap.js';
import type { Event } from '../world/Event.js';
import type { ApplyResult, EventDef, Protocol } from '../world/Protocol.js';
import type { BranchTrace } from '../../machines/machineTable.js';
import type { World } from '../world/World.js';
import { decodeFields } from '../world/fields.js';
import { applyDrmMm } from './apply.js';
import { DRM_MM_EVENTS, type DrmMmEvent } from './events.js';
import { drmMmInvariants } from './invariants.js';
import { drmMmLeaks } from './leaks.js';
import { ADDR_KIND, type Hole, LIST_KIND, type ListItem, Mm, SIZE_KIND, STACK_KIND, holeItemHash, stackHashOf, u64 } from './mm.js';
import { type RbShape, rbCount, rbFromShape, rbToShape } from './rbtree.js';
import {
  type DrmMmState,
  type HeldBlock,
  type NodeRecord,
  type NodeState,
  type ScanRecord,
  drmMmHash,
  drmMmV1Hash,
  emptyDrmMm,
  MM_ENCODING,
  NODE_ENCODING,
  encodeScan,
  heldBlocks,
} from './state.js';
import { EMPTY_COLOR_ADJUST } from './colorAdjust.js';
import type { InsertMode } from './allocator.js';

export type { DrmMmEvent } from './events.js';
export type { DrmMmState, NodeRecord, NodeState, ScanRecord } from './state.js';
export { drmMmInvariants } from './invariants.js';

/** One allocated node as the listings report it. */
export interface NodeInfo {
  readonly name: string;
  readonly start: bigint;
  readonly size: bigint;
  readonly color: bigint;
}

/** An allocator's parameters. */
export interface MmInfo {
  readonly start: bigint;
  readonly size: bigint;
  /** The `{ gap }` colour-adjust callback, or null. */
  readonly gap: bigint | null;
  /** The registered colour-adjust function's name (`{ fn }`), or null. */
  readonly adjust: string | null;
  /** False after drm_mm_takedown(). */
  readonly live: boolean;
  /** `scan_active`. */
  readonly scanActive: number;
  /** Linked nodes. */
  readonly nodeCount: number;
}

/**
 * The holes of an allocator as `[start, end)` pairs in drm_mm_for_each_hole() order.
 *
 * Models drm_mm_for_each_hole() (include/drm/drm_mm.h).
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` when `mm` was never initialised.
 * @example
 *   listHoles(world, 'm1'); // [[4096n, 8192n]]
 */
export function listHoles(world: World, mm: string): [bigint, bigint][] {
  return mmOf(world, mm)
    .holes()
    .map((h) => [h.addr, u64(h.addr + h.size)]);
}

/**
 * The linked nodes of an allocator in address order (scanned blocks are unlinked and absent).
 *
 * Models drm_mm_for_each_node() (include/drm/drm_mm.h).
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` when `mm` was never initialised.
 * @example
 *   listNodes(world, 'm1'); // [{ name: 'n1', start: 0n, size: 4096n, color: 0n }]
 */
export function listNodes(world: World, mm: string): NodeInfo[] {
  return mmOf(world, mm)
    .nodes()
    .map((n) => ({ name: n.name, start: n.start, size: n.size, color: n.color }));
}

/**
 * One node's state and last placement, or undefined for a name never used.
 *
 * @example
 *   nodeInfo(world, 'n1')?.state; // 'inserted'
 */
export function nodeInfo(world: World, node: string): (NodeInfo & { readonly state: NodeState; readonly mm: string }) | undefined {
  const n = world.drmMm.nodes.get(node);
  if (n === undefined) return undefined;
  return { name: node, start: n.start, size: n.size, color: n.color, state: n.state, mm: n.mm };
}

/**
 * An allocator's parameters, or undefined for a name never initialised.
 *
 * @example
 *   mmInfo(world, 'm1')?.live; // true
 */
export function mmInfo(world: World, mm: string): MmInfo | undefined {
  const m = world.drmMm.mms.get(mm);
  if (m === undefined) return undefined;
  return { start: m.start, size: m.size, gap: m.gap, adjust: m.adjust, live: m.live, scanActive: m.scanActive, nodeCount: m.count };
}

/**
 * Whether no node is linked in the allocator.
 *
 * Models drm_mm_clean() (include/drm/drm_mm.h).
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` when `mm` was never initialised.
 */
export function isClean(world: World, mm: string): boolean {
  return mmOf(world, mm).count === 0;
}

function mmOf(world: World, mm: string): Mm {
  const m = world.drmMm.mms.get(mm);
  if (m === undefined) throw new DrmstateError('UNKNOWN_OBJECT', `no drm_mm named "${mm}" (run drm_mm_init)`, { field: 'mm' });
  return m;
}

// ---- snapshots ----

type HoleSnap = [string, string, string, string, string, number, number];
type ListSnap = [string, string, string, string];

function holeToSnap(h: Hole): HoleSnap {
  return [h.owner, String(h.addr), String(h.size), String(h.ownerStart), String(h.ownerColor), h.seq, h.stamp];
}

function badSnapshot(what: string): DrmstateError {
  return new DrmstateError('BAD_SNAPSHOT', `drm_mm snapshot: ${what}`);
}

function big(v: unknown): bigint {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw badSnapshot(`expected a decimal string, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

interface MmSnap {
  live: boolean;
  gen: number;
  start: string;
  size: string;
  gap: string | null;
  adjust?: string | null;
  scanActive: number;
  nextSeq: number;
  nextStamp: number;
  list: RbShape<ListSnap>;
  byAddr: RbShape<HoleSnap>;
  bySize: RbShape<HoleSnap>;
  stack: RbShape<HoleSnap>;
}

function mmToSnap(m: Mm): MmSnap {
  return {
    live: m.live,
    gen: m.gen,
    start: String(m.start),
    size: String(m.size),
    gap: m.gap === null ? null : String(m.gap),
    adjust: m.adjust,
    scanActive: m.scanActive,
    nextSeq: m.nextSeq,
    nextStamp: m.nextStamp,
    list: rbToShape(m.list, (i: ListItem): ListSnap => [i.name, String(i.start), String(i.size), String(i.color)]),
    byAddr: rbToShape(m.byAddr, holeToSnap),
    bySize: rbToShape(m.bySize, holeToSnap),
    stack: rbToShape(m.stack, holeToSnap),
  };
}

function mmFromSnap(d: MmSnap): Mm {
  // The three hole trees share one item object per hole, as the live structure does.
  const holes = new Map<string, Hole>();
  const hole = (s: HoleSnap): Hole => {
    const k = s[0];
    let h = holes.get(k);
    if (h === undefined) {
      const addr = big(s[1]);
      const size = big(s[2]);
      const hh = holeItemHash(s[0], addr, size);
      h = { owner: s[0], addr, size, ownerStart: big(s[3]), ownerColor: big(s[4]), seq: s[5], stamp: s[6], lo: hh.lo, hi: hh.hi };
      holes.set(k, h);
    }
    return h;
  };
  const list = rbFromShape(LIST_KIND, d.list, (s: ListSnap) => ({ name: s[0], start: big(s[1]), size: big(s[2]), color: big(s[3]) }));
  const stack = rbFromShape(STACK_KIND, d.stack, hole);
  return new Mm({
    live: d.live,
    gen: d.gen,
    start: big(d.start),
    size: big(d.size),
    gap: d.gap === null ? null : big(d.gap),
    adjust: d.adjust ?? null,
    scanActive: d.scanActive,
    list,
    count: rbCount(list),
    byAddr: rbFromShape(ADDR_KIND, d.byAddr, hole),
    bySize: rbFromShape(SIZE_KIND, d.bySize, hole),
    stack,
    stackHash: stackHashOf(stack),
    nextSeq: d.nextSeq,
    nextStamp: d.nextStamp,
  });
}

type NodeSnap = {
  state: NodeState;
  mm: string;
  gen: number;
  start: string;
  size: string;
  color: string;
  prev?: string;
  next?: string;
  scan?: string;
  rule?: [string, string, string];
};
type ScanSnap = { mm: string; gen: number; size: string; alignment: string; color: string; rangeStart: string; rangeEnd: string; mode: InsertMode; hitStart: string; hitEnd: string; held?: string[] };

function toSnapshot(s: DrmMmState): unknown {
  return {
    mms: s.mms.sortedEntries().map(([k, m]) => [k, mmToSnap(m)]),
    nodes: s.nodes.sortedEntries().map(([k, n]): [string, NodeSnap] => [
      k,
      {
        state: n.state,
        mm: n.mm,
        gen: n.gen,
        start: String(n.start),
        size: String(n.size),
        color: String(n.color),
        ...(n.prev !== undefined ? { prev: n.prev } : {}),
        ...(n.next !== undefined ? { next: n.next } : {}),
        ...(n.scan !== undefined ? { scan: n.scan } : {}),
        ...(n.rule !== undefined ? { rule: [String(n.rule.alignment), String(n.rule.rangeStart), String(n.rule.rangeEnd)] as [string, string, string] } : {}),
      },
    ]),
    scans: s.scans.sortedEntries().map(([k, c]): [string, ScanSnap] => [
      k,
      {
        mm: c.mm,
        gen: c.gen,
        size: String(c.size),
        alignment: String(c.alignment),
        color: String(c.color),
        rangeStart: String(c.rangeStart),
        rangeEnd: String(c.rangeEnd),
        mode: c.mode,
        hitStart: String(c.hitStart),
        hitEnd: String(c.hitEnd),
        ...(c.held !== null ? { held: heldBlocks(c) } : {}),
      },
    ]),
  };
}

function fromSnapshot(data: unknown): DrmMmState {
  try {
    const d = data as { mms: [string, MmSnap][]; nodes: [string, NodeSnap][]; scans: [string, ScanSnap][] };
    if (!Array.isArray(d.mms) || !Array.isArray(d.nodes) || !Array.isArray(d.scans)) throw badSnapshot('expected { mms, nodes, scans }');
    const mms = HashedMap.from('drm_mm', MM_ENCODING, d.mms.map(([k, m]) => [k, mmFromSnap(m)] as const));
    const nodes = HashedMap.from(
      'drm_mm_node',
      NODE_ENCODING,
      d.nodes.map(([k, n]) => {
        const rec: NodeRecord = {
          state: n.state,
          mm: n.mm,
          gen: n.gen,
          start: big(n.start),
          size: big(n.size),
          color: big(n.color),
          ...(n.prev !== undefined ? { prev: n.prev } : {}),
          ...(n.next !== undefined ? { next: n.next } : {}),
          ...(n.scan !== undefined ? { scan: n.scan } : {}),
          ...(n.rule !== undefined ? { rule: { alignment: big(n.rule[0]), rangeStart: big(n.rule[1]), rangeEnd: big(n.rule[2]) } } : {}),
        };
        return [k, rec] as const;
      }),
    );
    const scans = HashedMap.from(
      'drm_mm_scan',
      encodeScan,
      d.scans.map(([k, c]) => {
        const rec: ScanRecord = {
          mm: c.mm,
          gen: c.gen,
          size: big(c.size),
          alignment: big(c.alignment),
          color: big(c.color),
          rangeStart: big(c.rangeStart),
          rangeEnd: big(c.rangeEnd),
          mode: c.mode,
          hitStart: big(c.hitStart),
          hitEnd: big(c.hitEnd),
          held: (c.held ?? []).reduceRight<HeldBlock | null>((below, node) => ({ node, below }), null),
        };
        return [k, rec] as const;
      }),
    );
    // Functions are code, not state: a restored world knows none until they are registered again.
    return { mms, nodes, scans, colorAdjust: EMPTY_COLOR_ADJUST };
  } catch (e) {
    if (e instanceof DrmstateError) throw e;
    throw badSnapshot((e as Error).message);
  }
}

/**
 * Applies one drm_mm call to a world, for protocols built on drm_mm (the GEM offset manager): the
 * event is read and answered exactly as the kernel's `apply` would, without going through it.
 *
 * Models the drm_mm function the event names (drivers/gpu/drm/drm_mm.c).
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` for an event drm_mm does not read.
 * @throws {Misuse} `UNKNOWN_OBJECT` for an allocator never initialised.
 * @example
 *   callDrmMm(world, { type: 'drm_mm_init', mm: 'm', start: '0', size: '4096' }).outcome.ok; // true
 */
export function callDrmMm(world: World, event: Event, trace?: BranchTrace): ApplyResult {
  return applyDrmMm(world, drmMmProtocol.decode(event), trace);
}

/**
 * The drm_mm protocol: the events of issue 3, answered exactly as drivers/gpu/drm/drm_mm.c does.
 *
 * @example
 *   const r = drmMmProtocol.apply(world, drmMmProtocol.decode({ type: 'drm_mm_init', mm: 'm1', start: '0', size: '4096' }));
 */
export const drmMmProtocol: Protocol<'drmMm', DrmMmEvent> = {
  key: 'drmMm',
  events: DRM_MM_EVENTS,
  initial: emptyDrmMm,
  decode(event: Event): DrmMmEvent {
    const def = (DRM_MM_EVENTS as { readonly [type: string]: EventDef | undefined })[event.type];
    if (def === undefined) throw new DrmstateError('MALFORMED_EVENT', `unknown drm_mm event type "${event.type}"`, { field: 'type' });
    return decodeFields<DrmMmEvent>(event, def.fields);
  },
  apply: applyDrmMm,
  hash: drmMmHash,
  v1Hash: drmMmV1Hash,
  // ABSTRACTION: a node's allocator is not always named in the event (drm_mm_remove_node names
  // only the node), so for partial-order reduction every drm_mm call touches one shared object.
  footprint: () => ['drm_mm'],
  view(world: World): unknown {
    const s = world.drmMm;
    const mms: Record<string, unknown> = {};
    for (const [name, m] of s.mms.sortedEntries()) {
      const info = mmInfo(world, name) as MmInfo;
      mms[name] = {
        start: info.start.toString(),
        size: info.size.toString(),
        live: info.live,
        scanActive: info.scanActive,
        // In address order: each node as `name@start+size`, each hole as `[start, end)`.
        nodes: m.live ? listNodes(world, name).map((n) => `${n.name}@${n.start}+${n.size}`) : [],
        holes: m.live ? listHoles(world, name).map(([a, b]) => `[${a}, ${b})`) : [],
      };
    }
    const nodes: Record<string, unknown> = {};
    for (const [name, n] of s.nodes.sortedEntries())
      nodes[name] = { state: n.state, mm: n.mm, start: String(n.start), size: String(n.size), color: String(n.color), ...(n.scan !== undefined ? { scan: n.scan } : {}) };
    const scans: Record<string, unknown> = {};
    for (const [name, sc] of s.scans.sortedEntries()) scans[name] = { mm: sc.mm, size: String(sc.size), held: heldBlocks(sc).map(String) };
    return { mms, nodes, scans };
  },
  toSnapshot,
  fromSnapshot,
  invariants: drmMmInvariants,
  leaks: drmMmLeaks,
  machines: [drmMmMachine, drmMmNodeMachine, drmMmScanMachine],
  docs: 'docs/drm-mm.md',
  fixtures: 'drm_mm',
};
