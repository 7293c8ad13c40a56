import { setup } from 'xstate';

/**
 * Lifecycle of one named mapping, `struct vm_area_struct`: made by vm_mmap, unmapped by vm_munmap,
 * by a MAP_FIXED mapping over it, or by exit_mmap; read through a `VmaRef` while the mmap lock
 * that found it is held.
 *
 * Kernel: [mm/mmap.c](https://github.com/torvalds/linux/blob/v6.17/mm/mmap.c) (do_mmap,
 * generic_get_unmapped_area_topdown, exit_mmap), [mm/vma.c](https://github.com/torvalds/linux/blob/v6.17/mm/vma.c)
 * (unmapped_area_topdown, do_vmi_munmap, mmap_region), [mm/util.c](https://github.com/torvalds/linux/blob/v6.17/mm/util.c)
 * (vm_mmap, vm_mmap_pgoff). Rust: `VmaRef` in rust/kernel/mm/virt.rs.
 *
 * Modelled:
 * - do_mmap's checks in its order: zero length, PAGE_ALIGN overflow, no room,
 *   an unaligned or too-low MAP_FIXED address, MAP_FIXED_NOREPLACE over a mapping, a bad map type;
 * - unmapping: a range covering every piece of the name unmaps it, a partial one leaves the
 *   pieces outside the range (split), still under the name;
 * - reads through a reference (`vma_start`, `vma_end`, `vma_flags`): valid only while the task
 *   that looked it up holds the mmap lock it looked it up under.
 *
 * Abstracted away:
 * - vma_merge: adjacent mappings are never merged (each keeps the name of the call that made it);
 * - the placement itself and the pieces' ranges: data in the world (src/mm/layout.ts);
 * - file-backed mappings: every mapping is anonymous;
 * - `sysctl_max_map_count` (65530 mappings): no bounded model comes near it.
 *
 * Invariants: vmasAreWellFormed, mapsExistOnlyWithUsers.
 *
 * Docs: docs/mm.md.
 */

/** A mapping keeps no lifecycle data beyond its state: its pieces live in the world. */
export type VmAreaStructContext = Record<string, never>;

/** The facts of one call that the guards read, gathered by `apply` before deciding. */
export interface VmAreaStructFacts {
  /** do_mmap: `!len`. */
  readonly zeroLength?: boolean;
  /** do_mmap: `PAGE_ALIGN(len) == 0` (overflow). */
  readonly lengthOverflow?: boolean;
  /** __get_unmapped_area: no room (`-ENOMEM`): too long, past TASK_SIZE, or no gap. */
  readonly noRoom?: boolean;
  /** __get_unmapped_area: `offset_in_page(addr)` of a MAP_FIXED address. */
  readonly misaligned?: boolean;
  /** security_mmap_addr: a MAP_FIXED address below mmap_min_addr (cap_mmap_addr). */
  readonly belowMinAddr?: boolean;
  /** do_mmap: MAP_FIXED_NOREPLACE and find_vma_intersection found a mapping. */
  readonly overlap?: boolean;
  /** do_mmap: `flags & MAP_TYPE` is neither MAP_SHARED nor MAP_PRIVATE (anonymous). */
  readonly badMapType?: boolean;
  /** An unmap's range covers every piece of the mapping. */
  readonly whole?: boolean;
  /** A read: the task holds a reference from a lookup made under the mmap lock it still holds. */
  readonly referenced?: boolean;
}

/**
 * Calls that touch one mapping:
 *
 * - `unsigned long vm_mmap(file, addr, len, prot, flag, offset)`: the start, or `-EINVAL`,
 *   `-ENOMEM`, `-EPERM`, `-EEXIST`;
 * - `vm_munmap`: an unmap of a range that overlaps it (also a MAP_FIXED mapping over it);
 * - `exit_mmap`: the last mmput of its mm;
 * - `vma_start`, `vma_end`, `vma_flags`: `VmaRef::start/end/flags` reads.
 */
export type VmAreaStructEvent = VmAreaStructFacts & {
  readonly type: 'vm_mmap' | 'vm_munmap' | 'exit_mmap' | 'vma_start' | 'vma_end' | 'vma_flags';
};

/** A read with no valid reference: the VMA may be gone; refused. */
const STALE = {
  guard: 'isReferenced' as const,
  description: 'Read through a reference found under the mmap lock the task still holds.',
  meta: { effects: ['readVma'] },
};
const UNREFERENCED = {
  description: 'No mmap lock protects the reference (its guard was released, or it was never looked up under one): a use after free the kernel cannot see; refused.',
  meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'unlocked' }], refused: true },
} as const;
const GONE = {
  description: 'The mapping is unmapped: reading it is a use after free; refused.',
  meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'unmapped' }], refused: true },
} as const;

/** The `struct vm_area_struct` statechart (id `vm_area_struct`): see the header above. */
export const vmAreaStructMachine = setup({
  types: { context: {} as VmAreaStructContext, events: {} as VmAreaStructEvent },
  guards: {
    /** `if (!len) return -EINVAL;` (do_mmap, mm/mmap.c). */
    isZeroLength: ({ event }) => event.zeroLength === true,
    /** `len = PAGE_ALIGN(len); if (!len) return -ENOMEM;` (do_mmap). */
    isLengthOverflow: ({ event }) => event.lengthOverflow === true,
    /** `IS_ERR_VALUE(addr)` of -ENOMEM from __get_unmapped_area (mm/mmap.c). */
    hasNoRoom: ({ event }) => event.noRoom === true,
    /** `offset_in_page(addr)` in __get_unmapped_area (mm/mmap.c). */
    isMisaligned: ({ event }) => event.misaligned === true,
    /** `addr < dac_mmap_min_addr` without CAP_SYS_RAWIO in cap_mmap_addr (security/commoncap.c). */
    isBelowMinAddr: ({ event }) => event.belowMinAddr === true,
    /** `MAP_FIXED_NOREPLACE` and `find_vma_intersection(mm, addr, addr + len)` (do_mmap). */
    isOverlapping: ({ event }) => event.overlap === true,
    /** The `default: return -EINVAL;` of do_mmap's anonymous `switch (flags & MAP_TYPE)`. */
    isBadMapType: ({ event }) => event.badMapType === true,
    /** The unmapped range covers every piece (do_vmi_align_munmap detaches them all). */
    isWhole: ({ event }) => event.whole === true,
    /** The reference's mmap lock is still held by the task that looked it up (VmaRef's invariant). */
    isReferenced: ({ event }) => event.referenced === true,
  },
}).createMachine({
  id: 'vm_area_struct',
  initial: 'unmapped',
  context: {},
  states: {
    unmapped: {
      description: 'No range is mapped under this name: never mapped, or all of it unmapped.',
      on: {
        vm_mmap: [
          { guard: 'isZeroLength', description: 'Zero length: -EINVAL.', meta: { errno: 'EINVAL' } },
          { guard: 'isLengthOverflow', description: 'PAGE_ALIGN(len) wraps to 0: -ENOMEM.', meta: { errno: 'ENOMEM' } },
          { guard: 'hasNoRoom', description: 'get_unmapped_area finds no room (or the range passes TASK_SIZE): -ENOMEM.', meta: { errno: 'ENOMEM' } },
          { guard: 'isMisaligned', description: 'A MAP_FIXED address inside a page: -EINVAL.', meta: { errno: 'EINVAL' } },
          { guard: 'isBelowMinAddr', description: 'A MAP_FIXED address below mmap_min_addr: -EPERM.', meta: { errno: 'EPERM' } },
          { guard: 'isOverlapping', description: 'MAP_FIXED_NOREPLACE over an existing mapping: -EEXIST.', meta: { errno: 'EEXIST' } },
          { guard: 'isBadMapType', description: 'Neither MAP_SHARED nor MAP_PRIVATE: -EINVAL.', meta: { errno: 'EINVAL' } },
          { target: 'mapped', description: 'Mapped at the address get_unmapped_area chose (MAP_FIXED: replacing what it overlaps); returns the start.', meta: { effects: ['mmapRegion'] } },
        ],
        vma_start: GONE,
        vma_end: GONE,
        vma_flags: GONE,
      },
    },
    mapped: {
      description: 'One or more pieces of the range are mapped under this name (pieces left by partial unmaps).',
      tags: ['alive'],
      on: {
        vm_munmap: [
          { guard: 'isWhole', target: 'unmapped', description: 'The range covers every piece: detached and freed (listed in unmapped).', meta: { effects: ['removeVma'] } },
          { description: 'The range covers part of it: split at the range\'s ends, the pieces outside keep the name (listed in split).', meta: { effects: ['splitVma'] } },
        ],
        exit_mmap: { target: 'unmapped', description: 'The last mmput of its mm: exit_mmap unmaps and frees it.', meta: { effects: ['removeVma'] } },
        vma_start: [STALE, UNREFERENCED],
        vma_end: [STALE, UNREFERENCED],
        vma_flags: [STALE, UNREFERENCED],
      },
    },
  },
});
