import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { apply, initialWorld, tryApply } from '../../src/kernel/apply.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { replay, worldAt } from '../../src/kernel/replay.js';
import { readSnapshot, takeSnapshot } from '../../src/kernel/snapshot.js';
import { parseLog } from '../../src/world/logFormat.js';
import { EditSession } from '../../src/world/HashedMap.js';
import { type World, editableWorld } from '../../src/world/World.js';
import { tempDir } from '../cli/helpers.js';

function scenario(k: Kernel): void {
  k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
  k.call({ type: 'dma_fence_init', fence: 'f1', ctx: 'c' });
  k.call({ type: 'dma_fence_add_callback', fence: 'f1', cb: 'cb' });
  k.call({ type: 'dma_fence_begin_signalling', task: 't' });
  k.call({ type: 'drm_mm_init', mm: 'mm', start: '0', size: '65536' });
  k.call({ type: 'drm_mm_insert_node', mm: 'mm', node: 'n1', size: '4096' });
  k.call({ type: 'dma_fence_signal', fence: 'f1' });
  k.call({ type: 'dma_fence_end_signalling', task: 't', cookie: false });
  k.call({ type: 'drm_mm_insert_node', mm: 'mm', node: 'n2', size: '100' });
  k.call({ type: 'drm_mm_remove_node', node: 'n1' });
}

describe('replay', () => {
  it('rebuilds the world of a log to the same final fingerprint, checking every outcome', () => {
    const k = new Kernel();
    scenario(k);
    const r = replay(k.entries);
    expect(r.ok).toBe(true);
    expect(fingerprint(r.world)).toBe(k.fingerprint);
    expect(r.seq).toBe(10);
  });

  it('reports the first recorded outcome that differs', () => {
    const k = new Kernel();
    scenario(k);
    const tampered = k.entries.map((e) => (e.seq === 6 ? { ...e, outcome: { ok: true, start: '8' } } : e));
    const r = replay(tampered);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.mismatch).toMatchObject({ seq: 6, field: 'outcome', expected: { ok: true, start: '8' }, actual: { ok: true, start: '0' } });
  });

  it('replays from a snapshot plus the tail to the same fingerprint', () => {
    const k = new Kernel();
    scenario(k);
    const mid = worldAt(k.entries, 5);
    const snap = JSON.parse(JSON.stringify(takeSnapshot(mid, 5)));
    const r = replay(k.entries, { from: snap });
    expect(r.ok).toBe(true);
    expect(fingerprint(r.world)).toBe(k.fingerprint);
  });
});

describe('worldAt', () => {
  it('travels to the world right after a given call', () => {
    const k = new Kernel();
    scenario(k);
    expect(fingerprint(worldAt(k.entries, 0))).toBe(fingerprint(initialWorld()));
    expect(fingerprint(worldAt(k.entries, 3))).toBe(k.entries[2]?.fingerprint);
    expect(fingerprint(worldAt(k.entries, 10))).toBe(k.fingerprint);
  });

  it('throws BAD_ARGUMENT beyond the log', () => {
    const k = new Kernel();
    scenario(k);
    expect(() => worldAt(k.entries, 11)).toThrow(DrmstateError);
  });
});

describe('takeSnapshot / readSnapshot', () => {
  it('round-trips a world through JSON to the same fingerprint and the same future outcomes', () => {
    const k = new Kernel();
    scenario(k);
    const back = readSnapshot(JSON.parse(JSON.stringify(k.snapshot())));
    expect(fingerprint(back)).toBe(k.fingerprint);
    const next = { type: 'drm_mm_insert_node', mm: 'mm', node: 'n3', size: '4096' };
    expect(apply(back, next).outcome).toEqual(apply(k.world, next).outcome);
  });

  it('rejects a snapshot whose fingerprint does not match its content', () => {
    const k = new Kernel();
    scenario(k);
    const snap = JSON.parse(JSON.stringify(k.snapshot()));
    snap.slices.dmaFence.counter = '99';
    expect(() => readSnapshot(snap)).toThrow(/fingerprint/);
  });
});

describe('fingerprint', () => {
  it('does not depend on the order in which independent objects were created', () => {
    const a = new Kernel();
    a.call({ type: 'drm_mm_init', mm: 'mm', start: '0', size: '4096' });
    a.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    a.call({ type: 'dma_fence_begin_signalling', task: 'x' });
    a.call({ type: 'dma_fence_begin_signalling', task: 'y' });
    const b = new Kernel();
    b.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    b.call({ type: 'dma_fence_begin_signalling', task: 'y' });
    b.call({ type: 'drm_mm_init', mm: 'mm', start: '0', size: '4096' });
    b.call({ type: 'dma_fence_begin_signalling', task: 'x' });
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('changes with any difference in the world', () => {
    const seen = new Set<string>();
    const k = new Kernel();
    seen.add(k.fingerprint);
    scenario(k);
    for (const e of k.entries) seen.add(e.fingerprint);
    // Every call of the scenario changed the world, so every fingerprint is new.
    expect(seen.size).toBe(k.entries.length + 1);
  });

  it('is 16 hex digits and stays put across calls that change nothing', () => {
    const k = new Kernel();
    scenario(k);
    const before = k.fingerprint;
    k.call({ type: 'dma_fence_get_status', fence: 'f1' });
    expect(k.fingerprint).toBe(before);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('Kernel', () => {
  it('leaves world and log exactly as they were when a call is rejected as misuse', () => {
    const k = new Kernel();
    scenario(k);
    const world = k.world;
    const log = JSON.stringify(k.entries);
    expect(() => k.call({ type: 'dma_fence_put', fence: 'nope' })).toThrow(DrmstateError);
    expect(() => k.call({ type: 'drm_mm_insert_node', mm: 'mm', node: 'n9', size: 'big' })).toThrow(/field "size"/);
    expect(() => k.callJson({ type: 'no_such_call' })).toThrow(/unknown event type/);
    expect(() => k.call(null as never)).toThrow(DrmstateError);
    expect(k.world).toBe(world);
    expect(JSON.stringify(k.entries)).toBe(log);
  });

  it('writes a durable NDJSON log, and resumes from it after a torn append only with repair', () => {
    const dir = tempDir();
    const path = join(dir, 'k.log.ndjson');
    const k = new Kernel({ logFile: path });
    scenario(k);
    k.flush();
    const flushed = readFileSync(path, 'utf8');
    expect(parseLog(flushed).entries).toHaveLength(10);
    k.close();
    writeFileSync(path, flushed + '{"seq":11,"ev');
    expect(() => Kernel.resume(path)).toThrow(/line 12/);
    const r = Kernel.resume(path, { repair: true });
    expect(r.seq).toBe(10);
    expect(r.fingerprint).toBe(k.fingerprint);
    r.call({ type: 'dma_fence_put', fence: 'f1' });
    r.close();
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith(flushed)).toBe(true);
    expect(parseLog(text).entries).toHaveLength(11);
  });
});

describe('replay (transient edits)', () => {
  it('reproduces every outcome and fingerprint of every kernel-produced scenario, recorded then replayed', async () => {
    const { readFileSync } = await import('node:fs');
    const { FIXTURES, fixtureFiles } = await import('../conformance/conformance.js');
    for (const suite of ['dma_fence', 'drm_mm']) {
      for (const file of fixtureFiles(suite)) {
        const k = new Kernel();
        for (const line of readFileSync(join(FIXTURES, suite, file), 'utf8').split('\n')) if (line.trim()) k.call(JSON.parse(line).event);
        const r = replay(k.entries);
        expect(r.ok, `${suite}/${file}`).toBe(true);
        expect(fingerprint(r.world)).toBe(k.fingerprint);
        // The kernel's own (persistent) worlds were not touched by the replay's in-place edits.
        expect(replay(k.entries, { verify: true }).ok).toBe(true);
      }
    }
  });

  it('returns a clean world before the first mismatch, and the world after it is still usable', () => {
    const k = new Kernel();
    scenario(k);
    const tampered = k.entries.map((e) => (e.seq === 7 ? { ...e, outcome: { ok: false, errno: 'EINVAL' } } : e));
    const r = replay(tampered);
    expect(r.ok).toBe(false);
    expect(fingerprint(r.world)).toBe(k.entries[5]?.fingerprint);
    const next = apply(r.world, { type: 'dma_fence_signal', fence: 'f1' });
    expect(next.outcome.ok).toBe(true);
    expect(fingerprint(r.world)).toBe(k.entries[5]?.fingerprint);
  });
});

describe('replay edit sessions', () => {
  /** A repeating mix of dma_fence and drm_mm calls on a few objects. */
  function* events(n: number): Generator<Record<string, unknown>> {
    for (let i = 0; i < n; i++) {
      const f = `f${i % 5}`;
      switch (i % 10) {
        case 0: yield { type: 'dma_fence_init', fence: f, ctx: 'c' }; break;
        case 1: yield { type: 'dma_fence_add_callback', fence: f, cb: `cb${i % 7}` }; break;
        case 2: yield { type: 'dma_fence_begin_signalling', task: `t${i % 3}` }; break;
        case 3: yield { type: 'dma_fence_signal', fence: f }; break;
        case 4: yield { type: 'dma_fence_end_signalling', task: `t${i % 3}`, cookie: false }; break;
        case 5: yield { type: 'drm_mm_insert_node', mm: 'mm', node: `n${i % 4}`, size: '64' }; break;
        case 6: yield { type: 'drm_mm_remove_node', node: `n${(i + 3) % 4}` }; break;
        default: yield { type: 'dma_fence_put', fence: f };
      }
    }
  }

  it('never changes a world from outside the session: 10^5 calls applied to it inside an open session', () => {
    let outside = initialWorld();
    outside = apply(outside, { type: 'dma_fence_context_alloc', ctx: 'c' }).world;
    outside = apply(outside, { type: 'drm_mm_init', mm: 'mm', start: '0', size: '4096' }).world;
    for (let i = 0; i < 5; i++) outside = apply(outside, { type: 'dma_fence_init', fence: `f${i}`, ctx: 'c' }).world;
    outside = apply(outside, { type: 'dma_fence_begin_signalling', task: 't0' }).world;
    const fp = fingerprint(outside);
    const snap = JSON.stringify(takeSnapshot(outside, 4));
    const session = new EditSession();
    let inside = editableWorld(outside, session);
    let fromOutside = outside;
    let n = 0;
    let misuse = 0;
    let midway: { world: World; fp: string } | undefined;
    for (const e of events(100_000)) {
      const r = tryApply(inside, e);
      if (r.misuse !== undefined) misuse++;
      else inside = r.world;
      // Chained from the outside world while the session edits its own copy in place.
      fromOutside = tryApply(fromOutside, e).world ?? fromOutside;
      // And applied to the outside world itself.
      tryApply(outside, e);
      n++;
      if (n === 50_000) midway = { world: fromOutside, fp: fingerprint(fromOutside) };
    }
    expect(misuse).toBeLessThan(n / 2);
    session.close();
    expect(n).toBe(100_000);
    expect(fingerprint(outside)).toBe(fp);
    expect(JSON.stringify(takeSnapshot(outside, 4))).toBe(snap);
    expect(outside.dmaFence.fences.hash).toEqual(outside.dmaFence.fences.recomputeHash());
    expect(fingerprint(inside)).toBe(fingerprint(fromOutside));
    // A world made during the session, but not by it, stays as it was made.
    expect(midway && fingerprint(midway.world)).toBe(midway?.fp);
    expect(midway?.world.dmaFence.cbs.hash).toEqual(midway?.world.dmaFence.cbs.recomputeHash());
  });

  it('leaves the worlds replay returns persistent: applying to one twice gives the same answer', () => {
    const k = new Kernel();
    scenario(k);
    const r = replay(k.entries);
    const e = { type: 'dma_fence_init', fence: 'g', ctx: 'c' };
    const fp = fingerprint(r.world);
    const a = apply(r.world, e);
    const b = apply(r.world, e);
    expect(fingerprint(r.world)).toBe(fp);
    expect(fingerprint(a.world)).toBe(fingerprint(b.world));
    expect(a.outcome).toEqual(b.outcome);
  });
});

describe('readSnapshot of version 1', () => {
  it('reads the world-level task table into the protocol that keeps tasks, checking the version-1 fingerprint', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_begin_signalling', task: 't' });
    const v2 = takeSnapshot(k.world, k.seq);
    const { tasks, ...fence } = v2.slices.dmaFence as { tasks: unknown };
    const v1 = { ...v2, version: 1, tasks: [['t', { signalling: true }]], slices: { ...v2.slices, dmaFence: fence }, fingerprint: fingerprint(k.world, { version: 1 }) };
    expect(tasks).toEqual([['t', { signalling: true, nested: 0 }]]);
    expect(fingerprint(readSnapshot(v1))).toBe(k.fingerprint);
  });
});
