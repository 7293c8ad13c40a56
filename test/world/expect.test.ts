import { describe, expect, it } from 'vitest';
import { expectationFailure, outcomeContains } from '../../src/world/expect.js';

describe('outcomeContains', () => {
  it('accepts a subset of the fields, with other fields present', () => {
    expect(outcomeContains({ ok: true, start: '0', size: '4096' }, { ok: true, start: '0' })).toBe(true);
    expect(outcomeContains({ ok: true }, {})).toBe(true);
  });

  it('refuses a missing field or a different value', () => {
    expect(outcomeContains({ ok: true }, { start: '0' })).toBe(false);
    expect(outcomeContains({ ok: true, start: '0' }, { start: 0 })).toBe(false);
    expect(outcomeContains({ ok: false, errno: 'EBUSY' }, { ok: true })).toBe(false);
  });

  it('compares arrays in full and in order, and objects whole', () => {
    expect(outcomeContains({ ok: true, woke: ['t1', 't2'] }, { woke: ['t1', 't2'] })).toBe(true);
    expect(outcomeContains({ ok: true, woke: ['t1', 't2'] }, { woke: ['t1'] })).toBe(false);
    expect(outcomeContains({ ok: true, woke: ['t1', 't2'] }, { woke: ['t2', 't1'] })).toBe(false);
    expect(outcomeContains({ ok: true, mm: { users: 1, count: 2 } }, { mm: { users: 1 } })).toBe(false);
  });

  it('compares violations by kind, and an empty list matches their absence', () => {
    const o = { ok: false, violations: [{ kind: 'bug_on', message: 'm' }] };
    expect(outcomeContains(o, { violations: ['bug_on'] })).toBe(true);
    expect(outcomeContains(o, { violations: [{ kind: 'bug_on' }] })).toBe(true);
    expect(outcomeContains(o, { violations: ['warn_on'] })).toBe(false);
    expect(outcomeContains({ ok: true }, { violations: [] })).toBe(true);
  });
});

describe('expectationFailure', () => {
  const warned = { ok: true, violations: [{ kind: 'lockdep', message: 'cycle' }] };
  it('accepts a named violation kind that is present', () => {
    expect(expectationFailure(warned, { expect: { ok: true }, expect_violation: 'lockdep' })).toBeUndefined();
  });

  it('refuses any violation when none is named', () => {
    expect(expectationFailure(warned, { expect: { ok: true } })).toBe('expected no violations, got lockdep');
    expect(expectationFailure(warned, { expect: { ok: true }, expect_no_violations: true })).toBe('expected no violations, got lockdep');
  });

  it('refuses a named kind that is absent, and names the fields that differ', () => {
    expect(expectationFailure({ ok: true }, { expect: { ok: true }, expect_violation: 'lockdep' })).toBe('expected a lockdep violation, got none');
    expect(expectationFailure({ ok: true, cookie: true }, { expect: { ok: true, cookie: false } })).toBe('expected cookie = false');
  });
});
