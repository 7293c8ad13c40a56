import type { Event } from '../world/Event.js';
import { type Hash64, hashString } from '../world/hash.js';
import { type OutcomeJson, jsonEqual, outcomeToJson } from '../world/logFormat.js';
import type { Violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import type { CheckKernel, TryResult } from './CheckKernel.js';
import { type ResultKind, badModel, locationText } from './model.js';
import { outcomeContains } from '../world/expect.js';
import { Footprints, disjoint } from './por.js';
import type { CallInstr, CompiledModel, Program } from './program.js';

/** One step of a trace: the task, the call and what it answered. */
export interface TraceStep {
  /** The task that took the step (`finally` for the finally steps, `setup` for setup). */
  readonly task: string;
  readonly event: Event;
  readonly outcome: OutcomeJson;
  /** Whether this line is the `task_exit` the checker applies when a task's last step ends it. */
  readonly exit?: boolean;
  /** The depth this line belongs to (lines of one atomic step share it; setup is 0). */
  readonly depth: number;
}

/** A finding: what went wrong, and the shortest trace that gets there. */
export interface Finding {
  /** The result kind. */
  readonly result: Exclude<ResultKind, 'ok' | 'limit'>;
  /** The violation kind (for `violation`), or the result kind. */
  readonly kind: string;
  /** The invariant's name (for `invariant`). */
  readonly invariant?: string;
  /** The invariant in words (for `invariant`). */
  readonly statement?: string;
  readonly message: string;
  /** The task whose step found it (for a deadlock: the first waiting task). */
  readonly task: string;
  /** Task and finally steps in the trace (setup excluded). */
  readonly depth: number;
  /** Setup lines first (task `setup`), then every step's lines. */
  readonly trace: readonly TraceStep[];
  /**
   * For a finding that rests on facts the kernel accumulated over the whole search (lockdep's
   * dependencies, `Protocol.uptime`): each fact (`key:fact`), the depth of the step that first
   * recorded it, and the shortest trace to that step, which may lie on another interleaving.
   */
  readonly facts?: readonly { readonly fact: string; readonly label: string; readonly depth: number; readonly trace: readonly TraceStep[] }[];
}

/** A finding before its trace is rebuilt. */
export type RawFinding = Omit<Finding, 'depth' | 'trace' | 'facts'> & {
  /** The accumulated facts (`CheckKernel.uptimes`) its violation rests on, as `key:fact`. */
  readonly facts?: readonly string[];
};

type Vars = { readonly [v: string]: unknown };

/** A task's place in its program: part of a state. */
export interface TaskRt {
  readonly pc: number;
  readonly waiting: boolean;
  readonly vars: Vars;
  /** Canonical text of pc, waiting and vars: part of the state's fingerprint. */
  readonly key: string;
  /** The key's hash lanes, computed once. */
  readonly lo: number;
  readonly hi: number;
}

/** A state of the search: the world and every task's place. */
export interface State {
  readonly world: World;
  /** One per task of the model, then finally's. */
  readonly tasks: readonly TaskRt[];
  readonly id: number;
}

/** One line of a trace before its depth is known. */
type Line = Omit<TraceStep, 'depth'>;

const NO_LINES: readonly Line[] = Object.freeze([]);

/** One way a task's step can go from a state. */
export interface StepResult {
  readonly world: World;
  readonly tasks: readonly TaskRt[];
  /** The step's trace lines (empty unless the explorer is recording). */
  readonly lines: readonly Line[];
  readonly finding?: RawFinding | undefined;
}

/**
 * A task's call would sleep: the step is not enabled. The world after the call is kept for what
 * the kernel records before it sleeps (lockdep's dependencies), with its trace lines.
 */
export interface Blocked {
  readonly blocked: string;
  readonly world?: World;
  readonly lines?: readonly Line[];
}

export function taskRt(pc: number, waiting: boolean, vars: Vars): TaskRt {
  const names = Object.keys(vars);
  const v = names.length === 0 ? '' : JSON.stringify(names.sort().map((n) => [n, vars[n]]));
  const key = `${pc}${waiting ? 'w' : ''}${v}`;
  const h = hashString(key, 0x7a5c);
  return { pc, waiting, vars, key, lo: h.lo, hi: h.hi };
}

/** A call as `dma_fence_wait_timeout b timeout=100`, for messages. */
export function renderCallText(e: Event): string {
  const args = Object.entries(e)
    .filter(([k]) => k !== 'type' && k !== 'task')
    .map(([k, v]) => (typeof v === 'string' ? v : `${k}=${JSON.stringify(v)}`));
  return [e.type, ...args].join(' ');
}

function substitute(v: unknown, vars: Vars, onMissing: (name: string) => never): unknown {
  if (typeof v === 'string' && v.startsWith('$')) {
    const name = v.slice(1);
    if (!Object.prototype.hasOwnProperty.call(vars, name)) onMissing(name);
    return vars[name];
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars, onMissing));
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, vars, onMissing);
    return o;
  }
  return v;
}

/**
 * The successor function of one compiled model: which steps each task can take from a state and
 * what they do. The search drivers (breadth-first, parallel) are built on it.
 */
export class Explorer {
  readonly programs: readonly Program[];
  readonly fin: number;
  readonly file: string | undefined;
  readonly hasTaskExit: boolean;

  /**
   * Whether steps record their trace lines (the calls and their outcomes in JSON): off while
   * searching (a hot path), on while a finding's trace is rebuilt.
   */
  recording = false;

  /** Footprints for partial-order reduction; undefined when the search explores every interleaving. */
  readonly footprints: Footprints | undefined;

  /**
   * Each task place made so far, by its variables (which are never changed once made) and then by
   * `pc · 2 + waiting`: a step that binds nothing reuses its place's key and hash instead of
   * building and hashing the key again. A pure cache: {@link taskRt} gives an equal place.
   */
  private readonly places = new WeakMap<Vars, Map<number, TaskRt>>();

  /** Each untemplated call's step, made ready once (the kernel's `prepare`), by instruction. */
  private readonly prepared = new Map<CallInstr, (world: World) => TryResult>();

  /** The world fingerprint of this search (the kernel's memo when it has one: states share slices). */
  private readonly worldHash: (world: World) => Hash64;

  constructor(
    readonly kernel: CheckKernel,
    readonly compiled: CompiledModel,
    reduce: 'none' | 'por' = 'none',
  ) {
    this.programs = [...compiled.programs, compiled.finally];
    this.fin = compiled.programs.length;
    this.file = compiled.model.file;
    this.hasTaskExit = kernel.knows('task_exit');
    this.footprints = reduce === 'por' ? new Footprints(kernel, this.programs) : undefined;
    this.worldHash = kernel.fingerprintMemo?.() ?? ((w) => kernel.fingerprintHash(w));
  }

  /**
   * The ample task of a state for partial-order reduction: the first task with an enabled step
   * whose step touches nothing that any other unfinished task may still touch; its steps alone are
   * the state's successors. Undefined when no task qualifies (the state is expanded in full).
   *
   * The conditions of the ample-set method hold: the set is non-empty when anything is enabled;
   * nothing another task can do is dependent on the ample steps (footprints are disjoint over the
   * other tasks' whole remaining programs); findings and invariants concern the objects a step
   * touches, so an independent step is invisible to the others; and the state graph has no cycles
   * (every step moves a task forward), so no step is postponed for ever.
   */
  ampleTask(s: State): { ti: number; steps: StepResult[] } | undefined {
    const fp = this.footprints;
    if (fp === undefined) return undefined;
    for (let ti = 0; ti < this.fin; ti++) {
      const t = s.tasks[ti] as TaskRt;
      if (t.waiting || this.isDone(ti, t)) continue;
      const mine = fp.step(ti, t.pc);
      let independent = mine !== null;
      for (let u = 0; u < this.fin && independent; u++) {
        if (u === ti) continue;
        const o = s.tasks[u] as TaskRt;
        if (this.isDone(u, o)) continue;
        if (!disjoint(mine, fp.rest(u, o.pc))) independent = false;
      }
      if (!independent) continue;
      const rs = this.stepsOf(s, ti);
      if (Array.isArray(rs) && rs.length > 0) return { ti, steps: rs };
    }
    return undefined;
  }

  /** Follows jumps and ifs (deterministic given the variables) to a call, a choice or the end. */
  normalize(ti: number, pc: number, vars: Vars): number {
    const code = (this.programs[ti] as Program).code;
    for (;;) {
      const ins = code[pc];
      if (ins === undefined) return pc;
      if (ins.op === 'jump') pc = ins.to;
      else if (ins.op === 'if') {
        let holds = true;
        for (const [v, want] of ins.cond) {
          if (!Object.prototype.hasOwnProperty.call(vars, v))
            throw badModel(this.file, ins.where, `"if" tests "${v}", which this path through the task never bound`, 'if');
          if (!jsonEqual(vars[v], want)) holds = false;
        }
        pc = holds ? ins.then : ins.else;
      } else return pc;
    }
  }

  /** The calls a task can start its next step with, from a normalized pc (choices fanned out). */
  starts(ti: number, pc: number, vars: Vars, out: number[]): void {
    const ins = (this.programs[ti] as Program).code[pc];
    if (ins === undefined || ins.op === 'end') return;
    if (ins.op === 'call') {
      out.push(pc);
      return;
    }
    if (ins.op === 'choose') {
      for (const t of ins.targets) {
        const n = this.normalize(ti, t, vars);
        const at = (this.programs[ti] as Program).code[n];
        if (at === undefined || at.op === 'end')
          throw badModel(this.file, ins.where, 'an "either" branch ends the task without a step; give every branch a step or put a step after the either');
        this.starts(ti, n, vars, out);
      }
    }
  }

  /** The prepared step of an untemplated call (only called when the kernel can prepare). */
  private preparedStep(ins: CallInstr): (world: World) => TryResult {
    let f = this.prepared.get(ins);
    if (f === undefined) {
      f = (this.kernel.prepare as NonNullable<CheckKernel['prepare']>)(ins.event);
      this.prepared.set(ins, f);
    }
    return f;
  }

  /** The task place at `pc` with `vars` ({@link taskRt}), from the cache when it was made before. */
  place(pc: number, waiting: boolean, vars: Vars): TaskRt {
    let byPc = this.places.get(vars);
    if (byPc === undefined) {
      byPc = new Map();
      this.places.set(vars, byPc);
    }
    const k = pc * 2 + (waiting ? 1 : 0);
    let t = byPc.get(k);
    if (t === undefined) {
      t = taskRt(pc, waiting, vars);
      byPc.set(k, t);
    }
    return t;
  }

  isDone(ti: number, t: TaskRt): boolean {
    return !t.waiting && (this.programs[ti] as Program).code[t.pc]?.op === 'end';
  }

  taskName(ti: number): string {
    return (this.programs[ti] as Program).task;
  }

  /** Every way task `ti` can take its next step from `s`, in a fixed order; or why it cannot. */
  stepsOf(s: State, ti: number): StepResult[] | Blocked | undefined {
    const t = s.tasks[ti] as TaskRt;
    if (t.waiting || this.isDone(ti, t)) return undefined;
    if (ti === this.fin) for (let i = 0; i < this.fin; i++) if (!this.isDone(i, s.tasks[i] as TaskRt)) return undefined;
    const starts: number[] = [];
    this.starts(ti, t.pc, t.vars, starts);
    // One way to start (no choice): the call's own results, as they are.
    if (starts.length === 1) return this.run(s.world, s.tasks, ti, starts[0] as number, this.recording ? [] : undefined);
    const out: StepResult[] = [];
    let blocked: Blocked | undefined;
    for (const pc of starts) {
      const r = this.run(s.world, s.tasks, ti, pc, this.recording ? [] : undefined);
      if ('blocked' in r) blocked ??= r;
      else out.push(...r);
    }
    if (out.length === 0 && blocked !== undefined) return blocked;
    return out;
  }

  /** Runs the call at `pc` of task `ti` and, inside an atomic block, the calls after it. */
  run(world: World, tasks: readonly TaskRt[], ti: number, pc: number, lines: Line[] | undefined): StepResult[] | Blocked {
    const prog = this.programs[ti] as Program;
    const ins = prog.code[pc] as CallInstr;
    const t = tasks[ti] as TaskRt;
    const task = prog.task;
    const event = ins.templated
      ? (substitute(ins.event, t.vars, (name) => {
          throw badModel(this.file, ins.where, `"$${name}" is not bound on this path through the task`);
        }) as Event)
      : ins.event;
    const r = ins.templated || this.kernel.prepare === undefined ? this.kernel.tryApply(world, event) : this.preparedStep(ins)(world);
    if (!r.ok) {
      if (r.misuse.code === 'UNKNOWN_OBJECT')
        return [
          {
            world,
            tasks,
            lines: lines === undefined ? NO_LINES : [...lines, { task, event, outcome: { ok: false, misuse: r.misuse.message } }],
            finding: { result: 'unknown_object', kind: 'unknown_object', message: r.misuse.message, task },
          },
        ];
      throw badModel(this.file, ins.where, r.misuse.message, r.misuse.field);
    }
    const outcome = r.outcome;
    const queued = outcome.queued === true;
    if (outcome.ok === false && outcome.blocked === true && !queued) {
      const bv = outcome.violations[0];
      // A call that would sleep (or spin) without joining a wait queue: the step is not enabled —
      // unless the kernel reported something before it sleeps (lockdep's annotation of the
      // acquisition or of a fence wait, might_sleep): that report is a finding, and ends the trace.
      if (bv !== undefined)
        return [{ world: r.world, tasks, lines: lines === undefined ? NO_LINES : [...lines, { task, event, outcome: outcomeToJson(outcome) }], finding: this.violationFinding(bv, task) }];
      // What the kernel recorded before sleeping (lockdep's dependencies) stays with the attempt.
      return {
        blocked: `${renderCallText(event)} (step ${ins.where.step})`,
        world: r.world,
        ...(lines !== undefined ? { lines: [...lines, { task, event, outcome: outcomeToJson(outcome) }] } : {}),
      };
    }
    // The outcome's JSON form only where something reads it: a trace, an expect, a bind.
    const json = lines !== undefined || ins.expect !== undefined || ins.bind !== undefined ? outcomeToJson(outcome) : undefined;
    const here = lines === undefined ? undefined : [...lines, { task, event, outcome: json as OutcomeJson }];
    let finding: RawFinding | undefined;
    const v = outcome.violations[0];
    if (v !== undefined) finding = this.violationFinding(v, task);
    else if (ins.expect !== undefined && !queued && !outcomeContains(json as OutcomeJson, ins.expect))
      finding = {
        result: 'assertion',
        kind: 'assertion',
        message: `${locationText(this.file, ins.where)}: expected the outcome to contain ${JSON.stringify(ins.expect)}, got ${JSON.stringify(json)}`,
        task,
      };
    let vars = t.vars;
    if (ins.bind !== undefined && !queued) {
      const nv: Record<string, unknown> = { ...vars };
      for (const [name, field] of ins.bind) nv[name] = (json as Record<string, unknown>)[field] ?? null;
      vars = nv;
    }
    const next = tasks.slice();
    let w = r.world;
    // The tasks this call woke: their queued calls complete now, and they move on.
    const woke = outcome.woke;
    if (Array.isArray(woke))
      for (const name of woke) {
        const wi = this.programs.findIndex((p, i) => i !== this.fin && p.task === name);
        const wt = next[wi];
        if (wi < 0 || wt === undefined || !wt.waiting) continue;
        // The woken call completed inside this one: its answer is a plain success.
        const wins = (this.programs[wi] as Program).code[wt.pc] as CallInstr;
        if (wins.expect !== undefined && !outcomeContains({ ok: true }, wins.expect))
          finding ??= {
            result: 'assertion',
            kind: 'assertion',
            message: `${locationText(this.file, wins.where)}: expected ${JSON.stringify(wins.expect)} of the woken call, which completed with {"ok":true}`,
            task: name as string,
          };
        const npc = this.normalize(wi, wt.pc + 1, wt.vars);
        next[wi] = this.place(npc, false, wt.vars);
        const exited = this.exitIfDone(w, next, wi, here);
        w = exited.world;
        finding ??= exited.finding;
      }
    if (queued) {
      next[ti] = this.place(pc, true, vars);
      return [{ world: w, tasks: next, lines: here ?? NO_LINES, ...(finding ? { finding } : {}) }];
    }
    const npc = this.normalize(ti, pc + 1, vars);
    next[ti] = this.place(npc, false, vars);
    if (finding === undefined && ins.group >= 0) {
      // An atomic block runs on: nothing of another task interleaves until it ends.
      const conts: number[] = [];
      this.within(ti, npc, vars, ins.group, conts);
      const out: StepResult[] = [];
      let blocked: Blocked | undefined;
      for (const c of conts) {
        const code = prog.code[c];
        if (code?.op === 'call' && code.group === ins.group) {
          const rr = this.run(w, next, ti, c, here);
          if ('blocked' in rr) blocked ??= rr;
          else out.push(...rr);
        } else {
          const nt = next.slice();
          nt[ti] = this.place(c, false, vars);
          out.push(this.finish(w, nt, ti, here === undefined ? undefined : [...here], undefined));
        }
      }
      if (out.length === 0 && blocked !== undefined) return blocked;
      return out;
    }
    return [this.finish(w, next, ti, here, finding)];
  }

  /**
   * The positions an atomic block goes on from at `pc`, its choices fanned out: a call of the block
   * runs on; any other position ends the step there.
   */
  within(ti: number, pc: number, vars: Vars, group: number, out: number[]): void {
    const code = (this.programs[ti] as Program).code;
    const ins = code[pc];
    if (ins?.op === 'choose' && ins.group === group) for (const t of ins.targets) this.within(ti, this.normalize(ti, t, vars), vars, group, out);
    else out.push(pc);
  }

  /** The finding of a call's first violation, with the accumulated facts it rests on. */
  violationFinding(v: Violation, task: string): RawFinding {
    const facts: string[] = [];
    for (const u of this.kernel.uptimes) for (const f of u.factsOf(v)) facts.push(`${u.key}:${f}`);
    return { result: 'violation', kind: v.kind, message: v.message, task, ...(facts.length > 0 ? { facts } : {}) };
  }

  /** Ends a step: `tasks` and `lines` are the step's own (changed in place by a task_exit). */
  finish(world: World, tasks: TaskRt[], ti: number, lines: Line[] | undefined, finding: RawFinding | undefined): StepResult {
    // A step whose call found something ends the trace at that call: the task's exit is checked
    // only when its last step was clean (so a trace's last line carries its finding).
    if (finding !== undefined) return { world, tasks, lines: lines ?? NO_LINES, finding };
    const e = this.exitIfDone(world, tasks, ti, lines);
    const f = finding ?? e.finding;
    // One shape whether or not there is a finding (an absent one is undefined).
    return { world: e.world, tasks, lines: lines ?? NO_LINES, finding: f };
  }

  /** When task `ti` has just finished, applies `task_exit` for it (the check that it holds nothing). */
  exitIfDone(world: World, tasks: TaskRt[], ti: number, lines: Line[] | undefined): { world: World; finding?: RawFinding | undefined } {
    if (ti === this.fin || !this.hasTaskExit || !this.isDone(ti, tasks[ti] as TaskRt)) return { world, finding: undefined };
    const task = this.taskName(ti);
    const event = { type: 'task_exit', task };
    const r = this.kernel.tryApply(world, event);
    if (!r.ok) return { world, finding: undefined };
    lines?.push({ task, event, outcome: outcomeToJson(r.outcome), exit: true });
    const v = r.outcome.violations[0];
    return { world: r.world, finding: v !== undefined ? this.violationFinding(v, task) : undefined };
  }

  /** The successors of a state, in order: task by task, then each task's alternatives. */
  successors(
    s: State,
    each: (r: StepResult, action: number) => boolean | void,
    onBlocked?: (b: Blocked, action: number) => void,
  ): { enabled: boolean; waiting: string[] } {
    let enabled = false;
    const waiting: string[] = [];
    const ample = this.ampleTask(s);
    if (ample !== undefined) {
      for (let a = 0; a < ample.steps.length; a++) if (each(ample.steps[a] as StepResult, ample.ti * 65536 + a) === false) break;
      return { enabled: true, waiting };
    }
    for (let ti = 0; ti < this.programs.length; ti++) {
      const rs = this.stepsOf(s, ti);
      if (rs === undefined) {
        const t = s.tasks[ti] as TaskRt;
        if (t.waiting) {
          const ins = (this.programs[ti] as Program).code[t.pc] as CallInstr;
          waiting.push(`${this.taskName(ti)} waits in ${renderCallText(ins.event)} (step ${ins.where.step}, queued)`);
        }
        continue;
      }
      if ('blocked' in rs) {
        waiting.push(`${this.taskName(ti)} sleeps in ${rs.blocked}`);
        onBlocked?.(rs, ti * 65536);
        continue;
      }
      for (let a = 0; a < rs.length; a++) {
        enabled = true;
        if (each(rs[a] as StepResult, ti * 65536 + a) === false) return { enabled, waiting };
      }
    }
    return { enabled, waiting };
  }

  /**
   * The state's 64-bit fingerprint: the world's, plus each task's place mixed with its index (so
   * that two tasks swapping places is another state). A sum of per-task terms: no allocation.
   */
  stateHash(world: World, tasks: readonly TaskRt[]): { lo: number; hi: number } {
    const w = this.worldHash(world);
    let lo = w.lo;
    let hi = w.hi;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as TaskRt;
      let a = Math.imul(t.lo ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b);
      let b = Math.imul(t.hi ^ Math.imul(i + 1, 0xc2b2ae35), 0x27d4eb2f);
      a ^= b >>> 15;
      b ^= a >>> 13;
      lo = (lo + a) >>> 0;
      hi = (hi + b) >>> 0;
    }
    return { lo, hi };
  }


  allDone(s: State): boolean {
    for (let i = 0; i < this.programs.length; i++) if (!this.isDone(i, s.tasks[i] as TaskRt)) return false;
    return true;
  }
}

/** The initial state: the setup applied, every task at its first step. */
export function initialState(ex: Explorer, kernel: CheckKernel, compiled: CompiledModel): { state: State; setupLines: TraceStep[] } {
  let world = kernel.initialWorld();
  const setupLines: TraceStep[] = [];
  compiled.setup.forEach((event, i) => {
    const where = { task: 'setup', step: String(i + 1) };
    const r = kernel.tryApply(world, event);
    if (!r.ok) throw badModel(compiled.model.file, where, r.misuse.message, r.misuse.field);
    const v = r.outcome.violations[0];
    if (v !== undefined) throw badModel(compiled.model.file, where, `setup must run clean, but ${event.type} found ${v.kind}: ${v.message}`);
    world = r.world;
    setupLines.push({ task: 'setup', event, outcome: outcomeToJson(r.outcome), depth: 0 });
  });
  const tasks = ex.programs.map((_, ti) => taskRt(ex.normalize(ti, 0, {}), false, {}));
  return { state: { world, tasks, id: 0 }, setupLines };
}

