import { jsonEqual } from './logFormat.js';
import type { OutcomeJson } from './logFormat.js';

/** What a scenario line or a checker step expects of an outcome (the conformance `expect` form). */
export interface Expectation {
  /** A subset of the outcome in JSON form: every field given must be there with that value. */
  readonly expect: { readonly [field: string]: unknown };
  /** A violation kind that must be among the outcome's violations; without it there must be none. */
  readonly expect_violation?: string;
  /** Says outright that the outcome has no violations (the default without `expect_violation`). */
  readonly expect_no_violations?: boolean;
}

function kinds(vs: unknown): unknown {
  return Array.isArray(vs) ? vs.map((v) => (typeof v === 'object' && v !== null && 'kind' in v ? (v as { kind: unknown }).kind : v)) : vs;
}

/**
 * Whether an outcome (in JSON form, as `outcomeToJson` renders it) contains `expect`: every field
 * of `expect` is in the outcome with a deeply equal value (arrays in full and in order, objects
 * whole); other outcome fields may be present. `violations`, when expected, is compared by kind
 * (a list of kinds or of `{ kind }` objects).
 *
 * @example
 *   outcomeContains({ ok: true, start: '0', hole: '4096' }, { ok: true, start: '0' }); // true
 *   outcomeContains({ ok: true, cbs: ['a', 'b'] }, { cbs: ['a'] }); // false
 */
export function outcomeContains(outcome: OutcomeJson, expect: { readonly [field: string]: unknown }): boolean {
  for (const k of Object.keys(expect)) {
    if (!Object.prototype.hasOwnProperty.call(outcome, k)) {
      // An empty violations list is left out of the JSON form.
      if (k === 'violations' && Array.isArray(expect[k]) && (expect[k] as unknown[]).length === 0) continue;
      return false;
    }
    const want = k === 'violations' ? kinds(expect[k]) : expect[k];
    const got = k === 'violations' ? kinds(outcome[k]) : outcome[k];
    if (!jsonEqual(got, want)) return false;
  }
  return true;
}

/**
 * Checks an outcome against an {@link Expectation}: `expect` by {@link outcomeContains}, then the
 * violations — `expect_violation`'s kind must be among them; without it there must be none.
 *
 * @returns undefined when the outcome meets it, else one sentence saying what differs.
 * @example
 *   expectationFailure({ ok: true }, { expect: { ok: true } }); // undefined
 */
export function expectationFailure(outcome: OutcomeJson, e: Expectation): string | undefined {
  if (!outcomeContains(outcome, e.expect)) {
    const differing = Object.keys(e.expect).filter((k) => !outcomeContains(outcome, { [k]: e.expect[k] }));
    return `expected ${differing.map((k) => `${k} = ${JSON.stringify(e.expect[k])}`).join(', ')}`;
  }
  const found = ((outcome.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
  if (e.expect_violation !== undefined) {
    if (!found.includes(e.expect_violation))
      return `expected a ${e.expect_violation} violation, got ${found.length === 0 ? 'none' : found.join(', ')}`;
  } else if (found.length > 0) return `expected no violations, got ${found.join(', ')}`;
  return undefined;
}
