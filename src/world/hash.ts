/**
 * A 64-bit hash kept as two independent 32-bit lanes, and the order-independent sums that make
 * world fingerprints incremental.
 *
 * A collection's hash is the lane-wise sum (mod 2^32) of the hashes of its entries, so it does not
 * depend on insertion order and one entry can be replaced in O(1) by subtracting its old hash and
 * adding its new one.
 */
export interface Hash64 {
  readonly lo: number;
  readonly hi: number;
}

/** The hash of nothing: the neutral element of {@link addHash}. */
export const ZERO_HASH: Hash64 = Object.freeze({ lo: 0, hi: 0 });

/**
 * Hashes a string to 64 bits (two 32-bit lanes of a cyrb53-style mix).
 *
 * @example
 *   hashString('f1').lo; // a uint32
 */
export function hashString(s: string, seed = 0): Hash64 {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

/** The final avalanche of both lanes. */
function finish(h1: number, h2: number): Hash64 {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return { lo: h1 >>> 0, hi: h2 >>> 0 };
}

/** Lane-wise sum of two hashes, mod 2^32 per lane. */
export function addHash(a: Hash64, b: Hash64): Hash64 {
  return { lo: (a.lo + b.lo) >>> 0, hi: (a.hi + b.hi) >>> 0 };
}

/** Lane-wise difference of two hashes, mod 2^32 per lane. */
export function subHash(a: Hash64, b: Hash64): Hash64 {
  return { lo: (a.lo - b.lo) >>> 0, hi: (a.hi - b.hi) >>> 0 };
}

/**
 * The hash of one keyed entry: its tag, key and canonical encoding, hashed as the string
 * `tag \0 key \0 encoded` would be, without building that string (a hot path).
 */
export function entryHash(tag: string, key: string, encoded: string): Hash64 {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let part = 0; part < 3; part++) {
    const s = part === 0 ? tag : part === 1 ? key : encoded;
    if (part > 0) {
      h1 = Math.imul(h1, 2654435761);
      h2 = Math.imul(h2, 1597334677);
    }
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  }
  return finish(h1, h2);
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(x: number): string {
  return (
    (HEX_BYTE[(x >>> 24) & 0xff] as string) +
    (HEX_BYTE[(x >>> 16) & 0xff] as string) +
    (HEX_BYTE[(x >>> 8) & 0xff] as string) +
    (HEX_BYTE[x & 0xff] as string)
  );
}

/** Renders a hash as 16 lowercase hex digits (`hi` then `lo`). */
export function hashToHex(h: Hash64): string {
  return hex32(h.hi) + hex32(h.lo);
}
