import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type ColorAdjustFn, registerColorAdjust } from '../drm-mm/colorAdjust.js';
import { DrmstateError } from '../errors.js';
import { initialWorld } from '../kernel/apply.js';
import type { World } from '../world/World.js';

/**
 * What a module named by `--require` is given: its `register(registrar)` export calls these to
 * make functions known to the world the command starts from.
 *
 * @example
 *   // adjust.js, used as `drmstate replay run.log --require ./adjust.js`
 *   export function register(r) {
 *     r.registerColorAdjust((before, after, color, start, end) => [start, end], 'identity');
 *   }
 */
export interface DrmstateRegistrar {
  /** Registers a colour-adjust function, as {@link registerColorAdjust} does on a world. */
  registerColorAdjust(fn: ColorAdjustFn, name?: string): void;
}

function bad(path: string, what: string): DrmstateError {
  return new DrmstateError('BAD_ARGUMENT', `--require ${path}: ${what}`);
}

/**
 * The world a command starts from: the initial world, with whatever the modules at `paths`
 * register. Each module is loaded (CommonJS or ES, resolved from `cwd`) and its `register`
 * export is called with a registrar of its own; the modules run in the order given.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` naming the module when it cannot be loaded, exports no
 *   `register` function, or registers something that is not a function or a name already taken.
 * @example
 *   const world = worldWithModules(['./adjust.js']);
 *   replayLog(text, { world });
 */
export function worldWithModules(paths: readonly string[], cwd: string = process.cwd()): World {
  let world = initialWorld();
  const load = createRequire(join(cwd, 'drmstate-require.js'));
  for (const path of paths) {
    let mod: { register?: unknown };
    try {
      mod = load(resolve(cwd, path)) as { register?: unknown };
    } catch (e) {
      throw bad(path, `cannot load it: ${(e as Error).message.split('\n')[0]}`);
    }
    if (typeof mod.register !== 'function') throw bad(path, 'it exports no register(registrar) function');
    const registrar: DrmstateRegistrar = {
      registerColorAdjust(fn: unknown, name?: unknown) {
        if (typeof fn !== 'function') throw bad(path, 'registerColorAdjust needs a function');
        if (name !== undefined && (typeof name !== 'string' || name === '')) throw bad(path, 'registerColorAdjust: the name must be a non-empty string');
        world = registerColorAdjust(world, fn as ColorAdjustFn, name as string | undefined);
      },
    };
    try {
      (mod.register as (r: DrmstateRegistrar) => unknown)(registrar);
    } catch (e) {
      throw e instanceof DrmstateError ? bad(path, e.message) : bad(path, `register threw: ${(e as Error).message}`);
    }
  }
  return world;
}
