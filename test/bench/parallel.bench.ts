/**
 * Benchmark of the parallel checker: states/s of `check` with 2 workers on a model of independent
 * tasks (default 6 tasks of 9 `dma_fence_get` steps: 10^6 states), against 1 worker (this thread)
 * on the same model in the same run. The ratio is the speed-up; the CPU seconds, the workers'
 * shares of the expanded states and the load average say why it is what it is.
 *
 * `npm run build && node dist/test/bench/parallel.bench.js [TASKS] [STEPS] [ROUNDS]`
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { check } from '../../src/checker/check.js';
import { type Model, type ModelStep, parseModel } from '../../src/checker/model.js';
import { exploreParallel } from '../../src/checker/parallel.js';
import type { Event } from '../../src/world/Event.js';
import type { BenchResult } from './drmMm.bench.js';

/** `n` tasks, each `k` steps of `dma_fence_get` on a fence of its own: (k+1)^n states. */
export function independentModel(n: number, k: number): Model {
  const setup: Event[] = [];
  const tasks: Record<string, ModelStep[]> = {};
  for (let i = 1; i <= n; i++) {
    setup.push({ type: 'dma_fence_context_alloc', ctx: `c${i}` }, { type: 'dma_fence_init', fence: `f${i}`, ctx: `c${i}` });
    tasks[`t${i}`] = [{ repeat: k, steps: [{ type: 'dma_fence_get', fence: `f${i}` }] }];
  }
  return parseModel({ model: `independent-${n}x${k}`, description: 'counted', setup, tasks, finally: [] });
}

function measure(f: () => { states: number }): { seconds: number; cpu: number; states: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { states } = f();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6, states };
}

/** Runs the benchmark: best of `rounds` for 1 and for 2 workers, interleaved. */
export function runParallelBench(tasks = 6, steps = 9, rounds = 1): BenchResult[] {
  const model = independentModel(tasks, steps);
  const expected = (steps + 1) ** tasks;
  let one = { seconds: Infinity, cpu: 0, states: 0 };
  let two = { seconds: Infinity, cpu: 0, states: 0 };
  let shares: readonly number[] = [];
  const load0 = loadavg()[0] as number;
  for (let round = 0; round < rounds; round++) {
    const a = measure(() => check(model, { workers: 1 }));
    if (a.seconds < one.seconds) one = a;
    let ex: readonly number[] = [];
    const b = measure(() => {
      const r = exploreParallel(model, 2, {}, false, performance.now());
      ex = r.expanded;
      return r;
    });
    if (b.seconds < two.seconds) {
      two = b;
      shares = ex;
    }
  }
  for (const r of [one, two]) if (r.states !== expected) throw new Error(`${model.model}: ${r.states} states, expected ${expected}`);
  const total = shares.reduce((x, y) => x + y, 0);
  process.stderr.write(
    `${model.model}: 1 worker ${one.seconds.toFixed(2)} s (${one.cpu.toFixed(2)} CPU s), 2 workers ${two.seconds.toFixed(2)} s ` +
      `(${two.cpu.toFixed(2)} CPU s, shares ${shares.map((s) => ((100 * s) / total).toFixed(1) + '%').join('/')}); ` +
      `load average ${load0.toFixed(2)} → ${(loadavg()[0] as number).toFixed(2)}\n`,
  );
  return [
    {
      bench: `check of ${model.model} (${expected} states) with 2 workers`,
      value: Math.round(expected / two.seconds),
      unit: 'states/s',
      baseline: `the same check with 1 worker (${one.seconds.toFixed(2)} s; 2 workers ${two.seconds.toFixed(2)} s)`,
      ratio: one.seconds / two.seconds,
    },
  ];
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const [n, k, rounds] = process.argv.slice(2).map(Number);
  for (const r of runParallelBench(n || undefined, k || undefined, rounds || undefined)) console.log(JSON.stringify(r));
}
