/**
 * The seeded drm_mm workload of issue 9, as event lists: init a 2^40 range, build 10^5 live nodes
 * of 4 KiB–1 MiB (aligned 4096, best fit), then 10^5 mixed calls — half removes of random live
 * nodes, half inserts in every mode (best, low, high, evict) with alignment 0, 4096 or 65536.
 *
 * Every event is the JSON form a log carries (u64s as decimal strings). The lists are generated
 * before anything is timed, and assume every insertion succeeds (a 2^40 range holds 10^5 nodes of
 * at most 1 MiB many times over); the drivers check that it did.
 */
import type { Event } from '../../src/world/Event.js';

/** A small deterministic PRNG (mulberry32), so that every run does the same work. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The workload's parameters. */
export interface WorkloadShape {
  readonly rangeSize: bigint;
  /** Live nodes built before the mixed phase. */
  readonly live: number;
  /** Calls of the mixed phase. */
  readonly mixed: number;
  readonly seed: number;
}

/** The workload of issue 9 at its default size. */
export const ISSUE_9_SHAPE: WorkloadShape = { rangeSize: 1n << 40n, live: 100_000, mixed: 100_000, seed: 9 };

/** The events of one workload, with counts describing its mixed phase. */
export interface Workload {
  readonly shape: WorkloadShape;
  /** drm_mm_init, then `live` best-fit insertions. */
  readonly build: readonly Event[];
  /** The mixed phase. */
  readonly mixed: readonly Event[];
  /** Per mixed call kind: `remove`, `best`, `low`, `high`, `evict`, and per alignment `align=N`. */
  readonly counts: Readonly<Record<string, number>>;
}

const MODES = ['best', 'low', 'high', 'evict'] as const;
const ALIGNMENTS = ['0', '4096', '65536'] as const;
const PAGE = 4096;
const MAX_PAGES = 256;

/**
 * The seeded workload: every size a whole number of 4 KiB pages, drawn uniformly from 1 to 256
 * pages (4 KiB–1 MiB), as GPU buffer objects are.
 */
export function makeWorkload(shape: WorkloadShape = ISSUE_9_SHAPE): Workload {
  const next = rng(shape.seed);
  const size = (): string => String(PAGE * (1 + Math.floor(next() * MAX_PAGES)));
  const range = String(shape.rangeSize);
  const build: Event[] = [{ type: 'drm_mm_init', mm: 'm', start: '0', size: range }];
  const live: string[] = [];
  let made = 0;
  const insert = (mode: string, alignment: string): Event => {
    const node = `n${made++}`;
    live.push(node);
    return {
      type: 'drm_mm_insert_node_in_range',
      mm: 'm',
      node,
      size: size(),
      alignment,
      color: '0',
      range_start: '0',
      range_end: range,
      mode,
    };
  };
  for (let i = 0; i < shape.live; i++) build.push(insert('best', '4096'));
  const counts: Record<string, number> = { remove: 0 };
  const mixed: Event[] = [];
  for (let i = 0; i < shape.mixed; i++) {
    if (next() < 0.5 && live.length > 0) {
      // Swap-remove a random live node.
      const j = Math.floor(next() * live.length);
      const node = live[j] as string;
      live[j] = live[live.length - 1] as string;
      live.pop();
      mixed.push({ type: 'drm_mm_remove_node', node });
      counts.remove = (counts.remove ?? 0) + 1;
    } else {
      const mode = MODES[Math.floor(next() * MODES.length)] as string;
      const alignment = ALIGNMENTS[Math.floor(next() * ALIGNMENTS.length)] as string;
      mixed.push(insert(mode, alignment));
      counts[mode] = (counts[mode] ?? 0) + 1;
      counts[`align=${alignment}`] = (counts[`align=${alignment}`] ?? 0) + 1;
    }
  }
  counts.liveAfter = live.length;
  return { shape, build, mixed, counts };
}
