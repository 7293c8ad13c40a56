import { describe, expect, it } from 'vitest';
import { type Branch, type BranchMeta, type MachineTable, authoredBranches } from '../../machines/machineTable.js';
import { CB_EFFECTS, CB_TABLE, FENCE_EFFECTS, FENCE_TABLE, applyDmaFence } from '../../src/dma-fence/apply.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { call, calls, expectMisuse, expectRefused, kinds, withFence } from './helpers.js';

const U64_MAX = '18446744073709551615';

function fenceState(k: Kernel, name: string): string | undefined {
  return k.world.dmaFence.fences.get(name)?.state;
}

describe('dma_fence_context_alloc', () => {
  it('hands out context ids from a global counter that starts at 1', () => {
    const k = new Kernel();
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'a' })).toEqual({ ok: true, context: '1' });
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'b' })).toEqual({ ok: true, context: '2' });
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'c' })).toEqual({ ok: true, context: '3' });
  });

  it('returns u64 context ids as bigints through the Kernel handle', () => {
    const k = new Kernel();
    expect(k.call({ type: 'dma_fence_context_alloc', ctx: 'a' }).context).toBe(1n);
  });

  it('reserves num consecutive ids and returns the first', () => {
    const k = new Kernel();
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'a', num: 3 })).toEqual({ ok: true, context: '1' });
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'b' })).toEqual({ ok: true, context: '4' });
  });

  it('WARNs for num 0, returns the current counter and reserves nothing', () => {
    const k = new Kernel();
    const o = call(k, { type: 'dma_fence_context_alloc', ctx: 'a', num: 0 });
    expect(o.ok).toBe(true);
    expect(o.context).toBe('1');
    expect(kinds(o)).toEqual(['warn_on']);
    expect(call(k, { type: 'dma_fence_context_alloc', ctx: 'b' })).toEqual({ ok: true, context: '1' });
  });

  it('rejects a negative num as a malformed event naming the field', () => {
    expectMisuse(new Kernel(), { type: 'dma_fence_context_alloc', ctx: 'a', num: -1 }, 'MALFORMED_EVENT', 'num');
  });
});

describe('dma_fence_init', () => {
  it('numbers fences 1, 2, 3 per context when no seqno is given', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_context_alloc', ctx: 'a' },
      { type: 'dma_fence_context_alloc', ctx: 'b' },
    ]);
    expect(call(k, { type: 'dma_fence_init', fence: 'a1', ctx: 'a' })).toEqual({ ok: true, context: '1', seqno: '1' });
    expect(call(k, { type: 'dma_fence_init', fence: 'b1', ctx: 'b' })).toEqual({ ok: true, context: '2', seqno: '1' });
    expect(call(k, { type: 'dma_fence_init', fence: 'a2', ctx: 'a' })).toEqual({ ok: true, context: '1', seqno: '2' });
    expect(call(k, { type: 'dma_fence_init', fence: 'a3', ctx: 'a' })).toEqual({ ok: true, context: '1', seqno: '3' });
    expect(call(k, { type: 'dma_fence_init', fence: 'b2', ctx: 'b' })).toEqual({ ok: true, context: '2', seqno: '2' });
  });

  it('uses an explicit seqno as given without moving the context counter', () => {
    const k = new Kernel();
    call(k, { type: 'dma_fence_context_alloc', ctx: 'a' });
    expect(call(k, { type: 'dma_fence_init', fence: 'x', ctx: 'a', seqno: '100' })).toEqual({ ok: true, context: '1', seqno: '100' });
    expect(call(k, { type: 'dma_fence_init', fence: 'y', ctx: 'a' })).toEqual({ ok: true, context: '1', seqno: '1' });
    expect(call(k, { type: 'dma_fence_init', fence: 'z', ctx: 'a', seqno: U64_MAX })).toEqual({ ok: true, context: '1', seqno: U64_MAX });
    expect(call(k, { type: 'dma_fence_init', fence: 'w', ctx: 'a' })).toEqual({ ok: true, context: '1', seqno: '2' });
  });

  it('starts a fence unsignaled, signaling disabled, refcount 1, no error', () => {
    const k = withFence();
    expect(k.world.dmaFence.fences.get('f')).toEqual({
      state: 'unsignaled.signalingDisabled',
      refcount: 1,
      context: '1',
      seqno: '1',
      seqno64: false,
      error: 0,
      cbs: [],
    });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
  });

  it('refuses to initialise a name that is still a live fence (bug_on) and changes nothing', () => {
    const k = withFence();
    expectRefused(k, { type: 'dma_fence_init', fence: 'f', ctx: 'c' }, 'bug_on');
  });

  it('gives a released name a fresh fence', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_signal', fence: 'f' },
      { type: 'dma_fence_put', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_init', fence: 'f', ctx: 'c' })).toEqual({ ok: true, context: '1', seqno: '2' });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
  });

  it('rejects an unknown context as UNKNOWN_OBJECT naming ctx', () => {
    expectMisuse(new Kernel(), { type: 'dma_fence_init', fence: 'f', ctx: 'nope' }, 'UNKNOWN_OBJECT', 'ctx');
  });

  it('rejects a seqno that is not a u64 as MALFORMED_EVENT naming seqno', () => {
    const k = withFence();
    expectMisuse(k, { type: 'dma_fence_init', fence: 'g', ctx: 'c', seqno: '-1' }, 'MALFORMED_EVENT', 'seqno');
    expectMisuse(k, { type: 'dma_fence_init', fence: 'g', ctx: 'c', seqno: '18446744073709551616' }, 'MALFORMED_EVENT', 'seqno');
  });

  it('rejects a missing or unknown field as MALFORMED_EVENT naming it', () => {
    const k = withFence();
    expectMisuse(k, { type: 'dma_fence_init', ctx: 'c' }, 'MALFORMED_EVENT', 'fence');
    expectMisuse(k, { type: 'dma_fence_init', fence: 'g', ctx: 'c', flags: 1 }, 'MALFORMED_EVENT', 'flags');
    expectMisuse(k, { type: 'dma_fence_init', fence: '', ctx: 'c' }, 'MALFORMED_EVENT', 'fence');
  });
});

describe('dma_fence_init64', () => {
  it('initialises a fence like dma_fence_init, with the SEQNO64 flag', () => {
    const k = new Kernel();
    call(k, { type: 'dma_fence_context_alloc', ctx: 'c' });
    expect(call(k, { type: 'dma_fence_init64', fence: 'f', ctx: 'c' })).toEqual({ ok: true, context: '1', seqno: '1' });
    expect(k.world.dmaFence.fences.get('f')?.seqno64).toBe(true);
  });
});

describe('dma_fence_get', () => {
  it('takes a reference, so the fence survives one more put', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_get', fence: 'f' })).toEqual({ ok: true });
    expect(k.world.dmaFence.fences.get('f')?.refcount).toBe(2);
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
  });

  it('refuses a get on a released fence as use_after_free and changes nothing', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_get', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_put', () => {
  it('releases an unsignaled fence without callbacks silently', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
    expect(fenceState(k, 'f')).toBe('freed');
  });

  it('releases a signaled fence silently', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
    expect(fenceState(k, 'f')).toBe('freed');
  });

  it('WARNs "released with pending signals!", sets -EDEADLK and runs the pending callbacks in order', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_context_alloc', ctx: 'a' },
      { type: 'dma_fence_context_alloc', ctx: 'b' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'b', seqno: '3735928559' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'y' },
      { type: 'dma_fence_set_error', fence: 'f', error: -62 },
    ]);
    const o = call(k, { type: 'dma_fence_put', fence: 'f' });
    expect(o).toEqual({
      ok: true,
      callbacks: ['x', 'y'],
      violations: [{ kind: 'warn_on', message: 'Fence drmstate:drmstate:2:deadbeef released with pending signals!' }],
    });
    expect(k.world.dmaFence.fences.get('f')?.error).toBe(-35);
    expect(k.world.dmaFence.cbs.get('x')?.state).toBe('invoked');
  });

  it('prints context and seqno as lowercase hex in the WARN, up to u64 max', () => {
    const k = new Kernel();
    for (let i = 0; i < 10; i++) call(k, { type: 'dma_fence_context_alloc', ctx: `c${i}` });
    calls(k, [
      { type: 'dma_fence_init', fence: 'f', ctx: 'c9', seqno: U64_MAX },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
    ]);
    const o = call(k, { type: 'dma_fence_put', fence: 'f' });
    expect((o.violations as { message: string }[])[0]?.message).toBe('Fence drmstate:drmstate:a:ffffffffffffffff released with pending signals!');
  });

  it('does not WARN on a put that is not the last, even with callbacks pending', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_get', fence: 'f' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
    ]);
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
    expect(k.world.dmaFence.fences.get('f')?.cbs).toEqual(['x']);
  });

  it('does not WARN when the pending callbacks were all removed before the last put', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' },
    ]);
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
  });

  it('refuses a put below zero as refcount_underflow and changes nothing', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_put', fence: 'f' }, 'refcount_underflow');
  });
});

describe('dma_fence_signal', () => {
  it('signals a fence with no callbacks and returns no callbacks field', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true });
    expect(fenceState(k, 'f')).toBe('signaled');
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: true });
  });

  it('runs every queued callback once, in registration order', () => {
    const k = withFence();
    for (const cb of ['c3', 'c1', 'c2']) call(k, { type: 'dma_fence_add_callback', fence: 'f', cb });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['c3', 'c1', 'c2'] });
    for (const cb of ['c3', 'c1', 'c2']) expect(k.world.dmaFence.cbs.get(cb)?.state).toBe('invoked');
  });

  it('answers a second signal with EINVAL, runs nothing and changes nothing', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(k.fingerprint).toBe(before);
  });

  it('refuses to signal a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_signal', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_check_and_signal', () => {
  it('returns was_signaled false and the callbacks it ran the first time', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' });
    expect(call(k, { type: 'dma_fence_check_and_signal', fence: 'f' })).toEqual({ ok: true, was_signaled: false, callbacks: ['x'] });
  });

  it('returns was_signaled true without an errno once the fence is signaled', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_check_and_signal', fence: 'f' })).toEqual({ ok: true, was_signaled: true });
    expect(k.fingerprint).toBe(before);
  });

  it('returns was_signaled false with no callbacks field on a fence without callbacks', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_check_and_signal', fence: 'f' })).toEqual({ ok: true, was_signaled: false });
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_check_and_signal', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_enable_sw_signaling', () => {
  it('sets ENABLE_SIGNAL on an unsignaled fence and does not signal it', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' })).toEqual({ ok: true });
    expect(fenceState(k, 'f')).toBe('unsignaled.signalingEnabled');
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
  });

  it('changes nothing on a signaled fence', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' })).toEqual({ ok: true });
    expect(k.fingerprint).toBe(before);
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_add_callback', () => {
  it('queues the callback, returns 0 and enables signaling', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true });
    expect(fenceState(k, 'f')).toBe('unsignaled.signalingEnabled');
    expect(k.world.dmaFence.fences.get('f')?.cbs).toEqual(['x']);
  });

  it('answers ENOENT on a signaled fence and never runs that callback', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' })).toEqual({ ok: false, errno: 'ENOENT' });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true, removed: false });
  });

  it('refuses to add a callback that is still queued on the same fence (bug_on) and changes nothing', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' });
    expectRefused(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' }, 'bug_on');
  });

  it('refuses to add a callback that is still queued on another fence, even a signaled one', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_init', fence: 'g', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'h', ctx: 'c' },
      { type: 'dma_fence_signal', fence: 'h' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
    ]);
    expectRefused(k, { type: 'dma_fence_add_callback', fence: 'g', cb: 'x' }, 'bug_on');
    expectRefused(k, { type: 'dma_fence_add_callback', fence: 'h', cb: 'x' }, 'bug_on');
  });

  it('lets a callback name be added again after it ran', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_init', fence: 'g', ctx: 'c' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'g', cb: 'x' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'g' })).toEqual({ ok: true, callbacks: ['x'] });
  });

  it('lets a callback name be added again after it was removed', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' },
    ]);
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['x'] });
  });

  it('lets a callback name be added again after it was refused with ENOENT', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_init', fence: 'g', ctx: 'c' },
      { type: 'dma_fence_signal', fence: 'f' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
    ]);
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'g', cb: 'x' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'g' })).toEqual({ ok: true, callbacks: ['x'] });
  });

  it('lists a re-added callback once, at its new place in registration order', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'a' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'b' },
      { type: 'dma_fence_remove_callback', fence: 'f', cb: 'a' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'a' },
    ]);
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['b', 'a'] });
  });

  it('refuses a released fence as use_after_free and does not create the callback', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' }, 'use_after_free');
    expect(k.world.dmaFence.cbs.get('x')).toBeUndefined();
  });
});

describe('dma_fence_remove_callback', () => {
  it('returns true for a queued callback, which then never runs', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'y' },
    ]);
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true, removed: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['y'] });
  });

  it('returns false the second time', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' },
    ]);
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true, removed: false });
    expect(k.fingerprint).toBe(before);
  });

  it('returns false once the callback has run', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' })).toEqual({ ok: true, removed: false });
  });

  it('rejects a callback name never added as UNKNOWN_OBJECT naming cb', () => {
    expectMisuse(withFence(), { type: 'dma_fence_remove_callback', fence: 'f', cb: 'nope' }, 'UNKNOWN_OBJECT', 'cb');
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' },
      { type: 'dma_fence_signal', fence: 'f' },
      { type: 'dma_fence_put', fence: 'f' },
    ]);
    expectRefused(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'x' }, 'use_after_free');
  });
});

describe('dma_fence_set_error', () => {
  it('stores the error, which get_status reports only after the signal', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: -5 })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -5 });
  });

  it('keeps the last error written before the signal', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_set_error', fence: 'f', error: -5 },
      { type: 'dma_fence_set_error', fence: 'f', error: -62 },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -62 });
  });

  it('accepts the bounds -1 and -4095 without a WARN', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: -1 })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: -4095 })).toEqual({ ok: true });
  });

  it('WARNs after the signal and still stores the error', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    const o = call(k, { type: 'dma_fence_set_error', fence: 'f', error: -5 });
    expect(o.ok).toBe(true);
    expect(kinds(o)).toEqual(['warn_on']);
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -5 });
  });

  it('WARNs for 0, a positive value and anything below -4095, and stores the value', () => {
    for (const error of [0, 1, 7, -4096, -100000]) {
      const k = withFence();
      const o = call(k, { type: 'dma_fence_set_error', fence: 'f', error });
      expect(o.ok).toBe(true);
      expect(kinds(o)).toEqual(['warn_on']);
      expect(k.world.dmaFence.fences.get('f')?.error).toBe(error);
    }
  });

  it('reports status 1 after the signal when the stored error is 0', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_set_error', fence: 'f', error: 0 },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 1 });
  });

  it('WARNs twice (signaled, out of range) when both apply', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    const o = call(k, { type: 'dma_fence_set_error', fence: 'f', error: 3 });
    expect(kinds(o)).toEqual(['warn_on', 'warn_on']);
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 3 });
  });

  it('truncates an error wider than 32 bits as the C int parameter does', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: 4294967291 })).toEqual({ ok: true });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -5 });
  });

  it('rejects a non-integer error as MALFORMED_EVENT naming error', () => {
    expectMisuse(withFence(), { type: 'dma_fence_set_error', fence: 'f', error: '-5' }, 'MALFORMED_EVENT', 'error');
    expectMisuse(withFence(), { type: 'dma_fence_set_error', fence: 'f', error: -1.5 }, 'MALFORMED_EVENT', 'error');
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_set_error', fence: 'f', error: -5 }, 'use_after_free');
  });
});

describe('dma_fence_get_status', () => {
  it('returns 0 while unsignaled and 1 once signaled without an error', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 1 });
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_get_status', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_is_signaled', () => {
  it('reads the SIGNALED bit without enabling signaling', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
    expect(fenceState(k, 'f')).toBe('unsignaled.signalingDisabled');
  });

  it('refuses a released fence as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_is_signaled', fence: 'f' }, 'use_after_free');
  });
});

describe('dma_fence_is_later', () => {
  function twoFences(s1: string, s2: string, init1: 'dma_fence_init' | 'dma_fence_init64' = 'dma_fence_init'): Kernel {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: init1, fence: 'a', ctx: 'c', seqno: s1 },
      { type: 'dma_fence_init', fence: 'b', ctx: 'c', seqno: s2 },
    ]);
    return k;
  }

  it('orders fences of one context by seqno', () => {
    const k = twoFences('2', '1');
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' })).toEqual({ ok: true, later: true });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' })).toEqual({ ok: true, later: false });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'a' })).toEqual({ ok: true, later: false });
  });

  it('compares the low 32 bits with a signed difference, so seqno 1 is later than 0xffffffff', () => {
    const k = twoFences('1', '4294967295');
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' })).toEqual({ ok: true, later: true });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' })).toEqual({ ok: true, later: false });
  });

  it('ignores the high 32 bits without SEQNO64: 0x100000000 is not later than 1', () => {
    const k = twoFences('4294967296', '1');
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' })).toEqual({ ok: true, later: false });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' })).toEqual({ ok: true, later: true });
  });

  it('treats a difference of exactly 2^31 as not later (it is negative as an int)', () => {
    const k = twoFences('2147483648', '0');
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' })).toEqual({ ok: true, later: false });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' })).toEqual({ ok: true, later: false });
  });

  it('compares all 64 bits when f1 has SEQNO64 (dma_fence_init64)', () => {
    const k = twoFences('4294967296', '1', 'dma_fence_init64');
    expect(call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' })).toEqual({ ok: true, later: true });
  });

  it('reads SEQNO64 from f1 only', () => {
    const k = twoFences('4294967296', '1', 'dma_fence_init64');
    // Here f1 is b (no SEQNO64): 32-bit compare of 1 against 0 says later.
    expect(call(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' })).toEqual({ ok: true, later: true });
  });

  it('WARNs and answers false across contexts', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_context_alloc', ctx: 'd' },
      { type: 'dma_fence_init', fence: 'a', ctx: 'c', seqno: '9' },
      { type: 'dma_fence_init', fence: 'b', ctx: 'd', seqno: '1' },
    ]);
    const before = k.fingerprint;
    const o = call(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' });
    expect(o.ok).toBe(true);
    expect(o.later).toBe(false);
    expect(kinds(o)).toEqual(['warn_on']);
    expect(k.fingerprint).toBe(before);
  });

  it('refuses a released f1 or f2 as use_after_free', () => {
    const k = twoFences('2', '1');
    call(k, { type: 'dma_fence_put', fence: 'b' });
    expectRefused(k, { type: 'dma_fence_is_later', f1: 'a', f2: 'b' }, 'use_after_free');
    expectRefused(k, { type: 'dma_fence_is_later', f1: 'b', f2: 'a' }, 'use_after_free');
  });

  it('rejects an unknown f2 as UNKNOWN_OBJECT naming f2', () => {
    expectMisuse(twoFences('2', '1'), { type: 'dma_fence_is_later', f1: 'a', f2: 'zz' }, 'UNKNOWN_OBJECT', 'f2');
  });
});

describe('dma_fence_wait_timeout', () => {
  it('WARNs and answers EINVAL for a negative timeout, changing nothing', () => {
    const k = withFence();
    const before = k.fingerprint;
    const o = call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -1 });
    expect(o.ok).toBe(false);
    expect(o.errno).toBe('EINVAL');
    expect(kinds(o)).toEqual(['warn_on']);
    expect(k.fingerprint).toBe(before);
  });

  it('answers a negative timeout with EINVAL even on a released fence, which it never reads', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    const o = call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -5 });
    expect(o.errno).toBe('EINVAL');
    expect(kinds(o)).toEqual(['warn_on']);
  });

  it('returns 0 for a poll of an unsignaled fence and enables signaling', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 })).toEqual({ ok: true, ret: 0 });
    expect(fenceState(k, 'f')).toBe('unsignaled.signalingEnabled');
  });

  it('returns 1 for a poll of a signaled fence', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 })).toEqual({ ok: true, ret: 1 });
  });

  it('returns the whole timeout at once for a signaled fence', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 250 })).toEqual({ ok: true, ret: 250 });
  });

  it('is blocked, changing nothing, when it would sleep on an unsignaled fence', () => {
    const k = withFence();
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 10 })).toEqual({ ok: false, blocked: true });
    expect(k.fingerprint).toBe(before);
  });

  it('is not a violation inside a signalling section (the read hold is dropped around the wait)', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_begin_signalling', task: 't' });
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 })).toEqual({ ok: true, ret: 0 });
  });

  it('refuses a released fence with a valid timeout as use_after_free', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expectRefused(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 }, 'use_after_free');
  });

  it('rejects a missing task as MALFORMED_EVENT naming task', () => {
    expectMisuse(withFence(), { type: 'dma_fence_wait_timeout', fence: 'f', timeout: 0 }, 'MALFORMED_EVENT', 'task');
  });
});

describe('dma_fence_begin_signalling', () => {
  it('returns cookie false outside a section and true when nested, counting the nested begin', () => {
    const k = new Kernel();
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't' })).toEqual({ ok: true, cookie: false });
    const before = k.fingerprint;
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't' })).toEqual({ ok: true, cookie: true });
    expect(k.world.dmaFence.tasks.get('t')).toEqual({ signalling: true, nested: 1 });
    expect(k.fingerprint).not.toBe(before);
  });

  it('keeps one section per task', () => {
    const k = new Kernel();
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't1' })).toEqual({ ok: true, cookie: false });
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't2' })).toEqual({ ok: true, cookie: false });
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't1' })).toEqual({ ok: true, cookie: true });
    expect(k.world.dmaFence.tasks.get('t1')?.signalling).toBe(true);
    expect(k.world.dmaFence.tasks.get('t2')?.signalling).toBe(true);
  });
});

describe('dma_fence_end_signalling', () => {
  it('ends the nested begin for cookie true and releases the section for cookie false', () => {
    const k = new Kernel();
    const idle = k.fingerprint;
    call(k, { type: 'dma_fence_begin_signalling', task: 't' });
    const inside = k.fingerprint;
    call(k, { type: 'dma_fence_begin_signalling', task: 't' });
    expect(call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: true })).toEqual({ ok: true });
    expect(k.fingerprint).toBe(inside);
    expect(call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: false })).toEqual({ ok: true });
    expect(k.fingerprint).toBe(idle);
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't' })).toEqual({ ok: true, cookie: false });
  });

  it('takes ends in any order: begin → false, begin → true, end(false), end(true) is clean', () => {
    const k = new Kernel();
    const idle = k.fingerprint;
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't' })).toEqual({ ok: true, cookie: false });
    expect(call(k, { type: 'dma_fence_begin_signalling', task: 't' })).toEqual({ ok: true, cookie: true });
    expect(call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: false })).toEqual({ ok: true });
    expect(k.world.dmaFence.tasks.get('t')).toEqual({ signalling: false, nested: 1 });
    expect(call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: true })).toEqual({ ok: true });
    expect(k.fingerprint).toBe(idle);
  });

  it('answers cookie true with no nested begin outstanding as the kernel does (it returns at once): nothing reported, nothing changes', () => {
    for (const before of [[], [{ type: 'dma_fence_begin_signalling', task: 't' }]]) {
      const k = new Kernel();
      calls(k, before);
      const fp = k.fingerprint;
      expect(call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: true })).toEqual({ ok: true });
      expect(k.fingerprint).toBe(fp);
    }
  });

  it('does not let a nested begin of one task match an end(true) of another', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_begin_signalling', task: 't1' },
      { type: 'dma_fence_begin_signalling', task: 't1' },
      { type: 'dma_fence_begin_signalling', task: 't2' },
    ]);
    expect(call(k, { type: 'dma_fence_end_signalling', task: 't2', cookie: true })).toEqual({ ok: true });
    expect(k.world.dmaFence.tasks.get('t1')).toEqual({ signalling: true, nested: 1 });
    expect(k.world.dmaFence.tasks.get('t2')).toEqual({ signalling: true, nested: 0 });
  });

  it('reports cookie false in a task that holds no section as a lockdep unlock imbalance, and returns (the call completes)', () => {
    // --lockdep-all: the report does not turn lockdep off, so the world stays as it was.
    const k = new Kernel();
    call(k, { type: 'lockdep_prove_all' });
    for (const before of [[], [{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'dma_fence_end_signalling', task: 't', cookie: false }]]) {
      calls(k, before);
      const fp = k.fingerprint;
      const o = call(k, { type: 'dma_fence_end_signalling', task: 't', cookie: false });
      expect(o.ok).toBe(true);
      expect((o.violations as { kind: string; message: string }[]).map((v) => v.kind)).toEqual(['lockdep']);
      expect((o.violations as { message: string }[])[0]?.message).toMatch(/bad unlock balance/);
      expect(k.fingerprint).toBe(fp);
    }
    // Without --lockdep-all the report turns lockdep off, as print_unlock_imbalance_bug does.
    const off = new Kernel();
    expect(call(off, { type: 'dma_fence_end_signalling', task: 't', cookie: false }).ok).toBe(true);
    expect(call(off, { type: 'dma_fence_begin_signalling', task: 'u' })).toEqual({ ok: true, cookie: true });
  });

  it('does not let one task end another task\'s section', () => {
    const k = new Kernel();
    call(k, { type: 'lockdep_prove_all' });
    call(k, { type: 'dma_fence_begin_signalling', task: 't1' });
    const o = call(k, { type: 'dma_fence_end_signalling', task: 't2', cookie: false });
    expect((o.violations as { kind: string }[]).map((v) => v.kind)).toEqual(['lockdep']);
    expect(k.world.dmaFence.tasks.get('t1')?.signalling).toBe(true);
  });

  it('rejects a cookie that is not a boolean as MALFORMED_EVENT naming cookie', () => {
    expectMisuse(new Kernel(), { type: 'dma_fence_end_signalling', task: 't', cookie: 0 }, 'MALFORMED_EVENT', 'cookie');
  });
});

describe('dma_fence_get_stub', () => {
  it('returns a reference to a signaled fence with no outcome fields', () => {
    const k = new Kernel();
    expect(call(k, { type: 'dma_fence_get_stub', fence: 's' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 's' })).toEqual({ ok: true, signaled: true });
    expect(call(k, { type: 'dma_fence_get_status', fence: 's' })).toEqual({ ok: true, status: 1 });
    expect(k.world.dmaFence.stub).toMatchObject({ context: '0', seqno: '0', state: 'signaled', refcount: 2 });
  });

  it('makes every stub name alias the one global fence', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_get_stub', fence: 's1' },
      { type: 'dma_fence_get_stub', fence: 's2' },
    ]);
    expect(k.world.dmaFence.stub?.refcount).toBe(3);
    const o = call(k, { type: 'dma_fence_set_error', fence: 's1', error: -5 });
    expect(kinds(o)).toEqual(['warn_on']);
    expect(call(k, { type: 'dma_fence_get_status', fence: 's2' })).toEqual({ ok: true, status: -5 });
  });

  it('answers EINVAL to a signal and ENOENT to add_callback', () => {
    const k = new Kernel();
    call(k, { type: 'dma_fence_get_stub', fence: 's' });
    expect(call(k, { type: 'dma_fence_signal', fence: 's' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(call(k, { type: 'dma_fence_add_callback', fence: 's', cb: 'x' })).toEqual({ ok: false, errno: 'ENOENT' });
  });

  it('keeps the stub alive after every reference taken is put back', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_get_stub', fence: 's1' },
      { type: 'dma_fence_get_stub', fence: 's2' },
    ]);
    expect(call(k, { type: 'dma_fence_put', fence: 's1' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_put', fence: 's2' })).toEqual({ ok: true });
    expect(k.world.dmaFence.stub?.refcount).toBe(1);
    expect(call(k, { type: 'dma_fence_get_stub', fence: 's3' })).toEqual({ ok: true });
    expect(k.world.dmaFence.stub?.refcount).toBe(2);
  });

  it('refuses a put that would free the static stub (bug_on)', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_get_stub', fence: 's' },
      { type: 'dma_fence_put', fence: 's' },
    ]);
    expectRefused(k, { type: 'dma_fence_put', fence: 's' }, 'bug_on');
  });

  it('can name a released fence', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_put', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_stub', fence: 'f' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: true });
  });

  it('rejects a name that is still a live fence as MALFORMED_EVENT naming fence', () => {
    expectMisuse(withFence(), { type: 'dma_fence_get_stub', fence: 'f' }, 'MALFORMED_EVENT', 'fence');
  });
});

describe('Kernel.call (library misuse)', () => {
  it('rejects an unknown event type as MALFORMED_EVENT naming type', () => {
    expectMisuse(withFence(), { type: 'dma_fence_frobnicate', fence: 'f' }, 'MALFORMED_EVENT', 'type');
  });

  it('rejects an event that is not an object', () => {
    expectMisuse(withFence(), 42, 'MALFORMED_EVENT', undefined);
  });

  it('rejects a fence name never created as UNKNOWN_OBJECT naming fence, for every fence call', () => {
    const k = withFence();
    for (const type of [
      'dma_fence_get',
      'dma_fence_put',
      'dma_fence_signal',
      'dma_fence_check_and_signal',
      'dma_fence_enable_sw_signaling',
      'dma_fence_get_status',
      'dma_fence_is_signaled',
    ])
      expectMisuse(k, { type, fence: 'ghost' }, 'UNKNOWN_OBJECT', 'fence');
    expectMisuse(k, { type: 'dma_fence_add_callback', fence: 'ghost', cb: 'x' }, 'UNKNOWN_OBJECT', 'fence');
    expectMisuse(k, { type: 'dma_fence_set_error', fence: 'ghost', error: -5 }, 'UNKNOWN_OBJECT', 'fence');
    expectMisuse(k, { type: 'dma_fence_wait_timeout', fence: 'ghost', task: 't', timeout: 0 }, 'UNKNOWN_OBJECT', 'fence');
    expectMisuse(k, { type: 'dma_fence_is_later', f1: 'ghost', f2: 'f' }, 'UNKNOWN_OBJECT', 'f1');
  });

  it('leaves the world and the log byte-identical after misuse in the middle of a run', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'x' });
    expectMisuse(k, { type: 'dma_fence_signal' }, 'MALFORMED_EVENT', 'fence');
    expect(k.seq).toBe(3);
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['x'] });
  });
});

describe('Kernel.call (object names)', () => {
  it('treats __proto__, constructor and toString as ordinary names for contexts, fences, callbacks and tasks', () => {
    const k = new Kernel();
    const names = ['__proto__', 'constructor', 'toString'];
    for (const n of names) expect(call(k, { type: 'dma_fence_context_alloc', ctx: n }).ok).toBe(true);
    for (const n of names) expect(call(k, { type: 'dma_fence_init', fence: n, ctx: n })).toMatchObject({ ok: true, seqno: '1' });
    for (const n of names) expect(call(k, { type: 'dma_fence_add_callback', fence: '__proto__', cb: n })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_remove_callback', fence: '__proto__', cb: 'constructor' })).toEqual({ ok: true, removed: true });
    expect(call(k, { type: 'dma_fence_signal', fence: '__proto__' })).toEqual({ ok: true, callbacks: ['__proto__', 'toString'] });
    for (const n of names) expect(call(k, { type: 'dma_fence_begin_signalling', task: n })).toEqual({ ok: true, cookie: false });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'toString' })).toEqual({ ok: true, signaled: false });
    expect(call(k, { type: 'dma_fence_put', fence: 'constructor' })).toEqual({ ok: true });
    expectMisuse(k, { type: 'dma_fence_get', fence: 'hasOwnProperty' }, 'UNKNOWN_OBJECT', 'fence');
  });

  it('reads __proto__ as a field of a JSON-parsed event', () => {
    const k = new Kernel();
    call(k, JSON.parse('{"type":"dma_fence_context_alloc","ctx":"__proto__"}'));
    expect(call(k, JSON.parse('{"type":"dma_fence_init","fence":"__proto__","ctx":"__proto__"}'))).toEqual({ ok: true, context: '1', seqno: '1' });
  });
});

describe('applyDmaFence', () => {
  it('never changes the world it is given', () => {
    const w0 = apply(apply(initialWorld(), { type: 'dma_fence_context_alloc', ctx: 'c' }).world, {
      type: 'dma_fence_init',
      fence: 'f',
      ctx: 'c',
    }).world;
    const fp = fingerprint(w0);
    const r = applyDmaFence(w0, { type: 'dma_fence_signal', fence: 'f' });
    expect(fingerprint(w0)).toBe(fp);
    expect(w0.dmaFence.fences.get('f')?.state).toBe('unsignaled.signalingDisabled');
    expect(r.world.dmaFence.fences.get('f')?.state).toBe('signaled');
    expect(fingerprint(r.world)).not.toBe(fp);
  });
});

/**
 * Runs `fn` with one branch of a compiled table given other meta, then restores it: what `apply`
 * answers must follow the branch (a deleted WARN meta deletes the WARN).
 */
function withMeta(table: MachineTable, state: string, event: string, index: number, meta: BranchMeta, fn: () => void): void {
  // The branch authored in `state` appears in the list of every leaf below it.
  const undo: (() => void)[] = [];
  for (const byEvent of table.branches.values()) {
    const list = byEvent.get(event) as Branch[] | undefined;
    const i = list?.findIndex((b) => b.definedIn === state && b.index === index) ?? -1;
    if (list === undefined || i < 0) continue;
    const old = list[i] as Branch;
    list[i] = { ...old, meta };
    undo.push(() => (list[i] = old));
  }
  if (undo.length === 0) throw new Error(`no branch ${state}:${event}:${index}`);
  try {
    fn();
  } finally {
    for (const u of undo) u();
  }
}

function signaledFence(): Kernel {
  const k = withFence();
  k.call({ type: 'dma_fence_signal', fence: 'f' });
  return k;
}

describe('applyDmaFence: the dma_fence and dma_fence_cb branches decide', () => {
  it('dma_fence_set_error WARNs only as the branch meta says (deleting the WARN meta deletes the WARN)', () => {
    expect(kinds(call(signaledFence(), { type: 'dma_fence_set_error', fence: 'f', error: -5 }))).toEqual(['warn_on']);
    withMeta(FENCE_TABLE, 'signaled', 'dma_fence_set_error', 1, { effects: ['storeError'] }, () => {
      const k = signaledFence();
      expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: -5 })).toEqual({ ok: true });
      expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -5 });
    });
    withMeta(FENCE_TABLE, 'unsignaled', 'dma_fence_set_error', 0, { effects: ['storeError'] }, () => {
      expect(call(withFence(), { type: 'dma_fence_set_error', fence: 'f', error: 3 })).toEqual({ ok: true });
    });
  });

  it('dma_fence_set_error records both WARNs of a signaled fence and an out-of-range error, in the kernel order', () => {
    const o = call(signaledFence(), { type: 'dma_fence_set_error', fence: 'f', error: 0 });
    expect((o.violations as { message: string }[]).map((v) => v.message)).toEqual([
      'dma_fence_set_error on signaled fence "f"',
      'dma_fence_set_error(0): not in [-4095, -1]',
    ]);
  });

  it('dma_fence_signal answers EINVAL on a signaled fence because the branch says so', () => {
    expect(call(signaledFence(), { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: false, errno: 'EINVAL' });
    withMeta(FENCE_TABLE, 'signaled', 'dma_fence_signal', 0, {}, () => {
      expect(call(signaledFence(), { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true });
    });
  });

  it('dma_fence_check_and_signal returns the was_signaled the branch fixes', () => {
    withMeta(FENCE_TABLE, 'signaled', 'dma_fence_check_and_signal', 0, { returns: { was_signaled: false } }, () => {
      expect(call(signaledFence(), { type: 'dma_fence_check_and_signal', fence: 'f' })).toEqual({ ok: true, was_signaled: false });
    });
  });

  it('dma_fence_wait_timeout asks the machine about a negative timeout on a live fence', () => {
    const o = call(withFence(), { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -1 });
    expect(o.errno).toBe('EINVAL');
    withMeta(FENCE_TABLE, 'unsignaled', 'dma_fence_wait_timeout', 0, { blocked: true }, () => {
      expect(call(withFence(), { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -1 })).toEqual({ ok: false, blocked: true });
    });
  });

  it('dma_fence_get_status and dma_fence_is_signaled return what the branch fixes', () => {
    withMeta(FENCE_TABLE, 'unsignaled', 'dma_fence_get_status', 0, { returns: { status: 7 } }, () => {
      expect(call(withFence(), { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 7 });
    });
    withMeta(FENCE_TABLE, 'signaled', 'dma_fence_is_signaled', 0, { returns: { signaled: false } }, () => {
      expect(call(signaledFence(), { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
    });
  });

  it('dma_fence_get takes a reference only through the branch effect', () => {
    withMeta(FENCE_TABLE, 'unsignaled', 'dma_fence_get', 0, {}, () => {
      const k = withFence();
      call(k, { type: 'dma_fence_get', fence: 'f' });
      expect(k.world.dmaFence.fences.get('f')?.refcount).toBe(1);
    });
  });

  it('dma_fence_remove_callback answers what the callback slot branch says', () => {
    const k = withFence();
    k.call({ type: 'dma_fence_add_callback', fence: 'f', cb: 'cb' });
    withMeta(CB_TABLE, 'registered', 'dma_fence_remove_callback', 0, { returns: { removed: false } }, () => {
      const fork = k.fork();
      expect(call(fork, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: true, removed: false });
      expect(fork.world.dmaFence.fences.get('f')?.cbs).toEqual(['cb']);
    });
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: true, removed: true });
  });

  it('dma_fence_is_later WARNs across contexts only as the branch meta says', () => {
    const k = withFence();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'd' });
    k.call({ type: 'dma_fence_init', fence: 'g', ctx: 'd' });
    expect(kinds(call(k, { type: 'dma_fence_is_later', f1: 'f', f2: 'g' }))).toEqual(['warn_on']);
    withMeta(FENCE_TABLE, 'unsignaled', 'dma_fence_is_later', 1, { returns: { later: false } }, () => {
      expect(call(k.fork(), { type: 'dma_fence_is_later', f1: 'f', f2: 'g' })).toEqual({ ok: true, later: false });
    });
  });

  it('answers calls on a released fence from the freed state\'s branches', () => {
    const k = withFence();
    k.call({ type: 'dma_fence_put', fence: 'f' });
    expect(kinds(call(k.fork(), { type: 'dma_fence_get', fence: 'f' }))).toEqual(['use_after_free']);
    withMeta(FENCE_TABLE, 'freed', 'dma_fence_get', 0, { violation: 'bug_on', refused: true }, () => {
      expect(kinds(call(k.fork(), { type: 'dma_fence_get', fence: 'f' }))).toEqual(['bug_on']);
    });
    withMeta(FENCE_TABLE, 'freed', 'dma_fence_wait_timeout', 0, { errno: 'EINVAL' }, () => {
      expect(call(k.fork(), { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -1 })).toEqual({ ok: false, errno: 'EINVAL' });
    });
  });

  it('refuses dma_fence_is_later with a released f2 through the f1 branch', () => {
    const k = withFence();
    k.call({ type: 'dma_fence_init', fence: 'g', ctx: 'c' });
    k.call({ type: 'dma_fence_put', fence: 'g' });
    const seen: string[] = [];
    const r = apply(k.world, { type: 'dma_fence_is_later', f1: 'f', f2: 'g' }, { trace: { reach: (m, b) => seen.push(`${m} ${b}`) } });
    expect(r.world).toBe(k.world);
    expect(r.outcome.violations.map((v) => [v.kind, v.message, v.objects])).toEqual([
      ['use_after_free', 'dma_fence_is_later on fence "g" after it was released', ['g']],
    ]);
    expect(seen).toEqual(['dma_fence unsignaled:dma_fence_is_later:0']);
  });

  it('refuses the last put of the static stub through the signaled state\'s branch', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_get_stub', fence: 's' });
    k.call({ type: 'dma_fence_put', fence: 's' });
    expect(kinds(call(k.fork(), { type: 'dma_fence_put', fence: 's' }))).toEqual(['bug_on']);
    withMeta(FENCE_TABLE, 'signaled', 'dma_fence_put', 0, {}, () => {
      expect(call(k.fork(), { type: 'dma_fence_put', fence: 's' })).toEqual({ ok: true });
    });
  });

  it('reports every dma_fence and dma_fence_cb branch a call takes to the trace', () => {
    const k = withFence();
    k.call({ type: 'dma_fence_add_callback', fence: 'f', cb: 'a' });
    const seen: string[] = [];
    apply(k.world, { type: 'dma_fence_signal', fence: 'f' }, { trace: { reach: (m, b) => seen.push(`${m} ${b}`) } });
    expect(seen).toEqual(['dma_fence unsignaled:dma_fence_signal:0', 'dma_fence_cb registered:dma_fence_signal:0']);
  });

  it('performs every effect the two machines name', () => {
    for (const [table, effects] of [
      [FENCE_TABLE, FENCE_EFFECTS],
      [CB_TABLE, CB_EFFECTS],
    ] as const) {
      for (const b of authoredBranches(table).values()) for (const e of b.meta.effects ?? []) expect(effects.has(e), `${table.id}: ${e}`).toBe(true);
    }
  });
});
