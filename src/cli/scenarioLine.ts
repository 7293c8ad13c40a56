import { DrmstateError } from '../errors.js';
import type { Expectation } from '../world/expect.js';
import type { OutcomeJson } from '../world/logFormat.js';

/**
 * One line of a scenario file, read: a call with what it must answer, or a comment.
 *
 * - `{"type": …}`: a call, nothing expected;
 * - `{"event": {…}, "outcome": {…}}`: a call and its whole outcome (the conformance samples);
 * - `{"event": {…}, "expect": {…}, "expect_violation"?: KIND, "expect_no_violations"?: true}`: a
 *   call and a subset of its outcome (the scenario files, `world/expect.ts`); `expect` may be left
 *   out when `expect_violation` is given (only the violation is expected);
 * - `{"comment": "…"}`: no call.
 *
 * A line with an `event` may also say which simulated task made the call (`"task": "irq"`, as the
 * checker's traces do): `run` ignores it, `drmstate trace` draws the call on that task's lifeline.
 */
export type ScenarioLine =
  | { readonly kind: 'comment' }
  | { readonly kind: 'call'; readonly event: unknown }
  | { readonly kind: 'outcome'; readonly event: unknown; readonly outcome: OutcomeJson; readonly task?: string }
  | { readonly kind: 'expect'; readonly event: unknown; readonly expectation: Expectation; readonly task?: string };

const MEMBERS = ['event', 'outcome', 'expect', 'expect_violation', 'expect_no_violations', 'comment', 'task'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads one parsed scenario line. A line that is an object with a `type` is a call; an object with
 * any of `event`, `outcome`, `expect`, `comment` is one of the wrapped forms; anything else is
 * handed on as a call (the kernel then names what is wrong with it).
 *
 * @throws {DrmstateError} `BAD_LOG_LINE` naming the member at fault: an unknown member, an `event`
 *   with neither `outcome` nor `expect` nor `expect_violation` (or with both `outcome` and
 *   `expect`), an `outcome` or `expect` that is not an object.
 */
export function readScenarioLine(v: unknown): ScenarioLine {
  if (!isObject(v) || 'type' in v || !MEMBERS.some((m) => m in v)) return { kind: 'call', event: v };
  const bad = (field: string, what: string): DrmstateError => new DrmstateError('BAD_LOG_LINE', what, { field });
  for (const k of Object.keys(v))
    if (!MEMBERS.includes(k))
      throw bad(k, `unknown member (a scenario line is a call {"type", …}, {"event", "outcome"}, {"event", "expect"} or {"comment"}; a line with "event" may add "task")`);
  if (v.comment !== undefined && typeof v.comment !== 'string') throw bad('comment', 'expected a string');
  if (v.task !== undefined && (typeof v.task !== 'string' || v.task === '')) throw bad('task', `expected a task name, got ${JSON.stringify(v.task)}`);
  const task = typeof v.task === 'string' ? { task: v.task } : {};
  const has = (k: string): boolean => v[k] !== undefined;
  if (!has('event')) {
    const other = MEMBERS.find((m) => m !== 'comment' && has(m));
    if (other !== undefined) throw bad(other, 'this member needs an "event" on the same line');
    return { kind: 'comment' };
  }
  if (has('outcome') && has('expect')) throw bad('expect', 'give "outcome" (the whole outcome) or "expect" (a subset), not both');
  if (has('outcome')) {
    for (const k of ['expect_violation', 'expect_no_violations']) if (has(k)) throw bad(k, 'goes with "expect", not with "outcome"');
    const o = v.outcome;
    if (!isObject(o) || typeof o.ok !== 'boolean') throw bad('outcome', `expected an outcome object with a boolean "ok", got ${JSON.stringify(o)}`);
    return { kind: 'outcome', event: v.event, outcome: o as OutcomeJson, ...task };
  }
  if (!has('expect') && !has('expect_violation'))
    throw bad('event', 'a line with "event" needs "outcome" (the whole outcome), "expect" (a subset of it) or "expect_violation"');
  // A line with only `expect_violation` expects nothing of the outcome's other fields.
  const e = has('expect') ? v.expect : {};
  if (!isObject(e)) throw bad('expect', `expected an object of outcome fields, got ${JSON.stringify(e)}`);
  const kind = v.expect_violation;
  if (kind !== undefined && (typeof kind !== 'string' || kind === '')) throw bad('expect_violation', `expected a violation kind, got ${JSON.stringify(kind)}`);
  const none = v.expect_no_violations;
  if (none !== undefined && none !== true) throw bad('expect_no_violations', `expected true, got ${JSON.stringify(none)}`);
  if (kind !== undefined && none === true) throw bad('expect_no_violations', 'contradicts "expect_violation" on the same line');
  const expectation: Expectation = kind !== undefined ? { expect: e, expect_violation: kind } : none ? { expect: e, expect_no_violations: true } : { expect: e };
  return { kind: 'expect', event: v.event, expectation, ...task };
}

/**
 * The non-blank lines of a scenario text, each read ({@link readScenarioLine}) with its 1-based
 * number, or the error that reading it threw (not yet located at the file and line: the caller
 * knows the file, and may go on with calls of its own before it locates what they throw).
 */
export function* scenarioTextLines(text: string): Generator<{ readonly raw: string; readonly line: number; read(): ScenarioLine }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    yield {
      raw,
      line: i + 1,
      read(): ScenarioLine {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new DrmstateError('BAD_LOG_LINE', 'not valid JSON');
        }
        return readScenarioLine(parsed);
      },
    };
  }
}
