import { DrmstateError } from '../errors.js';
import type { World } from '../world/World.js';

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

/**
 * The colour-adjust functions a world knows, by the name a log records: immutable. Adding one
 * makes a new table; worlds derived from a world share its table.
 */
export interface ColorAdjustTable {
  readonly byName: ReadonlyMap<string, ColorAdjustFn>;
}

/** The table of a world that registered nothing. */
export const EMPTY_COLOR_ADJUST: ColorAdjustTable = Object.freeze({ byName: new Map<string, ColorAdjustFn>() });

/** The name a function is registered under in a table, if it is. */
function nameIn(table: ColorAdjustTable, fn: ColorAdjustFn): string | undefined {
  for (const [name, f] of table.byName) if (f === fn) return name;
  return undefined;
}

/**
 * A world whose drm_mm slice also knows `fn`, so that `drm_mm_init` events can name it
 * (`"color_adjust": { "fn": name }`) and logs that use it replay from a world that registered it
 * the same way. The world's state and fingerprint are unchanged: functions are code, not state.
 *
 * With `name`, the function is registered under exactly that name. Without it, the name is the
 * function's own (`fn.name`, or `color_adjust` for an anonymous function), made unique with a
 * `#2`, `#3`… suffix when a different function already holds it, so that two functions both
 * named `adjust` get two names. A function already registered keeps its name.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` when `name` is given and a different function holds it.
 * @example
 *   const world = registerColorAdjust(initialWorld(), (before, after, color, start, end) => [
 *     before.allocated && before.color !== color ? start + 1n : start,
 *     after !== undefined && after.color !== color ? end - 1n : end,
 *   ], 'separate');
 *   const k = new Kernel({ world });
 *   k.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { fn: 'separate' } });
 */
export function registerColorAdjust(world: World, fn: ColorAdjustFn, name?: string): World {
  const s = world.drmMm;
  const table = s.colorAdjust;
  if (name !== undefined) {
    const had = table.byName.get(name);
    if (had === fn) return world;
    if (had !== undefined)
      throw new DrmstateError('BAD_ARGUMENT', `a different colour-adjust function is already registered as ${JSON.stringify(name)}; choose another name`);
  } else {
    if (nameIn(table, fn) !== undefined) return world;
    const base = fn.name === '' ? 'color_adjust' : fn.name;
    name = base;
    for (let i = 2; table.byName.has(name); i++) name = `${base}#${i}`;
  }
  const byName = new Map(table.byName);
  byName.set(name, fn);
  return { ...world, drmMm: { ...s, colorAdjust: Object.freeze({ byName }) } };
}

/**
 * The name `fn` is registered under in a world, or undefined when it is not registered.
 *
 * @example
 *   colorAdjustName(registerColorAdjust(initialWorld(), adjust), adjust); // 'adjust'
 */
export function colorAdjustName(world: World, fn: ColorAdjustFn): string | undefined {
  return nameIn(world.drmMm.colorAdjust, fn);
}

/**
 * The colour-adjust function registered under `name` in a table.
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` naming the field when none is.
 */
export function colorAdjustFn(table: ColorAdjustTable, name: string): ColorAdjustFn {
  const fn = table.byName.get(name);
  if (fn === undefined)
    throw new DrmstateError(
      'UNKNOWN_OBJECT',
      `no colour-adjust function is registered as ${JSON.stringify(name)} in this world (registerColorAdjust; on the command line, --require a module that registers it)`,
      { field: 'color_adjust.fn' },
    );
  return fn;
}
