import type { AnyMachineSnapshot, AnyStateNode } from 'xstate';
import { authoredBranches, branchId, compileMachine, decide } from '../../machines/machineTable.js';
import { type GeneratedPath, generatePaths, leafOf } from './generatePaths.js';
import type { Answer, AnyMachineAdapter } from './MachineAdapter.js';

/** A path whose run failed: where, and why. */
export interface PathFailure {
  readonly path: string;
  /** 0 for the initial state, else the 1-based step. */
  readonly step: number;
  readonly message: string;
}

/** The coverage line of one machine, as `drmstate paths --coverage --json` prints it. */
export interface MachineCoverage {
  readonly machine: string;
  readonly states: { readonly covered: number; readonly total: number };
  readonly transitions: { readonly covered: number; readonly total: number };
  readonly failures: readonly PathFailure[];
  /** How many paths ran. */
  readonly paths: number;
  /** States and transitions no passing path reached. */
  readonly uncovered: { readonly states: readonly string[]; readonly transitions: readonly string[] };
}

function allStatePaths(node: AnyStateNode): string[] {
  const kids = Object.values(node.states) as AnyStateNode[];
  return [...(node.path.length > 0 ? [node.path.join('.')] : []), ...kids.flatMap(allStatePaths)];
}

function checkAnswer(answer: Answer, meta: { errno?: string; violation?: string; refused?: boolean; blocked?: boolean }): string | undefined {
  if (meta.blocked) return answer.blocked ? undefined : 'expected the call to block';
  if (answer.blocked) return 'the call blocked, the machine says it does not';
  if (meta.errno !== undefined && answer.errno !== meta.errno) return `expected errno ${meta.errno}, got ${answer.errno ?? 'none'}`;
  if (meta.errno === undefined && answer.errno !== undefined) return `unexpected errno ${answer.errno}`;
  if (meta.violation !== undefined && !answer.violations.some((v) => v.kind === meta.violation))
    return `expected a ${meta.violation} violation, got ${JSON.stringify(answer.violations.map((v) => v.kind))}`;
  if (meta.violation === undefined && answer.violations.length > 0) return `unexpected violations ${JSON.stringify(answer.violations.map((v) => v.kind))}`;
  if (meta.refused && answer.ok) return 'expected the call to be refused';
  if (!meta.refused && meta.errno === undefined && !meta.blocked && !answer.ok) return 'expected the call to succeed';
  return undefined;
}

/**
 * Runs one generated path against the implementation: checks the initial state, then performs each
 * event through the API, checks its answer against the branch the machine takes, and checks the
 * state reached. Returns the branches and states it covered, or the failure.
 */
export function runPath(
  adapter: AnyMachineAdapter,
  path: GeneratedPath,
): { ok: true; branches: string[]; states: string[] } | { ok: false; failure: PathFailure } {
  const table = compileMachine(adapter.machine);
  const branches: string[] = [];
  const states: string[] = [];
  const check = (snap: AnyMachineSnapshot, sut: unknown, step: number): PathFailure | undefined => {
    const leaf = leafOf(snap);
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) {
      const key = parts.slice(0, i).join('.');
      const c = adapter.checks[key];
      try {
        c?.(sut, snap);
      } catch (e) {
        return { path: path.description, step, message: `in state ${key}: ${(e as Error).message}` };
      }
      states.push(key);
    }
    return undefined;
  };
  let sut: unknown;
  try {
    sut = adapter.setup();
  } catch (e) {
    return { ok: false, failure: { path: path.description, step: 0, message: `setup: ${(e as Error).message}` } };
  }
  let prev = path.initial;
  const f0 = check(prev, sut, 0);
  if (f0) return { ok: false, failure: f0 };
  for (let i = 0; i < path.steps.length; i++) {
    const { event, state } = path.steps[i] as GeneratedPath['steps'][number];
    const branch = decide(table, leafOf(prev), event.type, prev.context, event);
    if (branch === undefined) return { ok: false, failure: { path: path.description, step: i + 1, message: `no branch for ${event.type} in ${leafOf(prev)}` } };
    if (branch.target !== leafOf(state))
      return {
        ok: false,
        failure: { path: path.description, step: i + 1, message: `table says ${branch.target}, xstate says ${leafOf(state)} for ${event.type}` },
      };
    let answer: Answer;
    try {
      answer = adapter.exec(sut, event, branch, prev);
    } catch (e) {
      return { ok: false, failure: { path: path.description, step: i + 1, message: `${event.type}: ${(e as Error).message}` } };
    }
    const wrong = checkAnswer(answer, branch.meta);
    if (wrong) return { ok: false, failure: { path: path.description, step: i + 1, message: `${event.type} (${branch.description}): ${wrong}` } };
    branches.push(branchId(branch, event.type));
    const f = check(state, sut, i + 1);
    if (f) return { ok: false, failure: f };
    prev = state;
  }
  return { ok: true, branches, states };
}

/**
 * Generates every path of a machine and runs them all against the implementation: the coverage of
 * states and authored transitions by passing paths, and every failure.
 *
 * @example
 *   const c = runMachinePaths(dmaFenceAdapter);
 *   c.transitions.covered === c.transitions.total;
 */
export function runMachinePaths(adapter: AnyMachineAdapter): MachineCoverage {
  const table = compileMachine(adapter.machine);
  const allBranches = authoredBranches(table);
  const allStates = allStatePaths(adapter.machine.root);
  const coveredB = new Set<string>();
  const coveredS = new Set<string>();
  const failures: PathFailure[] = [];
  const paths = generatePaths(adapter);
  for (const p of paths) {
    const r = runPath(adapter, p);
    if (!r.ok) {
      failures.push(r.failure);
      continue;
    }
    for (const b of r.branches) coveredB.add(b);
    for (const s of r.states) coveredS.add(s);
  }
  const statesCovered = allStates.filter((s) => coveredS.has(s));
  const branchesCovered = [...allBranches.keys()].filter((b) => coveredB.has(b));
  return {
    machine: adapter.machine.id,
    states: { covered: statesCovered.length, total: allStates.length },
    transitions: { covered: branchesCovered.length, total: allBranches.size },
    failures,
    paths: paths.length,
    uncovered: {
      states: allStates.filter((s) => !coveredS.has(s)),
      transitions: [...allBranches.keys()].filter((b) => !coveredB.has(b)),
    },
  };
}
