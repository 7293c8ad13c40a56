import { type Hash64, hashString, hashToHex } from '../world/hash.js';
import type { World } from '../world/World.js';
import { PROTOCOLS } from './protocols.js';

const TASKS_SEED = hashString('tasks', 0x5eed);
const PROTOCOL_SEEDS = PROTOCOLS.map((p) => hashString(p.key, 0x5eed));

const acc = { lo: 0, hi: 0 };

/** Adds the mix of a part's hash under its seed into `acc` (no allocation: a hot path). */
function mixInto(h: Hash64, seed: Hash64): void {
  let a = Math.imul((h.lo ^ seed.lo) >>> 0, 0x9e3779b1);
  let b = Math.imul((h.hi ^ seed.hi) >>> 0, 0x85ebca77);
  a ^= b >>> 15;
  b ^= a >>> 13;
  acc.lo = (acc.lo + (a >>> 0)) >>> 0;
  acc.hi = (acc.hi + (b >>> 0)) >>> 0;
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
  fingerprint64(world);
  return hashToHex(acc);
}

/**
 * The world's 64-bit fingerprint as two 32-bit lanes (what {@link fingerprint} renders as hex).
 * The model checker's seen-set stores these.
 */
export function fingerprintHash(world: World): Hash64 {
  fingerprint64(world);
  return { lo: acc.lo, hi: acc.hi };
}

/** Leaves the world's 64-bit fingerprint in `acc`. */
function fingerprint64(world: World): void {
  acc.lo = 0;
  acc.hi = 0;
  mixInto(world.tasks.hash, TASKS_SEED);
  for (let i = 0; i < PROTOCOLS.length; i++) {
    const p = PROTOCOLS[i] as (typeof PROTOCOLS)[number];
    mixInto(p.hash(world[p.key] as never), PROTOCOL_SEEDS[i] as Hash64);
  }
}

/** The value of the hex digit `c` (lowercase), or -1. */
function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/** Whether the 8 lowercase hex digits of `text` at `pos` are `lane`. */
function laneAt(text: string, pos: number, lane: number): boolean {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const d = hexDigit(text.charCodeAt(pos + i));
    if (d < 0) return false;
    v = v * 16 + d;
  }
  return v === lane;
}

/**
 * Whether the 16 hex digits of `text` at `pos` are the world's fingerprint, without rendering it
 * (a replay hot path): `fingerprint(world) === text.slice(pos, pos + 16)`.
 */
export function fingerprintAt(world: World, text: string, pos: number): boolean {
  fingerprint64(world);
  return laneAt(text, pos, acc.hi) && laneAt(text, pos + 8, acc.lo);
}
