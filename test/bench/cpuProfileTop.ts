/**
 * Prints the top self-time functions of a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or
 * the drm_mm workload bench's `--profile` writes): `node dist/test/bench/cpuProfileTop.js FILE [N]`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The top `n` functions by self time, as `[self %, name (file:line)]`. */
export function topSelf(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, n = 25): [number, string][] {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const self = new Map<string, number>();
  let total = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i] as number);
    if (node === undefined) continue;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} (${f.url ? basename(f.url) : ''}${f.url ? `:${f.lineNumber + 1}` : ''})`;
    const dt = deltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => [(100 * v) / total, k]);
}

const file = process.argv[2];
if (file !== undefined && process.argv[1]?.endsWith('cpuProfileTop.js')) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof topSelf>[0];
  for (const [pct, name] of topSelf(p, Number(process.argv[3] ?? 25))) console.log(`${pct.toFixed(1).padStart(5)}%  ${name}`);
}
