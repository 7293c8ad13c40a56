import type { Hash64 } from '../world/hash.js';
import type { World } from '../world/World.js';
import type { FingerprintOptions } from './composeKernel.js';
import { KERNEL } from './protocols.js';

/**
 * The stable fingerprint of a world: 16 hex digits. The same world always has the same
 * fingerprint, whatever order its objects were created in; any difference gives another one.
 * O(number of protocols): every slice keeps its hash up to date incrementally. A protocol's empty
 * slice contributes nothing (see `EMPTY_WORLD_FINGERPRINT`).
 *
 * @example
 *   fingerprint(initialWorld()); // '3216c948b3d85918'
 */
export function fingerprint(world: World, options?: FingerprintOptions): string {
  return KERNEL.fingerprint(world, options);
}

/**
 * The world's 64-bit fingerprint as two 32-bit lanes (what {@link fingerprint} renders as hex).
 * The model checker's seen-set stores these.
 */
export function fingerprintHash(world: World, options?: FingerprintOptions): Hash64 {
  return KERNEL.fingerprintHash(world, options);
}

/**
 * Whether the 16 hex digits of `text` at `pos` are the world's fingerprint, without rendering it
 * (a replay hot path): `fingerprint(world) === text.slice(pos, pos + 16)`.
 */
export function fingerprintAt(world: World, text: string, pos: number, options?: FingerprintOptions): boolean {
  return KERNEL.fingerprintAt(world, text, pos, options);
}
