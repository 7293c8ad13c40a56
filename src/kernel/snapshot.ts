import { DrmstateError } from '../errors.js';
import type { TaskState, World } from '../world/World.js';
import { HashedMap } from '../world/HashedMap.js';
import { encodeTask } from '../world/World.js';
import { fingerprint } from './fingerprint.js';
import { PROTOCOLS } from './protocols.js';

/** The format name of a snapshot. */
export const SNAPSHOT_FORMAT = 'drmstate-snapshot';

/** A serialised world: JSON-able, read back by {@link readSnapshot} to the same fingerprint. */
export interface Snapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: 1;
  /** The sequence number of the last event the world includes (0: the initial world). */
  readonly seq: number;
  readonly fingerprint: string;
  readonly tasks: readonly (readonly [string, TaskState])[];
  readonly slices: { readonly [protocol: string]: unknown };
}

/**
 * Serialises a world.
 *
 * @example
 *   const snap = takeSnapshot(kernel.world, kernel.seq);
 *   fingerprint(readSnapshot(snap)) === snap.fingerprint; // true
 */
export function takeSnapshot(world: World, seq: number): Snapshot {
  const slices: Record<string, unknown> = {};
  for (const p of PROTOCOLS) slices[p.key] = p.toSnapshot(world[p.key] as never);
  return {
    format: SNAPSHOT_FORMAT,
    version: 1,
    seq,
    fingerprint: fingerprint(world),
    tasks: world.tasks.sortedEntries(),
    slices,
  };
}

/**
 * Reads a world back from a snapshot and checks its fingerprint.
 *
 * @throws {DrmstateError} `BAD_SNAPSHOT` when the data is not a snapshot or its fingerprint does not
 *   match.
 */
export function readSnapshot(data: unknown): World {
  const s = data as Partial<Snapshot> | null;
  if (typeof s !== 'object' || s === null || s.format !== SNAPSHOT_FORMAT || s.version !== 1)
    throw new DrmstateError('BAD_SNAPSHOT', `not a drmstate snapshot (expected "format": "${SNAPSHOT_FORMAT}", "version": 1)`);
  if (!Array.isArray(s.tasks) || typeof s.slices !== 'object' || s.slices === null)
    throw new DrmstateError('BAD_SNAPSHOT', 'a snapshot needs "tasks" and "slices"');
  const w: Record<string, unknown> = { tasks: HashedMap.from('task', encodeTask, s.tasks) };
  for (const p of PROTOCOLS) {
    if (!(p.key in s.slices)) throw new DrmstateError('BAD_SNAPSHOT', `the snapshot has no slice for ${p.key}`, { field: `slices.${p.key}` });
    w[p.key] = p.fromSnapshot((s.slices as Record<string, unknown>)[p.key]);
  }
  const world = Object.freeze(w) as unknown as World;
  const fp = fingerprint(world);
  if (fp !== s.fingerprint)
    throw new DrmstateError('BAD_SNAPSHOT', `the world read back has fingerprint ${fp}, the snapshot says ${String(s.fingerprint)}`, {
      field: 'fingerprint',
    });
  return world;
}
