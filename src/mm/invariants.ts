import { isDecimal } from '../world/fields.js';
import type { Invariant } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import { PAGE_SIZE } from './layout.js';

const STATES = new Set(['live', 'usersGone', 'freed']);

/**
 * For every mm, its record is well formed: a machine state that matches its counts (live: users
 * ≥ 1; usersGone: users 0 and count ≥ 1; freed: both 0), a page-aligned decimal mmap_base, and its
 * pieces page aligned, non-empty, in address order and disjoint.
 *
 * Kernel: mm_init sets both counts to 1 (kernel/fork.c); the maple tree keeps VMAs ordered and
 * disjoint (mm/vma.c).
 * Broken by: a refcount that moved past zero (the refused mmput and mmdrop branches keep it).
 */
export const mmRecordsAreWellFormed: Invariant = {
  name: 'mmRecordsAreWellFormed',
  statement:
    'For every mm, the state matches the counts (live: mm_users ≥ 1; usersGone: mm_users 0, mm_count ≥ 1; freed: both 0), mmap_base is a page-aligned decimal, and the pieces are page aligned, non-empty, ordered and disjoint.',
  holds: (w) => {
    try {
      for (const [, m] of w.mm.mms.entries()) {
        if (!STATES.has(m.state) || !Number.isInteger(m.users) || !Number.isInteger(m.count)) return false;
        if (m.state === 'live' && !(m.users >= 1 && m.count >= 1)) return false;
        if (m.state === 'usersGone' && !(m.users === 0 && m.count >= 1)) return false;
        if (m.state === 'freed' && !(m.users === 0 && m.count === 0)) return false;
        if (!isDecimal(m.mmapBase) || BigInt(m.mmapBase) % PAGE_SIZE !== 0n) return false;
        let at = -1n;
        for (const p of m.map) {
          const s = BigInt(p.start);
          const e = BigInt(p.end);
          if (s % PAGE_SIZE !== 0n || e % PAGE_SIZE !== 0n || s >= e || s < at) return false;
          at = e;
        }
      }
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * For every mm with users, the users hold one mm_count reference between them: mm_count ≥ 1.
 *
 * Kernel: __mmput drops that reference last (kernel/fork.c), so mmdrop can reach 0 only after it.
 * Broken by: an mmdrop of the users' own reference (refused by the model as refcount_underflow).
 */
export const usersHoldOneCount: Invariant = {
  name: 'usersHoldOneCount',
  statement: 'For every mm with mm_users > 0, mm_count ≥ 1.',
  holds: (w) => [...w.mm.mms.entries()].every(([, m]) => m.users === 0 || m.count >= 1),
};

/**
 * For every mapped VMA, some piece of its mm carries its name, and every piece names a mapped VMA
 * of that mm; an mm without users maps nothing.
 *
 * Kernel: exit_mmap frees every VMA before the users' count is dropped (mm/mmap.c).
 * Broken by: a mapping made into a torn-down address space (refused as use_after_free).
 */
export const mapsExistOnlyWithUsers: Invariant = {
  name: 'mapsExistOnlyWithUsers',
  statement: 'For every mapped VMA some piece of its mm names it, every piece names a mapped VMA of its mm, and an mm with mm_users 0 maps nothing.',
  holds: (w: World) => {
    for (const [name, m] of w.mm.mms.entries()) {
      if (m.users === 0 && m.map.length > 0) return false;
      for (const p of m.map) {
        const v = w.mm.vmas.get(p.vma);
        if (v === undefined || v.state !== 'mapped' || v.mm !== name) return false;
      }
    }
    for (const [name, v] of w.mm.vmas.entries()) {
      if (v.state !== 'mapped') continue;
      if (!(w.mm.mms.get(v.mm)?.map.some((p) => p.vma === name) ?? false)) return false;
    }
    return true;
  },
};

/** The mm protocol's invariants, type invariant first. */
export const mmInvariants: readonly Invariant[] = [mmRecordsAreWellFormed, usersHoldOneCount, mapsExistOnlyWithUsers];
