import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/Kernel.js';
import type { Event } from '../../src/world/Event.js';
import { type OutcomeJson, outcomeToJson } from '../../src/world/logFormat.js';

function run(events: readonly Event[], k = new Kernel()): OutcomeJson[] {
  return events.map((e) => outcomeToJson(k.callJson(e)));
}

const kinds = (o: OutcomeJson | undefined): string[] => ((o?.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);

const setup: Event[] = [
  { type: 'dma_fence_context_alloc', ctx: 'c' },
  { type: 'dma_fence_context_alloc', ctx: 'd' },
  { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
  { type: 'dma_fence_init', fence: 'f2', ctx: 'c' },
  { type: 'dma_fence_init', fence: 'g', ctx: 'd' },
  { type: 'mutex_init', lock: 'M' },
];

describe('dma_fence_add_callback with a body (do)', () => {
  it('runs the body at signal time in the signalling task, atomic: a mutex is might_sleep and lockdep, named by its callback', () => {
    const o = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'mutex_lock', lock: 'M' }, { type: 'mutex_unlock', lock: 'M' }] }, { type: 'dma_fence_signal', fence: 'f', task: 't' }]);
    const sig = o[o.length - 1] as OutcomeJson;
    expect(sig.callbacks).toEqual(['cb']);
    expect(kinds(sig)).toEqual(['might_sleep', 'lockdep']);
    expect((sig.violations as { message: string }[])[0]?.message).toMatch(/^in callback "cb" \(mutex_lock\)/);
    expect((sig.bodies as Record<string, { type: string }[]>).cb?.map((b) => b.type)).toEqual(['mutex_lock', 'mutex_unlock']);
  });

  it('is clean when the body signals a fence of another context, and leaves the task sleepable after', () => {
    const o = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_signal', fence: 'g' }] }, { type: 'dma_fence_signal', fence: 'f', task: 't' }, { type: 'dma_fence_is_signaled', fence: 'g' }, { type: 'might_sleep', task: 't' }]);
    expect(o.slice(-3).flatMap(kinds)).toEqual([]);
    expect(o[o.length - 2]).toEqual({ ok: true, signaled: true });
  });

  it('reports lockdep recursion when the body signals a fence of the same context (one lock class)', () => {
    const o = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_signal', fence: 'f2' }] }, { type: 'dma_fence_signal', fence: 'f', task: 't' }]);
    expect(kinds(o[o.length - 1])).toEqual(['lockdep']);
  });

  it('reports a fence wait in a body as might_sleep, even a poll, and the wait under fence->lock inside the signal\'s section as a cycle', () => {
    const o = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_wait_timeout', fence: 'g', timeout: 0 }] }, { type: 'dma_fence_signal', fence: 'f' }]);
    const sig = o[o.length - 1];
    expect(kinds(sig)).toEqual(['might_sleep', 'lockdep']);
    expect((sig?.violations as { message: string }[])[1]?.message).toMatch(/cycle: fence_lock:1 → dma_fence_map → fence_lock:1/);
  });

  it('takes the fence lock only where the kernel does: not for add_callback on the signaled fence, nor for a negative wait', () => {
    // Inside its own signal, f is signaled already: add_callback answers ENOENT before spin_lock_irqsave.
    const add = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_add_callback', fence: 'f', cb: 'late' }] }, { type: 'dma_fence_signal', fence: 'f' }]);
    const sig = add[add.length - 1] as OutcomeJson;
    expect(kinds(sig)).toEqual([]);
    expect((sig.bodies as Record<string, unknown[]>).cb).toEqual([{ type: 'dma_fence_add_callback', ok: false, errno: 'ENOENT' }]);
    // f2 (same lock class) is not signaled: its add_callback does lock, and lockdep sees the recursion.
    const add2 = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_add_callback', fence: 'f2', cb: 'late' }] }, { type: 'dma_fence_signal', fence: 'f' }]);
    expect(kinds(add2[add2.length - 1])).toEqual(['lockdep']);
    // A negative timeout WARNs and returns before anything else.
    const wait = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'dma_fence_wait_timeout', fence: 'f2', timeout: -1 }] }, { type: 'dma_fence_signal', fence: 'f' }]);
    expect(kinds(wait[wait.length - 1])).toEqual(['warn_on']);
  });

  it('takes the lock of a fence a body releases with callbacks pending (dma_fence_release signals it under its lock)', () => {
    const o = run([
      ...setup,
      { type: 'dma_fence_add_callback', fence: 'f2', cb: 'y' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x', do: [{ type: 'dma_fence_put', fence: 'f2' }] },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(kinds(o[o.length - 1])).toContain('lockdep');
    // Without pending callbacks the last put takes no lock: only the release.
    const quiet = run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x', do: [{ type: 'dma_fence_put', fence: 'f2' }] }, { type: 'dma_fence_signal', fence: 'f' }]);
    expect(kinds(quiet[quiet.length - 1])).toEqual([]);
  });

  it('never runs the body of a callback refused by a signaled fence (ENOENT)', () => {
    const o = run([...setup, { type: 'dma_fence_signal', fence: 'f' }, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'might_sleep' }] }]);
    expect(o[o.length - 1]).toEqual({ ok: false, errno: 'ENOENT' });
  });

  it('rejects a body that is not a list of calls, names a task, or calls no kernel function, naming do', () => {
    for (const body of [{}, [{ type: 'Not A Call' }], [{ type: 'might_sleep', task: 't' }]]) {
      const k = new Kernel();
      run(setup, k);
      expect(() => k.callJson({ type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: body })).toThrow(/do/);
    }
  });

  it('runs another protocol\'s call through the kernel composed around dma_fence, in the signalling task', () => {
    const o = run([
      ...setup,
      { type: 'mm_alloc', mm: 'm' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'mmput', mm: 'm' }] },
      { type: 'dma_fence_signal', fence: 'f', task: 't' },
    ]);
    const sig = o[o.length - 1] as OutcomeJson;
    // The last mmput tears the address space down in the callback: it may sleep, in atomic context.
    expect(kinds(sig)).toContain('might_sleep');
    expect((sig.violations as { message: string }[])[0]?.message).toMatch(/^in callback "cb" \(mmput\): .*task "t"/);
    expect((sig.bodies as Record<string, { type: string; mm_users?: number }[]>).cb?.[0]).toEqual(expect.objectContaining({ type: 'mmput', mm_users: 0 }));
  });

  it('refuses a signal whose body calls a function no protocol answers, naming do, and changes nothing', () => {
    const k = new Kernel();
    run([...setup, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb', do: [{ type: 'no_such_call' }] }], k);
    const before = k.world;
    expect(() => k.callJson({ type: 'dma_fence_signal', fence: 'f', task: 't' })).toThrow(/no_such_call/);
    expect(k.world).toBe(before);
  });
});
