import { DrmstateError } from '../errors.js';

/** The node before a hole, as a colour-adjust function sees it (the head node is not allocated). */
export interface ColorAdjustBefore {
  readonly allocated: boolean;
  readonly color: bigint;
}

/** The node after a hole, or undefined when the hole runs to the end of the range. */
export interface ColorAdjustAfter {
  readonly start: bigint;
  readonly size: bigint;
  readonly color: bigint;
}

/**
 * A colour-adjust callback: given the nodes around a hole, the colour being placed and the hole's
 * `[start, end)`, the usable `[start, end)`. Models `mm->color_adjust(node, color, &start, &end)`
 * (include/drm/drm_mm.h). It must be pure: a log names it, and replay calls it again.
 */
export type ColorAdjustFn = (
  before: ColorAdjustBefore,
  after: ColorAdjustAfter | undefined,
  color: bigint,
  start: bigint,
  end: bigint,
) => readonly [bigint, bigint];

const REGISTRY = new Map<string, ColorAdjustFn>();

/**
 * Registers a colour-adjust function under a name, so that `drm_mm_init` events can name it
 * (`"color_adjust": { "fn": "name" }`) and logs that use it replay. Registering the same function
 * again is harmless.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` when another function already has the name.
 * @example
 *   registerColorAdjust('separate', (before, after, color, start, end) => [
 *     before.allocated && before.color !== color ? start + 1n : start,
 *     after !== undefined && after.color !== color ? end - 1n : end,
 *   ]);
 */
export function registerColorAdjust(name: string, fn: ColorAdjustFn): void {
  const had = REGISTRY.get(name);
  if (had !== undefined && had !== fn)
    throw new DrmstateError('BAD_ARGUMENT', `a different colour-adjust function is already registered as ${JSON.stringify(name)}`);
  REGISTRY.set(name, fn);
}

/**
 * The colour-adjust function registered under `name`.
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` naming the field when none is.
 */
export function colorAdjustFn(name: string): ColorAdjustFn {
  const fn = REGISTRY.get(name);
  if (fn === undefined)
    throw new DrmstateError('UNKNOWN_OBJECT', `no colour-adjust function is registered as ${JSON.stringify(name)} (registerColorAdjust)`, {
      field: 'color_adjust.fn',
    });
  return fn;
}
