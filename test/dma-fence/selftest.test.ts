import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/Kernel.js';
import { call, calls, withFence } from './helpers.js';

// The cases of the kernel's own selftest, drivers/dma-buf/st-dma-fence.c (v6.17), retold as calls.
// The selftest's mock fences have no enable_signaling or signaled op, as the modelled fences.
// Its mock_wait op is not modelled: the model's fences use dma_fence_default_wait, so test_wait's
// -ETIME answers are the default wait's 0 here.

describe('dma_fence_signal (st-dma-fence sanitycheck)', () => {
  it('enables signaling, signals and releases a fence without findings', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
  });
});

describe('dma_fence_signal (st-dma-fence test_signaling)', () => {
  it('is unsignaled on creation, signals once, then reports being already signaled', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: false });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_is_signaled', fence: 'f' })).toEqual({ ok: true, signaled: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
  });
});

describe('dma_fence_add_callback (st-dma-fence test_add_callback)', () => {
  it('runs a callback added before the signal', () => {
    const k = withFence();
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['cb'] });
  });
});

describe('dma_fence_add_callback (st-dma-fence test_late_add_callback)', () => {
  it('refuses a callback added after the signal with ENOENT and never runs it', () => {
    const k = withFence();
    calls(k, [
      { type: 'dma_fence_enable_sw_signaling', fence: 'f' },
      { type: 'dma_fence_signal', fence: 'f' },
    ]);
    expect(call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: false, errno: 'ENOENT' });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(call(k, { type: 'dma_fence_put', fence: 'f' })).toEqual({ ok: true });
  });
});

describe('dma_fence_remove_callback (st-dma-fence test_rm_callback)', () => {
  it('removes a queued callback, which the signal then does not run', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb' });
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: true, removed: true });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true });
  });
});

describe('dma_fence_remove_callback (st-dma-fence test_late_rm_callback)', () => {
  it('fails to remove a callback that already ran', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_add_callback', fence: 'f', cb: 'cb' });
    expect(call(k, { type: 'dma_fence_signal', fence: 'f' })).toEqual({ ok: true, callbacks: ['cb'] });
    expect(call(k, { type: 'dma_fence_remove_callback', fence: 'f', cb: 'cb' })).toEqual({ ok: true, removed: false });
  });
});

describe('dma_fence_get_status (st-dma-fence test_status)', () => {
  it('reports 0 before the signal and a non-zero status after it', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 1 });
  });
});

describe('dma_fence_set_error (st-dma-fence test_error)', () => {
  it('hides the error until the signal and reports -EIO after it', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' });
    expect(call(k, { type: 'dma_fence_set_error', fence: 'f', error: -5 })).toEqual({ ok: true });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: 0 });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_get_status', fence: 'f' })).toEqual({ ok: true, status: -5 });
  });
});

describe('dma_fence_wait_timeout (st-dma-fence test_wait, default wait)', () => {
  it('polls 0 before the signal and 1 after it', () => {
    const k = withFence();
    call(k, { type: 'dma_fence_enable_sw_signaling', fence: 'f' });
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 })).toEqual({ ok: true, ret: 0 });
    call(k, { type: 'dma_fence_signal', fence: 'f' });
    expect(call(k, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 })).toEqual({ ok: true, ret: 1 });
  });
});

describe('dma_fence_get_stub (st-dma-fence test_stub)', () => {
  it('hands out 64 references to one signaled fence and takes them all back', () => {
    const k = new Kernel();
    for (let i = 0; i < 64; i++) {
      expect(call(k, { type: 'dma_fence_get_stub', fence: `s${i}` })).toEqual({ ok: true });
      expect(call(k, { type: 'dma_fence_is_signaled', fence: `s${i}` })).toEqual({ ok: true, signaled: true });
    }
    expect(k.world.dmaFence.stub?.refcount).toBe(65);
    for (let i = 63; i >= 0; i--) expect(call(k, { type: 'dma_fence_put', fence: `s${i}` })).toEqual({ ok: true });
    expect(k.world.dmaFence.stub?.refcount).toBe(1);
  });
});

describe('dma_fence_is_later (32-bit seqno wrap, dma-fence.h)', () => {
  it('orders seqnos across the 32-bit wrap and compares all 64 bits with dma_fence_init64', () => {
    const k = new Kernel();
    calls(k, [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'old', ctx: 'c', seqno: '4294967295' },
      { type: 'dma_fence_init', fence: 'new', ctx: 'c', seqno: '4294967297' },
      { type: 'dma_fence_init64', fence: 'new64', ctx: 'c', seqno: '4294967297' },
      { type: 'dma_fence_init64', fence: 'one64', ctx: 'c', seqno: '1' },
    ]);
    expect(call(k, { type: 'dma_fence_is_later', f1: 'new', f2: 'old' })).toEqual({ ok: true, later: true });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'old', f2: 'new' })).toEqual({ ok: true, later: false });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'one64', f2: 'old' })).toEqual({ ok: true, later: false });
    expect(call(k, { type: 'dma_fence_is_later', f1: 'new64', f2: 'one64' })).toEqual({ ok: true, later: true });
  });
});
