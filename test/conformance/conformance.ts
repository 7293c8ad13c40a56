import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ComposedKernel } from '../../src/kernel/composeKernel.js';
import { KERNEL } from '../../src/kernel/protocols.js';
import { readScenarioLine } from '../../src/cli/scenarioLine.js';
import { expectationFailure } from '../../src/world/expect.js';
import { type OutcomeJson, outcomeToJson } from '../../src/world/logFormat.js';
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
 * Runs one conformance scenario through the model (the default kernel, or `kernel`); returns the
 * first mismatch, if any. Reads both line forms of the conformance README: `{event, outcome}`
 * (the kernel's whole outcome, compared exactly, violations by kind) and `{event, expect,
 * expect_violation?, expect_no_violations?}` (a subset of the outcome, read from the source),
 * with `{comment}` lines skipped. `onWorld` sees the world after every call.
 */
export function runFixture(
  path: string,
  options: { kernel?: ComposedKernel; onWorld?: (world: World) => void } = {},
): { lines: number; mismatch?: ConformanceMismatch } {
  const kernel = options.kernel ?? KERNEL;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  let world: World = kernel.initialWorld();
  for (let i = 0; i < lines.length; i++) {
    const line = readScenarioLine(JSON.parse(lines[i] as string));
    if (line.kind === 'comment') continue;
    if (line.kind === 'call') throw new Error(`${path}:${i + 1}: a conformance line says what the call answers`);
    let actual: unknown;
    let json: OutcomeJson | undefined;
    try {
      const r = kernel.apply(world, line.event);
      world = r.world;
      options.onWorld?.(world);
      json = outcomeToJson(r.outcome) as OutcomeJson;
      actual = normalise(json as Record<string, unknown>);
    } catch (e) {
      actual = { threw: String(e) };
    }
    if (line.kind === 'outcome') {
      const expected = normalise(line.outcome as Record<string, unknown>);
      if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(expected)))
        return { lines: i + 1, mismatch: { line: i + 1, event: line.event, expected, actual } };
    } else {
      const failure = json === undefined ? 'the call threw' : expectationFailure(json, line.expectation);
      if (failure !== undefined) return { lines: i + 1, mismatch: { line: i + 1, event: line.event, expected: { ...line.expectation, failure }, actual } };
    }
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
