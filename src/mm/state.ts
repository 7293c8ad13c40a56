import type { Hash64 } from '../world/hash.js';
import { HashedMap } from '../world/HashedMap.js';

/** A leaf state of the `mm_struct` machine (machines/mmStruct.machine.ts). */
export type MmLifecycle = 'live' | 'usersGone' | 'freed';

/** A leaf state of the `vm_area_struct` machine (machines/vmAreaStruct.machine.ts). */
export type VmaLifecycle = 'unmapped' | 'mapped';

/** One mapped piece of an address space: `[start, end)` under the name of the call that made it. */
export interface Piece {
  /** `vm_start`, a u64 in decimal. */
  readonly start: string;
  /** `vm_end` (exclusive), a u64 in decimal. */
  readonly end: string;
  /** The VMA's name. */
  readonly vma: string;
}

/** One `struct mm_struct`. */
export interface MmRecord {
  /** Lifecycle state from the `mm_struct` machine. */
  readonly state: MmLifecycle;
  /** `mm_users`. */
  readonly users: number;
  /** `mm_count`. */
  readonly count: number;
  /** `mmap_base`, a u64 in decimal. */
  readonly mmapBase: string;
  /** The VMA tree (`mm_mt`): its pieces in address order. */
  readonly map: readonly Piece[];
}

/** One named mapping (`struct vm_area_struct`, and the pieces a partial unmap left of it). */
export interface VmaRecord {
  /** Lifecycle state from the `vm_area_struct` machine. */
  readonly state: VmaLifecycle;
  /** `vm_mm`: the mm it maps into. */
  readonly mm: string;
  /** `vm_flags`. */
  readonly flags: number;
}

/** A VMA reference a task obtained from a lookup (Rust `&VmaRef`): the piece it names. */
export interface VmaRefRecord {
  readonly vma: string;
  readonly mm: string;
  /** The piece's start and end when it was found, decimal. */
  readonly start: string;
  readonly end: string;
}

/** One task's part in mm: the VMA references its lookups gave it, valid while it holds the lock. */
export interface MmTask {
  /** The references, oldest first (one per VMA: a later lookup replaces an earlier one). */
  readonly refs: readonly VmaRefRecord[];
}

/** The mm part of the world. */
export interface MmState {
  readonly mms: HashedMap<MmRecord>;
  readonly vmas: HashedMap<VmaRecord>;
  /** `task->mm`: the mm each task's current->mm is (set by mm_alloc's `task`). */
  readonly owners: HashedMap<string>;
  /** Each task's references (tasks with none are not stored). */
  readonly tasks: HashedMap<MmTask>;
}

declare module '../world/World.js' {
  interface WorldSlices {
    mm: MmState;
  }
}

/** Canonical encoding of an mm for hashing. */
export function encodeMm(m: MmRecord): string {
  return `${m.state}|${m.users}|${m.count}|${m.mmapBase}|${m.map.map((p) => `${p.start}-${p.end}-${p.vma}`).join('\u0001')}`;
}

/** Canonical encoding of a VMA for hashing. */
export function encodeVma(v: VmaRecord): string {
  return `${v.state}|${v.mm}|${v.flags}`;
}

/** Canonical encoding of a task's references for hashing. */
export function encodeTask(t: MmTask): string {
  return t.refs.map((r) => `${r.vma}-${r.mm}-${r.start}-${r.end}`).join('\u0001');
}

/** Empty maps of each kind (tagged so equal keys in different maps hash apart). */
export const emptyMaps = {
  mms: (): HashedMap<MmRecord> => HashedMap.empty('mm.mm', encodeMm),
  vmas: (): HashedMap<VmaRecord> => HashedMap.empty('mm.vma', encodeVma),
  owners: (): HashedMap<string> => HashedMap.empty('mm.owner', (s: string) => s),
  tasks: (): HashedMap<MmTask> => HashedMap.empty('mm.task', encodeTask),
};

/** The mm slice of an empty world. */
export function initialMmState(): MmState {
  return Object.freeze({ mms: emptyMaps.mms(), vmas: emptyMaps.vmas(), owners: emptyMaps.owners(), tasks: emptyMaps.tasks() });
}

/**
 * The incremental hash of the slice, its task table left out (the kernel hashes that apart). Every
 * map of an empty slice hashes to zero, so a world that never touched mm hashes as before.
 */
export function hashMmState(s: MmState): Hash64 {
  const a = s.mms.hash, b = s.vmas.hash, c = s.owners.hash;
  return { lo: (a.lo + b.lo + c.lo) >>> 0, hi: (a.hi + b.hi + c.hi) >>> 0 };
}
