import { DrmstateError } from '../errors.js';
import type { World } from '../world/World.js';
import type { ComposedKernel } from './composeKernel.js';
import { KERNEL } from './protocols.js';

/** The format name of a snapshot. */
export const SNAPSHOT_FORMAT = 'drmstate-snapshot';

/**
 * A serialised world: JSON-able, read back by {@link readSnapshot} to the same fingerprint.
 *
 * Version 2 keeps every task's state inside its protocol's slice; version 1 (still read) had a
 * world-level `tasks` list and a version-1 fingerprint.
 */
export interface Snapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: 2;
  /** The sequence number of the last event the world includes (0: the initial world). */
  readonly seq: number;
  readonly fingerprint: string;
  readonly slices: { readonly [protocol: string]: unknown };
}

/**
 * Serialises a world.
 *
 * @example
 *   const snap = takeSnapshot(kernel.world, kernel.seq);
 *   fingerprint(readSnapshot(snap)) === snap.fingerprint; // true
 */
export function takeSnapshot(world: World, seq: number, kernel: ComposedKernel = KERNEL): Snapshot {
  const slices: Record<string, unknown> = {};
  for (const p of kernel.protocols) slices[p.key] = p.toSnapshot(world[p.key] as never);
  return { format: SNAPSHOT_FORMAT, version: 2, seq, fingerprint: kernel.fingerprint(world), slices };
}

/**
 * Reads a world back from a snapshot and checks its fingerprint. A slice the snapshot does not have
 * (a protocol added since it was taken) reads as that protocol's initial slice.
 *
 * @throws {DrmstateError} `BAD_SNAPSHOT` when the data is not a snapshot or its fingerprint does not
 *   match.
 */
export function readSnapshot(data: unknown, kernel: ComposedKernel = KERNEL): World {
  const s = data as { format?: unknown; version?: unknown; slices?: unknown; tasks?: unknown; fingerprint?: unknown } | null;
  if (typeof s !== 'object' || s === null || s.format !== SNAPSHOT_FORMAT || (s.version !== 1 && s.version !== 2))
    throw new DrmstateError('BAD_SNAPSHOT', `not a drmstate snapshot (expected "format": "${SNAPSHOT_FORMAT}", "version": 2)`);
  if (typeof s.slices !== 'object' || s.slices === null) throw new DrmstateError('BAD_SNAPSHOT', 'a snapshot needs "slices"', { field: 'slices' });
  const v1 = s.version === 1;
  if (v1 && !Array.isArray(s.tasks)) throw new DrmstateError('BAD_SNAPSHOT', 'a version-1 snapshot needs "tasks"', { field: 'tasks' });
  const w: Record<string, unknown> = {};
  const v1Owner = kernel.protocols.find((q) => q.tasks !== undefined);
  for (const p of kernel.protocols) {
    let slice = (s.slices as Record<string, unknown>)[p.key];
    // ABSTRACTION: version 1 kept the task table beside the slices; it was the task part of the one
    // protocol that had one, which now keeps it in its slice as `tasks`.
    if (v1 && p === v1Owner && typeof slice === 'object' && slice !== null) slice = { ...slice, tasks: s.tasks };
    w[p.key] = slice === undefined ? p.initial() : p.fromSnapshot(slice);
  }
  const world = Object.freeze(w) as unknown as World;
  const fp = kernel.fingerprint(world, { version: v1 ? 1 : 2 });
  if (fp !== s.fingerprint)
    throw new DrmstateError('BAD_SNAPSHOT', `the world read back has fingerprint ${fp}, the snapshot says ${String(s.fingerprint)}`, {
      field: 'fingerprint',
    });
  return world;
}
