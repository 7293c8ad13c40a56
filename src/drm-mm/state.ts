import { HashedMap } from '../world/HashedMap.js';
import { type Hash64, type StreamHash, addHash, entryHash, feedText, hashToHex } from '../world/hash.js';
import type { InsertMode, ScanParams } from './allocator.js';
import { type ColorAdjustTable, EMPTY_COLOR_ADJUST } from './colorAdjust.js';
import type { Mm } from './mm.js';

/** The drm_mm_node machine's states (machines/drmMmNode.machine.ts). */
export type NodeState = 'unlinked' | 'inserted' | 'scanned' | 'removed' | 'orphaned';

/**
 * One `struct drm_mm_node` the caller named.
 *
 * `start`, `size` and `color` keep their last values after removal, as the kernel's fields do.
 */
export interface NodeRecord {
  /** The node machine's state. */
  readonly state: NodeState;
  /** `node->mm`: the allocator name ('' before the first insertion). */
  readonly mm: string;
  /** Which drm_mm_init() of that name the node belongs to. */
  readonly gen: number;
  readonly start: bigint;
  readonly size: bigint;
  readonly color: bigint;
  /** While scanned: the list neighbours kept in the node's own links ('' is the head). */
  readonly prev?: string;
  readonly next?: string;
  /**
   * While scanned: the scan it was added to. ABSTRACTION: the kernel keeps no such record (it
   * cannot tell which scan a block joined); the model keeps it to find the misuse.
   */
  readonly scan?: string;
  /**
   * The placement rule of the insertion that placed the node (absent for reservations), for the
   * invariants. ABSTRACTION: not part of the kernel's node and not hashed: it never changes an answer.
   */
  readonly rule?: PlacementRule;
}

/** What drm_mm_insert_node_in_range was asked: alignment (0 for none) and `[rangeStart, rangeEnd)`. */
export interface PlacementRule {
  readonly alignment: bigint;
  readonly rangeStart: bigint;
  readonly rangeEnd: bigint;
}

/** The drm_mm_scan machine's states (machines/drmMmScan.machine.ts); a scan never named is `zeroed`. */
export type ScanState = 'zeroed' | 'idle' | 'scanning';

/** The blocks a scan holds, most recently added first: a persistent list. */
export interface HeldBlock {
  readonly node: string;
  readonly below: HeldBlock | null;
}

/** One `struct drm_mm_scan` that has been initialised. */
export interface ScanRecord extends ScanParams {
  /** `scan->mm`. */
  readonly mm: string;
  readonly gen: number;
  /**
   * The blocks added and not yet removed, most recent first (null: the scan holds none).
   * ABSTRACTION: the kernel keeps only the count `mm->scan_active`, per allocator.
   */
  readonly held: HeldBlock | null;
}

/** The blocks a scan holds, most recently added first. */
export function heldBlocks(s: ScanRecord): string[] {
  const out: string[] = [];
  for (let h = s.held; h !== null; h = h.below) out.push(h.node);
  return out;
}

/**
 * The drm_mm slice of the world: allocators, nodes and scans by name.
 *
 * Every part is persistent: a call copies O(log n) tree nodes and the old world stays valid.
 */
export interface DrmMmState {
  readonly mms: HashedMap<Mm>;
  readonly nodes: HashedMap<NodeRecord>;
  readonly scans: HashedMap<ScanRecord>;
  /**
   * The colour-adjust functions `drm_mm_init` may name (`{ fn }`): an immutable table every
   * derived world shares. Not hashed and not in snapshots: it is code, not state.
   */
  readonly colorAdjust: ColorAdjustTable;
}

declare module '../world/World.js' {
  interface WorldSlices {
    drmMm: DrmMmState;
  }
}

/** Canonical encoding of an allocator for the slice hash (O(1): the trees carry their own hashes). */
export function encodeMm(mm: Mm): string {
  return `${mm.live ? 'L' : 'T'}|${mm.gen}|${mm.start}|${mm.size}|${mm.gap ?? '-'}|${mm.adjust === null ? '-' : JSON.stringify(mm.adjust)}|${mm.scanActive}|${hashToHex(mm.hash)}`;
}

/**
 * Streams {@link encodeMm}'s string into a hash without building it (the slice hash's hot path: every
 * call that changes an allocator rehashes its record).
 */
export function feedMm(mm: Mm, h: StreamHash): void {
  h.str(mm.live ? 'L|' : 'T|').int(mm.gen).char(124).u64(mm.start).char(124).u64(mm.size).char(124);
  if (mm.gap === null) h.char(45);
  else h.u64(mm.gap);
  h.char(124);
  if (mm.adjust === null) h.char(45);
  else h.str(JSON.stringify(mm.adjust));
  h.char(124).int(mm.scanActive).char(124).hex(mm.hash);
}

/** Streams {@link encodeNode}'s string into a hash without building it. */
export function feedNode(n: NodeRecord, h: StreamHash): void {
  h.str(n.state).char(124).str(n.mm).char(124).int(n.gen).char(124).u64(n.start).char(124).u64(n.size).char(124).u64(n.color).char(124);
  if (n.prev === undefined) h.char(45);
  else h.str(n.prev);
  h.char(124);
  if (n.next === undefined) h.char(45);
  else h.str(n.next);
  if (n.scan !== undefined) h.char(124).str(n.scan);
}

/** How the slice's maps hash their records: streamed, the same hashes as the canonical strings. */
export const MM_ENCODING = { feed: feedMm } as const;
export const NODE_ENCODING = { feed: feedNode } as const;

/** A node's encoding as log format version 1 hashed it (without the scan it joined). */
function encodeNodeV1(n: NodeRecord): string {
  return `${n.state}|${n.mm}|${n.gen}|${n.start}|${n.size}|${n.color}|${n.prev ?? '-'}|${n.next ?? '-'}`;
}

/** Canonical encoding of a node. */
export function encodeNode(n: NodeRecord): string {
  // The scan a block joined is appended only while it is scanned, so that other worlds hash as before.
  const base = encodeNodeV1(n);
  return n.scan === undefined ? base : `${base}|${n.scan}`;
}

/** A scan's encoding as log format version 1 hashed it (without its roster). */
function encodeScanV1(s: ScanRecord): string {
  return `${s.mm}|${s.gen}|${s.size}|${s.alignment}|${s.color}|${s.rangeStart}|${s.rangeEnd}|${s.mode}|${s.hitStart}|${s.hitEnd}`;
}

/** Canonical encoding of a scan. */
export function encodeScan(s: ScanRecord): string {
  // The roster is appended only while the scan holds blocks, so that other worlds hash as before.
  const base = encodeScanV1(s);
  return s.held === null ? base : `${base}|${JSON.stringify(heldBlocks(s))}`;
}

/**
 * The slice hash as log format version 1 computed it: without the scan a block joined and a scan's
 * roster, which version 1 did not keep. Equal to {@link drmMmHash} unless a scan holds blocks, and
 * then O(nodes + scans) (only old logs are checked against it).
 */
export function drmMmV1Hash(s: DrmMmState): Hash64 {
  let active = false;
  for (const [, sc] of s.scans.entries()) if (sc.held !== null) active = true;
  if (!active) return drmMmHash(s);
  let h = s.mms.hash;
  for (const [name, n] of s.nodes.entries()) h = addHash(h, entryHash('drm_mm_node', name, encodeNodeV1(n), feedText));
  for (const [name, sc] of s.scans.entries()) h = addHash(h, entryHash('drm_mm_scan', name, encodeScanV1(sc), feedText));
  return h;
}

/** The slice of an empty world. */
export function emptyDrmMm(): DrmMmState {
  return {
    mms: HashedMap.empty<Mm>('drm_mm', MM_ENCODING),
    nodes: HashedMap.empty<NodeRecord>('drm_mm_node', NODE_ENCODING),
    scans: HashedMap.empty<ScanRecord>('drm_mm_scan', encodeScan),
    colorAdjust: EMPTY_COLOR_ADJUST,
  };
}

/** The slice hash: the sum of the three maps' order-independent hashes. */
export function drmMmHash(s: DrmMmState): Hash64 {
  const a = s.mms.hash, b = s.nodes.hash, c = s.scans.hash;
  return { lo: (a.lo + b.lo + c.lo) >>> 0, hi: (a.hi + b.hi + c.hi) >>> 0 };
}

/** The modes an event may name. */
export const INSERT_MODES: readonly InsertMode[] = ['best', 'low', 'high', 'evict'];
