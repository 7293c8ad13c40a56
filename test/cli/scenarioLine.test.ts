import { describe, expect, it } from 'vitest';
import { readScenarioLine } from '../../src/cli/scenarioLine.js';
import { DrmstateError } from '../../src/errors.js';

describe('readScenarioLine', () => {
  const event = { type: 'dma_fence_context_alloc', ctx: 'c' };

  it('reads a call, a comment, an {event, outcome} and an {event, expect} line', () => {
    expect(readScenarioLine(event)).toEqual({ kind: 'call', event });
    expect(readScenarioLine({ comment: 'why' })).toEqual({ kind: 'comment' });
    expect(readScenarioLine({ event, outcome: { ok: true } })).toEqual({ kind: 'outcome', event, outcome: { ok: true } });
    expect(readScenarioLine({ event, expect: { ok: true }, expect_violation: 'lockdep', comment: 'x' })).toEqual({
      kind: 'expect',
      event,
      expectation: { expect: { ok: true }, expect_violation: 'lockdep' },
    });
    expect(readScenarioLine({ event, expect: {}, expect_no_violations: true })).toEqual({
      kind: 'expect',
      event,
      expectation: { expect: {}, expect_no_violations: true },
    });
    // Only a violation expected: nothing of the other outcome fields.
    expect(readScenarioLine({ event, expect_violation: 'use_after_free' })).toEqual({
      kind: 'expect',
      event,
      expectation: { expect: {}, expect_violation: 'use_after_free' },
    });
  });

  it('reads the task a line with an event names, and refuses one that is not a name or has no event', () => {
    expect(readScenarioLine({ event, outcome: { ok: true }, task: 'irq' })).toEqual({ kind: 'outcome', event, outcome: { ok: true }, task: 'irq' });
    expect(readScenarioLine({ event, expect: {}, task: 'setup' })).toMatchObject({ kind: 'expect', task: 'setup' });
    for (const [line, message] of [
      [{ event, outcome: { ok: true }, task: '' }, 'expected a task name, got ""'],
      [{ event, outcome: { ok: true }, task: ['irq'] }, 'expected a task name, got ["irq"]'],
      [{ task: 'irq' }, 'this member needs an "event" on the same line'],
    ] as const) {
      const e = (() => {
        try {
          readScenarioLine(line);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(DrmstateError);
      expect((e as DrmstateError).field).toBe('task');
      expect((e as DrmstateError).detail).toBe(message);
    }
  });

  it('hands anything else on as a call, for the kernel to name what is wrong', () => {
    for (const v of [null, 3, [], { ctx: 'c' }]) expect(readScenarioLine(v)).toEqual({ kind: 'call', event: v });
  });

  it('throws BAD_LOG_LINE naming the member at fault', () => {
    const cases: [unknown, string][] = [
      [{ event }, 'event'],
      [{ event, outcome: 'ok' }, 'outcome'],
      [{ event, outcome: { ok: 'yes' } }, 'outcome'],
      [{ event, expect: [] }, 'expect'],
      [{ event, expect: {}, expect_violation: 3 }, 'expect_violation'],
      [{ event, expect: {}, expect_violation: 'bug_on', expect_no_violations: true }, 'expect_no_violations'],
      [{ event, outcome: { ok: true }, extra: 1 }, 'extra'],
      [{ comment: 7 }, 'comment'],
      [{ expect: {} }, 'expect'],
    ];
    for (const [line, field] of cases) {
      let caught: unknown;
      try {
        readScenarioLine(line);
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(line)).toBeInstanceOf(DrmstateError);
      expect((caught as DrmstateError).code).toBe('BAD_LOG_LINE');
      expect((caught as DrmstateError).field, JSON.stringify(line)).toBe(field);
    }
  });
});
