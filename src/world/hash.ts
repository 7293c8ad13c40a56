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

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const HEX_DIGIT = '0123456789abcdef';

/** The hash of nothing: the neutral element of {@link addHash}. */
export const ZERO_HASH: Hash64 = Object.freeze({ lo: 0, hi: 0 });

/**
 * Hashes a string to 64 bits (two 32-bit lanes of a cyrb53-style mix).
 *
 * @example
 *   hashString('f1').lo; // a uint32
 */
export function hashString(s: string, seed = 0): Hash64 {
  return new StreamHash().reset({ h1: 0xdeadbeef ^ seed, h2: 0x41c6ce57 ^ seed }).str(s).digest();
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
 * A string hash computed piece by piece: feeding pieces gives the same hash as {@link hashString}
 * (seed 0) of their concatenation, without building it. Used to hash records field by field on
 * the replay hot path.
 *
 * @example
 *   const h = new StreamHash();
 *   h.str('a|'); h.int(-12);
 *   h.digest(); // equals hashString('a|-12')
 */
export class StreamHash {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  /** Starts again from the empty string, or from a state saved with {@link StreamHash.save}. */
  reset(from?: { readonly h1: number; readonly h2: number }): this {
    this.h1 = from ? from.h1 : 0xdeadbeef;
    this.h2 = from ? from.h2 : 0x41c6ce57;
    return this;
  }

  /** The state after the pieces fed so far, to {@link StreamHash.reset} to later. */
  save(): { readonly h1: number; readonly h2: number } {
    return { h1: this.h1, h2: this.h2 };
  }

  /** Feeds one UTF-16 code unit. */
  char(c: number): this {
    this.h1 = Math.imul(this.h1 ^ c, 2654435761);
    this.h2 = Math.imul(this.h2 ^ c, 1597334677);
    return this;
  }

  /** Feeds a string. */
  str(s: string): this {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    return this;
  }

  /** Feeds a safe integer as its decimal digits (what `String(n)` writes). */
  int(n: number): this {
    if (!(n >= -0x7fffffff && n <= 0x7fffffff)) return this.str(String(n));
    if (n < 0) {
      this.char(45);
      n = -n;
    }
    let p = 1;
    while (p * 10 <= n) p *= 10;
    for (; p >= 1; p = (p / 10) | 0) {
      const d = (n / p) | 0;
      this.char(48 + d);
      n -= d * p;
    }
    return this;
  }

  /** Feeds a u64 as its decimal digits (what `String(v)` writes), without building the string below 2^53. */
  u64(v: bigint): this {
    if (v > MAX_SAFE_BIG || v < 0n) return this.str(String(v));
    let n = Number(v);
    if (n <= 0x7fffffff) return this.int(n);
    // Exact for doubles below 2^53: at most 16 digits, most significant first.
    let p = 1;
    while (p * 10 <= n) p *= 10;
    for (; p >= 1; p /= 10) {
      let d = Math.floor(n / p);
      // Guard against the quotient rounding up to the next integer.
      if (d * p > n) d--;
      this.char(48 + d);
      n -= d * p;
    }
    return this;
  }

  /** Feeds a hash as {@link hashToHex} writes it: 16 lowercase hex digits, `hi` then `lo`. */
  hex(h: Hash64): this {
    for (let i = 28; i >= 0; i -= 4) this.char(HEX_DIGIT.charCodeAt((h.hi >>> i) & 15));
    for (let i = 28; i >= 0; i -= 4) this.char(HEX_DIGIT.charCodeAt((h.lo >>> i) & 15));
    return this;
  }

  /** The hash of everything fed. */
  digest(): Hash64 {
    return finish(this.h1, this.h2);
  }
}

/** The tag part of an entry hash, `tag \0`, fed once per map (see {@link entryHash}). */
export function tagState(tag: string): { readonly h1: number; readonly h2: number } {
  return new StreamHash().str(tag).char(0).save();
}

/**
 * The hash of one keyed entry: its tag, key and canonical encoding, hashed as the string
 * `tag \0 key \0 encoded` would be, without building that string (a hot path). `feed` writes the
 * encoding; `tag` may be given as its {@link tagState}.
 */
export function entryHash<V>(
  tag: string | { readonly h1: number; readonly h2: number },
  key: string,
  value: V,
  feed: (v: V, h: StreamHash) => void,
): Hash64 {
  // A stream per call, not a shared scratch one: no module state (V8 keeps it off the heap).
  const h = typeof tag === 'string' ? new StreamHash().str(tag).char(0) : new StreamHash().reset(tag);
  h.str(key).char(0);
  feed(value, h);
  return h.digest();
}

/** A `feed` for {@link entryHash} whose values are their own encoding. */
export function feedText(s: string, h: StreamHash): void {
  h.str(s);
}

/** A `feed` for {@link entryHash} that hashes the string `encode` gives. */
export function feedString<V>(encode: (v: V) => string): (v: V, h: StreamHash) => void {
  return (v, h) => {
    h.str(encode(v));
  };
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
