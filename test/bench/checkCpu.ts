/**
 * The CPU time of one model's check, for before/after comparisons of the checker's hot path on a
 * shared machine (wall time there moves with the other load; the best CPU time of many runs much
 * less): `node --single-threaded dist/test/bench/checkCpu.js MODEL [RUNS]` prints the best CPU
 * milliseconds of RUNS checks (default 25) and the states per CPU-second. `--single-threaded`
 * keeps V8's collector on this thread, so that the CPU time is the search's own.
 */
import { pathToFileURL } from 'node:url';
import { check } from '../../src/checker/check.js';
import { loadModel } from '../../src/checker/model.js';

/** The best CPU seconds of `runs` checks of the model at `path`, and its state count. */
export function bestCheckCpu(path: string, runs = 25): { seconds: number; states: number } {
  const m = loadModel(path);
  let best = Infinity;
  let states = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const r = check(m, {});
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e6);
    states = r.states;
  }
  return { seconds: best, states };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const path = process.argv[2];
  if (path === undefined) {
    process.stderr.write('usage: node --single-threaded dist/test/bench/checkCpu.js MODEL [RUNS]\n');
    process.exitCode = 2;
  } else {
    const { seconds, states } = bestCheckCpu(path, process.argv[3] ? Number(process.argv[3]) : undefined);
    console.log(`${path}: ${states} states, best CPU ${(seconds * 1000).toFixed(1)} ms, ${Math.round(states / seconds)} states per CPU-second`);
  }
}
