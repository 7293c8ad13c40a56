import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ComposedKernel } from '../../src/kernel/composeKernel.js';
import { KERNEL } from '../../src/kernel/protocols.js';
import { outcomeToJson } from '../../src/world/logFormat.js';
import type { World } from '../../src/world/World.js';

/** The folder of kernel-produced scenarios (a copy of shared/conformance). */
export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The scenario files of one protocol folder. */
export function fixtureFiles(protocol: string): string[] {
  return readdirSync(join(FIXTURES, protocol))
    .filter((f) => f.endsWith('.ndjson'))
    .sort();
}

/** An outcome normalised for comparison: violations by kind only. */
export function normalise(o: Record<string, unknown>): Record<string, unknown> {
  const vs = o.violations as { kind: string }[] | undefined;
  return vs === undefined ? o : { ...o, violations: vs.map((v) => v.kind) };
}

/** The first line of a scenario where the model's outcome differs from the kernel's. */
export interface ConformanceMismatch {
  readonly line: number;
  readonly event: unknown;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * Runs one kernel-produced scenario through the model (the default kernel, or `kernel`); returns
 * the first mismatch, if any. `onWorld` sees the world after every line.
 */
export function runFixture(
  path: string,
  options: { kernel?: ComposedKernel; onWorld?: (world: World) => void } = {},
): { lines: number; mismatch?: ConformanceMismatch } {
  const kernel = options.kernel ?? KERNEL;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  let world: World = kernel.initialWorld();
  for (let i = 0; i < lines.length; i++) {
    const { event, outcome } = JSON.parse(lines[i] as string) as { event: unknown; outcome: Record<string, unknown> };
    let actual: unknown;
    try {
      const r = kernel.apply(world, event);
      world = r.world;
      options.onWorld?.(world);
      actual = normalise(outcomeToJson(r.outcome) as Record<string, unknown>);
    } catch (e) {
      actual = { threw: String(e) };
    }
    const expected = normalise(outcome);
    if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected))) return { lines: i + 1, mismatch: { line: i + 1, event, expected, actual } };
  }
  return { lines: lines.length };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
