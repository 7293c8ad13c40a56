import type { Event } from '../world/Event.js';
import type { CheckKernel } from './CheckKernel.js';
import { type Model, type ModelStep, type StepLocation, badModel } from './model.js';

/** A kernel call of a task's program. */
export interface CallInstr {
  readonly op: 'call';
  /** The event, with the task filled in; strings `"$v"` are the task's variables. */
  readonly event: Event;
  readonly expect: { readonly [field: string]: unknown } | undefined;
  readonly bind: readonly (readonly [string, string])[] | undefined;
  readonly where: StepLocation;
  /** The atomic block the call belongs to (-1: none): calls of one block run as one step. */
  readonly group: number;
  /** Whether the event has `"$v"` strings to substitute. */
  readonly templated: boolean;
}

/** A nondeterministic choice (`either`): every target is a successor; choosing is no step. */
export interface ChooseInstr {
  readonly op: 'choose';
  readonly targets: number[];
  readonly group: number;
  readonly where: StepLocation;
}

/** A branch on the task's variables (`if`): deciding is no step. */
export interface IfInstr {
  readonly op: 'if';
  readonly cond: readonly (readonly [string, unknown])[];
  readonly then: number;
  else: number;
  readonly where: StepLocation;
}

/** An unconditional jump (the end of an `either` branch or a `then`). */
export interface JumpInstr {
  readonly op: 'jump';
  to: number;
}

/** The end of the task. */
export interface EndInstr {
  readonly op: 'end';
}

/** One instruction of a compiled task. */
export type Instr = CallInstr | ChooseInstr | IfInstr | JumpInstr | EndInstr;

/** One task compiled to straight-line instructions with forward jumps. */
export interface Program {
  readonly task: string;
  readonly code: readonly Instr[];
}

/** A model compiled: setup events, one program per task (in the model's order), finally's program. */
export interface CompiledModel {
  readonly model: Model;
  readonly setup: readonly Event[];
  readonly programs: readonly Program[];
  readonly finally: Program;
}

function templateVars(v: unknown, out: Set<string>): void {
  if (typeof v === 'string' && v.startsWith('$')) out.add(v.slice(1));
  else if (Array.isArray(v)) for (const x of v) templateVars(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) templateVars(x, out);
}

/**
 * Compiles a task's steps. `bound` collects the variables bound so far in program order: a `$v`
 * used before any step of the task binds it is a malformed model.
 */
function compileTask(kernel: CheckKernel, model: Model, task: string, steps: readonly ModelStep[], fillTask: boolean): Program {
  const code: Instr[] = [];
  const bound = new Set<string>();
  let groups = 0;
  const file = model.file;

  const call = (event: Event, where: StepLocation, group: number, expect?: CallInstr['expect'], bind?: { readonly [v: string]: string }): void => {
    if (!kernel.knows(event.type)) throw badModel(file, where, `unknown event type "${event.type}"`, 'type');
    let ev = event;
    if (fillTask && ev.task === undefined && kernel.takesTask(ev.type)) ev = { ...ev, task };
    const used = new Set<string>();
    templateVars(ev, used);
    for (const v of used) if (!bound.has(v)) throw badModel(file, where, `"$${v}" is never bound by an earlier step of this task`, fieldOf(ev, `$${v}`));
    const templated = used.size > 0;
    if (!templated) {
      const problem = kernel.check(ev);
      if (problem !== undefined) throw badModel(file, where, problem.message, problem.field);
    } else {
      const problem = kernel.checkFields(ev);
      if (problem !== undefined) throw badModel(file, where, problem.message, problem.field);
    }
    if (bind !== undefined) for (const v of Object.keys(bind)) bound.add(v);
    code.push({
      op: 'call',
      event: Object.freeze(ev),
      expect,
      bind: bind === undefined ? undefined : Object.entries(bind),
      where,
      group,
      templated,
    });
  };

  const emit = (list: readonly ModelStep[], prefix: string, group: number): void => {
    list.forEach((s, i) => {
      const path = prefix === '' ? String(i + 1) : `${prefix}.${i + 1}`;
      const where = { task, step: path };
      const st = s as Record<string, unknown>;
      if (typeof st.type === 'string') call(s as Event, where, group);
      else if ('event' in st)
        call(st.event as Event, where, group, st.expect as CallInstr['expect'], st.bind as { readonly [v: string]: string } | undefined);
      else if ('repeat' in st) for (let r = 0; r < (st.repeat as number); r++) emit(st.steps as ModelStep[], `${path}.steps[${r + 1}]`, group);
      else if ('atomic' in st) emit(st.atomic as ModelStep[], `${path}.atomic`, group >= 0 ? group : groups++);
      else if ('either' in st) {
        const choose: ChooseInstr = { op: 'choose', targets: [], group, where };
        code.push(choose);
        const jumps: JumpInstr[] = [];
        const before = new Set(bound);
        const after = new Set<string>();
        (st.either as ModelStep[][]).forEach((branch, b) => {
          choose.targets.push(code.length);
          for (const v of [...bound]) if (!before.has(v)) bound.delete(v);
          emit(branch, `${path}.either[${b}]`, group);
          for (const v of bound) after.add(v);
          const j: JumpInstr = { op: 'jump', to: -1 };
          jumps.push(j);
          code.push(j);
        });
        for (const j of jumps) j.to = code.length;
        // A variable bound in some branch counts as bound afterwards; on a path that did not bind it,
        // its use is reported when that path runs.
        for (const v of after) bound.add(v);
      } else if ('if' in st) {
        const cond = Object.entries(st.if as Record<string, unknown>);
        for (const [v] of cond) if (!bound.has(v)) throw badModel(file, where, `"if" tests "${v}", which no earlier step of this task binds`, 'if');
        const instr: IfInstr = { op: 'if', cond, then: code.length + 1, else: -1, where };
        code.push(instr);
        emit(st.then as ModelStep[], `${path}.then`, group);
        const j: JumpInstr = { op: 'jump', to: -1 };
        code.push(j);
        instr.else = code.length;
        emit((st.else as ModelStep[] | undefined) ?? [], `${path}.else`, group);
        j.to = code.length;
      }
    });
  };
  emit(steps, '', -1);
  code.push({ op: 'end' });
  return { task, code };
}

function fieldOf(ev: Event, value: string): string | undefined {
  for (const [k, v] of Object.entries(ev)) if (v === value || (typeof v === 'object' && v !== null && JSON.stringify(v).includes(JSON.stringify(value)))) return k;
  return undefined;
}

/**
 * Compiles a model for exploration: checks every event against the kernel's schemas, fills in
 * `task` fields, unrolls `repeat`s and turns `either`/`if`/`atomic` into jumps and groups.
 *
 * @throws {DrmstateError} `BAD_MODEL` naming the file, the task, the step and the field.
 */
export function compileModel(kernel: CheckKernel, model: Model): CompiledModel {
  model.setup.forEach((ev, i) => {
    const where = { task: 'setup', step: String(i + 1) };
    if (!kernel.knows(ev.type)) throw badModel(model.file, where, `unknown event type "${ev.type}"`, 'type');
    const problem = kernel.check(ev);
    if (problem !== undefined) throw badModel(model.file, where, problem.message, problem.field);
  });
  const programs = Object.entries(model.tasks).map(([task, steps]) => compileTask(kernel, model, task, steps, true));
  return { model, setup: model.setup, programs, finally: compileTask(kernel, model, 'finally', model.finally, false) };
}
