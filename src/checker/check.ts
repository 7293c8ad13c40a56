import { DrmstateError } from '../errors.js';
import type { World } from '../world/World.js';
import { type CheckKernel, DEFAULT_CHECK_KERNEL } from './CheckKernel.js';
import { type Explorer as ExplorerT, type Finding, type RawFinding, type State, type TraceStep, Explorer, initialState } from './Explorer.js';
import { compareFindings, deadlockFinding, findingKey, invariantFinding } from './findings.js';
import type { Model, ModelExpect } from './model.js';
import { exploreParallel } from './parallel.js';
import { compileModel } from './program.js';
import { type Links, ParentLinks, arrayLinks } from './ParentLinks.js';
import { SeenSet, collisionProbability } from './SeenSet.js';

export type { Finding, TraceStep } from './Explorer.js';

/** Bounds and switches of one check. */
export interface CheckOptions {
  /** Stop with `limit` once this many distinct states are stored. */
  readonly maxStates?: number;
  /** Explore no deeper than this many steps (`limit` when states lie beyond). */
  readonly maxDepth?: number;
  /** Stop with `limit` after this many seconds. */
  readonly maxSeconds?: number;
  /** Collect one shortest finding per distinct kind/invariant instead of stopping at the first. */
  readonly keepGoing?: boolean;
  /**
   * `por`: ample-set partial-order reduction over steps of different tasks that touch disjoint
   * objects, then, when it finds something, a search of every interleaving no deeper than that
   * finding for the shortest trace (same verdicts and depths as `none`; `states` counts both
   * searches); `none` (default): every interleaving, so `states` counts are exact.
   */
  readonly reduce?: 'none' | 'por';
  /** The kernel to explore (default: drmstate's, every registered protocol). */
  readonly kernel?: CheckKernel;
  /** Called about once a second with the search's progress. */
  readonly progress?: (p: CheckProgress) => void;
  /**
   * The visited-state set (default: {@link SeenSet}). For benchmarks that compare seen-sets over
   * the same successor function.
   */
  readonly seen?: { add(lo: number, hi: number): boolean; readonly bytes: number };
  /**
   * Worker threads to search with (default 1: this thread). With N > 1 the verdict, finding kind,
   * `states`, `transitions` and `depth` are those of N = 1 (the trace may be another one of the same
   * length); see {@link exploreParallel}. A custom `kernel` or `seen` cannot be sent to a worker:
   * with either, the search is single-threaded whatever N is.
   */
  readonly workers?: number;
  /**
   * With `workers` > 1: the search runs in this thread first and moves to the workers (starting
   * afresh) only once it passes this many states (default {@link PARALLEL_FROM}; 0: workers from the
   * start). Starting the workers costs about half a second; most models are done sooner.
   */
  readonly parallelFrom?: number;
}

/** The states a search with workers explores in the calling thread before it starts them. */
export const PARALLEL_FROM = 20_000;

/** How far a running check has got. */
export interface CheckProgress {
  readonly states: number;
  readonly transitions: number;
  readonly queue: number;
  readonly depth: number;
  readonly seconds: number;
}

interface Counts {
  readonly model: string;
  readonly states: number;
  readonly transitions: number;
  /** For `ok` and `limit`: the deepest level explored; for a finding: its depth. */
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  /** TLC's optimistic estimate that a fingerprint collision hid a state. */
  readonly collisionProbability: number;
  /** Bytes of the seen-set and parent links per stored state. */
  readonly bytesPerState: number;
  /** Bytes of the seen-set alone per stored state. */
  readonly tableBytesPerState: number;
  /** Whether partial-order reduction was on (then `states` is not the exact count). */
  readonly reduce: 'none' | 'por';
}

/** What checking a model gives, discriminated on `result`. */
export type CheckResult =
  | (Counts & { readonly result: 'ok' })
  | (Counts & { readonly result: 'limit'; readonly bound: 'states' | 'depth' | 'seconds' })
  | (Counts & { readonly result: Finding['result']; readonly finding: Finding; readonly findings: readonly Finding[] });

/**
 * Explores every interleaving of a model's tasks breadth-first and returns the verdict: `ok`, the
 * shortest finding, or `limit` when a bound was reached first.
 *
 * @throws {DrmstateError} `BAD_MODEL` for a malformed model (naming the task, the step and the field).
 * @example
 *   const r = check(loadModel('models/fence-put-before-add-callback.model.json'));
 *   if (r.result === 'violation') console.log(r.finding.kind, r.finding.depth);
 */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  const first = search(model, options);
  if (options.reduce !== 'por' || !('finding' in first)) return first;
  // Partial-order reduction keeps every finding reachable, but it may postpone the step that finds
  // it behind independent steps of other tasks, so the reduced trace need not be a shortest one.
  // The verdict is known now; a search of every interleaving no deeper than it finds the shortest.
  const deepest = Math.max(...first.findings.map((f) => f.depth));
  const exact = search(model, { ...options, reduce: 'none', maxDepth: deepest + 1 });
  return {
    ...exact,
    states: first.states + exact.states,
    transitions: first.transitions + exact.transitions,
    seconds: first.seconds + exact.seconds,
    statesPerSecond: Math.round((first.states + exact.states) / Math.max(first.seconds + exact.seconds, 1e-9)),
  } as CheckResult;
}

function search(model: Model, options: CheckOptions): CheckResult {
  const workers = options.workers ?? 1;
  const parallel = workers > 1 && options.kernel === undefined && options.seen === undefined;
  const from = options.parallelFrom ?? PARALLEL_FROM;
  if (parallel && from > 0) {
    // The same verdict and counts either way: keep this thread's answer when it came before `from` states.
    const maxStates = options.maxStates ?? Infinity;
    const first = search(model, { ...options, workers: 1, maxStates: Math.min(from, maxStates) });
    if (first.states < from || maxStates <= from) return first;
  }
  const kernel = options.kernel ?? DEFAULT_CHECK_KERNEL;
  const compiled = compileModel(kernel, model);
  const ex = new Explorer(kernel, compiled, options.reduce ?? 'none');
  const t0 = performance.now();
  const { state: s0, setupLines } = initialState(ex, kernel, compiled);
  const seen = options.seen ?? new SeenSet(1024);
  const h0 = ex.stateHash(s0.world, s0.tasks);
  seen.add(h0.lo, h0.hi);
  const own = new ParentLinks();
  let links: Links = own;
  let states = 1;
  let transitions = 0;
  let depth = 0;
  let frontier: State[] = [s0];
  const findings: { finding: RawFinding; parent: number; action: number; depth: number; key: string }[] = [];
  const kinds = new Set<string>();
  const maxStates = options.maxStates ?? Infinity;
  const maxDepth = options.maxDepth ?? Infinity;
  const maxMs = (options.maxSeconds ?? Infinity) * 1000;
  let bound: 'states' | 'depth' | 'seconds' | undefined;
  let lastProgress = t0;

  const note = (f: RawFinding, parent: number, action: number, d: number): void => {
    const key = findingKey(f);
    if (kinds.has(key)) return;
    kinds.add(key);
    findings.push({ finding: f, parent, action, depth: d, key });
  };

  const checkInvariants = (world: World, before?: World): Omit<Finding, 'depth' | 'trace' | 'task'> | undefined => invariantFinding(kernel, world, '', before);
  const inv0 = checkInvariants(s0.world);
  if (inv0 !== undefined) note({ ...inv0, task: 'setup' }, 0, 0xffffffff, 0);

  let bytes: number | undefined;
  let tableBytes: number | undefined;
  if (parallel) {
    const p = exploreParallel(model, workers, options, findings.length > 0, t0);
    ({ states, transitions, depth, bound, bytes, tableBytes } = p);
    links = arrayLinks(p.parents, p.actions, p.bytes);
    for (const f of p.findings) note(f.finding, f.parent, f.action, f.depth);
    frontier = [];
  }
  search: while (frontier.length > 0) {
    if (depth >= maxDepth) {
      bound = 'depth';
      break;
    }
    const next: State[] = [];
    for (const s of frontier) {
      const { enabled, waiting } = ex.successors(s, (r, action) => {
        transitions++;
        const task = ex.taskName(Math.floor(action / 65536));
        if (r.finding !== undefined) {
          note(r.finding, s.id, action, depth + 1);
          if (r.finding.result === 'unknown_object' || !options.keepGoing) return;
        }
        const h = ex.stateHash(r.world, r.tasks);
        if (!seen.add(h.lo, h.hi)) return;
        const id = states++;
        own.set(id, s.id, action);
        const ns: State = { world: r.world, tasks: r.tasks, id };
        const bad = checkInvariants(r.world, s.world);
        if (bad !== undefined) note({ ...bad, task }, s.id, action, depth + 1);
        next.push(ns);
        return;
      });
      if (!enabled && !ex.allDone(s)) note(deadlockFinding(waiting), s.id, 0xffffffff, depth);
      if (states >= maxStates) {
        bound = 'states';
        break search;
      }
      const now = performance.now();
      if (now - t0 > maxMs) {
        bound = 'seconds';
        break search;
      }
      if (options.progress !== undefined && now - lastProgress > 1000) {
        lastProgress = now;
        options.progress({ states, transitions, queue: next.length, depth: depth + 1, seconds: (now - t0) / 1000 });
      }
    }
    if (findings.length > 0 && !options.keepGoing) break;
    if (next.length === 0) break;
    depth++;
    frontier = next;
  }
  const seconds = (performance.now() - t0) / 1000;
  const counts = {
    model: model.model,
    states,
    transitions,
    seconds,
    statesPerSecond: seconds > 0 ? Math.round(states / seconds) : states,
    collisionProbability: collisionProbability(states, transitions),
    bytesPerState: (bytes ?? seen.bytes + links.bytes) / states,
    tableBytesPerState: (tableBytes ?? seen.bytes) / states,
    reduce: options.reduce ?? 'none',
  };
  if (findings.length > 0) {
    findings.sort(compareFindings);
    const built = findings.map((f) => buildFinding(ex, kernel, s0, setupLines, links, f));
    const first = built[0] as Finding;
    return { ...counts, depth: first.depth, result: first.result, finding: first, findings: built };
  }
  if (bound !== undefined) return { ...counts, depth, result: 'limit', bound };
  return { ...counts, depth, result: 'ok' };
}

/** Rebuilds a finding's trace from the parent links: the actions re-run from the initial state. */
function buildFinding(
  ex: ExplorerT,
  kernel: CheckKernel,
  s0: State,
  setupLines: readonly TraceStep[],
  links: Links,
  f: { finding: RawFinding; parent: number; action: number; depth: number },
): Finding {
  const path: number[] = [];
  if (f.action !== 0xffffffff) path.push(f.action);
  for (let id = f.parent; id !== 0; id = links.parent(id)) path.push(links.action(id));
  path.reverse();
  const trace: TraceStep[] = [...setupLines];
  ex.recording = true;
  let s = s0;
  let d = 0;
  for (const action of path) {
    const ti = Math.floor(action / 65536);
    const alt = action % 65536;
    const rs = ex.stepsOf(s, ti);
    const r = Array.isArray(rs) ? rs[alt] : undefined;
    if (r === undefined) throw new DrmstateError('BAD_MODEL', `internal: the trace of ${f.finding.kind} could not be rebuilt at depth ${d}`);
    d++;
    for (const line of r.lines) trace.push({ ...line, depth: d });
    s = { world: r.world, tasks: r.tasks, id: -1 };
  }
  void kernel;
  return { ...f.finding, depth: f.depth, trace };
}

/** Whether a result is what the model's `expect` says (or `ok` where it has none). */
export function matchesExpect(result: CheckResult, expect: ModelExpect | undefined): boolean {
  if (expect === undefined) return result.result === 'ok';
  if (result.result !== expect.result) return false;
  if ('finding' in result) {
    if (expect.kind !== undefined && result.finding.kind !== expect.kind) return false;
    if (expect.invariant !== undefined && result.finding.invariant !== expect.invariant) return false;
  }
  if (expect.depth !== undefined && result.depth !== expect.depth) return false;
  // A reduced search stores fewer states by design: the count is compared only when it is exact.
  if (expect.states !== undefined && result.reduce === 'none' && result.states !== expect.states) return false;
  return true;
}
