import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJsonValue } from '../../src/world/fields.js';
import { jsonTextAt, membersAt, sameAt } from '../../src/world/jsonText.js';

/** Any UTF-16 code unit, lone surrogates and control characters included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Characters JSON.stringify escapes or that are easy to get wrong. */
const tricky = fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', '\udfff', '\ud83d\ude00', 'é', '€', '/', '\u2028');

/** Strings of every kind: plain, with escapes, lone surrogates, emoji, non-ASCII. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: codeUnit }),
  fc.string({ unit: fc.oneof(tricky, fc.constantFrom('a', 'b', '1')) }),
);

/** Numbers, including -0, fractions, huge and tiny magnitudes and the non-finite ones. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, 1e21, -1e21, 1e-7, 0.1, -2.5, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, NaN, Infinity, -Infinity),
);

/** Object keys, ordinary and integer-like (which JSON.stringify writes first). */
const anyKey = fc.oneof(anyString, fc.constantFrom('0', '1', '10', 'a', 'ok', 'constructor', 'toString', '__proto__'));

/** JSON-ish values: what an outcome or event can hold, plus undefined members and array holes. */
const { value: jsonish } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyString,
    anyNumber,
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value')),
    fc.array(fc.option(tie('value'), { nil: undefined })),
    fc.sparseArray(tie('value')),
    fc.dictionary(anyKey, fc.option(tie('value'), { nil: undefined }), { noNullPrototype: true }),
  ),
}));

const affix = fc.string({ unit: fc.oneof(codeUnit, tricky), maxLength: 6 });

describe('jsonTextAt', () => {
  it('finds the JSON text of any value standing at a position, and says where it ends', () => {
    fc.assert(
      fc.property(jsonish, affix, affix, (v, prefix, suffix) => {
        const json = JSON.stringify(toJsonValue(v));
        expect(jsonTextAt(prefix + json + suffix, prefix.length, v)).toBe(prefix.length + json.length);
      }),
      { numRuns: 500 },
    );
  });

  it('returns -1 when any one character of the JSON text is changed', () => {
    fc.assert(
      fc.property(jsonish, affix, affix, fc.nat(), fc.oneof(codeUnit, tricky, fc.constantFrom(' ', ',', ':', '{', '}', '[', ']', '0', 'n')), (v, prefix, suffix, at, c) => {
        const json = JSON.stringify(toJsonValue(v));
        const i = at % json.length;
        const swapped = c.charCodeAt(0) === json.charCodeAt(i) ? String.fromCharCode((c.charCodeAt(0) + 1) & 0xffff) : c.charAt(0);
        const mutated = json.slice(0, i) + swapped + json.slice(i + 1);
        expect(mutated).not.toBe(json);
        expect(jsonTextAt(prefix + mutated + suffix, prefix.length, v)).toBe(-1);
      }),
      { numRuns: 500 },
    );
  });

  it('returns -1 when the JSON text is cut short at the end of the input', () => {
    fc.assert(
      fc.property(jsonish, fc.nat(), (v, at) => {
        const json = JSON.stringify(toJsonValue(v));
        const cut = json.slice(0, at % json.length);
        expect(jsonTextAt(cut, 0, v)).toBe(-1);
      }),
    );
  });

  it('matches the documented example', () => {
    expect(jsonTextAt('x{"a":[1,"2"]}', 1, { a: [1, 2n] })).toBe(14);
  });

  it('writes bigints as decimal strings, never as numbers', () => {
    expect(jsonTextAt('"18446744073709551615"', 0, 18446744073709551615n)).toBe(22);
    expect(jsonTextAt('18446744073709551615', 0, 18446744073709551615n)).toBe(-1);
    expect(jsonTextAt('"-5"', 0, -5n)).toBe(4);
  });

  it('writes numbers as JSON.stringify does: -0 as 0, 1e21 as 1e+21, non-finite as null', () => {
    expect(jsonTextAt('0', 0, -0)).toBe(1);
    expect(jsonTextAt('-0', 0, -0)).toBe(-1);
    expect(jsonTextAt('1e+21', 0, 1e21)).toBe(5);
    expect(jsonTextAt('-0.5', 0, -0.5)).toBe(4);
    expect(jsonTextAt('null', 0, NaN)).toBe(4);
    expect(jsonTextAt('null', 0, -Infinity)).toBe(4);
  });

  it('escapes strings as JSON.stringify does, lone surrogates included', () => {
    expect(jsonTextAt('"a\\"b\\\\c\\n"', 0, 'a"b\\c\n')).toBe(11);
    expect(jsonTextAt('"\\ud800"', 0, '\ud800')).toBe(8);
    expect(jsonTextAt('"\ud800"', 0, '\ud800')).toBe(-1);
    expect(jsonTextAt('"\ud83d\ude00"', 0, '\ud83d\ude00')).toBe(4);
    expect(jsonTextAt('"\\u0001"', 0, '\u0001')).toBe(8);
  });

  it('leaves out undefined members and writes undefined array elements and holes as null', () => {
    expect(jsonTextAt('{"b":2}', 0, { a: undefined, b: 2 })).toBe(7);
    expect(jsonTextAt('{"a":null,"b":2}', 0, { a: undefined, b: 2 })).toBe(-1);
    expect(jsonTextAt('[null,1,null]', 0, [undefined, 1, undefined])).toBe(13);
    // A sparse array: index 1 is a hole.
    expect(jsonTextAt('[1,null,3]', 0, [1, , 3])).toBe(10);
    expect(jsonTextAt('{}', 0, { a: undefined })).toBe(2);
  });

  it('wants keys in insertion order with no spaces', () => {
    expect(jsonTextAt('{"a":1,"b":2}', 0, { a: 1, b: 2 })).toBe(13);
    expect(jsonTextAt('{"b":2,"a":1}', 0, { a: 1, b: 2 })).toBe(-1);
    expect(jsonTextAt('{"a": 1,"b":2}', 0, { a: 1, b: 2 })).toBe(-1);
    expect(jsonTextAt('{"a":1,"b":2 }', 0, { a: 1, b: 2 })).toBe(-1);
  });

  it('stops at the end of the value and ignores what follows', () => {
    expect(jsonTextAt('[1,2],"x"', 0, [1, 2])).toBe(5);
    expect(jsonTextAt('truefalse', 0, true)).toBe(4);
    expect(jsonTextAt('"ab"', 0, 'a')).toBe(-1);
  });

  it('returns -1 for values JSON.stringify would not write here (undefined, functions, symbols)', () => {
    expect(jsonTextAt('null', 0, undefined)).toBe(-1);
    expect(jsonTextAt('null', 0, () => 1)).toBe(-1);
    expect(jsonTextAt('null', 0, Symbol('s'))).toBe(-1);
  });
});

describe('membersAt', () => {
  it('lets the caller render members specially and leave some out', () => {
    const member = (text: string, pos: number, v: unknown, k: string): number => (k === 'n' ? jsonTextAt(text, pos, String(v).length) : jsonTextAt(text, pos, v));
    const skip = (v: unknown, k: string): boolean => v === undefined || k === 'hidden';
    expect(membersAt('{"n":3,"m":true}', 0, { n: 'abc', hidden: 1, m: true }, member, skip)).toBe(16);
    expect(membersAt('{"n":"abc","m":true}', 0, { n: 'abc', hidden: 1, m: true }, member, skip)).toBe(-1);
    expect(membersAt('{"n":3,"hidden":1,"m":true}', 0, { n: 'abc', hidden: 1, m: true }, member, skip)).toBe(-1);
  });
});

describe('sameAt', () => {
  it('compares code unit by code unit, and fails past the end of the text', () => {
    expect(sameAt('abcdef', 2, 'cde')).toBe(true);
    expect(sameAt('abcdef', 2, 'cdf')).toBe(false);
    expect(sameAt('abc', 2, 'cd')).toBe(false);
    expect(sameAt('abc', 3, '')).toBe(true);
  });
});

describe('toJsonValue', () => {
  it('keeps an own "__proto__" member as a member, as JSON.stringify does', () => {
    const v = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    expect(JSON.stringify(toJsonValue(v))).toBe('{"__proto__":{"x":1},"a":1}');
    expect(jsonTextAt('{"__proto__":{"x":1},"a":1}', 0, v)).toBe(27);
  });
});
