import { type Hash64, ZERO_HASH, addHash, hashString, hashToHex } from '../world/hash.js';
import type { World } from '../world/World.js';
import { PROTOCOLS } from './protocols.js';

const SEEDS = new Map<string, Hash64>();
function seedOf(key: string): Hash64 {
  let s = SEEDS.get(key);
  if (s === undefined) SEEDS.set(key, (s = hashString(key, 0x5eed)));
  return s;
}

function mix(h: Hash64, seed: Hash64): Hash64 {
  let a = Math.imul((h.lo ^ seed.lo) >>> 0, 0x9e3779b1);
  let b = Math.imul((h.hi ^ seed.hi) >>> 0, 0x85ebca77);
  a ^= b >>> 15;
  b ^= a >>> 13;
  return { lo: a >>> 0, hi: b >>> 0 };
}

/**
 * The stable fingerprint of a world: 16 hex digits. The same world always has the same
 * fingerprint, whatever order its objects were created in; any difference gives another one.
 * O(number of protocols): every slice keeps its hash up to date incrementally.
 *
 * @example
 *   fingerprint(initialWorld()); // '…16 hex digits…'
 */
export function fingerprint(world: World): string {
  let h = mix(world.tasks.hash, seedOf('tasks'));
  for (const p of PROTOCOLS) h = addHash(h, mix(p.hash(world[p.key] as never), seedOf(p.key)));
  return hashToHex(addHash(h, ZERO_HASH));
}
