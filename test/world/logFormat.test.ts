import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { DRMSTATE_VERSION } from '../../src/version.js';
import { LOG_VERSION, encodeHeader, jsonEqual, outcomeToJson, parseLog } from '../../src/world/logFormat.js';
import { ok, refused } from '../../src/world/Outcome.js';
import { violation } from '../../src/world/Violation.js';

const entry = (seq: number): string => JSON.stringify({ seq, event: { type: 'dma_fence_context_alloc', ctx: `c${seq}` }, outcome: { ok: true, context: String(seq) }, fingerprint: '0123456789abcdef' });

describe('parseLog', () => {
  it('reads a header and entries', () => {
    const log = parseLog([encodeHeader(), entry(1), entry(2)].join('\n') + '\n');
    expect(log.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(log.torn).toBeUndefined();
  });

  it('throws TORN_LOG naming the line when the last line has no newline', () => {
    const text = [encodeHeader(), entry(1), entry(2)].join('\n');
    try {
      parseLog(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DrmstateError);
      expect((e as DrmstateError).code).toBe('TORN_LOG');
      expect((e as DrmstateError).line).toBe(3);
    }
  });

  it('keeps every intact entry with repair', () => {
    const log = parseLog([encodeHeader(), entry(1), '{"seq":2,'].join('\n'), { repair: true });
    expect(log.entries).toHaveLength(1);
    expect(log.torn).toEqual({ line: 3, reason: 'bad JSON, no newline' });
  });

  it('throws BAD_LOG_LINE for an out-of-order seq, naming the field', () => {
    expect(() => parseLog([encodeHeader(), entry(2)].join('\n') + '\n')).toThrow(/line 2, field "seq"/);
  });
});

describe('outcomeToJson', () => {
  it('renders bigints as decimal strings and leaves out empty violations', () => {
    expect(outcomeToJson(ok({ start: 18446744073709551615n }))).toEqual({ ok: true, start: '18446744073709551615' });
  });

  it('keeps kind and message of violations', () => {
    expect(outcomeToJson(refused(violation('bug_on', 'boom', ['n'])))).toEqual({ ok: false, violations: [{ kind: 'bug_on', message: 'boom' }] });
  });
});

describe('jsonEqual', () => {
  it('ignores key order and sees any difference', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('log header', () => {
  it('records the format version and the drmstate version that wrote the log', () => {
    expect(JSON.parse(encodeHeader())).toEqual({ format: 'drmstate-log', version: LOG_VERSION, drmstate: DRMSTATE_VERSION });
    expect(LOG_VERSION).toBe(2);
  });

  it('reads version-1 headers, which had no drmstate version', () => {
    expect(parseLog('{"format":"drmstate-log","version":1}\n').header).toEqual({ format: 'drmstate-log', version: 1 });
  });

  it('rejects a version it does not read, naming the versions it reads', () => {
    expect(() => parseLog('{"format":"drmstate-log","version":3}\n')).toThrow(/unsupported log version 3 \(this drmstate reads 1 and 2\)/);
  });
});
