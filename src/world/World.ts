import { type EditSession, HashedMap } from './HashedMap.js';

/**
 * Per-protocol parts of the world. Each protocol adds its slice by declaration merging
 * (`declare module '../world/World.js' { interface WorldSlices { dmaFence: DmaFenceState } }`),
 * so this layer never needs to know which protocols exist.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WorldSlices {}

/**
 * One immutable snapshot of the simulated kernel: one slice per protocol. Each protocol keeps its
 * part of every task's state in its own slice (see `Protocol.tasks`).
 *
 * Worlds are never mutated: `apply` returns a new world that shares structure with the old one.
 */
export type World = { readonly [K in keyof WorldSlices]: WorldSlices[K] };

/**
 * A new world with one slice replaced: a shallow copy of the small top-level
 * object with the new root, frozen (`Object.freeze`, what immer's shallow freeze does to a plain
 * object), sharing every other slice.
 *
 * ABSTRACTION: this is what `produce(world, d => { d[key] = slice })` yields, without the draft
 * proxy (replay is a hot path; see docs/api.md).
 */
export function withSlice<K extends keyof World>(world: World, key: K, slice: World[K]): World {
  if (world[key] === slice) return world;
  const next = { ...world } as Record<string, unknown>;
  next[key as string] = slice;
  return Object.freeze(next) as unknown as World;
}

/**
 * A copy of `world` whose maps `session` owns (each slice's top-level {@link HashedMap}s), so that
 * calls applied to it and to its successors edit those maps in place while the session is open.
 * `world` itself is never changed. Maps nested deeper, or created later, stay persistent: correct,
 * only slower.
 */
export function editableWorld(world: World, session: EditSession): World {
  const next: Record<string, unknown> = {};
  for (const [key, part] of Object.entries(world)) next[key] = editablePart(part, session);
  return Object.freeze(next) as unknown as World;
}

function editablePart(part: unknown, session: EditSession): unknown {
  if (part instanceof HashedMap) return part.ownedBy(session);
  if (typeof part !== 'object' || part === null || Array.isArray(part) || Object.getPrototypeOf(part) !== Object.prototype) return part;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(part)) copy[k] = v instanceof HashedMap ? v.ownedBy(session) : v;
  return Object.freeze(copy);
}
