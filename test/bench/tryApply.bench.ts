/**
 * Benchmark of the explorers' non-throwing apply: `tryApply` against plain `apply` on the same
 * events — a fence's lifecycle, where every other call names a fence that was never created (what
 * the model checker meets in interleavings that use an object before it exists). `apply` throws a
 * `DrmstateError` there and the loop catches it; `tryApply` answers with data. A second line runs
 * both on calls with no misuse (the normal rate). The ratio is tryApply's rate over apply's (above
 * 1: faster).
 */
import { pathToFileURL } from 'node:url';
import { apply, initialWorld, tryApply } from '../../src/kernel/apply.js';
import type { World } from '../../src/world/World.js';
import type { BenchResult } from './drmMm.bench.js';

/** The events: a context and a fence, then calls on it, each followed by one on a fence never created. */
function events(n: number, ghosts = true): { setup: World; calls: Record<string, unknown>[] } {
  let w = initialWorld();
  w = apply(w, { type: 'dma_fence_context_alloc', ctx: 'c' }).world;
  w = apply(w, { type: 'dma_fence_init', fence: 'f', ctx: 'c' }).world;
  const calls: Record<string, unknown>[] = [];
  const cycle = [
    { type: 'dma_fence_get', fence: 'f' },
    { type: 'dma_fence_get_status', fence: 'ghost' },
    { type: 'dma_fence_put', fence: 'f' },
    { type: 'dma_fence_signal', fence: 'ghost' },
    { type: 'dma_fence_is_signaled', fence: 'f' },
    { type: 'dma_fence_add_callback', fence: 'ghost', cb: 'cb' },
  ];
  const live = ghosts ? cycle : cycle.map((e) => ({ ...e, fence: 'f' })).filter((e) => e.type !== 'dma_fence_signal' && e.type !== 'dma_fence_add_callback');
  for (let i = 0; i < n; i++) calls.push(live[i % live.length] as Record<string, unknown>);
  return { setup: w, calls };
}

function time(fn: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Best-of-five seconds of `apply` (catching misuse) and of `tryApply` over the same calls. */
function measure(setup: World, calls: readonly Record<string, unknown>[], misuses: number): { applyBest: number; tryBest: number } {
  let applyBest = Infinity;
  let tryBest = Infinity;
  for (let round = 0; round < 5; round++) {
    applyBest = Math.min(
      applyBest,
      time(() => {
        let w = setup;
        let misuse = 0;
        for (const e of calls) {
          try {
            w = apply(w, e).world;
          } catch {
            misuse++;
          }
        }
        if (misuse !== misuses) throw new Error(`apply: ${misuse} misuses, expected ${misuses}`);
      }),
    );
    tryBest = Math.min(
      tryBest,
      time(() => {
        let w = setup;
        let misuse = 0;
        for (const e of calls) {
          const r = tryApply(w, e);
          if (r.misuse !== undefined) misuse++;
          else w = r.world;
        }
        if (misuse !== misuses) throw new Error(`tryApply: ${misuse} misuses, expected ${misuses}`);
      }),
    );
  }
  return { applyBest, tryBest };
}

/** Runs the benchmark over `n` events (default 10^6), best of five rounds each. */
export async function runTryApplyBench(n = 1_000_000): Promise<BenchResult[]> {
  const mixed = events(n);
  const { applyBest, tryBest } = measure(mixed.setup, mixed.calls, n / 2);
  const valid = events(n, false);
  const plain = measure(valid.setup, valid.calls, 0);
  return [
    {
      bench: `tryApply on ${n} dma_fence calls, half of them naming a fence never created`,
      value: Math.round(n / tryBest),
      unit: 'events/s',
      baseline: `apply on the same calls, catching each DrmstateError (${Math.round(n / applyBest)} events/s)`,
      ratio: applyBest / tryBest,
    },
    {
      bench: `tryApply on ${n} dma_fence calls, none of them misuse`,
      value: Math.round(n / plain.tryBest),
      unit: 'events/s',
      baseline: `apply on the same calls (${Math.round(n / plain.applyBest)} events/s)`,
      ratio: plain.applyBest / plain.tryBest,
    },
  ];
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  for (const r of await runTryApplyBench(n)) console.log(JSON.stringify(r));
}
