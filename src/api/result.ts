import type { Errno } from '../errno.js';
import type { Kernel } from '../kernel/Kernel.js';
import type { Outcome } from '../world/Outcome.js';
import type { Violation } from '../world/Violation.js';

/**
 * The answer of a call that the kernel types as `int` (0 or a negative errno): Rust's `Result<()>`.
 * `violations` carries any WARN or BUG the call triggered.
 *
 * @example
 *   const r: Result<bigint> = { ok: true, value: 4096n, violations: [] };
 *   if (!r.ok) console.log(r.errno);
 */
export type Result<T = undefined> =
  | { readonly ok: true; readonly value: T; readonly violations: readonly Violation[] }
  | { readonly ok: false; readonly errno?: Errno; readonly blocked?: true; readonly violations: readonly Violation[] };

/**
 * Turns a kernel outcome into a {@link Result}, reading the value from a successful outcome.
 *
 * @example
 *   result(kernel.call({ type: 'drm_mm_clean', mm: 'm' }), (o) => o.clean as boolean);
 */
export function result<T>(o: Outcome, value: (o: Outcome) => T): Result<T> {
  if (o.ok) return { ok: true, value: value(o), violations: o.violations };
  return { ok: false, ...(o.errno ? { errno: o.errno } : {}), ...(o.blocked ? { blocked: true as const } : {}), violations: o.violations };
}

/**
 * The value of a call that returns nothing.
 *
 * @example
 *   result(outcome, unit); // Result<undefined>
 */
export const unit = (): undefined => undefined;

/**
 * A fresh name for an object the API creates without one: `fence1`, `fence2`, … per kernel. The
 * count lives on the kernel ({@link Kernel.freshName}), so this module holds no state.
 *
 * @example
 *   freshName(kernel, 'node'); // 'node1'
 */
export function freshName(kernel: Kernel, prefix: string): string {
  return kernel.freshName(prefix);
}
