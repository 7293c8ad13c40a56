import { describe, expect, it } from 'vitest';
import { dmaFenceLeaks } from '../../src/dma-fence/leaks.js';
import { Kernel } from '../../src/kernel/Kernel.js';

describe('dmaFenceLeaks', () => {
  it('names every fence that still holds a reference, with its queued callbacks', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f1', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f2', ctx: 'c' });
    k.call({ type: 'dma_fence_add_callback', fence: 'f2', cb: 'cb' });
    k.call({ type: 'dma_fence_get', fence: 'f2' });
    k.call({ type: 'dma_fence_put', fence: 'f1' });
    const l = dmaFenceLeaks(k.world);
    expect(l.map((v) => [v.kind, v.objects])).toEqual([['leak', ['f2', 'cb']]]);
    expect(l[0]?.message).toContain('"f2" (context 1, seqno 2, unsignaled) still holds 2 references, with callback cb still queued');
  });

  it('names every task still inside a signalling section, and nothing once it ends', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_begin_signalling', task: 'irq' });
    expect(dmaFenceLeaks(k.world).map((v) => v.objects)).toEqual([['irq']]);
    k.call({ type: 'dma_fence_end_signalling', task: 'irq', cookie: false });
    expect(dmaFenceLeaks(k.world)).toEqual([]);
  });

  it('never counts the stub fence', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_get_stub', fence: 's' });
    expect(dmaFenceLeaks(k.world)).toEqual([]);
  });
});
