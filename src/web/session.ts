/**
 * The simulator's state: one opened file (a model, a scenario or a log) and every step taken in
 * it so far, each with the world after it. The page draws a session; the session decides nothing
 * the library does not: worlds come from the kernel's `apply`, a model's enabled steps from the
 * model checker's own successor function.
 *
 * Browser-safe: it imports no Node module, so the page bundles it with the library.
 */
import { DEFAULT_CHECK_KERNEL } from '../checker/CheckKernel.js';
import { Explorer, type State, type StepResult, type TraceStep, initialState, renderCallText } from '../checker/Explorer.js';
import { type Model, parseModel } from '../checker/model.js';
import { compileModel } from '../checker/program.js';
import { scenarioTextLines } from '../cli/scenarioLine.js';
import { DrmstateError } from '../errors.js';
import { KERNEL } from '../kernel/protocols.js';
import type { Event } from '../world/Event.js';
import { expectationFailure, type Expectation } from '../world/expect.js';
import { type LogEntry, type OutcomeJson, encodeEntry, encodeHeader, eventToJson, outcomeToJson, parseLog, sameOutcomeJson } from '../world/logFormat.js';
import type { World } from '../world/World.js';

/** One call a step made: who made it, the event and what it answered. */
export interface Call {
  readonly task: string;
  readonly event: Event;
  readonly outcome: OutcomeJson;
}

/** One step of a session: the calls it made (several for an atomic block) and the world after. */
export interface Step {
  /** `t1: dma_fence_signal f`, or `line 3: …` for a scenario. */
  readonly label: string;
  readonly calls: readonly Call[];
  readonly world: World;
  /** What went wrong at this step, in words: a finding of the model, or a recorded outcome that differs. */
  readonly problem?: string;
}

/** Something the user can do next: a task's step (one per alternative) or the file's next line. */
export interface Choice {
  readonly id: number;
  readonly task: string;
  readonly label: string;
  /** False when the step would sleep (its call blocks) or the task waits in a queue. */
  readonly enabled: boolean;
  /** Why it is not enabled. */
  readonly why?: string;
}

/** What kind of file a session runs. */
export type SourceKind = 'model' | 'scenario' | 'log';

interface ModelRun {
  readonly ex: Explorer;
  /** The search state after each step; index 0 is the state after setup. */
  readonly states: State[];
}

interface LineRun {
  /** The calls of the file with what the file says they answer. */
  /** The calls of the file, with the task a trace line names (`"task"`) and what the file says they answer. */
  readonly lines: readonly { readonly line: number; readonly event: unknown; readonly task?: string; readonly outcome?: OutcomeJson; readonly expectation?: Expectation }[];
}

/** Whether the text starts with a drmstate log header. */
function isLog(text: string): boolean {
  const first = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  try {
    const v = JSON.parse(first) as { format?: unknown };
    return typeof v === 'object' && v !== null && v.format === 'drmstate-log';
  } catch {
    return false;
  }
}

/** The kind of a file, from its name and its first line. */
export function sourceKind(name: string, text: string): SourceKind {
  if (name.endsWith('.model.json')) return 'model';
  return isLog(text) ? 'log' : 'scenario';
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DrmstateError('BAD_MODEL', `not JSON: ${(e as Error).message}`, { file: name });
  }
}

function readLines(name: string, text: string): LineRun['lines'] {
  const out: { line: number; event: unknown; task?: string; outcome?: OutcomeJson; expectation?: Expectation }[] = [];
  for (const t of scenarioTextLines(text)) {
    let l;
    try {
      l = t.read();
    } catch (e) {
      throw e instanceof DrmstateError ? e.at({ file: name, line: t.line }) : e;
    }
    if (l.kind === 'comment') continue;
    const task = l.kind !== 'call' && l.task !== undefined ? { task: l.task } : {};
    if (l.kind === 'call') out.push({ line: t.line, event: l.event });
    else if (l.kind === 'outcome') out.push({ line: t.line, event: l.event, outcome: l.outcome, ...task });
    else out.push({ line: t.line, event: l.event, expectation: l.expectation, ...task });
  }
  return out;
}

/**
 * One opened file and the steps taken in it. `take` steps on, `undo` steps back, `worldAt` reads
 * the world after any step so far (a time slider over the history).
 *
 * @example
 *   const s = Session.open('fence-add-callback.model.json', text);
 *   s.take(s.choices().find((c) => c.enabled)!.id);
 *   s.undo();
 */
export class Session {
  /** The steps so far; `steps[0]` is the start (after a model's setup), with no calls of its own unless it has setup. */
  readonly steps: Step[] = [];
  private readonly model?: ModelRun;
  private readonly file?: LineRun;

  private constructor(
    readonly name: string,
    readonly kind: SourceKind,
    source: { model?: Model; lines?: LineRun['lines'] },
  ) {
    if (source.model !== undefined) {
      const kernel = DEFAULT_CHECK_KERNEL;
      const ex = new Explorer(kernel, compileModel(kernel, source.model));
      ex.recording = true;
      const { state, setupLines } = initialState(ex, kernel, ex.compiled);
      this.model = { ex, states: [state] };
      this.steps.push({ label: 'setup', calls: setupLines.map(toCall), world: state.world });
    } else {
      this.file = { lines: source.lines ?? [] };
      this.steps.push({ label: 'start', calls: [], world: KERNEL.initialWorld() });
    }
  }

  /**
   * Opens a file by its name and text: `*.model.json` is a model; a text whose first line is a
   * drmstate log header is a log; anything else is a scenario (one event per line, or the
   * `{event, outcome}` / `{event, expect}` forms, as `drmstate check --trace` writes them).
   *
   * @throws {DrmstateError} naming the file (and the line, task or step) when it cannot be read.
   */
  static open(name: string, text: string): Session {
    const kind = sourceKind(name, text);
    if (kind === 'model') return new Session(name, kind, { model: parseModel(parseJson(name, text), name) });
    if (kind === 'log') {
      const entries: readonly LogEntry[] = parseLog(text, { file: name }).entries;
      return new Session(name, kind, { lines: entries.map((e, i) => ({ line: i + 2, event: e.event, outcome: e.outcome })) });
    }
    return new Session(name, kind, { lines: readLines(name, text) });
  }

  /** The model's description, or empty. */
  get description(): string {
    return this.model?.ex.compiled.model.description ?? '';
  }

  /** The model's task names (a file's: the tasks its lines or events name). */
  get tasks(): readonly string[] {
    if (this.model !== undefined) return this.model.ex.programs.map((p) => p.task);
    const names = new Set<string>();
    for (const l of this.file?.lines ?? []) {
      const t = lineTask(l);
      if (t !== '') names.add(t);
    }
    return [...names];
  }

  /** The world after the last step. */
  get world(): World {
    return (this.steps[this.steps.length - 1] as Step).world;
  }

  /** The world after step `i` (0: the start). */
  worldAt(i: number): World {
    const s = this.steps[Math.max(0, Math.min(i, this.steps.length - 1))] as Step;
    return s.world;
  }

  /** Where each model task stands after step `i`: `done`, `waits (queued)`, or the next call. */
  taskPositions(i = this.steps.length - 1): { readonly task: string; readonly at: string }[] {
    const m = this.model;
    if (m === undefined) return [];
    const s = m.states[Math.min(i, m.states.length - 1)] as State;
    return m.ex.programs.map((p, ti) => {
      const t = s.tasks[ti];
      if (t === undefined) return { task: p.task, at: '' };
      if (t.waiting) return { task: p.task, at: 'waits (queued)' };
      if (m.ex.isDone(ti, t)) return { task: p.task, at: 'done' };
      const ins = p.code[t.pc];
      return { task: p.task, at: ins?.op === 'call' ? `next: ${renderCallText(ins.event as Event)}` : 'choosing' };
    });
  }

  /** What can be done next, in a fixed order: every task's alternatives, or the file's next line. */
  choices(): Choice[] {
    const m = this.model;
    if (m !== undefined) {
      const s = m.states[m.states.length - 1] as State;
      const out: Choice[] = [];
      m.ex.programs.forEach((p, ti) => {
        const r = m.ex.stepsOf(s, ti);
        if (r === undefined) return;
        if (!Array.isArray(r)) {
          out.push({ id: ti * 65536, task: p.task, label: `${p.task}: ${r.blocked}`, enabled: false, why: 'the call would sleep' });
          return;
        }
        r.forEach((alt, ai) => {
          const first = alt.lines.find((l) => l.task === p.task) ?? alt.lines[0];
          const call = first === undefined ? '(ends)' : renderCallText(first.event);
          out.push({ id: ti * 65536 + ai, task: p.task, label: `${p.task}: ${call}${r.length > 1 ? ` (choice ${ai + 1})` : ''}`, enabled: true });
        });
      });
      return out;
    }
    const next = this.file?.lines[this.steps.length - 1];
    if (next === undefined) return [];
    const task = lineTask(next);
    const type = (next.event as { type?: unknown } | null)?.type;
    const call = typeof type === 'string' ? renderCallText(next.event as Event) : JSON.stringify(next.event);
    return [{ id: 0, task, label: `line ${next.line}: ${task === '' ? '' : `${task}: `}${call}`, enabled: true }];
  }

  /**
   * Takes a choice from {@link choices}. A model step runs the task's call (and the rest of its
   * atomic block); a file step applies the next line and compares what it answered with what the
   * file recorded.
   *
   * @throws {DrmstateError} `BAD_CHOICE` for a choice that is not offered now; a file line the
   *   kernel rejects as misuse is reported with the line, and the session is left as it was.
   */
  take(id: number): Step {
    const choice = this.choices().find((c) => c.id === id);
    if (choice === undefined || !choice.enabled) throw new DrmstateError('BAD_ARGUMENT', `choice ${id} is not enabled now`);
    const m = this.model;
    if (m !== undefined) {
      const ti = Math.floor(id / 65536);
      const s = m.states[m.states.length - 1] as State;
      const alts = m.ex.stepsOf(s, ti);
      const r: StepResult | undefined = Array.isArray(alts) ? alts[id % 65536] : undefined;
      if (r === undefined) throw new DrmstateError('BAD_ARGUMENT', `choice ${id} is not enabled now`);
      const next: State = { world: r.world, tasks: r.tasks, id: m.states.length };
      m.states.push(next);
      const step: Step = { label: choice.label, calls: r.lines.map(toCall), world: r.world, ...(r.finding !== undefined ? { problem: `${r.finding.kind}: ${r.finding.message}` } : {}) };
      this.steps.push(step);
      return step;
    }
    const l = this.file?.lines[this.steps.length - 1];
    if (l === undefined) throw new DrmstateError('BAD_ARGUMENT', 'the file has no more lines');
    const r = KERNEL.tryApply(this.world, l.event);
    if (r.misuse !== undefined) throw new DrmstateError('BAD_LOG_LINE', r.misuse.message, { file: this.name, line: l.line, ...(r.misuse.field ? { field: r.misuse.field } : {}) });
    const outcome = outcomeToJson(r.outcome);
    const event = eventToJson(l.event as Event);
    let problem: string | undefined;
    if (l.outcome !== undefined && !sameOutcomeJson(outcome, l.outcome)) problem = `the outcome differs from the file's: expected ${JSON.stringify(l.outcome)}`;
    if (l.expectation !== undefined) {
      const f = expectationFailure(outcome, l.expectation);
      if (f !== undefined) problem = `the outcome differs from the file's: ${f}`;
    }
    const task = lineTask(l);
    const step: Step = { label: choice.label, calls: [{ task, event, outcome }], world: r.world, ...(problem !== undefined ? { problem } : {}) };
    this.steps.push(step);
    return step;
  }

  /** Steps back once; false at the start. */
  undo(): boolean {
    if (this.steps.length <= 1) return false;
    this.steps.pop();
    this.model?.states.pop();
    return true;
  }

  /** Whether every task has finished (a model) or every line ran (a file). */
  get finished(): boolean {
    const m = this.model;
    if (m !== undefined) return m.ex.allDone(m.states[m.states.length - 1] as State);
    return this.steps.length - 1 >= (this.file?.lines.length ?? 0);
  }

  /** Whether the session is stuck: unfinished, and nothing can move on (a deadlock of the model). */
  get deadlocked(): boolean {
    return !this.finished && !this.choices().some((c) => c.enabled);
  }

  /** Every call so far as a drmstate log (header, then one entry per call with its fingerprint), which `drmstate replay` checks. */
  toLog(): string {
    const lines = [encodeHeader()];
    let world = KERNEL.initialWorld();
    let seq = 0;
    for (const step of this.steps)
      for (const c of step.calls) {
        if ('misuse' in c.outcome) continue;
        const r = KERNEL.apply(world, c.event);
        world = r.world;
        lines.push(encodeEntry({ seq: ++seq, event: c.event, outcome: outcomeToJson(r.outcome), fingerprint: KERNEL.fingerprint(world) }));
      }
    return lines.join('\n') + '\n';
  }
}

/** The task a file line belongs to: the trace line's `task`, else the event's own `task` field, else none. */
function lineTask(l: { readonly event: unknown; readonly task?: string }): string {
  if (l.task !== undefined) return l.task;
  const t = (l.event as { task?: unknown } | null)?.task;
  return typeof t === 'string' ? t : '';
}

function toCall(l: Omit<TraceStep, 'depth'>): Call {
  return { task: l.task, event: l.event, outcome: l.outcome };
}
