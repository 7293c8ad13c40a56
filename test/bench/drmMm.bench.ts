/**
 * Benchmarks of the drm_mm protocol: scaling of insert+remove with the number of live nodes, speed
 * over the linear reference allocator, and memory per live node.
 *
 * Plain TypeScript (no vitest): `runDrmMmBench()` returns one result per benchmark in the JSON-line
 * shape of `DESIGN.md` (`bench`, `value`, `unit`, `baseline`, `ratio`). Run it under
 * `node --expose-gc` for a stable memory figure. Every call goes through the protocol's `decode` and
 * `apply`, threading the immutable world.
 */
import { pathToFileURL } from 'node:url';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import type { Event } from '../../src/world/Event.js';
import type { Outcome } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';
import { ReferenceDrmMm } from '../drm-mm/reference.js';
import { rng } from './drmMmWorkload.js';

/** One benchmark's result, as `npm run bench` prints it. */
export interface BenchResult {
  readonly bench: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: string;
  readonly ratio: number;
}

const U64_MAX = ((1n << 64n) - 1n).toString();

/** Something that answers drm_mm events: the core protocol or the reference. */
interface Driver {
  apply(event: Event): { readonly ok: boolean };
}

/** The core protocol behind decode + apply, threading the world. */
class CoreDriver implements Driver {
  world: World;
  constructor() {
    this.world = Object.freeze({ [drmMmProtocol.key]: drmMmProtocol.initial() }) as unknown as World;
  }
  apply(event: Event): Outcome {
    const r = drmMmProtocol.apply(this.world, drmMmProtocol.decode(event));
    this.world = r.world;
    return r.outcome;
  }
}


function must(o: { readonly ok: boolean }, what: string): void {
  if (!o.ok) throw new Error(`drm_mm bench: ${what} failed: ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/**
 * Builds `n` live nodes of size 2 at every fourth address, so that `n` holes of size 2 separate
 * them: the hole trees are as large as the node list.
 */
function build(d: Driver, n: number, deadline = Infinity): number {
  must(d.apply({ type: 'drm_mm_init', mm: 'm', start: '0', size: String(4 * n) }), 'init');
  for (let i = 0; i < n; i++) {
    // A time budget keeps the whole run bounded on a slow machine; the results name the size reached.
    if (i % 1024 === 0 && performance.now() > deadline) return i;
    must(d.apply({ type: 'drm_mm_reserve_node', mm: 'm', node: `n${i}`, start: String(4 * i), size: '2', color: '0' }), 'reserve');
  }
  return n;
}

/**
 * The measured workload: insert a size-1 node bottom-up from a random address (an address-tree
 * descent and walk), then remove it again. Returns nanoseconds per pair.
 */
function pairs(d: Driver, n: number, count: number, seed: number): number {
  const next = rng(seed);
  const starts: string[] = [];
  for (let i = 0; i < count; i++) starts.push(String(4 * Math.floor(next() * (n - 1))));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    must(
      d.apply({
        type: 'drm_mm_insert_node_in_range',
        mm: 'm',
        node: 't',
        size: '1',
        alignment: '0',
        color: '0',
        range_start: starts[i]!,
        range_end: U64_MAX,
        mode: 'low',
        once: false,
      }),
      'insert',
    );
    must(d.apply({ type: 'drm_mm_remove_node', node: 't' }), 'remove');
  }
  return Number(process.hrtime.bigint() - t0) / count;
}

/**
 * Median of several batches, after two warm-up batches (JIT, and the collector's background work
 * left over from building, which at 10^6 nodes outlasts one batch).
 */
function medianPairs(d: Driver, n: number, batches: number, perBatch: number): number {
  pairs(d, n, perBatch, 1);
  pairs(d, n, perBatch, 2);
  const xs: number[] = [];
  for (let b = 0; b < batches; b++) xs.push(pairs(d, n, perBatch, 100 + b));
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Builds up to `n` nodes in a fresh core and returns it with the count reached and heap growth per node. */
function buildMeasured(n: number, budgetMs = Infinity): { driver: CoreDriver; built: number; bytesPerNode: number; buildMs: number } {
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const driver = new CoreDriver();
  const built = build(driver, n, t0 + budgetMs);
  const buildMs = performance.now() - t0;
  gc();
  const h1 = process.memoryUsage().heapUsed;
  return { driver, built, bytesPerNode: (h1 - h0) / built, buildMs };
}

/** `10^6` for powers of ten, else the number. */
function sizeName(n: number): string {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `10^${e}` : String(n);
}

const SMALL = 10_000;
/** The large size; `DRM_MM_BENCH_LARGE` overrides it. */
const LARGE = Number(process.env.DRM_MM_BENCH_LARGE ?? 1_000_000);
/**
 * Wall-clock budget for building the large allocator; `DRM_MM_BENCH_BUILD_S` overrides it. 10^6
 * reservations take about 35–70 s on two busy cores.
 */
const LARGE_BUILD_BUDGET_MS = 1000 * Number(process.env.DRM_MM_BENCH_BUILD_S ?? 120);
const REF_N = 2_000;

/**
 * Runs the drm_mm benchmarks (about 1–2 min on two cores, most of it building 10^6 nodes) and
 * returns their results.
 *
 * @example
 *   for (const r of await runDrmMmBench()) console.log(JSON.stringify(r));
 */
export async function runDrmMmBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // (b) Speed-up over the linear reference, both at REF_N live nodes, same calls.
  const ref = new ReferenceDrmMm();
  const refDriver: Driver = { apply: (e) => ref.apply(e) };
  build(refDriver, REF_N);
  const refNs = medianPairs(refDriver, REF_N, 3, 100);
  const coreAtRef = new CoreDriver();
  build(coreAtRef, REF_N);
  const coreAtRefNs = medianPairs(coreAtRef, REF_N, 3, 500);
  results.push({
    bench: 'drm_mm linear reference insert+remove at 2000 live nodes (ratio = core speed-up)',
    value: refNs / 1000,
    unit: 'us/pair',
    baseline: `core insert+remove at ${REF_N} live nodes (${(coreAtRefNs / 1000).toFixed(2)} us/pair)`,
    ratio: refNs / coreAtRefNs,
  });

  // (a) Scaling: 10^6 live nodes (or as many as the build budget allows) against 10^4.
  const small = buildMeasured(SMALL);
  const smallNs = medianPairs(small.driver, SMALL, 5, 500);
  const smallBytes = small.bytesPerNode;
  small.driver.world = undefined as unknown as World;
  const large = buildMeasured(LARGE, LARGE_BUILD_BUDGET_MS);
  const largeName = sizeName(large.built);
  const largeNs = medianPairs(large.driver, large.built, 5, 500);
  results.push({
    bench: `drm_mm insert+remove at ${largeName} live nodes`,
    value: largeNs / 1000,
    unit: 'us/pair',
    baseline: `insert+remove at 10^4 live nodes (${(smallNs / 1000).toFixed(2)} us/pair)`,
    ratio: largeNs / smallNs,
  });

  // (c) Memory per live node, 10^6 nodes against 10^4.
  results.push({
    bench: `drm_mm heap bytes per live node at ${largeName} live nodes`,
    value: Math.round(large.bytesPerNode),
    unit: 'B/node',
    baseline: `bytes per live node at 10^4 live nodes (${Math.round(smallBytes)} B/node)${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'}`,
    ratio: large.bytesPerNode / smallBytes,
  });
  return results;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  for (const r of await runDrmMmBench()) console.log(JSON.stringify(r));
}
