/**
 * `npm run bench`: every benchmark, ending with one JSON line per result:
 * `{ "bench", "value", "unit", "baseline", "ratio" }` — the ratio is the measurement divided by a
 * baseline measured in the same run, and `baseline` says what that was.
 */
import { runDrmMmBench } from './drmMm.bench.js';
import { runDrmMmDescentBench } from './drmMmDescent.bench.js';
import { runDrmMmWorkloadBench } from './drmMmWorkload.bench.js';
import { runReplayBench } from './replay.bench.js';
import { runTryApplyBench } from './tryApply.bench.js';
import { runSuccessorBench } from './successor.bench.js';
import { runCheckerBench } from './checker.bench.js';
import { runParallelBench } from './parallel.bench.js';

const results = [];
// First: the checker's inner loop, before the other benchmarks' calls shape what V8 compiles (a
// check process runs nothing else; after the replay and tryApply benchmarks it measures a quarter
// slower).
process.stderr.write('tryApply + fingerprint per successor on small dma_fence worlds…\n');
results.push(...(await runSuccessorBench()));
process.stderr.write('replay benchmark (1,000,000 dma_fence calls, then a 200,001-call drm_mm log)…\n');
results.push(...(await runReplayBench()));
process.stderr.write('tryApply benchmark…\n');
results.push(...(await runTryApplyBench()));
process.stderr.write('drm_mm benchmarks…\n');
results.push(...(await runDrmMmBench()));
process.stderr.write('drm_mm seeded workload (issue 9: 10^5 live nodes, 10^5 mixed calls) against the mutable port…\n');
results.push(...(await runDrmMmWorkloadBench()));
process.stderr.write('drm_mm tree descents at that size against the same shapes in typed arrays…\n');
results.push(...runDrmMmDescentBench());
process.stderr.write('checker benchmarks (10^6 states twice, getAdjacencyMap, SPIN when on the PATH)…\n');
results.push(...(await runCheckerBench()));
process.stderr.write('parallel checker (independent-6x9 with 1 and 2 workers)…\n');
results.push(...runParallelBench());
for (const r of results) console.log(JSON.stringify(r));
