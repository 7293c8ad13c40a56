/**
 * Benchmark of replay: rebuild the world from a log of 1,000,000 dma_fence calls with `replayLog`
 * (what `drmstate replay` runs), checking every outcome and fingerprint, against the time to merely
 * read the same file and `JSON.parse` each line (measured in the same run). Issue 2's target:
 * ratio ≤ 3. A second line does the same for a log of issue 9's seeded drm_mm workload (10^5 live
 * nodes built, then 10^5 mixed calls), the kind of captured allocator trace replay is for.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kernel } from '../../src/kernel/Kernel.js';
import { replayLog } from '../../src/kernel/replay.js';
import type { BenchResult } from './drmMm.bench.js';
import { makeWorkload } from './drmMmWorkload.js';

/**
 * Writes a log of `n` dma_fence calls: contexts, fences with callbacks, waits, signals, status
 * queries, errors, signalling sections and puts, in a repeating mix.
 */
export function writeFenceLog(path: string, n: number): void {
  const k = new Kernel({ logFile: path });
  let i = 0;
  let f = 0;
  const call = (e: Record<string, unknown>): void => {
    if (i < n) {
      k.call(e as never);
      i++;
    }
  };
  call({ type: 'dma_fence_context_alloc', ctx: 'ring' });
  while (i < n) {
    const fence = `f${f++}`;
    call({ type: 'dma_fence_init', fence, ctx: 'ring' });
    call({ type: 'dma_fence_add_callback', fence, cb: `cb${f % 64}` });
    call({ type: 'dma_fence_add_callback', fence, cb: `wake${f % 64}` });
    call({ type: 'dma_fence_get', fence });
    call({ type: 'dma_fence_begin_signalling', task: 'irq' });
    if (f % 7 === 0) call({ type: 'dma_fence_set_error', fence, error: -5 });
    call({ type: 'dma_fence_wait_timeout', fence, task: 'waiter', timeout: 0 });
    call({ type: 'dma_fence_signal', fence });
    call({ type: 'dma_fence_end_signalling', task: 'irq', cookie: false });
    call({ type: 'dma_fence_get_status', fence });
    call({ type: 'dma_fence_put', fence });
    call({ type: 'dma_fence_put', fence });
  }
  k.close();
}

/** Writes the seeded drm_mm workload (its build, then its mixed calls) as a log; returns the number of calls. */
export function writeDrmMmLog(path: string): number {
  const w = makeWorkload();
  const k = new Kernel({ logFile: path });
  for (const e of w.build) k.callJson(e);
  for (const e of w.mixed) k.callJson(e);
  k.close();
  return w.build.length + w.mixed.length;
}

/** Best of `rounds` interleaved timings of parsing the log's lines and of replaying it. */
function replayAgainstParse(path: string, n: number, rounds: number): { parseBest: number; replayBest: number } {
  // Best of each, interleaved, so both see the same machine state (on a shared machine either can
  // vary by a third from one round to the next).
  let parseBest = Infinity;
  let replayBest = Infinity;
  for (let round = 0; round < rounds; round++) {
    parseBest = Math.min(
      parseBest,
      time(() => {
        const lines = readFileSync(path, 'utf8').split('\n');
        let count = 0;
        for (const l of lines) if (l !== '') count += JSON.parse(l) ? 1 : 0;
        if (count !== n + 1) throw new Error(`parsed ${count} lines, expected ${n + 1}`);
      }),
    );
    replayBest = Math.min(
      replayBest,
      time(() => {
        const r = replayLog(readFileSync(path, 'utf8'));
        if (!r.ok) throw new Error(`replay mismatch at seq ${r.mismatch.seq}`);
      }),
    );
  }
  return { parseBest, replayBest };
}

function time(fn: () => void): number {
  // Each measurement starts from a collected heap, so neither pays for the other's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Runs the replay benchmark over `n` calls (default 10^6). */
export async function runReplayBench(n = 1_000_000): Promise<BenchResult[]> {
  const path = join(tmpdir(), `drmstate-bench-${process.pid}.log.ndjson`);
  writeFenceLog(path, n);
  const results: BenchResult[] = [];
  try {
    const { parseBest, replayBest } = replayAgainstParse(path, n, 5);
    results.push({
      bench: `replay of a ${n}-call dma_fence log, every outcome and fingerprint checked`,
      value: Math.round(n / replayBest),
      unit: 'events/s',
      baseline: `reading the same file and JSON.parse of each line (${parseBest.toFixed(2)} s; replay ${replayBest.toFixed(2)} s)`,
      ratio: replayBest / parseBest,
    });
  } finally {
    rmSync(path, { force: true });
  }
  const mmPath = join(tmpdir(), `drmstate-bench-${process.pid}.drm-mm.log.ndjson`);
  try {
    const calls = writeDrmMmLog(mmPath);
    const { parseBest, replayBest } = replayAgainstParse(mmPath, calls, 3);
    results.push({
      bench: `replay of a ${calls}-call drm_mm log (issue 9's seeded workload: 10^5 nodes built, then 10^5 mixed calls), every outcome and fingerprint checked`,
      value: (replayBest / calls) * 1e6,
      unit: 'us/call',
      baseline: `reading the same file and JSON.parse of each line (${parseBest.toFixed(2)} s; replay ${replayBest.toFixed(2)} s)`,
      ratio: replayBest / parseBest,
    });
  } finally {
    rmSync(mmPath, { force: true });
  }
  return results;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  for (const r of await runReplayBench(n)) console.log(JSON.stringify(r));
}
