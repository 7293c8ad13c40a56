import type { Errno } from '../errno.js';
import type { Violation } from './Violation.js';

/** A value a kernel call returns: u64 values are bigints, small integers numbers. */
export type OutcomeValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | readonly OutcomeValue[]
  | { readonly [k: string]: OutcomeValue };

/** Fields every outcome carries. */
interface OutcomeBase {
  /** Findings this call triggered, in the order they happened (empty when none). */
  readonly violations: readonly Violation[];
  /** Returned values, named as in the kernel (`start`, `context`, `status`, …). */
  readonly [field: string]: OutcomeValue | readonly Violation[] | undefined;
}

/** A call that succeeded: `ok` and the returned values. */
export interface OkOutcome extends OutcomeBase {
  readonly ok: true;
}

/**
 * A call that failed: with the kernel's errno, or `blocked` when it would sleep, or refused by a
 * violation (BUG, use-after-free, …) with nothing changed.
 */
export interface FailOutcome extends OutcomeBase {
  readonly ok: false;
  readonly errno?: Errno;
  readonly blocked?: true;
}

/** What one kernel call returned, plus the violations it triggered. Discriminate on `ok`. */
export type Outcome = OkOutcome | FailOutcome;

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);
const NO_VALUES: { readonly [k: string]: OutcomeValue } = Object.freeze({});
const PLAIN_OK: OkOutcome = Object.freeze({ ok: true, violations: NO_VIOLATIONS });

/**
 * Builds a successful outcome.
 *
 * @example
 *   ok({ status: 1 }); // { ok: true, status: 1, violations: [] }
 */
export function ok(values: { readonly [k: string]: OutcomeValue } = NO_VALUES, violations: readonly Violation[] = NO_VIOLATIONS): OkOutcome {
  // The common answer "0, nothing returned" is one shared frozen object (a replay hot path).
  if (values === NO_VALUES && violations === NO_VIOLATIONS) return PLAIN_OK;
  const o: Record<string, unknown> = { ok: true };
  for (const k in values) o[k] = values[k];
  o.violations = violations;
  return o as OkOutcome;
}

/** Builds an errno outcome (`{ ok: false, errno }`), with any values the call also returns. */
export function fail(
  errno: Errno,
  violations: readonly Violation[] = NO_VIOLATIONS,
  values: { readonly [k: string]: OutcomeValue } = {},
): FailOutcome {
  return { ok: false, errno, ...values, violations };
}

/** Builds the outcome of a call the model refuses: the kernel would BUG or corrupt memory. */
export function refused(...violations: Violation[]): FailOutcome {
  return { ok: false, violations };
}

/** Builds the outcome of a call that would sleep: nothing changes. */
export function blocked(): FailOutcome {
  return { ok: false, blocked: true, violations: NO_VIOLATIONS };
}
