/**
 * The kinds of finding a call can trigger, in the kernel's vocabulary.
 *
 * - `warn_on`: a `WARN`/`WARN_ON` fired; the kernel carries on and so does the model.
 * - `bug_on`: a `BUG_ON` (or undefined behaviour such as list corruption); the call is refused.
 * - `lockdep`: a lockdep splat (lock imbalance, possible deadlock).
 * - `might_sleep`: "sleeping function called from invalid context" (a sleep point in atomic context).
 * - `use_after_free`, `double_free`, `refcount_underflow`: memory-safety findings; refused.
 * - `leak`: an object still alive at teardown.
 * - `deadlock`: no task can make progress (model checker).
 */
export type ViolationKind =
  | 'warn_on'
  | 'bug_on'
  | 'lockdep'
  | 'might_sleep'
  | 'use_after_free'
  | 'double_free'
  | 'refcount_underflow'
  | 'leak'
  | 'deadlock';

/** Every violation kind, for validation and docs. */
export const VIOLATION_KINDS: readonly ViolationKind[] = [
  'warn_on',
  'bug_on',
  'lockdep',
  'might_sleep',
  'use_after_free',
  'double_free',
  'refcount_underflow',
  'leak',
  'deadlock',
];

/** One finding of the model: what the kernel would have reported for a call. */
export interface Violation {
  readonly kind: ViolationKind;
  /** The kernel's message where it prints one, else a sentence saying what went wrong. */
  readonly message: string;
  /** The names of the objects involved. */
  readonly objects?: readonly string[];
}

/**
 * Builds a violation.
 *
 * @example
 *   violation('warn_on', 'dma_fence_set_error on a signaled fence', ['f1']);
 */
export function violation(kind: ViolationKind, message: string, objects?: readonly string[]): Violation {
  return objects === undefined ? { kind, message } : { kind, message, objects };
}
