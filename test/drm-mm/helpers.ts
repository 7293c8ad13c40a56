import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import type { Outcome } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';
import { outcomeToJson } from '../../src/world/logFormat.js';

/** A world holding only an empty drm_mm slice. */
export function emptyWorld(): World {
  return { drmMm: drmMmProtocol.initial() } as unknown as World;
}

/** An outcome's JSON form: bigints as decimal strings, violations by kind only, omitted when empty. */
export function outcomeJson(o: Outcome): Record<string, unknown> {
  const j = { ...(outcomeToJson(o) as Record<string, unknown>) };
  const v = j['violations'] as { kind: string }[] | undefined;
  if (v !== undefined) j['violations'] = v.map((x) => ({ kind: x.kind }));
  return j;
}

/** Normalises an expected outcome the same way. */
export function expectedJson(o: Record<string, unknown>): Record<string, unknown> {
  const j = { ...o };
  const v = j['violations'] as { kind: string }[] | undefined;
  if (v === undefined || v.length === 0) delete j['violations'];
  else j['violations'] = v.map((x) => ({ kind: x.kind }));
  return j;
}

/** A small driver: applies raw events one by one and keeps the world. */
export class Driver {
  world: World = emptyWorld();
  /** Applies one raw event and returns its outcome in JSON form. */
  call(event: Record<string, unknown> & { type: string }): Record<string, unknown> {
    const r = drmMmProtocol.apply(this.world, drmMmProtocol.decode(event));
    this.world = r.world;
    return outcomeJson(r.outcome);
  }
}

/** Shorthand for decimal strings. */
export const U64_MAX_S = '18446744073709551615';
