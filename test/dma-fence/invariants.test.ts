import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dmaFenceInvariants,
  everyQueuedCallbackIsOnItsFence,
  fenceRecordsAreWellFormed,
  sectionsAreHeldByTasks,
} from '../../src/dma-fence/invariants.js';
import type { FenceRecord } from '../../src/dma-fence/state.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { type World, withSlice } from '../../src/world/World.js';
import { FIXTURES, fixtureFiles } from '../conformance/conformance.js';

function failing(w: World): string[] {
  return dmaFenceInvariants.filter((inv) => !inv.holds(w)).map((inv) => inv.name);
}

describe('dmaFenceInvariants', () => {
  it('lists the type invariant first', () => {
    expect(dmaFenceInvariants[0]).toBe(fenceRecordsAreWellFormed);
    expect(dmaFenceInvariants.map((i) => i.name)).toEqual(['fenceRecordsAreWellFormed', 'everyQueuedCallbackIsOnItsFence', 'sectionsAreHeldByTasks']);
  });

  it('holds in the empty world', () => {
    expect(failing(initialWorld())).toEqual([]);
  });

  const files = fixtureFiles('dma_fence');
  it('has conformance fixtures to walk', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`holds after every step of ${file}`, () => {
      const lines = readFileSync(join(FIXTURES, 'dma_fence', file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      let world = initialWorld();
      let steps = 0;
      for (const line of lines) {
        const { event } = JSON.parse(line) as { event: unknown };
        world = apply(world, event).world;
        steps++;
        const broken = failing(world);
        if (broken.length > 0) expect({ step: steps, event, broken }).toEqual({ step: steps, event, broken: [] });
      }
      expect(steps).toBe(lines.length);
    });
  }

  it('holds after refused calls, WARNs and release with pending callbacks', () => {
    const k = new Kernel();
    const events = [
      { type: 'dma_fence_context_alloc', ctx: 'c', num: 0 },
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
      { type: 'dma_fence_end_signalling', task: 't', cookie: false },
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'dma_fence_put', fence: 'f' },
      { type: 'dma_fence_put', fence: 'f' },
      { type: 'dma_fence_get_stub', fence: 's' },
      { type: 'dma_fence_set_error', fence: 's', error: 1 },
      { type: 'dma_fence_end_signalling', task: 't', cookie: false },
    ];
    for (const e of events) {
      k.callJson(e);
      expect(failing(k.world)).toEqual([]);
    }
  });
});

describe('fenceRecordsAreWellFormed', () => {
  it('fails for a fence whose refcount is 0 but is not freed', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' });
    const s = k.world.dmaFence;
    const bad: FenceRecord = { ...(s.fences.get('f') as FenceRecord), refcount: 0 };
    const w = withSlice(k.world, 'dmaFence', { ...s, fences: s.fences.set('f', bad) });
    expect(fenceRecordsAreWellFormed.holds(w)).toBe(false);
    expect(fenceRecordsAreWellFormed.holds(k.world)).toBe(true);
  });

  it('fails for a context, seqno or counter that is not a decimal u64 without leading zeros', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' });
    const s = k.world.dmaFence;
    const f = s.fences.get('f') as FenceRecord;
    const withFence = (r: FenceRecord): World => withSlice(k.world, 'dmaFence', { ...s, fences: s.fences.set('f', r) });
    for (const context of ['', '01', '1a', '-1', ' 1']) expect(fenceRecordsAreWellFormed.holds(withFence({ ...f, context })), context).toBe(false);
    for (const seqno of ['00', '1.5']) expect(fenceRecordsAreWellFormed.holds(withFence({ ...f, seqno })), seqno).toBe(false);
    expect(fenceRecordsAreWellFormed.holds(withFence({ ...f, context: '0', seqno: '18446744073709551615' }))).toBe(true);
    for (const counter of ['0', '', '07']) expect(fenceRecordsAreWellFormed.holds(withSlice(k.world, 'dmaFence', { ...s, counter })), counter).toBe(false);
  });

  it('fails for a signaled fence that still lists callbacks', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' });
    k.call({ type: 'dma_fence_signal', fence: 'f' });
    const s = k.world.dmaFence;
    const bad: FenceRecord = { ...(s.fences.get('f') as FenceRecord), cbs: ['x'] };
    expect(fenceRecordsAreWellFormed.holds(withSlice(k.world, 'dmaFence', { ...s, fences: s.fences.set('f', bad) }))).toBe(false);
  });
});

describe('everyQueuedCallbackIsOnItsFence', () => {
  it('fails when a fence lists a callback that is not registered on it', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'g', ctx: 'c' });
    k.call({ type: 'dma_fence_add_callback', fence: 'f', cb: 'x' });
    expect(everyQueuedCallbackIsOnItsFence.holds(k.world)).toBe(true);
    const s = k.world.dmaFence;
    const g = s.fences.get('g') as FenceRecord;
    const w = withSlice(k.world, 'dmaFence', { ...s, fences: s.fences.set('g', { ...g, cbs: ['x'] }) });
    expect(everyQueuedCallbackIsOnItsFence.holds(w)).toBe(false);
  });
});

describe('sectionsAreHeldByTasks', () => {
  it('fails when the task table stores a task outside any section', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_begin_signalling', task: 't' });
    expect(sectionsAreHeldByTasks.holds(k.world)).toBe(true);
    const s = k.world.dmaFence;
    const w = withSlice(k.world, 'dmaFence', { ...s, tasks: s.tasks.set('t', { signalling: false, nested: 0 }) });
    expect(sectionsAreHeldByTasks.holds(w)).toBe(false);
  });
});
