/**
 * Benchmarks of the model checker (`drmstate check`, issue 8) on counted models of independent
 * tasks (exactly (k+1)^N states: `models/independent-4x9.model.json` and, beside its Promela twin,
 * `spin/independent-6x9.model.json`):
 *
 * - states/s of `check` on `independent-6x9` (10^6 states, the shape of the bundled `independent-4x9`), over the same check with a plain
 *   `Set<string>` seen-set keyed by the fingerprint's hex (the same successor function);
 * - bytes per stored state (seen-set table + parent links), with the table's share, against a
 *   `Set<string>` of the same fingerprints (measured heap) — the target is ≤ 16;
 * - states/s of `check` over xstate/graph's `getAdjacencyMap` on `independent-4x9` (10^4 states)
 *   written as an xstate machine whose context is the checker's state (one `step` event per task
 *   step, the successor computed by the same `Explorer`), each the best run of at least three
 *   seconds of runs — the target is ≥ 20×;
 * - states/s of `check` over SPIN on the Promela twin `spin/independent-6x9.pml`, reduction off
 *   (`-DNOREDUCE`), run only when `spin` and `cc` are on the PATH; the line says when it was
 *   skipped. SPIN's state count must equal drmstate's. The target: a third of SPIN.
 *
 * Plain TypeScript (no vitest): `runCheckerBench()` returns one result per benchmark in the
 * JSON-line shape of `DESIGN.md`. `CHECKER_BENCH_MODEL` names another bundled model for the large
 * runs (e.g. `independent-4x9` for a quick run). Run under `node --expose-gc` for a stable heap figure.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assign, setup } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { DEFAULT_CHECK_KERNEL } from '../../src/checker/CheckKernel.js';
import { type CheckResult, check } from '../../src/checker/check.js';
import { type State, type TaskRt, Explorer, initialState } from '../../src/checker/Explorer.js';
import { type Model, loadModel } from '../../src/checker/model.js';
import { compileModel } from '../../src/checker/program.js';
import { SeenSet } from '../../src/checker/SeenSet.js';
import type { BenchResult } from './drmMm.bench.js';
import { onPath } from './native.js';

/** A checker benchmark's result: as {@link BenchResult}, but a skipped comparison has no ratio. */
export interface CheckerBenchResult extends Omit<BenchResult, 'ratio'> {
  readonly ratio: number | null;
}

/** The repository root: this file runs as `dist/test/bench/checker.bench.js`. */
function repoRoot(): string {
  for (const up of ['../../../', '../../']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'models')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

const ROOT = repoRoot();
/**
 * The large model: `test/bench/spin/independent-6x9.model.json`, beside its Promela twin (kept out
 * of `models/`, where every test of the bundled models and `npm start` would spend half a minute
 * on it); `CHECKER_BENCH_MODEL` names another, in `test/bench/spin/` or `models/`.
 */
const LARGE = process.env.CHECKER_BENCH_MODEL ?? 'independent-6x9';
/** The model small enough for getAdjacencyMap: 10^4 states, the shape of the large one. */
const SMALL = 'independent-4x9';
const SPIN_DIR = join(ROOT, 'test', 'bench', 'spin');
/** Seconds of timed runs each side of the getAdjacencyMap comparison gets (at least). */
const ADJ_BUDGET = 3;

function model(name: string): Model {
  const twin = join(SPIN_DIR, `${name}.model.json`);
  return loadModel(existsSync(twin) ? twin : join(ROOT, 'models', `${name}.model.json`));
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The plain baseline seen-set: a JS `Set` of the fingerprint as 16 hex digits. */
class StringSeenSet {
  readonly set = new Set<string>();
  add(lo: number, hi: number): boolean {
    const key = hex8(hi) + hex8(lo);
    if (this.set.has(key)) return false;
    this.set.add(key);
    return true;
  }
  /** Not measured during the search (see the bytes benchmark). */
  get bytes(): number {
    return 0;
  }
}

/** A counted check: its result, the process CPU seconds it took and the peak heap seen once a second. */
interface Counted {
  readonly r: CheckResult;
  readonly cpuSeconds: number;
  readonly peakHeap: number;
}

/**
 * Checks `m` and fails the bench when the state count is not the model's `expect`; with `collect`
 * (the default), from a collected heap.
 */
function checkCounted(m: Model, seen?: { add(lo: number, hi: number): boolean; readonly bytes: number }, collect = true): Counted {
  if (collect) gc();
  let peakHeap = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  const r = check(m, {
    ...(seen !== undefined ? { seen } : {}),
    progress: () => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    },
  });
  const c = process.cpuUsage(c0);
  if (r.result !== 'ok' || (m.expect?.states !== undefined && r.states !== m.expect.states))
    throw new Error(`checker bench: ${m.model} gave ${r.result} with ${r.states} states, expected ok with ${m.expect?.states}`);
  return { r, cpuSeconds: (c.user + c.system) / 1e6, peakHeap };
}

/** Heap bytes per entry of a `Set<string>` holding the 16-hex-digit keys of `n` fingerprints. */
function stringSetBytesPerEntry(n: number): number {
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const s = new StringSeenSet();
  // Spread 64-bit values (a multiplicative sequence), as fingerprints are.
  let lo = 1;
  let hi = 7;
  for (let i = 0; i < n; i++) {
    lo = (Math.imul(lo, 0x9e3779b1) + i) >>> 0;
    hi = (Math.imul(hi, 0x85ebca6b) ^ lo) >>> 0;
    s.add(lo, hi);
  }
  gc();
  const bytes = (process.memoryUsage().heapUsed - h0) / s.set.size;
  return bytes;
}

/** The checker's state as an xstate context: the world and every task's place. */
interface Ctx {
  readonly world: State['world'];
  readonly tasks: readonly TaskRt[];
}

/** A task's step, as an xstate event: task index and alternative. */
interface StepEvent {
  readonly type: 'step';
  readonly ti: number;
  readonly alt: number;
}

/**
 * getAdjacencyMap over a model written as an xstate machine: the context is the checker's state,
 * one `step` event per enabled task step, its successor computed by the checker's `Explorer`.
 * Returns the distinct states found and the seconds taken.
 */
function adjacencyMapRun(m: Model, keyed: 'snapshot' | 'fingerprint', collect = true): { states: number; seconds: number } {
  const kernel = DEFAULT_CHECK_KERNEL;
  const compiled = compileModel(kernel, m);
  const ex = new Explorer(kernel, compiled);
  const s0 = initialState(ex, kernel, compiled).state;
  const asState = (c: Ctx): State => ({ world: c.world, tasks: c.tasks, id: 0 });
  const machine = setup({
    types: { context: {} as Ctx, events: {} as StepEvent, input: {} as Ctx },
    actions: {
      /** Takes the task's step: the successor the checker's Explorer computes. */
      takeStep: assign(({ context, event }) => {
        const rs = ex.stepsOf(asState(context), event.ti);
        const r = Array.isArray(rs) ? rs[event.alt] : undefined;
        return r === undefined ? {} : { world: r.world, tasks: r.tasks };
      }),
    },
  }).createMachine({
    id: 'independent',
    context: ({ input }) => input,
    on: { step: { actions: 'takeStep' } },
  });
  const events = (snapshot: { context: Ctx }): StepEvent[] => {
    const out: StepEvent[] = [];
    const s = asState(snapshot.context);
    for (let ti = 0; ti < ex.programs.length; ti++) {
      const t = s.tasks[ti] as TaskRt;
      if (t.waiting || ex.isDone(ti, t)) continue;
      if (ti === ex.fin && !s.tasks.every((u, i) => i === ex.fin || ex.isDone(i, u))) continue;
      const starts: number[] = [];
      ex.starts(ti, t.pc, t.vars, starts);
      for (let alt = 0; alt < starts.length; alt++) out.push({ type: 'step', ti, alt });
    }
    return out;
  };
  if (collect) gc();
  const t0 = performance.now();
  const adj = getAdjacencyMap(machine, {
    events,
    input: { world: s0.world, tasks: s0.tasks },
    // The default key is JSON of the snapshot's value and context; the other keys by the checker's fingerprint.
    ...(keyed === 'fingerprint'
      ? {
          serializeState: (snapshot: { context: Ctx }) => {
            const h = ex.stateHash(snapshot.context.world, snapshot.context.tasks);
            return hex8(h.hi) + hex8(h.lo);
          },
        }
      : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  return { states: Object.keys(adj).length, seconds };
}

/**
 * The best of the timings of `f` (which returns seconds) over at least `runs` runs and at least
 * `budget` seconds of them: each side of a comparison gets the same time to reach its compiled
 * steady state (a short search needs several runs, a long one is there after one).
 */
function bestWithin(budget: number, runs: number, f: () => number): number {
  let best = Infinity;
  let spent = 0;
  for (let i = 0; i < runs || spent < budget; i++) {
    const t = f();
    best = Math.min(best, t);
    spent += t;
  }
  return best;
}

/** SPIN's search of a Promela file with reduction off: states stored and its states/s. */
function spinRun(pml: string): { states: number; rate: number; seconds: number; version: string } {
  const dir = mkdtempSync(join(tmpdir(), 'drmstate-spin-'));
  try {
    copyFileSync(pml, join(dir, 'model.pml'));
    const run = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`checker bench: ${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
      return r.stdout;
    };
    const version = run('spin', ['-V']).trim();
    run('spin', ['-a', 'model.pml']);
    run('cc', ['-O2', '-DNOREDUCE', '-DSAFETY', '-o', 'pan', 'pan.c']);
    const out = run('./pan', []);
    const states = Number(/(\d+) states, stored/.exec(out)?.[1]);
    const rate = Number(/pan: rate\s+([\d.]+) states\/second/.exec(out)?.[1]);
    const seconds = Number(/pan: elapsed time ([\d.e+-]+) seconds/.exec(out)?.[1]);
    if (!Number.isFinite(states) || !Number.isFinite(seconds)) throw new Error(`checker bench: cannot read pan's output:\n${out}`);
    // pan prints no rate when the search took under its clock's resolution.
    return { states, rate: Number.isFinite(rate) ? rate : states / Math.max(seconds, 1e-3), seconds, version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const k = (n: number): string => `${(n / 1000).toFixed(1)} k`;
const sizeName = (n: number): string => (Number.isInteger(Math.log10(n)) ? `10^${Math.log10(n)}` : String(n));

/**
 * Runs the checker benchmarks (about a minute on two cores, most of it two checks of 10^6 states)
 * and returns their results.
 *
 * @example
 *   for (const r of await runCheckerBench()) console.log(JSON.stringify(r));
 */
export async function runCheckerBench(): Promise<CheckerBenchResult[]> {
  const results: CheckerBenchResult[] = [];
  const large = model(LARGE);
  const small = model(SMALL);

  // Warm-up: the JIT sees the checker and xstate's traversal before anything is timed.
  checkCounted(small);
  adjacencyMapRun(small, 'snapshot');
  adjacencyMapRun(small, 'fingerprint');

  // (a) The typed-array seen-set against a Set<string>, same model, same successor function.
  const table = new SeenSet(1024);
  const typedRun = checkCounted(large, table);
  const plainRun = checkCounted(large, new StringSeenSet());
  const typed = typedRun.r;
  const plain = plainRun.r;
  const states = typed.states;
  const perCpu = (c: Counted): string => k(c.r.states / c.cpuSeconds);
  results.push({
    bench: `check states/s on ${large.model} (--reduce none, 1 worker)`,
    value: typed.statesPerSecond,
    unit: 'states/s',
    baseline: `the same check with a Set<string> seen-set keyed by the fingerprint's hex (${k(plain.statesPerSecond)} states/s); ${sizeName(states)} states, ${typed.transitions} transitions in ${typed.seconds.toFixed(1)} s; per CPU-second of the process: ${perCpu(typedRun)} vs ${perCpu(plainRun)}`,
    ratio: typed.statesPerSecond / plain.statesPerSecond,
  });

  // (b) Bytes per stored state: the table and the parent links, against a Set<string> of as many keys.
  const tableBytes = table.bytes / states;
  const linkBytes = typed.bytesPerState - tableBytes;
  const setBytes = stringSetBytesPerEntry(states);
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
  results.push({
    bench: `check bytes per stored state on ${large.model} (seen-set table + parent links; target ≤ 16)`,
    value: Number(typed.bytesPerState.toFixed(2)),
    unit: 'B/state',
    baseline:
      `heap bytes per entry of a Set<string> of ${sizeName(states)} fingerprints (${setBytes.toFixed(1)} B/entry)${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'}; ` +
      `this: ${tableBytes.toFixed(1)} B table (${table.bytes / 8} slots of 8 B at load ${(states / (table.bytes / 8)).toFixed(2)}) + ${linkBytes.toFixed(1)} B parent links (4 B parent + a 1 B index into the distinct actions per state, in pages of 65,536); ` +
      `peak heap during the check ${mb(typedRun.peakHeap)} (the frontier's worlds)`,
    ratio: typed.bytesPerState / setBytes,
  });

  // (c) xstate/graph getAdjacencyMap on a model small enough for it. Each side starts from a
  // collected heap and is then timed over consecutive runs, the best of those in ADJ_BUDGET seconds:
  // a forced full collection discards the optimised code whose embedded objects (the last search's
  // closures and states) died, so a 0.1 s search timed right after one measures V8 re-optimising
  // it (about 3× slower here), not the search.
  gc();
  const smallCheck = bestWithin(ADJ_BUDGET, 5, () => checkCounted(small, undefined, false).r.seconds);
  const smallRate = small.expect!.states! / smallCheck;
  const adjRateOf = (keyed: 'snapshot' | 'fingerprint'): number => {
    let found = 0;
    gc();
    const seconds = bestWithin(ADJ_BUDGET, 3, () => {
      const r = adjacencyMapRun(small, keyed, false);
      found = r.states;
      return r.seconds;
    });
    if (found !== small.expect!.states) throw new Error(`checker bench: getAdjacencyMap (${keyed}) found ${found} states of ${small.model}, expected ${small.expect!.states}`);
    return found / seconds;
  };
  const adjRate = adjRateOf('snapshot');
  const adjKeyedRate = adjRateOf('fingerprint');
  const adjStates = small.expect!.states!;
  results.push({
    bench: `check states/s on ${small.model} over xstate/graph getAdjacencyMap (target ≥ 20)`,
    value: Math.round(smallRate),
    unit: 'states/s',
    baseline: `getAdjacencyMap on ${small.model} (${sizeName(adjStates)} states) as an xstate machine whose context is the checker state, keyed by its default serializeSnapshot (${k(adjRate)} states/s; keyed by the checker's fingerprint instead: ${k(adjKeyedRate)} states/s)`,
    ratio: smallRate / adjRate,
  });

  // (d) The SPIN anchor: the Promela twin of the large model (when spin and cc are on the PATH).
  const pml = join(SPIN_DIR, `${large.model}.pml`);
  const label = `check states/s on ${large.model} over SPIN -DNOREDUCE on its Promela twin (target ≥ 0.33)`;
  if (!existsSync(pml)) {
    results.push({ bench: label, value: typed.statesPerSecond, unit: 'states/s', baseline: `skipped: no Promela twin test/bench/spin/${large.model}.pml`, ratio: null });
  } else if (!onPath('spin') || !onPath('cc')) {
    results.push({ bench: label, value: typed.statesPerSecond, unit: 'states/s', baseline: 'skipped: spin or cc is not on the PATH (apt-get install spin)', ratio: null });
  } else {
    const spin = spinRun(pml);
    if (spin.states !== states) throw new Error(`checker bench: SPIN stored ${spin.states} states of ${large.model}.pml, drmstate ${states}: the twin does not match`);
    results.push({
      bench: label,
      value: typed.statesPerSecond,
      unit: 'states/s',
      baseline: `${spin.version}, pan -DNOREDUCE -DSAFETY (cc -O2) on test/bench/spin/${large.model}.pml: ${spin.states} states stored, like drmstate, in ${spin.seconds} s (${k(spin.rate)} states/s)`,
      ratio: typed.statesPerSecond / spin.rate,
    });
  }
  return results;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  for (const r of await runCheckerBench()) console.log(JSON.stringify(r));
}
