/**
 * The drm_mm events: one per kernel function, each named after it with fields named after its C
 * parameters, and the schema {@link DRM_MM_EVENTS} that reads them. The TypeScript types are
 * inferred from the schema ({@link DrmMmEvent}), so the two cannot drift.
 *
 * Models drivers/gpu/drm/drm_mm.c and include/drm/drm_mm.h (v6.17).
 */

import type { EventDef } from '../world/Protocol.js';
import { type DecodedEvents, readU64 } from '../world/fields.js';
import { INSERT_MODES } from './state.js';

/** Checks drm_mm_init's `color_adjust`: the sentence saying what is wrong, or undefined. */
function checkColorAdjust(v: unknown): string | undefined {
  const shape = 'expected { "gap": "<u64>" } or { "fn": "<registered function name>" }';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return shape;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'fn') {
    const fn = (v as { fn: unknown }).fn;
    return typeof fn === 'string' && fn.length > 0 ? undefined : 'expected "fn" to be a registered function name';
  }
  if (keys.length !== 1 || keys[0] !== 'gap') return shape;
  try {
    readU64('drm_mm_init', 'color_adjust.gap', (v as { gap: unknown }).gap);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** `enum drm_mm_insert_mode` without the ONCE flag. */
const mode = { kind: 'enum', values: INSERT_MODES, doc: 'best | low | high | evict (enum drm_mm_insert_mode)' } as const;
/** DRM_MM_INSERT_ONCE, a flag of the mode in C. */
const once = { kind: 'bool', optional: true, doc: 'ors in DRM_MM_INSERT_ONCE: examine only the first hole' } as const;
const KERNEL = 'drivers/gpu/drm/drm_mm.c';
const BUGS = ['bug_on', 'use_after_free'] as const;

/** What a search asks for: a hole of `size`, aligned, of `color`, inside [range_start, range_end). */
const SEARCH = {
  size: { kind: 'u64' },
  alignment: { kind: 'u64' },
  color: { kind: 'u64' },
  range_start: { kind: 'u64' },
  range_end: { kind: 'u64' },
} as const;

/** Every drm_mm event: its kernel function, fields (in C parameter order), answers and findings. */
export const DRM_MM_EVENTS = {
  drm_mm_init: {
    kernel: `drm_mm_init() (${KERNEL})`,
    summary: 'Initialises an allocator over [start, start + size) with one hole; optionally installs a colour-adjust callback.',
    fields: {
      mm: { kind: 'name' },
      start: { kind: 'u64' },
      size: { kind: 'u64' },
      color_adjust: { kind: 'json', optional: true, check: checkColorAdjust, doc: '{ "gap": "<u64>" } or { "fn": "<name>" } (registerColorAdjust)' },
    },
    returns: [],
    errnos: [],
    violations: ['bug_on'],
  },
  drm_mm_insert_node_in_range: {
    kernel: `drm_mm_insert_node_in_range() (${KERNEL})`,
    summary: 'Searches for a hole per mode and places the node in [range_start, range_end).',
    fields: { mm: { kind: 'name' }, node: { kind: 'name' }, ...SEARCH, mode, once },
    returns: ['start'],
    errnos: ['ENOSPC'],
    violations: BUGS,
  },
  drm_mm_insert_node_generic: {
    kernel: `drm_mm_insert_node_generic() (include/drm/drm_mm.h)`,
    summary: 'drm_mm_insert_node_in_range over the whole u64 range [0, U64_MAX).',
    fields: { mm: { kind: 'name' }, node: { kind: 'name' }, size: { kind: 'u64' }, alignment: { kind: 'u64' }, color: { kind: 'u64' }, mode, once },
    returns: ['start'],
    errnos: ['ENOSPC'],
    violations: BUGS,
  },
  drm_mm_insert_node: {
    kernel: `drm_mm_insert_node() (include/drm/drm_mm.h)`,
    summary: 'Best-fit insertion with no alignment and colour 0 over the whole range.',
    fields: { mm: { kind: 'name' }, node: { kind: 'name' }, size: { kind: 'u64' } },
    returns: ['start'],
    errnos: ['ENOSPC'],
    violations: BUGS,
  },
  drm_mm_reserve_node: {
    kernel: `drm_mm_reserve_node() (${KERNEL})`,
    summary: 'Inserts the node exactly at [start, start + size) if one hole (colour-adjusted) contains it.',
    fields: { mm: { kind: 'name' }, node: { kind: 'name' }, start: { kind: 'u64' }, size: { kind: 'u64' }, color: { kind: 'u64' } },
    returns: [],
    errnos: ['ENOSPC'],
    violations: BUGS,
  },
  drm_mm_remove_node: {
    kernel: `drm_mm_remove_node() (${KERNEL})`,
    summary: 'Unlinks an allocated node; its range merges into the previous hole.',
    fields: { node: { kind: 'name' } },
    returns: [],
    errnos: [],
    violations: BUGS,
  },
  drm_mm_holes: {
    kernel: `drm_mm_for_each_hole() (include/drm/drm_mm.h)`,
    summary: 'Lists the holes as [start, end] in hole_stack order, most recent first.',
    fields: { mm: { kind: 'name' } },
    returns: ['holes'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_mm_nodes: {
    kernel: `drm_mm_for_each_node() (include/drm/drm_mm.h)`,
    summary: 'Lists the linked nodes as [name, start, size, color] in address order.',
    fields: { mm: { kind: 'name' } },
    returns: ['nodes'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_mm_node_allocated: {
    kernel: `drm_mm_node_allocated() (include/drm/drm_mm.h)`,
    summary: 'Whether the node has ALLOCATED set.',
    fields: { node: { kind: 'name' } },
    returns: ['allocated'],
    errnos: [],
    violations: [],
  },
  drm_mm_clean: {
    kernel: `drm_mm_clean() (include/drm/drm_mm.h)`,
    summary: 'Whether node_list is empty (scanned blocks are unlinked, so a scan can make it true).',
    fields: { mm: { kind: 'name' } },
    returns: ['clean'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_mm_scan_init_with_range: {
    kernel: `drm_mm_scan_init_with_range() (${KERNEL})`,
    summary: 'Sets up an eviction scan for a hole of size/alignment/colour in [range_start, range_end).',
    fields: {
      scan: { kind: 'name' },
      mm: { kind: 'name' },
      ...SEARCH,
      mode,
      once: { kind: 'bool', optional: true, doc: 'ors in DRM_MM_INSERT_ONCE: the scan then never places at the top' },
    },
    returns: [],
    errnos: [],
    violations: BUGS,
  },
  drm_mm_scan_add_block: {
    kernel: `drm_mm_scan_add_block() (${KERNEL})`,
    summary: 'Adds an eviction candidate: unlinks it and reports whether the enlarged hole now fits.',
    fields: { scan: { kind: 'name' }, node: { kind: 'name' } },
    returns: ['found'],
    errnos: [],
    violations: BUGS,
  },
  drm_mm_scan_remove_block: {
    kernel: `drm_mm_scan_remove_block() (${KERNEL})`,
    summary: 'Takes a candidate back (reverse order of adding) and reports whether it must be evicted.',
    fields: { scan: { kind: 'name' }, node: { kind: 'name' } },
    returns: ['evict'],
    errnos: [],
    violations: BUGS,
  },
  drm_mm_scan_color_evict: {
    kernel: `drm_mm_scan_color_evict() (${KERNEL})`,
    summary: 'After eviction: a neighbour of the hit hole that colour would still conflict with, or null.',
    fields: { scan: { kind: 'name' } },
    returns: ['node'],
    errnos: [],
    violations: BUGS,
  },
  drm_mm_takedown: {
    kernel: `drm_mm_takedown() (${KERNEL})`,
    summary: 'Tears the allocator down; nodes still on it are orphaned.',
    fields: { mm: { kind: 'name' } },
    returns: ['clean'],
    errnos: [],
    violations: BUGS,
  },
} as const satisfies { readonly [type: string]: EventDef };

/**
 * The drm_mm events, decoded: u64 fields are bigints; `color_adjust` is checked JSON
 * (`{ gap }` or `{ fn }`, see drm_mm_init).
 */
export type DrmMmEvent = DecodedEvents<typeof DRM_MM_EVENTS>;
