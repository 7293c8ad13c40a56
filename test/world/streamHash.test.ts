import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CbRecord, type FenceRecord, encodeCb, encodeFence, feedCb, feedFence } from '../../src/dma-fence/state.js';
import { StreamHash, entryHash, feedString, feedText, hashString, hashToHex, tagState } from '../../src/world/hash.js';
import { HashedMap } from '../../src/world/HashedMap.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff });
const anyString = fc.oneof(fc.string(), fc.string({ unit: codeUnit.map((c) => String.fromCharCode(c)) }), fc.string({ unit: 'binary' }));

/** Safe integers, with the edges of the 31-bit fast path and the powers of ten. */
const safeInt = fc.oneof(
  fc.integer(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31, -(2 ** 31), 2 ** 32, 1e9, 1e9 - 1, 1e10, 999999999, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);

/** One piece fed to a stream, and the text it stands for. */
type Piece = { kind: 'str'; s: string } | { kind: 'char'; c: number } | { kind: 'int'; n: number };
const piece: fc.Arbitrary<Piece> = fc.oneof(
  anyString.map((s) => ({ kind: 'str' as const, s })),
  codeUnit.map((c) => ({ kind: 'char' as const, c })),
  safeInt.map((n) => ({ kind: 'int' as const, n })),
);

function feed(h: StreamHash, p: Piece): void {
  if (p.kind === 'str') h.str(p.s);
  else if (p.kind === 'char') h.char(p.c);
  else h.int(p.n);
}

function textOf(p: Piece): string {
  return p.kind === 'str' ? p.s : p.kind === 'char' ? String.fromCharCode(p.c) : String(p.n);
}

/** u64s, with the powers of ten and their neighbours, the 2^31, 2^32 and 2^53 edges and U64_MAX. */
const u64Value = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 1n << 54n }),
  fc.integer({ min: 0, max: 22 }).chain((e) => fc.constantFrom(10n ** BigInt(e) - 1n, 10n ** BigInt(e), 10n ** BigInt(e) + 1n)),
  fc.constantFrom(0n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 9n * 10n ** 15n - 1n, (1n << 64n) - 1n),
);

describe('StreamHash', () => {
  it('feeds a u64 as String(v) would be fed', () => {
    fc.assert(
      fc.property(u64Value, (v) => {
        expect(new StreamHash().str('a').u64(v).char(124).digest()).toEqual(hashString(`a${v}|`));
      }),
      { numRuns: 3000 },
    );
  });

  it('feeds a hash as hashToHex writes it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (lo, hi) => {
        expect(new StreamHash().hex({ lo, hi }).digest()).toEqual(hashString(hashToHex({ lo, hi })));
      }),
    );
  });

  it('hashes an empty stream as hashString of the empty string', () => {
    expect(new StreamHash().digest()).toEqual(hashString(''));
  });

  it('feeds an integer as String(n) would be fed, over every safe integer', () => {
    fc.assert(
      fc.property(safeInt, anyString, anyString, (n, before, after) => {
        expect(new StreamHash().str(before).int(n).str(after).digest()).toEqual(hashString(before + String(n) + after));
      }),
      { numRuns: 1000 },
    );
  });

  it('feeds every integer from -1000 to 1000 and around 2^31 as its digits', () => {
    const around = [2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, -(2 ** 31 - 2), -(2 ** 31 - 1), -(2 ** 31), -(2 ** 31 + 1)];
    for (let n = -1000; n <= 1000; n++) around.push(n);
    for (const n of around) expect(new StreamHash().int(n).digest(), String(n)).toEqual(hashString(String(n)));
  });

  it('hashes any sequence of str, char and int pieces as hashString of their concatenation', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const h = new StreamHash();
        for (const p of pieces) feed(h, p);
        expect(h.digest()).toEqual(hashString(pieces.map(textOf).join('')));
      }),
      { numRuns: 500 },
    );
  });

  it('continues from a saved state as if never interrupted, and reset() starts from nothing', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.array(piece, { maxLength: 6 }), (head, tail) => {
        const h = new StreamHash();
        for (const p of head) feed(h, p);
        const saved = h.save();
        // Feeding something else and digesting in between must not matter after a reset to the saved state.
        h.str('noise').digest();
        h.reset(saved);
        for (const p of tail) feed(h, p);
        expect(h.digest()).toEqual(hashString([...head, ...tail].map(textOf).join('')));
        h.reset();
        for (const p of tail) feed(h, p);
        expect(h.digest()).toEqual(hashString(tail.map(textOf).join('')));
      }),
    );
  });

  it('can be digested, then fed more', () => {
    const h = new StreamHash().str('ab');
    expect(h.digest()).toEqual(hashString('ab'));
    expect(h.digest()).toEqual(hashString('ab'));
    expect(h.int(-12).digest()).toEqual(hashString('ab-12'));
  });

  it('tells different strings apart', () => {
    expect(new StreamHash().int(12).digest()).not.toEqual(hashString('21'));
    expect(new StreamHash().int(-0).digest()).not.toEqual(hashString('-0'));
  });
});

describe('entryHash', () => {
  it('hashes tag \\0 key \\0 encoding, given the tag or its tagState', () => {
    fc.assert(
      fc.property(anyString, anyString, anyString, (tag, key, encoded) => {
        const want = hashString(`${tag}\0${key}\0${encoded}`);
        expect(entryHash(tag, key, encoded, feedText)).toEqual(want);
        expect(entryHash(tagState(tag), key, encoded, feedText)).toEqual(want);
        expect(entryHash(tag, key, { encoded }, feedString((v: { encoded: string }) => v.encoded))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('separates tag, key and encoding, so moving a character across them changes the hash', () => {
    expect(entryHash('t', 'ab', 'c', feedText)).not.toEqual(entryHash('t', 'a', 'bc', feedText));
    expect(entryHash('ta', 'b', 'c', feedText)).not.toEqual(entryHash('t', 'ab', 'c', feedText));
  });
});

const fenceRecord: fc.Arbitrary<FenceRecord> = fc.record({
  state: fc.constantFrom('unsignaled.signalingDisabled', 'unsignaled.signalingEnabled', 'signaled', 'freed'),
  refcount: safeInt,
  context: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String), anyString),
  seqno: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String), anyString),
  seqno64: fc.boolean(),
  error: safeInt,
  cbs: fc.array(fc.oneof(anyString, fc.constantFrom('cb', 'a|b', '\u0001', '')), { maxLength: 5 }),
});

const cbRecord: fc.Arbitrary<CbRecord> = fc.record({
  state: fc.constantFrom('unqueued', 'registered', 'invoked', 'removed'),
  fence: anyString,
});

describe('feedFence', () => {
  it('streams exactly the characters of encodeFence', () => {
    fc.assert(
      fc.property(fenceRecord, (f) => {
        const h = new StreamHash().reset();
        feedFence(f, h);
        expect(h.digest()).toEqual(hashString(encodeFence(f)));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the entry hash of the encoded fence, so maps fed either way hash alike', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyString, fenceRecord), { maxLength: 5 }), (entries) => {
        for (const [k, f] of entries) expect(entryHash('dma_fence.fence', k, f, feedFence)).toEqual(entryHash('dma_fence.fence', k, encodeFence(f), feedText));
        const fed = HashedMap.from('dma_fence.fence', { feed: feedFence }, entries);
        const encoded = HashedMap.from('dma_fence.fence', encodeFence, entries);
        expect(fed.hash).toEqual(encoded.hash);
      }),
      { numRuns: 200 },
    );
  });
});

describe('feedCb', () => {
  it('streams exactly the characters of encodeCb', () => {
    fc.assert(
      fc.property(cbRecord, anyString, (c, key) => {
        const h = new StreamHash().reset();
        feedCb(c, h);
        expect(h.digest()).toEqual(hashString(encodeCb(c)));
        expect(entryHash('dma_fence.cb', key, c, feedCb)).toEqual(hashString(`dma_fence.cb\0${key}\0${encodeCb(c)}`));
      }),
      { numRuns: 500 },
    );
  });
});
