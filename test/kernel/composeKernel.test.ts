import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { EMPTY_WORLD_FINGERPRINT, composeKernel } from '../../src/kernel/composeKernel.js';
import { KERNEL, PROTOCOLS } from '../../src/kernel/protocols.js';
import { readSnapshot, takeSnapshot } from '../../src/kernel/snapshot.js';
import { Misuse } from '../../src/world/Misuse.js';
import { FIXTURES, runFixture } from '../conformance/conformance.js';
import { dummyProtocol } from './dummyProtocol.js';

const withDummy = composeKernel([...PROTOCOLS, dummyProtocol]);
const dummyFirst = composeKernel([dummyProtocol, ...PROTOCOLS]);

describe('composeKernel', () => {
  it('gives the initial world the fingerprint log format version 1 gave it', () => {
    expect(KERNEL.fingerprint(KERNEL.initialWorld())).toBe(EMPTY_WORLD_FINGERPRINT);
    expect(withDummy.fingerprint(withDummy.initialWorld())).toBe(EMPTY_WORLD_FINGERPRINT);
    expect(composeKernel([]).fingerprint(composeKernel([]).initialWorld())).toBe(EMPTY_WORLD_FINGERPRINT);
  });

  it('leaves the fingerprint of every conformance world unchanged when another protocol is registered', () => {
    let worlds = 0;
    for (const p of PROTOCOLS)
      for (const file of readdirSync(join(FIXTURES, p.fixtures)).filter((f) => f.endsWith('.ndjson'))) {
        const plain: string[] = [];
        const composed: string[] = [];
        runFixture(join(FIXTURES, p.fixtures, file), { onWorld: (w) => plain.push(KERNEL.fingerprint(w)) });
        const r = runFixture(join(FIXTURES, p.fixtures, file), {
          kernel: withDummy,
          onWorld: (w) => composed.push(withDummy.fingerprint(w), dummyFirst.fingerprint(w)),
        });
        expect(r.mismatch).toBeUndefined();
        expect(composed).toEqual(plain.flatMap((f) => [f, f]));
        worlds += plain.length;
      }
    expect(worlds).toBeGreaterThan(1000);
  });

  it('fingerprintMemo answers as fingerprintHash on every world of every conformance file, in any order', () => {
    const worlds: import('../../src/world/World.js').World[] = [];
    for (const p of PROTOCOLS)
      for (const file of readdirSync(join(FIXTURES, p.fixtures)).filter((f) => f.endsWith('.ndjson')))
        runFixture(join(FIXTURES, p.fixtures, file), { onWorld: (w) => worlds.push(w) });
    const memo = KERNEL.fingerprintMemo();
    // In order (each world shares most slices with the one before), then every other world
    // backwards (the remembered slices are rarely the ones asked for).
    const order = [...worlds, ...worlds.filter((_, i) => i % 2 === 0).reverse()];
    let differing = 0;
    for (const w of order) {
      const want = KERNEL.fingerprintHash(w);
      const got = memo(w);
      if (got.lo !== want.lo || got.hi !== want.hi) differing++;
    }
    expect(order.length).toBeGreaterThan(1000);
    expect(differing).toBe(0);
    // A second memo does not share the first one's memory: it too answers the first world right.
    expect(KERNEL.fingerprintMemo()(worlds[0]!)).toEqual(KERNEL.fingerprintHash(worlds[0]!));
  });

  it('prepare answers as tryApply does, for every kind of event, on every world it is given', () => {
    let w = KERNEL.initialWorld();
    const worlds = [w];
    for (const e of [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'dma_fence_signal', fence: 'f' },
      { type: 'dma_fence_put', fence: 'f' },
    ]) {
      w = KERNEL.apply(w, e).world;
      worlds.push(w);
    }
    const events: unknown[] = [
      { type: 'dma_fence_get', fence: 'f' },
      { type: 'dma_fence_signal', fence: 'ghost' },
      { type: 'dma_fence_end_signalling', task: 't', cookie: 1 },
      { type: 'dma_fence_contxt_alloc' },
      42,
      { type: 'task_exit', task: 't' },
      { type: 'drm_mm_init', mm: 'm', start: '0', size: '4096' },
    ];
    const plain = (r: ReturnType<typeof KERNEL.tryApply>): unknown =>
      r.misuse !== undefined ? { misuse: [r.misuse.code, r.misuse.field, r.misuse.message] } : { outcome: r.outcome, fingerprint: KERNEL.fingerprint(r.world) };
    let compared = 0;
    for (const e of events) {
      const step = KERNEL.prepare(e);
      for (const x of worlds) {
        expect(plain(step(x)), JSON.stringify(e)).toEqual(plain(KERNEL.tryApply(x, e)));
        compared++;
      }
    }
    expect(compared).toBe(events.length * worlds.length);
  });

  it('changes the fingerprint once the new protocol is touched, and back when its slice is empty again', () => {
    const w0 = withDummy.initialWorld();
    const w1 = withDummy.apply(w0, { type: 'dummy_poke', name: 'a' }).world;
    expect(withDummy.fingerprint(w1)).not.toBe(withDummy.fingerprint(w0));
    expect(withDummy.fingerprint(w1)).toBe(dummyFirst.fingerprint(w1));
  });

  it('routes each event to its protocol and lists every event type, task_exit included', () => {
    expect(withDummy.eventTypes).toContain('dummy_poke');
    expect(withDummy.eventTypes).toContain('task_exit');
    expect(withDummy.eventTypes).toEqual([...withDummy.eventTypes].sort());
    expect(withDummy.protocolOf('dummy_poke')).toBe(dummyProtocol);
    expect(withDummy.invariants.map((i) => i.name)).toContain('pokesArePositive');
    expect(withDummy.apply(withDummy.initialWorld(), { type: 'dummy_poke', name: 'a' }).outcome).toEqual({ ok: true, count: 1, violations: [] });
  });

  it('keeps the default kernel free of a protocol another kernel registered', () => {
    expect(() => KERNEL.apply(KERNEL.initialWorld(), { type: 'dummy_poke', name: 'a' })).toThrow(/unknown event type "dummy_poke"/);
  });

  it('refuses two protocols with one slice key or one event type', () => {
    expect(() => composeKernel([dummyProtocol, dummyProtocol])).toThrow(DrmstateError);
    expect(() => composeKernel([{ ...dummyProtocol, key: 'other' as never }, dummyProtocol])).toThrow(/two protocols answer dummy_p/);
  });

  it('reads a snapshot that lacks a slice as that protocol’s initial slice', () => {
    let w = KERNEL.initialWorld();
    w = KERNEL.apply(w, { type: 'dma_fence_context_alloc', ctx: 'c' }).world;
    const snap = takeSnapshot(w, 1);
    const back = readSnapshot(snap, withDummy);
    expect(withDummy.fingerprint(back)).toBe(KERNEL.fingerprint(w));
    expect(withDummy.apply(back, { type: 'dummy_poke', name: 'x' }).outcome.ok).toBe(true);
  });
});

describe('ComposedKernel.apply / tryApply', () => {
  it('throws DrmstateError UNKNOWN_OBJECT from apply for a name never created', () => {
    const k = withDummy;
    expect(() => k.apply(k.initialWorld(), { type: 'dummy_peek', name: 'ghost' })).toThrow(DrmstateError);
    try {
      k.apply(k.initialWorld(), { type: 'dma_fence_signal', fence: 'ghost' });
    } catch (e) {
      expect((e as DrmstateError).code).toBe('UNKNOWN_OBJECT');
      expect((e as DrmstateError).field).toBe('fence');
    }
  });

  it('answers a name never created with a Misuse value (not an Error): code, message, field, object', () => {
    const w = KERNEL.initialWorld();
    const fp = KERNEL.fingerprint(w);
    const r = KERNEL.tryApply(w, { type: 'dma_fence_signal', fence: 'ghost' });
    expect(r.misuse).toBeInstanceOf(Misuse);
    expect(r.misuse).not.toBeInstanceOf(Error);
    expect(r.misuse).toMatchObject({ code: 'UNKNOWN_OBJECT', field: 'fence', object: 'ghost' });
    expect(r.misuse?.message).toMatch(/ghost/);
    expect(r.world).toBeUndefined();
    expect(KERNEL.fingerprint(w)).toBe(fp);
    expect(withDummy.tryApply(withDummy.initialWorld(), { type: 'dummy_peek', name: 'n' }).misuse).toMatchObject({ object: 'n', field: 'name' });
  });

  it('answers malformed events as data, naming the field', () => {
    const w = KERNEL.initialWorld();
    expect(KERNEL.tryApply(w, 42).misuse).toMatchObject({ code: 'MALFORMED_EVENT' });
    expect(KERNEL.tryApply(w, { type: 'dma_fence_contxt_alloc' }).misuse).toMatchObject({ code: 'MALFORMED_EVENT', field: 'type' });
    expect(KERNEL.tryApply(w, { type: 'dma_fence_end_signalling', task: 't', cookie: 1 }).misuse).toMatchObject({ code: 'MALFORMED_EVENT', field: 'cookie' });
  });

  it('answers a well-formed call exactly as apply does', () => {
    const w = KERNEL.initialWorld();
    const e = { type: 'dma_fence_context_alloc', ctx: 'c' };
    const a = KERNEL.apply(w, e);
    const t = KERNEL.tryApply(w, e);
    expect(t.misuse).toBeUndefined();
    expect(t.outcome).toEqual(a.outcome);
    expect(KERNEL.fingerprint(t.world as never)).toBe(KERNEL.fingerprint(a.world));
  });
});

describe('task_exit', () => {
  const k = withDummy;
  const run = (events: object[]) => {
    let w = k.initialWorld();
    let last;
    for (const e of events) {
      last = k.apply(w, e);
      w = last.world;
    }
    return { w, outcome: last?.outcome };
  };

  it('is clean for a task that holds nothing, or was never named', () => {
    const { w, outcome } = run([{ type: 'task_exit', task: 't' }]);
    expect(outcome).toEqual({ ok: true, violations: [] });
    expect(k.fingerprint(w)).toBe(EMPTY_WORLD_FINGERPRINT);
    expect(run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'dma_fence_end_signalling', task: 't', cookie: false }, { type: 'task_exit', task: 't' }]).outcome?.violations).toEqual([]);
  });

  it('records a signalling section still open as lockdep, not refused, and clears the task', () => {
    const { w, outcome } = run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(outcome?.ok).toBe(true);
    expect(outcome?.violations.map((v) => v.kind)).toEqual(['lockdep']);
    expect(outcome?.violations[0]?.message).toMatch(/lock held when returning to user space/);
    // The report turned lockdep off (debug_locks_off): otherwise the world is empty again.
    expect(k.fingerprint(w)).toBe(k.fingerprint(k.apply(k.initialWorld(), { type: 'debug_locks_off' }).world));
  });

  it('reports nothing for a nested begin never ended (it holds nothing lockdep sees), and clears it', () => {
    const { w, outcome } = run([
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'dma_fence_end_signalling', task: 't', cookie: false },
      { type: 'task_exit', task: 't' },
    ]);
    expect(outcome?.violations.map((v) => v.kind)).toEqual([]);
    expect(k.fingerprint(w)).toBe(EMPTY_WORLD_FINGERPRINT);
  });

  it('asks every protocol with a task part, each checking its own part', () => {
    const { w, outcome } = run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'dummy_lock', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(outcome?.violations.map((v) => v.message)).toEqual([expect.stringMatching(/dma_fence_map/), 'task t exits holding the dummy lock']);
    expect(k.fingerprint(w)).toBe(k.fingerprint(k.apply(k.initialWorld(), { type: 'debug_locks_off' }).world));
  });

  it('leaves other tasks alone', () => {
    const { w } = run([{ type: 'dma_fence_begin_signalling', task: 'a' }, { type: 'task_exit', task: 'b' }]);
    expect(w.dmaFence.tasks.get('a')).toEqual({ signalling: true, nested: 0 });
  });

  it('needs a task', () => {
    expect(() => k.apply(k.initialWorld(), { type: 'task_exit' })).toThrow(/task/);
  });
});
