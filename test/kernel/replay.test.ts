import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { replay, worldAt } from '../../src/kernel/replay.js';
import { readSnapshot, takeSnapshot } from '../../src/kernel/snapshot.js';
import { parseLog } from '../../src/world/logFormat.js';
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
