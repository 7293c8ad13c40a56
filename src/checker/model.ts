import { readFileSync } from 'node:fs';
import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';

/**
 * One step of a task in a model file, as written.
 *
 * - an event (`{"type": …}`);
 * - `{"event": {…}, "expect": {…}}`: the outcome must contain these fields;
 * - `{"event": {…}, "bind": {"h": "handle"}}`: stores an outcome field in a task variable;
 * - `{"either": [[…], […]]}`: the task may take any branch;
 * - `{"atomic": […]}`: the steps run as one step;
 * - `{"if": {"h": 1}, "then": […], "else": […]}`: branches on the task's variables;
 * - `{"repeat": 3, "steps": […]}`: the steps unrolled that many times.
 */
export type ModelStep =
  | Event
  | { readonly event: Event; readonly expect?: { readonly [field: string]: unknown }; readonly bind?: { readonly [v: string]: string } }
  | { readonly either: readonly (readonly ModelStep[])[] }
  | { readonly atomic: readonly ModelStep[] }
  | { readonly if: { readonly [v: string]: unknown }; readonly then: readonly ModelStep[]; readonly else?: readonly ModelStep[] }
  | { readonly repeat: number; readonly steps: readonly ModelStep[] };

/** Result kinds of a check, as the `expect` of a model names them. */
export const RESULT_KINDS = ['ok', 'violation', 'assertion', 'invariant', 'deadlock', 'unknown_object', 'limit'] as const;
/** What a check can conclude. */
export type ResultKind = (typeof RESULT_KINDS)[number];

/** The manifest entry of a model: what checking it gives. */
export interface ModelExpect {
  readonly result: ResultKind;
  /** For `violation`: the violation kind. */
  readonly kind?: string;
  /** For `invariant`: the invariant's name. */
  readonly invariant?: string;
  /** The depth of the shortest finding. */
  readonly depth?: number;
  /** For `ok` models: the number of distinct states. */
  readonly states?: number;
}

/** A bounded model: setup, tasks of steps, finally, and what checking it gives. */
export interface Model {
  /** The model's name (its file name without `.model.json` by convention). */
  readonly model: string;
  /** What the model shows and which kernel rule it exercises. */
  readonly description: string;
  readonly setup: readonly Event[];
  readonly tasks: { readonly [task: string]: readonly ModelStep[] };
  readonly finally: readonly ModelStep[];
  readonly expect?: ModelExpect;
  /** The file it was read from, for messages. */
  readonly file?: string;
}

/** Where in a model a step stands: the task (or `setup`/`finally`) and its step path (`2`, `1.either[0].3`). */
export interface StepLocation {
  readonly task: string;
  readonly step: string;
}

/** The message prefix naming a place in a model. */
export function locationText(file: string | undefined, where: StepLocation, field?: string): string {
  return `${file ?? 'model'}: ${where.task === 'setup' || where.task === 'finally' ? where.task : `task "${where.task}"`}, step ${where.step}${
    field !== undefined ? `, field "${field}"` : ''
  }`;
}

/** A malformed-model error naming the file, the task, the step and the field. */
export function badModel(file: string | undefined, where: StepLocation | undefined, message: string, field?: string): DrmstateError {
  const at = where === undefined ? `${file ?? 'model'}${field !== undefined ? `, field "${field}"` : ''}` : locationText(file, where, field);
  // The location is the message's own prefix (file, task, step, field), not DrmstateError's.
  return new DrmstateError('BAD_MODEL', `${at}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const STEP_FORMS = 'an event {"type": …}, {"event", "expect"?, "bind"?}, {"either"}, {"atomic"}, {"if", "then", "else"?} or {"repeat", "steps"}';

function checkStep(file: string | undefined, task: string, path: string, v: unknown, inSetup: boolean): void {
  const where = { task, step: path };
  if (!isObject(v)) throw badModel(file, where, `a step must be an object (${STEP_FORMS}), got ${JSON.stringify(v)}`);
  const keys = Object.keys(v);
  const only = (allowed: readonly string[]): void => {
    for (const k of keys) if (!allowed.includes(k)) throw badModel(file, where, `unknown key "${k}" (this step takes: ${allowed.join(', ')})`, k);
  };
  if ('type' in v) {
    if (typeof v.type !== 'string') throw badModel(file, where, 'an event needs a string "type"', 'type');
    return;
  }
  if (inSetup) throw badModel(file, where, 'setup holds plain events ({"type": …}) only');
  if ('event' in v) {
    only(['event', 'expect', 'bind']);
    if (!isObject(v.event) || typeof v.event.type !== 'string') throw badModel(file, where, '"event" must be an event object with a string "type"', 'event');
    if (v.expect !== undefined && !isObject(v.expect)) throw badModel(file, where, '"expect" must be an object of outcome fields', 'expect');
    if (v.bind !== undefined) {
      if (!isObject(v.bind)) throw badModel(file, where, '"bind" must map variable names to outcome fields', 'bind');
      for (const [name, field] of Object.entries(v.bind)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw badModel(file, where, `variable name "${name}" must be an identifier`, 'bind');
        if (typeof field !== 'string') throw badModel(file, where, `bind.${name} must name an outcome field (a string)`, 'bind');
      }
    }
    return;
  }
  if ('either' in v) {
    only(['either']);
    if (!Array.isArray(v.either) || v.either.length < 2) throw badModel(file, where, '"either" must be a list of at least two branches', 'either');
    v.either.forEach((branch, i) => {
      if (!Array.isArray(branch)) throw badModel(file, where, `either[${i}] must be a list of steps`, 'either');
      branch.forEach((s, j) => checkStep(file, task, `${path}.either[${i}].${j + 1}`, s, false));
    });
    return;
  }
  if ('atomic' in v) {
    only(['atomic']);
    if (!Array.isArray(v.atomic) || v.atomic.length === 0) throw badModel(file, where, '"atomic" must be a non-empty list of steps', 'atomic');
    v.atomic.forEach((s, j) => checkStep(file, task, `${path}.atomic.${j + 1}`, s, false));
    return;
  }
  if ('if' in v) {
    only(['if', 'then', 'else']);
    if (!isObject(v.if) || Object.keys(v.if).length === 0) throw badModel(file, where, '"if" must map variables to the values they are compared with', 'if');
    if (!Array.isArray(v.then)) throw badModel(file, where, '"then" must be a list of steps', 'then');
    if (v.else !== undefined && !Array.isArray(v.else)) throw badModel(file, where, '"else" must be a list of steps', 'else');
    v.then.forEach((s, j) => checkStep(file, task, `${path}.then.${j + 1}`, s, false));
    ((v.else as unknown[] | undefined) ?? []).forEach((s, j) => checkStep(file, task, `${path}.else.${j + 1}`, s, false));
    return;
  }
  if ('repeat' in v) {
    only(['repeat', 'steps']);
    if (typeof v.repeat !== 'number' || !Number.isInteger(v.repeat) || v.repeat < 0 || v.repeat > 1000)
      throw badModel(file, where, '"repeat" must be an integer from 0 to 1000', 'repeat');
    if (!Array.isArray(v.steps)) throw badModel(file, where, '"steps" must be a list of steps', 'steps');
    v.steps.forEach((s, j) => checkStep(file, task, `${path}.steps.${j + 1}`, s, false));
    return;
  }
  throw badModel(file, where, `not a step: expected ${STEP_FORMS}`);
}

function checkExpect(file: string | undefined, v: unknown): ModelExpect {
  if (!isObject(v)) throw badModel(file, undefined, '"expect" must be an object with a "result"', 'expect');
  for (const k of Object.keys(v))
    if (!['result', 'kind', 'invariant', 'depth', 'states'].includes(k)) throw badModel(file, undefined, `unknown key "expect.${k}"`, 'expect');
  if (typeof v.result !== 'string' || !(RESULT_KINDS as readonly string[]).includes(v.result))
    throw badModel(file, undefined, `expect.result must be one of ${RESULT_KINDS.join(', ')}`, 'expect.result');
  for (const k of ['kind', 'invariant'] as const)
    if (v[k] !== undefined && typeof v[k] !== 'string') throw badModel(file, undefined, `expect.${k} must be a string`, `expect.${k}`);
  for (const k of ['depth', 'states'] as const)
    if (v[k] !== undefined && (typeof v[k] !== 'number' || !Number.isInteger(v[k]) || (v[k] as number) < 0))
      throw badModel(file, undefined, `expect.${k} must be a non-negative integer`, `expect.${k}`);
  return v as unknown as ModelExpect;
}

/**
 * Checks that a value is a model (the shape of `models/*.model.json`) and returns it typed. Events
 * are checked against the kernel's schemas when the model is compiled ({@link compileModel}).
 *
 * @throws {DrmstateError} `BAD_MODEL` naming the file, the task, the step and the field.
 */
export function parseModel(v: unknown, file?: string): Model {
  if (!isObject(v)) throw badModel(file, undefined, 'a model must be a JSON object');
  for (const k of Object.keys(v))
    if (!['model', 'description', 'setup', 'tasks', 'finally', 'expect'].includes(k))
      throw badModel(file, undefined, `unknown key "${k}" (a model has: model, description, setup, tasks, finally, expect)`, k);
  if (typeof v.model !== 'string' || v.model === '') throw badModel(file, undefined, '"model" must be a non-empty string', 'model');
  if (v.description !== undefined && typeof v.description !== 'string') throw badModel(file, undefined, '"description" must be a string', 'description');
  if (v.setup !== undefined && !Array.isArray(v.setup)) throw badModel(file, undefined, '"setup" must be a list of events', 'setup');
  if (!isObject(v.tasks) || Object.keys(v.tasks).length === 0) throw badModel(file, undefined, '"tasks" must map task names to lists of steps', 'tasks');
  if (v.finally !== undefined && !Array.isArray(v.finally)) throw badModel(file, undefined, '"finally" must be a list of steps', 'finally');
  const setup = (v.setup ?? []) as unknown[];
  setup.forEach((s, i) => checkStep(file, 'setup', String(i + 1), s, true));
  for (const [task, steps] of Object.entries(v.tasks)) {
    if (task === 'setup' || task === 'finally') throw badModel(file, undefined, `"${task}" cannot name a task`, 'tasks');
    if (!Array.isArray(steps)) throw badModel(file, { task, step: '-' }, 'a task must be a list of steps', 'tasks');
    steps.forEach((s, i) => checkStep(file, task, String(i + 1), s, false));
  }
  const fin = (v.finally ?? []) as unknown[];
  fin.forEach((s, i) => checkStep(file, 'finally', String(i + 1), s, false));
  return {
    model: v.model,
    description: (v.description as string | undefined) ?? '',
    setup: setup as Event[],
    tasks: v.tasks as Model['tasks'],
    finally: fin as ModelStep[],
    ...(v.expect !== undefined ? { expect: checkExpect(file, v.expect) } : {}),
    ...(file !== undefined ? { file } : {}),
  };
}

/**
 * Reads a model file (`*.model.json`).
 *
 * @throws {DrmstateError} `BAD_MODEL` for a file that cannot be read, is not JSON or is not a model.
 * @example
 *   const m = loadModel('models/fence-put-before-add-callback.model.json');
 */
export function loadModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DrmstateError('BAD_MODEL', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DrmstateError('BAD_MODEL', `${path}: not JSON: ${(e as Error).message}`, { file: path });
  }
  return parseModel(json, path);
}
