/**
 * Benchmark of the checker's inner loop on small dma_fence worlds (issue 9): one `tryApply` plus
 * one world fingerprint per successor, over every world of the bundled `independent-4x9` model
 * (four fences, each with 1–10 references: 10^4 worlds) and each of its four `dma_fence_get`
 * steps. The fingerprint is the one a search uses (`fingerprintMemo`: a part whose slice a step did
 * not touch is not hashed again); the baseline is the same loop with the kernel's plain
 * `fingerprintHash`, measured in the same run. The target: at least 10^6 successors/s.
 * A second line reports the heap bytes per world version kept (run under `node --expose-gc`).
 */
import { pathToFileURL } from 'node:url';
import { KERNEL } from '../../src/kernel/protocols.js';
import { takeSnapshot } from '../../src/kernel/snapshot.js';
import type { Hash64 } from '../../src/world/hash.js';
import type { World } from '../../src/world/World.js';
import type { BenchResult } from './drmMm.bench.js';

const FENCES = 4;
const REFS = 10;

/** Every world of `independent-4x9`: fence i holds 1 + k_i references, k_i in 0..9. */
function worlds(): World[] {
  let base = KERNEL.initialWorld();
  for (let i = 1; i <= FENCES; i++) {
    base = KERNEL.apply(base, { type: 'dma_fence_context_alloc', ctx: `c${i}` }).world;
    base = KERNEL.apply(base, { type: 'dma_fence_init', fence: `f${i}`, ctx: `c${i}` }).world;
  }
  let level = [base];
  // Fence by fence: each world of the level before, with 0..9 more references to this fence.
  for (let i = 1; i <= FENCES; i++) {
    const next: World[] = [];
    for (const w of level) {
      let x = w;
      next.push(x);
      for (let k = 1; k < REFS; k++) {
        x = KERNEL.apply(x, { type: 'dma_fence_get', fence: `f${i}` }).world;
        next.push(x);
      }
    }
    level = next;
  }
  return level;
}

/**
 * Seconds `fn` takes. No forced collection before it: one discards the optimised code whose
 * embedded objects died, so a pass of a tenth of a second would time V8 re-optimising it.
 */
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Seconds of one pass: every step from every world, applied and fingerprinted with `fp`. */
function pass(ws: readonly World[], steps: readonly Record<string, unknown>[], fp: (w: World) => Hash64): number {
  let sum = 0;
  const seconds = time(() => {
    for (const w of ws)
      for (const e of steps) {
        const r = KERNEL.tryApply(w, e);
        if (r.misuse !== undefined) throw new Error(`successor bench: ${r.misuse.message}`);
        sum = (sum + fp(r.world).lo) >>> 0;
      }
  });
  if (sum === 0) throw new Error('successor bench: every fingerprint was zero');
  return seconds;
}

/** The heap in use after a full collection. */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap bytes per world version kept (what a search's frontier holds): the 10^4 worlds built one
 * call after another, sharing what the calls did not change, against the same worlds as plain
 * unshared data (each one's snapshot slices, parsed from JSON).
 */
function bytesPerWorld(): { shared: number; plain: number; count: number } {
  const h0 = heapAfterGc();
  let ws: World[] | undefined = worlds();
  const h1 = heapAfterGc();
  const count = ws.length;
  let copies: unknown[] | undefined = ws.map((w) => JSON.parse(JSON.stringify(takeSnapshot(w, 0).slices)) as unknown);
  ws = undefined;
  const h2 = heapAfterGc();
  const kept = copies.length;
  copies = undefined;
  return { shared: (h1 - h0) / count, plain: (h2 - h0) / kept, count };
}

/** Runs the benchmark: best of `rounds` passes of each loop, interleaved. */
export async function runSuccessorBench(rounds = 7): Promise<BenchResult[]> {
  const ws = worlds();
  const steps = Array.from({ length: FENCES }, (_, i) => ({ type: 'dma_fence_get', fence: `f${i + 1}` }));
  const n = ws.length * steps.length;
  let memoBest = Infinity;
  let plainBest = Infinity;
  for (let round = 0; round < rounds; round++) {
    memoBest = Math.min(memoBest, pass(ws, steps, KERNEL.fingerprintMemo()));
    plainBest = Math.min(
      plainBest,
      pass(ws, steps, (w) => KERNEL.fingerprintHash(w)),
    );
  }
  const mem = bytesPerWorld();
  const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)';
  return [
    {
      bench: `heap bytes per world version kept, over the ${mem.count} worlds of independent-4x9 built call by call (what a search's frontier holds per state)`,
      value: Math.round(mem.shared),
      unit: 'B/world',
      baseline: `the same worlds as unshared plain data, each one's snapshot slices parsed from JSON (${Math.round(mem.plain)} B/world)${gcNote}`,
      ratio: mem.shared / mem.plain,
    },
    {
      bench: `tryApply + fingerprint per successor on the ${ws.length} small dma_fence worlds of independent-4x9 (${n} successors; target ≥ 1,000,000/s)`,
      value: Math.round(n / memoBest),
      unit: 'successors/s',
      baseline: `the same loop with the kernel's plain fingerprintHash, every part hashed (${Math.round(n / plainBest)} successors/s)`,
      ratio: plainBest / memoBest,
    },
  ];
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) for (const r of await runSuccessorBench()) console.log(JSON.stringify(r));
