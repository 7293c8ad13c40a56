import { DrmstateError } from '../errors.js';
import type { Piece } from './state.js';

/** `PAGE_SIZE` (4 KiB pages). */
export const PAGE_SIZE = 4096n;
const PAGE_MASK = ~(PAGE_SIZE - 1n);
const U64 = (1n << 64n) - 1n;

/** `TASK_SIZE` of x86-64 with 4-level paging: `DEFAULT_MAP_WINDOW`, 2^47 minus one page. */
export const TASK_SIZE = (1n << 47n) - PAGE_SIZE;

/** `mmap_min_addr`: CONFIG_DEFAULT_MMAP_MIN_ADDR's default in mm/Kconfig (4096). */
export const MMAP_MIN_ADDR = 4096n;

/**
 * The default `mmap_base`: what arch_pick_mmap_layout (arch/x86/mm/mmap.c) gives a 64-bit task with
 * randomisation off (no PF_RANDOMIZE: `rnd` 0, no stack random pad) and the default 8 MiB stack
 * rlimit: the gap of 8 MiB plus `stack_guard_gap` (1 MiB) is clamped up to 128 MiB, so
 * `TASK_SIZE - 128 MiB` = 0x7ffff7fff000.
 */
export const DEFAULT_MMAP_BASE = TASK_SIZE - 128n * 1024n * 1024n;

/** `TASK_UNMAPPED_BASE`: the bottom-up fallback's low limit, `PAGE_ALIGN(TASK_SIZE / 3)`. */
export const TASK_UNMAPPED_BASE = pageAlign(TASK_SIZE / 3n);

/** `PAGE_ALIGN(x)` with the u64 wrap of the C macro. */
export function pageAlign(x: bigint): bigint {
  return (x + PAGE_SIZE - 1n) & PAGE_MASK & U64;
}

/** `offset_in_page(x)`. */
export function offsetInPage(x: bigint): bigint {
  return x & (PAGE_SIZE - 1n);
}

/** The MAP_ flags the model reads (include/uapi/asm-generic/mman-common.h, linux/mman.h). */
export const MAP_FLAGS = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_FIXED_NOREPLACE: 0x100000,
} as const;

/** The PROT_ flags (include/uapi/asm-generic/mman-common.h). */
export const PROT_FLAGS = { PROT_NONE: 0, PROT_READ: 0x1, PROT_WRITE: 0x2, PROT_EXEC: 0x4 } as const;

/** The vm_flags bits a modelled mapping can carry (include/linux/mm.h). */
export const VM_FLAGS = {
  VM_READ: 0x1,
  VM_WRITE: 0x2,
  VM_EXEC: 0x4,
  VM_SHARED: 0x8,
  VM_MAYREAD: 0x10,
  VM_MAYWRITE: 0x20,
  VM_MAYEXEC: 0x40,
  VM_MAYSHARE: 0x80,
  VM_NORESERVE: 0x00200000,
} as const;

/**
 * Reads a `|`-joined flag string against a table of names.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` naming `field` for a name not in the table.
 */
export function parseFlags(type: string, field: string, text: string, table: { readonly [name: string]: number }): number {
  let bits = 0;
  for (const raw of text.split('|')) {
    const name = raw.trim();
    const v = table[name];
    if (v === undefined || !Object.prototype.hasOwnProperty.call(table, name))
      throw new DrmstateError('MALFORMED_EVENT', `${type}: unknown flag ${JSON.stringify(name)} in ${field} (known: ${Object.keys(table).join(', ')})`, {
        field,
      });
    bits |= v;
  }
  return bits;
}

/** The vm_flags of a new anonymous mapping: calc_vm_prot_bits, VM_MAY*, and the map type's (do_mmap). */
export function vmFlagsOf(prot: number, flags: number): number {
  let f = prot & (VM_FLAGS.VM_READ | VM_FLAGS.VM_WRITE | VM_FLAGS.VM_EXEC);
  f |= VM_FLAGS.VM_MAYREAD | VM_FLAGS.VM_MAYWRITE | VM_FLAGS.VM_MAYEXEC;
  if ((flags & MAP_FLAGS.MAP_SHARED_VALIDATE) === MAP_FLAGS.MAP_SHARED) f |= VM_FLAGS.VM_SHARED | VM_FLAGS.VM_MAYSHARE;
  // KERNEL: MAP_NORESERVE is honoured when overcommit is allowed (the default heuristic mode).
  if (flags & MAP_FLAGS.MAP_NORESERVE) f |= VM_FLAGS.VM_NORESERVE;
  return f;
}

const start = (p: Piece): bigint => BigInt(p.start);
const end = (p: Piece): bigint => BigInt(p.end);

/** find_vma: the first piece ending above `addr` (mm/mmap.c), or undefined. */
export function findVma(map: readonly Piece[], addr: bigint): Piece | undefined {
  return map.find((p) => end(p) > addr);
}

/** vma_lookup: the piece containing `addr` (include/linux/mm.h), or undefined. */
export function vmaLookup(map: readonly Piece[], addr: bigint): Piece | undefined {
  const p = findVma(map, addr);
  return p !== undefined && start(p) <= addr ? p : undefined;
}

/** find_vma_intersection: whether a piece overlaps `[lo, hi)`. */
export function intersects(map: readonly Piece[], lo: bigint, hi: bigint): boolean {
  return map.some((p) => start(p) < hi && end(p) > lo);
}

/** The free intervals of `[low, high)` between the pieces, lowest first. */
function gaps(map: readonly Piece[], low: bigint, high: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let at = low;
  for (const p of map) {
    if (end(p) <= at) continue;
    if (start(p) >= high) break;
    if (start(p) > at) out.push([at, start(p)]);
    at = end(p);
  }
  if (at < high) out.push([at, high]);
  return out;
}

/**
 * unmapped_area_topdown (mm/vma.c): the highest `gap` with `[gap, gap + len)` free inside
 * `[low, high)`, or undefined (`-ENOMEM`). With no guard gaps and no alignment mask (anonymous,
 * no VM_GROWSDOWN neighbour) the maple-tree walk finds exactly the top of the highest free gap.
 */
export function unmappedAreaTopdown(map: readonly Piece[], len: bigint, low: bigint, high: bigint): bigint | undefined {
  const list = gaps(map, low, high);
  for (let i = list.length - 1; i >= 0; i--) {
    const [a, b] = list[i] as [bigint, bigint];
    if (b - a >= len) return b - len;
  }
  return undefined;
}

/** unmapped_area (mm/vma.c): the lowest free `[gap, gap + len)` inside `[low, high)`, or undefined. */
export function unmappedArea(map: readonly Piece[], len: bigint, low: bigint, high: bigint): bigint | undefined {
  for (const [a, b] of gaps(map, low, high)) if (b - a >= len) return a;
  return undefined;
}

/** How do_mmap ends, before mmap_region: an errno, or the address to map at. */
export type Placement =
  | { readonly errno: 'EINVAL' | 'ENOMEM' | 'EPERM' | 'EEXIST'; readonly check: 'zeroLength' | 'lengthOverflow' | 'noRoom' | 'misaligned' | 'belowMinAddr' | 'overlap' | 'badMapType' }
  | { readonly addr: bigint; readonly len: bigint };

/**
 * do_mmap's decisions for an anonymous mapping, in its order: the length checks,
 * __get_unmapped_area (generic_get_unmapped_area_topdown: MAP_FIXED's address, a free hint, the
 * top-down first fit below mmap_base, then the bottom-up fallback from TASK_UNMAPPED_BASE), its
 * TASK_SIZE and alignment checks, security_mmap_addr, MAP_FIXED_NOREPLACE's overlap, the map type.
 *
 * ABSTRACTION: the THP alignment of large anonymous mappings (thp_get_unmapped_area, for lengths
 * that are multiples of 2 MiB) is not modelled: CONFIG_TRANSPARENT_HUGEPAGE is off.
 */
export function placeMapping(map: readonly Piece[], mmapBase: bigint, addr0: bigint, len0: bigint, flags: number): Placement {
  const noreplace = (flags & MAP_FLAGS.MAP_FIXED_NOREPLACE) !== 0;
  const fixed = noreplace || (flags & MAP_FLAGS.MAP_FIXED) !== 0;
  if (len0 === 0n) return { errno: 'EINVAL', check: 'zeroLength' };
  let addr = addr0;
  if (!fixed) {
    // KERNEL: round_hint_to_min.
    addr &= PAGE_MASK;
    if (addr !== 0n && addr < MMAP_MIN_ADDR) addr = pageAlign(MMAP_MIN_ADDR);
  }
  const len = pageAlign(len0);
  if (len === 0n) return { errno: 'ENOMEM', check: 'lengthOverflow' };
  // ABSTRACTION: `mm->map_count > sysctl_max_map_count` (-ENOMEM) is not checked: no bounded model
  // comes near 65530 mappings.
  const mmapEnd = TASK_SIZE;
  if (len > TASK_SIZE || len > mmapEnd - MMAP_MIN_ADDR) return { errno: 'ENOMEM', check: 'noRoom' };
  let at: bigint | undefined;
  if (fixed) at = addr;
  else {
    if (addr !== 0n) {
      addr = pageAlign(addr);
      if (mmapEnd - len >= addr && addr >= MMAP_MIN_ADDR && !intersects(map, addr, addr + len)) at = addr;
    }
    at ??= unmappedAreaTopdown(map, len, PAGE_SIZE, mmapBase);
    // KERNEL: a failed top-down search falls back to the bottom-up one.
    at ??= unmappedArea(map, len, TASK_UNMAPPED_BASE, mmapEnd);
    if (at === undefined) return { errno: 'ENOMEM', check: 'noRoom' };
  }
  if (at > TASK_SIZE - len) return { errno: 'ENOMEM', check: 'noRoom' };
  if (offsetInPage(at) !== 0n) return { errno: 'EINVAL', check: 'misaligned' };
  if (at < MMAP_MIN_ADDR) return { errno: 'EPERM', check: 'belowMinAddr' };
  if (noreplace && intersects(map, at, at + len)) return { errno: 'EEXIST', check: 'overlap' };
  const type = flags & MAP_FLAGS.MAP_SHARED_VALIDATE;
  if (type !== MAP_FLAGS.MAP_SHARED && type !== MAP_FLAGS.MAP_PRIVATE) return { errno: 'EINVAL', check: 'badMapType' };
  return { addr: at, len };
}

/** What an unmap of a range did: the map after, and the names it removed or cut. */
export interface Unmapped {
  readonly map: readonly Piece[];
  /** Names with no piece left, in address order. */
  readonly unmapped: readonly string[];
  /** Names that lost part of their range and keep pieces, in address order. */
  readonly split: readonly string[];
}

/**
 * Unmaps `[lo, hi)`: every piece inside goes, a piece across an end is split there
 * (do_vmi_align_munmap, mm/vma.c), and the pieces outside keep their name.
 *
 * ABSTRACTION: no vma_merge afterwards or when mapping: adjacent pieces stay apart.
 */
export function unmapRange(map: readonly Piece[], lo: bigint, hi: bigint): Unmapped {
  const out: Piece[] = [];
  const touched: string[] = [];
  for (const p of map) {
    const s = start(p);
    const e = end(p);
    if (e <= lo || s >= hi) {
      out.push(p);
      continue;
    }
    if (!touched.includes(p.vma)) touched.push(p.vma);
    if (s < lo) out.push({ start: p.start, end: lo.toString(), vma: p.vma });
    if (e > hi) out.push({ start: hi.toString(), end: p.end, vma: p.vma });
  }
  const left = new Set(out.map((p) => p.vma));
  return { map: out, unmapped: touched.filter((n) => !left.has(n)), split: touched.filter((n) => left.has(n)) };
}

/** Inserts a piece, keeping address order. */
export function insertPiece(map: readonly Piece[], piece: Piece): Piece[] {
  const s = BigInt(piece.start);
  const out = [...map];
  const i = out.findIndex((p) => start(p) > s);
  out.splice(i < 0 ? out.length : i, 0, piece);
  return out;
}
