/**
 * Prints the top functions of a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or the drm_mm
 * workload bench's `--profile` writes), by self time, or with `--inclusive` by time including
 * callees: `node dist/test/bench/cpuProfileTop.js FILE [N] [--inclusive]`.
 *
 * A sample stands for the interval up to the next sample (`timeDeltas[i + 1]`), as DevTools counts
 * it: `timeDeltas[0]` is the time from the profile's start to its first sample, which can be long
 * (the profiler starts before the profiled code runs) and belongs to no sample.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** A V8 CPU profile, the parts read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

function label(node: ProfileNode): string {
  const f = node.callFrame;
  return `${f.functionName || '(anonymous)'} (${f.url ? basename(f.url) : ''}${f.url ? `:${f.lineNumber + 1}` : ''})`;
}

/**
 * The top `n` functions, as `[%, name (file:line)]`: by self time, or with `inclusive` by the time
 * of the samples whose stack holds the function (counted once per sample, recursion included).
 */
export function top(profile: CpuProfile, n = 25, inclusive = false): [number, string][] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const time = new Map<string, number>();
  let total = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    total += dt;
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = inclusive ? parent.get(id) : undefined) {
      const node = byId.get(id);
      if (node === undefined) break;
      const key = label(node);
      if (seen.has(key)) continue;
      seen.add(key);
      time.set(key, (time.get(key) ?? 0) + dt);
    }
  }
  return [...time.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => [total === 0 ? 0 : (100 * v) / total, k]);
}

/** The top `n` functions by self time. */
export function topSelf(profile: CpuProfile, n = 25): [number, string][] {
  return top(profile, n, false);
}

const args = process.argv.slice(2);
if (args.length > 0 && process.argv[1]?.endsWith('cpuProfileTop.js')) {
  const inclusive = args.includes('--inclusive');
  const [file, count] = args.filter((a) => a !== '--inclusive');
  const p = JSON.parse(readFileSync(file as string, 'utf8')) as CpuProfile;
  for (const [pct, name] of top(p, Number(count ?? 25), inclusive)) console.log(`${pct.toFixed(1).padStart(5)}%  ${name}`);
}
