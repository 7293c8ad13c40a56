import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/check.js';
import { loadModel } from '../../src/checker/model.js';
import { traceToNdjson } from '../../src/checker/trace.js';
import { DrmstateError } from '../../src/errors.js';
import { KERNEL } from '../../src/kernel/protocols.js';
import { replayLog } from '../../src/kernel/replay.js';
import { Session, sourceKind } from '../../src/web/session.js';

const MODELS = join(import.meta.dirname, '../../models');
const text = (f: string): string => readFileSync(join(MODELS, f), 'utf8');

function thrown(f: () => unknown): DrmstateError {
  try {
    f();
  } catch (e) {
    if (e instanceof DrmstateError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('Session on a model', () => {
  it('offers each task its next call, steps, and undoes back to the same world', () => {
    const s = Session.open('fence-wait-then-signal.model.json', text('fence-wait-then-signal.model.json'));
    expect(s.kind).toBe('model');
    expect(s.steps).toHaveLength(1);
    const start = s.world;
    const choices = s.choices();
    // finally's steps are offered only once every task is done.
    expect(new Set(choices.map((c) => c.task))).toEqual(new Set(s.tasks.filter((t) => t !== 'finally')));
    const c = choices.find((x) => x.enabled);
    expect(c).toBeDefined();
    const step = s.take(c!.id);
    expect(step.calls.length).toBeGreaterThan(0);
    expect(step.calls[0]?.task).toBe(c!.task);
    expect(s.steps).toHaveLength(2);
    expect(s.worldAt(1)).toBe(step.world);
    expect(s.undo()).toBe(true);
    expect(s.world).toBe(start);
    expect(s.undo()).toBe(false);
  });

  it('walks the checker\'s shortest counterexample to the same deadlock', () => {
    const file = 'fence-wait-then-signal.cross-wait.model.json';
    const r = check(loadModel(join(MODELS, file)));
    expect(r.result).toBe('deadlock');
    const s = Session.open(file, text(file));
    const steps = 'finding' in r ? r.finding.trace.filter((t) => t.task !== 'setup') : [];
    for (const t of steps) {
      const c = s.choices().find((x) => x.enabled && x.task === t.task);
      expect(c, `no enabled step of ${t.task}`).toBeDefined();
      s.take(c!.id);
    }
    expect(s.deadlocked).toBe(true);
    expect(s.choices().every((c) => !c.enabled)).toBe(true);
    expect(s.taskPositions().map((p) => p.at)).toEqual(expect.arrayContaining([expect.stringContaining('dma_fence_wait_timeout')]));
  });

  it('refuses a choice that is not offered and changes nothing', () => {
    const s = Session.open('fence-add-callback.model.json', text('fence-add-callback.model.json'));
    const e = thrown(() => s.take(999 * 65536));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(s.steps).toHaveLength(1);
  });

  it('writes a log that drmstate replay verifies, setup included', () => {
    const s = Session.open('fence-add-callback.model.json', text('fence-add-callback.model.json'));
    for (let i = 0; i < 3; i++) {
      const c = s.choices().find((x) => x.enabled);
      if (c !== undefined) s.take(c.id);
    }
    const log = s.toLog();
    const r = replayLog(log);
    expect(r.ok).toBe(true);
    expect(r.entries).toBeGreaterThan(3);
    expect(KERNEL.fingerprint(r.world)).toBe(KERNEL.fingerprint(s.world));
  });
});

describe('Session on a file', () => {
  it('plays a counterexample trace line by line, each outcome as recorded', () => {
    const file = 'fence-add-callback.put-before-add.model.json';
    const r = check(loadModel(join(MODELS, file)));
    expect('finding' in r).toBe(true);
    if (!('finding' in r)) return;
    const s = Session.open('put-before-add.trace.ndjson', traceToNdjson(r.finding));
    expect(s.kind).toBe('scenario');
    // The trace lines name their tasks, though dma_fence_signal names none.
    expect([...s.tasks].sort()).toEqual(['irq', 'setup', 'user']);
    while (!s.finished) {
      const step = s.take(s.choices()[0]!.id);
      expect(step.problem).toBeUndefined();
    }
    const last = s.steps[s.steps.length - 1]!;
    expect((last.calls[0]?.outcome.violations as { kind: string }[] | undefined)?.[0]?.kind).toBe(r.finding.kind);
  });

  it('says which step answers differently from the file', () => {
    const lines = [
      { event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true, context: '1' } },
      { event: { type: 'dma_fence_init', fence: 'f', ctx: 'c' }, expect: { seqno: '7' } },
    ].map((l) => JSON.stringify(l));
    const s = Session.open('x.ndjson', lines.join('\n'));
    expect(s.take(0).problem).toBeUndefined();
    expect(s.take(0).problem).toContain('seqno');
    expect(s.finished).toBe(true);
    expect(s.choices()).toEqual([]);
  });

  it('opens a log by its header and replays its entries', () => {
    const s0 = Session.open('fence-add-callback.model.json', text('fence-add-callback.model.json'));
    s0.take(s0.choices().find((c) => c.enabled)!.id);
    const log = s0.toLog();
    expect(sourceKind('anything.ndjson', log)).toBe('log');
    const s = Session.open('run.log.ndjson', log);
    while (!s.finished) expect(s.take(0).problem).toBeUndefined();
    expect(KERNEL.fingerprint(s.world)).toBe(KERNEL.fingerprint(s0.world));
  });

  it('names the line of bad input, and a line the kernel rejects leaves the session as it was', () => {
    expect(thrown(() => Session.open('bad.ndjson', '{"type":"dma_fence_context_alloc","ctx":"c"}\n{oops')).message).toContain('line 2');
    expect(thrown(() => Session.open('bad.ndjson', '{"event":{"type":"x"},"outcome":{"ok":true},"extra":1}')).field).toBe('extra');
    expect(thrown(() => Session.open('m.model.json', '{"model":')).code).toBe('BAD_MODEL');
    const s = Session.open('u.ndjson', '{"type":"dma_fence_signal","fence":"never"}');
    const e = thrown(() => s.take(0));
    expect(e.line).toBe(1);
    expect(s.steps).toHaveLength(1);
  });
});
