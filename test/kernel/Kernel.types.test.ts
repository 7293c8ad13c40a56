import { describe, expect, it } from 'vitest';
import { Kernel, type KernelEvent } from '../../src/kernel/Kernel.js';

// These are compile-time checks: `npm run typecheck` fails when a @ts-expect-error line compiles.
function rejectedAtCompileTime(k: Kernel): void {
  // @ts-expect-error A misspelt event type.
  k.call({ type: 'dma_fence_contxt_alloc', ctx: 'c' });
  // @ts-expect-error A missing field.
  k.call({ type: 'dma_fence_init', fence: 'f' });
  // @ts-expect-error A u64 field as a JSON-unsafe number: typed callers give a string or a bigint.
  k.call({ type: 'drm_mm_insert_node', mm: 'm', node: 'n', size: 4096 });
  // @ts-expect-error A field of another event.
  k.call({ type: 'dma_fence_signal', fence: 'f', cb: 'x' });
}

describe('KernelEvent', () => {
  it('types Kernel.call: correct events compile and run', () => {
    const k = new Kernel();
    const events: KernelEvent[] = [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'c', seqno: 7n },
      { type: 'drm_mm_init', mm: 'm', start: '0', size: 4096n },
    ];
    for (const e of events) expect(k.call(e).ok).toBe(true);
    expect(typeof rejectedAtCompileTime).toBe('function');
  });
});
