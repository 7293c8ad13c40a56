import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { type ReplayMismatch, replay, replayLog, worldAt } from '../../src/kernel/replay.js';
import { type Snapshot, takeSnapshot } from '../../src/kernel/snapshot.js';
import type { Event } from '../../src/world/Event.js';
import { type LogEntry, encodeEntry, encodeHeader, parseLog } from '../../src/world/logFormat.js';
import { tempDir } from '../cli/helpers.js';

const dir = tempDir();
let files = 0;

/** Runs `calls` through a kernel writing a log file, and returns the file's text and the kernel. */
function logOf(calls: (k: Kernel) => void): { text: string; k: Kernel } {
  const path = join(dir, `log${files++}.ndjson`);
  const k = new Kernel({ logFile: path });
  calls(k);
  k.close();
  return { text: readFileSync(path, 'utf8'), k };
}

/**
 * A mix of dma_fence and drm_mm calls whose outcomes carry u64s, callback lists, errnos, `blocked`
 * and violations.
 */
function scenario(k: Kernel): void {
  k.call({ type: 'dma_fence_context_alloc', ctx: 'c' }); // 1
  k.call({ type: 'dma_fence_init', fence: 'f1', ctx: 'c' }); // 2
  k.call({ type: 'dma_fence_add_callback', fence: 'f1', cb: 'cb' }); // 3
  k.call({ type: 'dma_fence_add_callback', fence: 'f1', cb: 'wake' }); // 4
  k.call({ type: 'dma_fence_begin_signalling', task: 't' }); // 5
  k.call({ type: 'drm_mm_init', mm: 'mm', start: '0', size: '65536' }); // 6
  k.call({ type: 'drm_mm_insert_node', mm: 'mm', node: 'n1', size: '4096' }); // 7
  k.call({ type: 'dma_fence_wait_timeout', fence: 'f1', task: 'w', timeout: 10 }); // 8: blocked
  k.call({ type: 'dma_fence_signal', fence: 'f1' }); // 9: callbacks
  k.call({ type: 'dma_fence_end_signalling', task: 't', cookie: false }); // 10
  k.call({ type: 'dma_fence_set_error', fence: 'f1', error: -5 }); // 11: warn_on
  k.call({ type: 'dma_fence_add_callback', fence: 'f1', cb: 'late' }); // 12: ENOENT
  k.call({ type: 'dma_fence_get_status', fence: 'f1' }); // 13
  k.call({ type: 'drm_mm_insert_node', mm: 'mm', node: 'n2', size: '100' }); // 14
  k.call({ type: 'drm_mm_remove_node', node: 'n1' }); // 15
  k.call({ type: 'dma_fence_put', fence: 'f1' }); // 16
  k.call({ type: 'dma_fence_put', fence: 'f1' }); // 17: refused
  k.call({ type: 'dma_fence_is_signaled', fence: 'f1' }); // 18: refused
  k.call({ type: 'dma_fence_context_alloc', ctx: 'c2' }); // 19
  k.call({ type: 'dma_fence_init', fence: 'f2', ctx: 'c2', seqno: '18446744073709551615' }); // 20
}

const N = 20;

/** What a replay came to: its result's observable parts, or the error it threw. */
type Answer =
  | { readonly threw: { readonly code: string; readonly line: number | undefined; readonly field: string | undefined } }
  | { readonly ok: boolean; readonly seq: number; readonly mismatch: ReplayMismatch | undefined; readonly fingerprint: string };

function answer(run: () => { ok: boolean; seq: number; world: Parameters<typeof fingerprint>[0]; mismatch?: ReplayMismatch }): Answer {
  try {
    const r = run();
    return { ok: r.ok, seq: r.seq, mismatch: r.ok ? undefined : r.mismatch, fingerprint: fingerprint(r.world) };
  } catch (e) {
    if (!(e instanceof DrmstateError)) throw e;
    return { threw: { code: e.code, line: e.line, field: e.field } };
  }
}

/** replayLog's answer and replay(parseLog)'s, which must be the same. */
function both(text: string, options: { repair?: boolean; file?: string; from?: Snapshot } = {}): { fast: Answer; full: Answer } {
  const fast = answer(() => replayLog(text, options));
  const full = answer(() => replay(parseLog(text, { repair: options.repair, file: options.file }).entries, { from: options.from }));
  return { fast, full };
}

function expectSame(text: string, options: { repair?: boolean; file?: string; from?: Snapshot } = {}): Answer {
  const { fast, full } = both(text, options);
  expect(fast).toEqual(full);
  return fast;
}

/** The text with the line of entry `seq` rewritten (the header is line 1, entry `seq` line seq + 1). */
function editLine(text: string, seq: number, edit: (line: string) => string): string {
  const lines = text.split('\n');
  const before = lines[seq] as string;
  const after = edit(before);
  expect(after, 'the edit changes the line').not.toBe(before);
  lines[seq] = after;
  return lines.join('\n');
}

/** Rewrites the parsed line of an entry and writes it back as one line. */
function editEntry(text: string, seq: number, edit: (e: Record<string, unknown>) => Record<string, unknown>): string {
  return editLine(text, seq, (l) => JSON.stringify(edit(JSON.parse(l))));
}

function reversedKeys(o: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of Object.keys(o).reverse()) r[k] = o[k];
  return r;
}

function thrown(run: () => unknown): DrmstateError {
  try {
    run();
  } catch (e) {
    if (e instanceof DrmstateError) return e;
    throw e;
  }
  throw new Error('expected a DrmstateError');
}

describe('replayLog', () => {
  const { text, k } = logOf(scenario);
  const entries: readonly LogEntry[] = k.entries;

  it('replays an untouched log to the kernel’s final world, as replay(parseLog) does', () => {
    const r = replayLog(text);
    expect(r.ok).toBe(true);
    expect(r.seq).toBe(N);
    expect(r.entries).toBe(N);
    expect(r.torn).toBeUndefined();
    expect(fingerprint(r.world)).toBe(k.fingerprint);
    expect(expectSame(text)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('accepts outcomes whose keys were reordered (compared as JSON, not as text)', () => {
    let t = text;
    // Entries with u64 values, callbacks, an errno, blocked and violations.
    for (const seq of [2, 7, 8, 9, 11, 12, 17, 20]) t = editEntry(t, seq, (e) => ({ ...e, outcome: reversedKeys(e.outcome as Record<string, unknown>) }));
    expect(expectSame(t)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('accepts lines with whitespace added, in the outcome or anywhere else', () => {
    let t = editLine(text, 9, (l) => l.replace(',"outcome":{', ' ,\t"outcome" : { ').replace(',"fingerprint":', ', "fingerprint": '));
    t = editLine(t, 3, (l) => l.replace('{"seq":3,', '{"seq": 3, '));
    t = editLine(t, 17, (l) => JSON.stringify(JSON.parse(l), null, 0) + ' \r');
    t = editLine(t, 11, (l) => ' ' + l);
    expect(expectSame(t)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('accepts entries with their keys reordered or an extra key after the fingerprint', () => {
    let t = editEntry(text, 4, (e) => reversedKeys(e));
    t = editEntry(t, 5, (e) => ({ ...e, note: 'hand edited' }));
    t = editEntry(t, 6, ({ seq, outcome, event, fingerprint: fp }) => ({ seq, outcome, event, fingerprint: fp }));
    expect(expectSame(t)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('reports a tampered outcome value as replay does, with the world before that call', () => {
    const t = editLine(text, 7, (l) => l.replace('"start":"0"', '"start":"8"'));
    const r = replayLog(t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.mismatch).toEqual({ seq: 7, field: 'outcome', expected: { ok: true, start: '8' }, actual: { ok: true, start: '0' } });
    expect(r.seq).toBe(6);
    expect(r.entries).toBe(7);
    expect(fingerprint(r.world)).toBe(fingerprint(worldAt(entries, 6)));
    expect(expectSame(t)).toMatchObject({ ok: false, seq: 6 });
  });

  it('reports tampered callbacks, violations and errnos as replay does', () => {
    const cases: [number, (e: Record<string, unknown>) => Record<string, unknown>][] = [
      [9, (e) => ({ ...e, outcome: { ok: true, callbacks: ['wake', 'cb'] } })],
      [11, (e) => ({ ...e, outcome: { ok: true } })],
      [17, (e) => ({ ...e, outcome: { ...(e.outcome as object), violations: [{ kind: 'leak', message: 'x' }] } })],
      [12, (e) => ({ ...e, outcome: { ok: false, errno: 'EINVAL' } })],
      [8, (e) => ({ ...e, outcome: { ok: false } })],
      [20, (e) => ({ ...e, outcome: { ok: true, context: '2', seqno: '18446744073709551614' } })],
    ];
    for (const [seq, edit] of cases) {
      const t = editEntry(text, seq, edit);
      const a = expectSame(t);
      expect(a, `seq ${seq}`).toMatchObject({ ok: false, seq: seq - 1, mismatch: { seq, field: 'outcome' } });
      expect((a as { fingerprint: string }).fingerprint).toBe(entries[seq - 2]?.fingerprint);
    }
  });

  it('returns, for a mismatch at any seq, the world right after seq - 1 and the lines read', () => {
    for (let seq = 1; seq <= N; seq++) {
      const t = editEntry(text, seq, (e) => ({ ...e, outcome: { ...(e.outcome as object), ok: !(e.outcome as { ok: boolean }).ok } }));
      const r = replayLog(t);
      expect(r.ok, `seq ${seq}`).toBe(false);
      if (r.ok) continue;
      expect(r.mismatch.seq).toBe(seq);
      expect(r.seq).toBe(seq - 1);
      expect(r.entries).toBe(seq);
      expect(fingerprint(r.world)).toBe(fingerprint(worldAt(entries, seq - 1)));
      expectSame(t);
    }
  });

  it('reports a tampered fingerprint as replay does', () => {
    const fp = entries[11]?.fingerprint as string;
    const other = (fp[0] === '0' ? '1' : '0') + fp.slice(1);
    const t = editLine(text, 12, (l) => l.replace(fp, other));
    const a = expectSame(t);
    expect(a).toEqual({ ok: false, seq: 11, mismatch: { seq: 12, field: 'fingerprint', expected: other, actual: fp }, fingerprint: entries[10]?.fingerprint });
  });

  it('throws BAD_LOG_LINE naming the fingerprint field for a fingerprint that is not 16 lowercase hex digits', () => {
    const fp = entries[11]?.fingerprint as string;
    for (const bad of [fp.toUpperCase().replace(/^[0-9]/, 'A'), fp.slice(1), `${fp}0`]) {
      const t = editLine(text, 12, (l) => l.replace(fp, bad));
      expect(expectSame(t)).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 13, field: 'fingerprint' } });
    }
  });

  it('throws BAD_LOG_LINE naming the line for bad JSON in a middle line, as parseLog does', () => {
    const t = editLine(text, 5, () => '{"seq":5,');
    expect(expectSame(t)).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 6, field: undefined } });
    expect(thrown(() => replayLog(t, { file: 'x.ndjson' })).message).toMatch(/^x\.ndjson, line 6: /);
  });

  it('throws BAD_LOG_LINE for an entry out of sequence or without an outcome, as parseLog does', () => {
    expect(expectSame(editEntry(text, 4, (e) => ({ ...e, seq: 5 })))).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 5, field: 'seq' } });
    expect(expectSame(editLine(text, 4, (l) => l.replace('{"seq":4,', '{"seq":04,')))).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 5, field: undefined } });
    expect(expectSame(editEntry(text, 4, ({ outcome: _, ...rest }) => rest))).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 5, field: 'outcome' } });
    expect(expectSame(editLine(text, 4, (l) => l.replace('"ok":true', '"ok":1')))).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 5, field: 'outcome' } });
  });

  it('replays a log whose entry has "event" twice before the outcome as parseLog reads it (the last one)', () => {
    const t = editLine(text, 13, (l) => l.replace(',"event":', ',"event":{"type":"dma_fence_signal","fence":"f1"},"event":'));
    expect(expectSame(t)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('accepts an entry with the same "event" twice, around the outcome', () => {
    const t = editLine(text, 13, (l) => l.replace(',"fingerprint":', ',"event":{"fence":"f1","type":"dma_fence_get_status"},"fingerprint":'));
    expect(expectSame(t)).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });

  it('answers as replay(parseLog) for two different "event" keys around the outcome: the last one is applied', () => {
    const t = editLine(text, 13, (l) => l.replace(',"fingerprint":', ',"event":{"type":"dma_fence_is_signaled","fence":"f1"},"fingerprint":'));
    const { fast, full } = both(t);
    expect(fast).toEqual(full);
    expect(full).toMatchObject({ ok: false, seq: 12, mismatch: { seq: 13, field: 'outcome', actual: { ok: true, signaled: true } } });
  });

  it('throws TORN_LOG for a torn last line without repair, naming the line', () => {
    const torn = text + '{"seq":21,"ev';
    expect(expectSame(torn)).toEqual({ threw: { code: 'TORN_LOG', line: 22, field: undefined } });
    const noNewline = text.slice(0, -1);
    expect(expectSame(noNewline)).toEqual({ threw: { code: 'TORN_LOG', line: 21, field: undefined } });
  });

  it('keeps the intact entries of a torn log with repair, as parseLog does', () => {
    const torn = text + '{"seq":21,"ev';
    const r = replayLog(torn, { repair: true });
    expect(r).toMatchObject({ ok: true, seq: N, entries: N, torn: { line: 22, reason: 'bad JSON, no newline' } });
    expect(fingerprint(r.world)).toBe(k.fingerprint);
    expect(r.torn).toEqual(parseLog(torn, { repair: true }).torn);
    expectSame(torn, { repair: true });

    // A last line that is whole JSON but has no newline is torn too: the world is that of the prefix.
    const noNewline = text.slice(0, -1);
    const s = replayLog(noNewline, { repair: true });
    expect(s).toMatchObject({ ok: true, seq: N - 1, entries: N - 1, torn: { line: N + 1, reason: 'no newline' } });
    expect(fingerprint(s.world)).toBe(fingerprint(worldAt(entries, N - 1)));
    expectSame(noNewline, { repair: true });
  });

  it('reports a malformed event at its line with its field, as replay does', () => {
    const missing = editEntry(text, 5, (e) => ({ ...e, event: { type: 'dma_fence_begin_signalling' } }));
    expect(expectSame(missing)).toEqual({ threw: { code: 'MALFORMED_EVENT', line: 6, field: 'task' } });
    const unknown = editEntry(text, 4, (e) => ({ ...e, event: { type: 'dma_fence_add_callback', fence: 'nope', cb: 'x' } }));
    expect(expectSame(unknown)).toMatchObject({ threw: { code: 'UNKNOWN_OBJECT', line: 5 } });
    expect(thrown(() => replayLog(missing, { file: 'r.ndjson' })).message).toMatch(/^r\.ndjson, line 6, field "task": /);
  });

  it('reports a bad line before a malformed event on that same line, as parseLog does', () => {
    // The event is read alone by the fast path; the tail of the line is broken.
    const t = editLine(text, 5, () => '{"seq":5,"event":{"type":"dma_fence_begin_signalling"},"outcome":{"ok":true');
    expect(expectSame(t)).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 6, field: undefined } });
    const badFp = editLine(text, 5, () => '{"seq":5,"event":{"type":"dma_fence_begin_signalling"},"outcome":{"ok":true},"fingerprint":"x"}');
    expect(expectSame(badFp)).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 6, field: 'fingerprint' } });
  });

  it('replays from a snapshot to the same final world, skipping (but still reading) the entries it covers', () => {
    const snap: Snapshot = JSON.parse(JSON.stringify(takeSnapshot(worldAt(entries, 10), 10)));
    const r = replayLog(text, { from: snap });
    expect(r).toMatchObject({ ok: true, seq: N, entries: N });
    expect(fingerprint(r.world)).toBe(k.fingerprint);
    expectSame(text, { from: snap });

    // Entries before the snapshot are not verified, but a broken line there still throws.
    const tamperedEarly = editLine(text, 7, (l) => l.replace('"start":"0"', '"start":"8"'));
    expect(expectSame(tamperedEarly, { from: snap })).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
    expect(expectSame(editLine(text, 3, () => '{'), { from: snap })).toEqual({ threw: { code: 'BAD_LOG_LINE', line: 4, field: undefined } });

    // A mismatch after the snapshot leaves the world right before it.
    const tamperedLate = editEntry(text, 14, (e) => ({ ...e, outcome: { ok: true, start: '1' } }));
    const m = replayLog(tamperedLate, { from: snap });
    expect(m).toMatchObject({ ok: false, seq: 13, mismatch: { seq: 14, field: 'outcome' } });
    expect(fingerprint(m.world)).toBe(entries[12]?.fingerprint);
    expectSame(tamperedLate, { from: snap });
  });

  it('replays from a snapshot at the end of the log to that world', () => {
    const snap: Snapshot = JSON.parse(JSON.stringify(k.snapshot()));
    expect(expectSame(text, { from: snap })).toEqual({ ok: true, seq: N, mismatch: undefined, fingerprint: k.fingerprint });
  });
});

/** The dma_fence calls of the property below, over a few names so that they meet. */
const fenceName = fc.constantFrom('f0', 'f1', 'f2');
const ctxName = fc.constantFrom('c0', 'c1');
const cbName = fc.constantFrom('cb0', 'cb1', 'cb2');
const taskName = fc.constantFrom('t0', 't1');
const fenceEvent: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ type: fc.constant('dma_fence_context_alloc'), ctx: ctxName }),
  fc.record({ type: fc.constantFrom('dma_fence_init', 'dma_fence_init64'), fence: fenceName, ctx: ctxName }),
  fc.record({ type: fc.constant('dma_fence_init'), fence: fenceName, ctx: ctxName, seqno: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String) }),
  fc.record({
    type: fc.constantFrom(
      'dma_fence_get',
      'dma_fence_put',
      'dma_fence_signal',
      'dma_fence_check_and_signal',
      'dma_fence_get_status',
      'dma_fence_is_signaled',
      'dma_fence_enable_sw_signaling',
    ),
    fence: fenceName,
  }),
  fc.record({ type: fc.constantFrom('dma_fence_add_callback', 'dma_fence_remove_callback'), fence: fenceName, cb: cbName }),
  fc.record({ type: fc.constant('dma_fence_set_error'), fence: fenceName, error: fc.constantFrom(-5, -22, 0, -4096, 3) }),
  fc.record({ type: fc.constant('dma_fence_wait_timeout'), fence: fenceName, task: taskName, timeout: fc.constantFrom(0, 1, 100, -1) }),
  fc.record({ type: fc.constant('dma_fence_begin_signalling'), task: taskName }),
  fc.record({ type: fc.constant('dma_fence_end_signalling'), task: taskName, cookie: fc.boolean() }),
  fc.record({ type: fc.constant('dma_fence_is_later'), f1: fenceName, f2: fenceName }),
);

/** Makes each call, dropping the ones the library rejects as misuse (they are not logged). */
function callAll(k: Kernel, events: readonly Event[]): void {
  for (const e of events) {
    try {
      k.callJson(e);
    } catch (err) {
      if (!(err instanceof DrmstateError)) throw err;
    }
  }
}

describe('replayLog (property)', () => {
  it('replays the log of any sequence of dma_fence calls to the kernel’s final fingerprint', () => {
    fc.assert(
      fc.property(fc.array(fenceEvent, { maxLength: 60 }), (events) => {
        const { text, k } = logOf((k) => callAll(k, events));
        const r = replayLog(text);
        expect(r.ok).toBe(true);
        expect(r.seq).toBe(k.seq);
        expect(r.entries).toBe(k.seq);
        expect(fingerprint(r.world)).toBe(k.fingerprint);
        expectSame(text);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with replay(parseLog) after any one edit of one line', () => {
    const edits: ((e: Record<string, unknown>) => Record<string, unknown>)[] = [
      (e) => ({ ...e, outcome: reversedKeys(e.outcome as Record<string, unknown>) }),
      (e) => ({ ...e, outcome: { ...(e.outcome as object), ok: !(e.outcome as { ok: boolean }).ok } }),
      (e) => ({ ...e, outcome: { ...(e.outcome as object), extra: '1' } }),
      (e) => ({ ...e, fingerprint: (e.fingerprint as string).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }),
      (e) => reversedKeys(e),
      (e) => ({ ...e, event: { ...(e.event as object), type: 'dma_fence_get_status' } }),
    ];
    fc.assert(
      fc.property(fc.array(fenceEvent, { minLength: 1, maxLength: 40 }), fc.nat(), fc.nat({ max: edits.length - 1 }), (events, at, which) => {
        const { text, k } = logOf((k) => callAll(k, events));
        fc.pre(k.seq > 0);
        const seq = 1 + (at % k.seq);
        const lines = text.split('\n');
        const edited = JSON.stringify((edits[which] as (e: Record<string, unknown>) => Record<string, unknown>)(JSON.parse(lines[seq] as string)));
        // Reversing the keys of {"ok":true} changes nothing: such a draw says nothing.
        fc.pre(edited !== lines[seq]);
        lines[seq] = edited;
        const t = lines.join('\n');
        expectSame(t);
        expectSame(t, { repair: true });
      }),
      { numRuns: 150 },
    );
  });
});

function twoProblemLines(): string[] {
  const k = new Kernel();
  k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
  k.call({ type: 'dma_fence_init', fence: 'f1', ctx: 'c' });
  k.call({ type: 'dma_fence_get', fence: 'f1' });
  k.call({ type: 'dma_fence_put', fence: 'f1' });
  return [encodeHeader(), ...k.entries.map(encodeEntry)];
}

describe('replayLog (problems on two lines)', () => {
  const l = twoProblemLines();
  const cases: [string, string][] = [
    ['an outcome mismatch at seq 2, then bad JSON at line 5', [l[0], l[1], l[2]!.replace('"seqno":"1"', '"seqno":"2"'), l[3], '{', l[4]].join('\n') + '\n'],
    ['a malformed event at seq 2, then bad JSON at line 5', [l[0], l[1], l[2]!.replace('"ctx":"c"', '"ctx":"zz"'), l[3], '{', l[4]].join('\n') + '\n'],
    ['an outcome mismatch at seq 2, then a torn last line (no repair)', [l[0], l[1], l[2]!.replace('"seqno":"1"', '"seqno":"2"'), l[3], l[4]!.slice(0, 10)].join('\n')],
  ];
  for (const [what, text] of cases) {
    it(`answers as replay(parseLog) for ${what}`, () => {
      const { fast, full } = both(text);
      expect(fast).toEqual(full);
      // Each case has a problem to find: neither answer is a clean replay.
      expect('threw' in fast || !fast.ok).toBe(true);
    });
  }
});
