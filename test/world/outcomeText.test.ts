import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Errno } from '../../src/errno.js';
import { outcomeMatches, outcomeTextAt, outcomeToJson } from '../../src/world/logFormat.js';
import { type Outcome, type OutcomeValue, blocked, fail, ok, refused } from '../../src/world/Outcome.js';
import { VIOLATION_KINDS, type Violation, violation } from '../../src/world/Violation.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const text = fc.oneof(fc.string(), fc.string({ unit: codeUnit }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\ud800', '\ud83d\ude00', 'é', 'a') }));

/** Names of returned values: the kernel's, plus arbitrary ones (never `ok` or `violations`). */
const field = fc.oneof(
  fc.constantFrom('start', 'size', 'context', 'seqno', 'status', 'callbacks', 'removed', 'later', 'cookie', 'ret', 'was_signaled', 'holes'),
  fc.string({ minLength: 1 }).filter((k) => k !== 'ok' && k !== 'violations' && k !== 'errno' && k !== 'blocked' && k !== '__proto__'),
);

/** Values a call can return: u64 bigints, numbers, booleans, null, callback name lists, small objects. */
const { value: outcomeValue } = fc.letrec<{ value: OutcomeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }), // outcomes hold finite numbers only: NaN and ±Infinity do not survive JSON
    fc.boolean(),
    fc.constant(null),
    text,
    fc.array(fc.constantFrom('cb', 'wake0', 'cb"1', 'cb\\2')),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'start', 'size', '1'), tie('value'), { maxKeys: 3 }),
  ),
}));

const values = fc.dictionary(field, outcomeValue, { maxKeys: 4, noNullPrototype: true });

const aViolation: fc.Arbitrary<Violation> = fc
  .tuple(fc.constantFrom(...VIOLATION_KINDS), text, fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }))
  .map(([k, m, objects]) => violation(k, m, objects));

const violations = fc.array(aViolation, { maxLength: 3 });
const errno = fc.constantFrom<Errno>('EINVAL', 'ENOENT', 'ENOSPC', 'EBUSY');

/** Outcomes as the protocols build them. */
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant(ok()),
  values.map((v) => ok(v)),
  fc.tuple(values, violations).map(([v, vs]) => ok(v, vs)),
  fc.tuple(errno, violations, values).map(([e, vs, v]) => fail(e, vs, v)),
  errno.map((e) => fail(e)),
  violations.map((vs) => refused(...vs)),
  fc.constant(blocked()),
);

/** The outcome's JSON with its keys in reverse order: the same object, written another way. */
function reordered(json: Record<string, unknown>): string {
  const keys = Object.keys(json).reverse();
  // Integer-like keys are always written first: reversing would not move them.
  const o: Record<string, unknown> = {};
  for (const k of keys) o[k] = json[k];
  return JSON.stringify(o);
}

describe('outcomeTextAt', () => {
  it('agrees exactly with JSON.stringify(outcomeToJson(outcome))', () => {
    fc.assert(
      fc.property(outcome, fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), (o, prefix, suffix) => {
        const json = JSON.stringify(outcomeToJson(o));
        expect(outcomeTextAt(prefix + json + suffix, prefix.length, o)).toBe(prefix.length + json.length);
      }),
      { numRuns: 500 },
    );
  });

  it('returns -1 when any one character of the outcome text is changed', () => {
    fc.assert(
      fc.property(outcome, fc.nat(), codeUnit, (o, at, c) => {
        const json = JSON.stringify(outcomeToJson(o));
        const i = at % json.length;
        const swapped = c === json[i] ? String.fromCharCode((c.charCodeAt(0) + 1) & 0xffff) : c;
        expect(outcomeTextAt(json.slice(0, i) + swapped + json.slice(i + 1), 0, o)).toBe(-1);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects the same outcome with its keys reordered, which outcomeMatches still accepts', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        const json = outcomeToJson(o) as Record<string, unknown>;
        const other = reordered(json);
        fc.pre(other !== JSON.stringify(json));
        expect(outcomeTextAt(other, 0, o)).toBe(-1);
        expect(outcomeMatches(o, JSON.parse(other))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same outcome with whitespace added, which outcomeMatches still accepts', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        const spaced = JSON.stringify(outcomeToJson(o), null, 1);
        expect(outcomeTextAt(spaced, 0, o)).toBe(-1);
        expect(outcomeMatches(o, JSON.parse(spaced))).toBe(true);
      }),
    );
  });

  it('writes u64 values as decimal strings', () => {
    const o = ok({ start: 18446744073709551615n, size: 4096n });
    const want = '{"ok":true,"start":"18446744073709551615","size":"4096"}';
    expect(outcomeTextAt(want, 0, o)).toBe(want.length);
    expect(outcomeTextAt('{"ok":true,"start":18446744073709551615,"size":4096}', 0, o)).toBe(-1);
  });

  it('leaves out an empty violations list, and keeps only kind and message of each violation', () => {
    expect(outcomeTextAt('{"ok":true}', 0, ok())).toBe(11);
    expect(outcomeTextAt('{"ok":true,"violations":[]}', 0, ok())).toBe(-1);
    const o = refused(violation('use_after_free', 'dma_fence_get on a freed fence', ['f1']));
    const want = '{"ok":false,"violations":[{"kind":"use_after_free","message":"dma_fence_get on a freed fence"}]}';
    expect(outcomeTextAt(want, 0, o)).toBe(want.length);
    expect(outcomeTextAt(want.replace('}]}', ',"objects":["f1"]}]}'), 0, o)).toBe(-1);
  });

  it('writes callback lists, errnos and blocked as the writer does', () => {
    const signalled = ok({ callbacks: ['cb1', 'wake1'] }, [violation('warn_on', 'w')]);
    const a = '{"ok":true,"callbacks":["cb1","wake1"],"violations":[{"kind":"warn_on","message":"w"}]}';
    expect(outcomeTextAt(a, 0, signalled)).toBe(a.length);
    expect(outcomeTextAt('{"ok":true,"callbacks":["wake1","cb1"],"violations":[{"kind":"warn_on","message":"w"}]}', 0, signalled)).toBe(-1);
    expect(outcomeTextAt('{"ok":false,"errno":"ENOENT"}', 0, fail('ENOENT'))).toBe(29);
    expect(outcomeTextAt('{"ok":false,"errno":"EINVAL"}', 0, fail('ENOENT'))).toBe(-1);
    expect(outcomeTextAt('{"ok":false,"blocked":true}', 0, blocked())).toBe(27);
    expect(outcomeTextAt('{"blocked":true,"ok":false}', 0, blocked())).toBe(-1);
  });

  it('leaves out fields whose value is undefined', () => {
    const o = { ok: true, start: undefined, size: 1n, violations: [] } as unknown as Outcome;
    expect(JSON.stringify(outcomeToJson(o))).toBe('{"ok":true,"size":"1"}');
    expect(outcomeTextAt('{"ok":true,"size":"1"}', 0, o)).toBe(22);
  });
});
