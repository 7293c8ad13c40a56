import { DrmstateError } from '../errors.js';
import { outcomeToJson } from '../world/logFormat.js';
import type { World } from '../world/World.js';
import { type CheckKernel, DEFAULT_CHECK_KERNEL } from './CheckKernel.js';
import { type Explorer as ExplorerT, type Finding, type RawFinding, type State, type TraceStep, Explorer, initialState } from './Explorer.js';
import { NO_ACTION, type NotedFinding, compareFindings, deadlockFinding, findingKey, invariantFinding } from './findings.js';
import type { Model, ModelExpect } from './model.js';
import { exploreParallel } from './parallel.js';
import { compileModel } from './program.js';
import { type Links, ParentLinks, arrayLinks } from './ParentLinks.js';
import { Accumulated, ExpansionCounts } from './uptime.js';
import { SeenSet, collisionProbability } from './SeenSet.js';
import type { InvariantMemo } from '../world/Protocol.js';

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
  // Facts accumulated across transitions (lockdep's graph) live in this thread's search: no workers.
  const parallel = workers > 1 && options.kernel === undefined && options.seen === undefined && DEFAULT_CHECK_KERNEL.uptimes.length === 0;
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
  const acc = new Accumulated(kernel.uptimes);
  const setup = initialState(ex, kernel, compiled);
  const { setupLines } = setup;
  acc.harvest(setup.state.world, { parent: -1, action: NO_ACTION, depth: 0, blocked: false });
  const s0: State = acc.active ? { ...setup.state, world: acc.strip(setup.state.world) } : setup.state;
  /** For each expanded state, how many accumulated facts its expansion saw (to rebuild traces exactly). */
  const expandedAt = new ExpansionCounts();
  const seen = options.seen ?? new SeenSet(1024);
  const h0 = ex.stateHash(s0.world, s0.tasks);
  seen.add(h0.lo, h0.hi);
  const own = new ParentLinks();
  let links: Links = own;
  let states = 1;
  let transitions = 0;
  let depth = 0;
  let frontier: State[] = [s0];
  const findings: NotedFinding[] = [];
  const kinds = new Set<string>();
  const maxStates = options.maxStates ?? Infinity;
  const maxDepth = options.maxDepth ?? Infinity;
  const maxMs = (options.maxSeconds ?? Infinity) * 1000;
  let bound: 'states' | 'depth' | 'seconds' | undefined;
  let lastProgress = t0;
  let expanded = 0;

  const note = (f: RawFinding, parent: number, action: number, d: number): void => {
    const key = findingKey(f);
    if (kinds.has(key)) return;
    kinds.add(key);
    findings.push({ finding: f, parent, action, depth: d, key });
  };

  // The invariants' cache for this search's worlds (the drm_mm summaries live there).
  const memo: InvariantMemo = new WeakMap();
  const checkInvariants = (world: World, before?: World): Omit<RawFinding, 'task'> | undefined => invariantFinding(kernel, world, '', before, memo);
  const inv0 = checkInvariants(setup.state.world);
  if (inv0 !== undefined) note({ ...inv0, task: 'setup' }, 0, NO_ACTION, 0);

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
      // The state as the kernel sees it now: with every fact accumulated so far.
      const sx: State = acc.active ? { ...s, world: acc.inject(s.world) } : s;
      if (acc.active) expandedAt.note(s.id, acc.count);
      const { enabled, waiting } = ex.successors(
        sx,
        (r, action) => {
          transitions++;
          const task = ex.taskName(Math.floor(action / 65536));
          if (acc.active) acc.harvest(r.world, { parent: s.id, action, depth: depth + 1, blocked: false });
          if (r.finding !== undefined) {
            note(r.finding, s.id, action, depth + 1);
            if (r.finding.result === 'unknown_object' || !options.keepGoing) return;
          }
          const stored = acc.active ? acc.strip(r.world) : r.world;
          const h = ex.stateHash(stored, r.tasks);
          if (!seen.add(h.lo, h.hi)) return;
          const id = states++;
          own.set(id, s.id, action);
          const ns: State = { world: stored, tasks: r.tasks, id };
          const bad = checkInvariants(r.world, sx.world);
          if (bad !== undefined) note({ ...bad, task }, s.id, action, depth + 1);
          next.push(ns);
          return;
        },
        acc.active
          ? (b, action) => {
              // A call that sleeps is no transition, but what it recorded before sleeping counts.
              if (b.world !== undefined) acc.harvest(b.world, { parent: s.id, action, depth: depth + 1, blocked: true });
            }
          : undefined,
      );
      if (!enabled && !ex.allDone(s)) note(deadlockFinding(waiting), s.id, NO_ACTION, depth);
      if (states >= maxStates) {
        bound = 'states';
        break search;
      }
      // The clock, every 64 expansions (an expansion takes microseconds; reading the clock is not free).
      if ((expanded++ & 63) !== 0) continue;
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
    bytesPerState: (bytes ?? seen.bytes + links.bytes + expandedAt.bytes) / states,
    tableBytesPerState: (tableBytes ?? seen.bytes) / states,
    reduce: options.reduce ?? 'none',
  };
  if (findings.length > 0) {
    findings.sort(compareFindings);
    const rebuild: Rebuild = { ex, kernel, s0, setupLines, links, acc, expandedAt };
    const built = findings.map((f) => buildFinding(rebuild, f));
    const first = built[0] as Finding;
    return { ...counts, depth: first.depth, result: first.result, finding: first, findings: built };
  }
  if (bound !== undefined) return { ...counts, depth, result: 'limit', bound };
  return { ...counts, depth, result: 'ok' };
}

/** What rebuilding traces needs of a finished search. */
interface Rebuild {
  readonly ex: ExplorerT;
  readonly kernel: CheckKernel;
  readonly s0: State;
  readonly setupLines: readonly TraceStep[];
  readonly links: Links;
  readonly acc: Accumulated;
  readonly expandedAt: ExpansionCounts;
}

/**
 * The trace to a step: the setup, then the actions re-run from the initial state along the parent
 * links, each from its state as the search expanded it (with the facts accumulated by then), and
 * the step itself (a call that sleeps ends the trace with that call).
 */
function traceTo(rb: Rebuild, parent: number, action: number, blocked: boolean, what: string): TraceStep[] {
  const ids: number[] = [];
  for (let id = parent; id > 0; id = rb.links.parent(id)) ids.push(id);
  if (parent >= 0) ids.push(0);
  ids.reverse();
  const steps: { from: number; action: number; blocked: boolean }[] = [];
  for (let k = 1; k < ids.length; k++) steps.push({ from: ids[k - 1] as number, action: rb.links.action(ids[k] as number), blocked: false });
  if (parent >= 0 && action !== NO_ACTION) steps.push({ from: parent, action, blocked });
  const { ex, acc } = rb;
  const trace: TraceStep[] = [...rb.setupLines];
  ex.recording = true;
  let s = rb.s0;
  let d = 0;
  for (const st of steps) {
    const ti = Math.floor(st.action / 65536);
    const alt = st.action % 65536;
    const from: State = acc.active ? { ...s, world: acc.injectFirst(s.world, rb.expandedAt.at(st.from) ?? acc.count) } : s;
    const rs = ex.stepsOf(from, ti);
    d++;
    if (st.blocked) {
      if (rs === undefined || Array.isArray(rs) || rs.lines === undefined) throw new DrmstateError('BAD_MODEL', `internal: the trace of ${what} could not be rebuilt at depth ${d}`);
      for (const line of rs.lines) trace.push({ ...line, depth: d });
      break;
    }
    const r = Array.isArray(rs) ? rs[alt] : undefined;
    if (r === undefined) throw new DrmstateError('BAD_MODEL', `internal: the trace of ${what} could not be rebuilt at depth ${d}`);
    for (const line of r.lines) trace.push({ ...line, depth: d });
    s = { world: acc.active ? acc.strip(r.world) : r.world, tasks: r.tasks, id: -1 };
  }
  ex.recording = false;
  return trace;
}

/**
 * Rebuilds a finding's trace, and for each accumulated fact it rests on, the shortest trace that
 * recorded it. When some of those facts came from other interleavings, the trace records them
 * again right after the setup (`Protocol.uptime.prime`), so that `drmstate run` on it reproduces
 * the finding: the path's own lines are those the search saw, with those facts known.
 */
function buildFinding(rb: Rebuild, f: NotedFinding): Finding {
  let trace = traceTo(rb, f.parent, f.action, false, f.finding.kind);
  const { facts: keys, ...rest } = f.finding;
  const own = trace;
  const facts = (keys ?? []).map((fact) => {
    const w = rb.acc.witness(fact);
    const label = rb.acc.label(fact);
    // A fact no step recorded before is the finding step's own (the edge that closes a cycle).
    if (w === undefined) return { fact, label, depth: f.depth, trace: own };
    return { fact, label, depth: w.depth, trace: w.parent < 0 ? [...rb.setupLines] : traceTo(rb, w.parent, w.action, w.blocked, fact) };
  });
  const primes = facts.filter((x) => x.trace !== own && rb.acc.witness(x.fact)?.parent !== -1).flatMap((x) => rb.acc.prime(x.fact));
  if (primes.length > 0) {
    let world = rb.s0.world;
    const lines: TraceStep[] = [];
    for (const event of primes) {
      const r = rb.kernel.tryApply(world, event);
      if (!r.ok) break;
      world = r.world;
      lines.push({ task: 'setup', event, outcome: outcomeToJson(r.outcome), depth: 0 });
    }
    const n = rb.setupLines.length;
    trace = [...own.slice(0, n), ...lines, ...own.slice(n)];
  }
  const told = facts.map((x) => (x.trace === own ? { ...x, trace } : x));
  return { ...rest, depth: f.depth, trace, ...(told.length > 0 ? { facts: told } : {}) };
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
