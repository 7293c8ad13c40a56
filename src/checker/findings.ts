import type { InvariantMemo } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import type { CheckKernel } from './CheckKernel.js';
import type { RawFinding } from './Explorer.js';

/** The action of a finding that is no step (a deadlock, an invariant false in the initial state). */
export const NO_ACTION = 0xffffffff;

/** A finding as a search notes it: where it was found, before its trace is rebuilt. */
export interface NotedFinding {
  readonly finding: RawFinding;
  /** The id of the state it was found from (or in, for a deadlock). */
  readonly parent: number;
  /** The step taken from `parent` ({@link NO_ACTION}: none). */
  readonly action: number;
  readonly depth: number;
  /** What makes two findings the same for `--keep-going`: the result and the kind or invariant. */
  readonly key: string;
}

/** The key that tells findings apart: `invariant:<name>`, else `<result>:<kind>`. */
export function findingKey(f: RawFinding): string {
  return f.result === 'invariant' ? `invariant:${f.invariant}` : `${f.result}:${f.kind}`;
}

/**
 * The first of the kernel's invariants that is false in `world`, as a finding of `task`'s step; with
 * `before` (the world the step started from), only those the step can have changed. `memo` is the
 * search's cache for the invariants (see {@link InvariantMemo}).
 */
export function invariantFinding(kernel: CheckKernel, world: World, task: string, before?: World, memo?: InvariantMemo): RawFinding | undefined {
  for (const inv of kernel.invariantsToCheck(before, world))
    if (!inv.holds(world, memo))
      return { result: 'invariant', kind: 'invariant', invariant: inv.name, statement: inv.statement, message: `invariant ${inv.name} is false: ${inv.statement}`, task };
  return undefined;
}

/** The deadlock of a state where some task is unfinished and no step is enabled. */
export function deadlockFinding(waiting: readonly string[]): RawFinding {
  return { result: 'deadlock', kind: 'deadlock', message: `no task can move on: ${waiting.join('; ')}`, task: waiting[0]?.split(' ')[0] ?? '' };
}

/**
 * The order findings are reported in: the shallowest first; among equally shallow ones, by key, so
 * that the verdict depends neither on the order successors were generated in nor on how many
 * workers generated them.
 */
export function compareFindings(a: NotedFinding, b: NotedFinding): number {
  return a.depth - b.depth || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
