import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { U64_MAX, decodeFields, readU64 } from '../../src/world/fields.js';

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof DrmstateError) return e.message;
    throw e;
  }
  throw new Error('expected a DrmstateError');
}

describe('readU64', () => {
  it('reads every decimal string of up to 20 digits (leading zeros too) as BigInt does', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), (v) => {
        const b = BigInt(v);
        if (b > U64_MAX) expect(() => readU64('t', 'f', v)).toThrow(DrmstateError);
        else expect(readU64('t', 'f', v)).toBe(b);
      }),
      { numRuns: 2000 },
    );
    for (const v of ['0', '1023', '1024', '999999999999999', '9007199254740991', '9007199254740993', '18446744073709551615', '000000000000004096'])
      expect(readU64('t', 'f', v)).toBe(BigInt(v));
    for (const v of ['', ' 1', '1 ', '+1', '1e3', '0x10', '１'])
      expect(() => readU64('t', 'f', v)).toThrow(DrmstateError);
    expect(readU64('t', 'f', '-0')).toBe(0n);
  });

  it('reads decimal strings, bigints and JSON numbers below 2^53', () => {
    expect(readU64('t', 'f', '18446744073709551615')).toBe(U64_MAX);
    expect(readU64('t', 'f', 5n)).toBe(5n);
    expect(readU64('t', 'f', 2 ** 53 - 1)).toBe(2n ** 53n - 1n);
    expect(readU64('t', 'f', 0)).toBe(0n);
  });

  it('refuses a JSON number of 2^53 or more as out of range, naming the value read', () => {
    const m = message(() => readU64('drm_mm_init', 'size', 18446744073709551615));
    expect(m).toContain('field "size"');
    expect(m).toContain('18446744073709551616 is out of range');
    expect(m).toContain('decimal string');
    expect(message(() => readU64('t', 'f', 2 ** 53))).toContain('9007199254740992 is out of range');
  });

  it('says "out of range" for integers outside the u64 range', () => {
    expect(message(() => readU64('t', 'f', -1))).toContain('-1 is out of range for a u64');
    expect(message(() => readU64('t', 'f', '-1'))).toContain('-1 is out of range for a u64');
    expect(message(() => readU64('t', 'f', '18446744073709551616'))).toContain('18446744073709551616 is out of range for a u64');
    expect(message(() => readU64('t', 'f', 1n << 64n))).toContain('out of range');
  });

  it('says "expected a u64" for what is not an integer', () => {
    expect(message(() => readU64('t', 'f', 1.5))).toContain('expected a u64');
    expect(message(() => readU64('t', 'f', '0x10'))).toContain('expected a u64');
    expect(message(() => readU64('t', 'f', true))).toContain('expected a u64');
  });
});

describe('readU64 of powers of two and their neighbours', () => {
  it('reads each exactly (a power of two comes from the shared table, its neighbours do not)', () => {
    for (let k = 0; k < 50; k++)
      for (const d of [-1, 0, 1]) {
        const x = 2 ** k + d;
        if (x < 0) continue;
        expect(readU64('t', 'f', String(x)), String(x)).toBe(BigInt(x));
      }
    // 2^50 - 1: Math.log2 rounds it to 50, which must not make it 2^50.
    expect(readU64('t', 'f', '1125899906842623')).toBe(1125899906842623n);
    expect(readU64('t', 'f', '999999999999999')).toBe(999999999999999n);
  });
});

describe('decodeFields', () => {
  const schema = { error: { kind: 'int' } } as const;
  it('says "out of range" for an int field of magnitude 2^53 or more', () => {
    const m = message(() => decodeFields({ type: 'dma_fence_set_error', error: -1e300 }, schema));
    expect(m).toContain('out of range');
    expect(m).not.toContain('expected an integer');
  });

  it('says "expected an integer" for a non-integer int field', () => {
    expect(message(() => decodeFields({ type: 'dma_fence_set_error', error: 0.5 }, schema))).toContain('expected an integer, got 0.5');
  });
});
