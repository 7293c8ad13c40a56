import type { ModelStep } from '../../src/checker/model.js';

/** The ten steps of a task that creates and retires objects of its own: a fence, a callback, a section, an allocator, a node. */
export function ownObjects(i: number): ModelStep[] {
  return [
    { type: 'dma_fence_init', fence: `f${i}`, ctx: `c${i}` },
    { type: 'dma_fence_add_callback', fence: `f${i}`, cb: `cb${i}` },
    { event: { type: 'dma_fence_begin_signalling' }, bind: { cookie: 'cookie' } },
    { type: 'dma_fence_signal', fence: `f${i}` },
    { type: 'dma_fence_end_signalling', cookie: '$cookie' },
    { type: 'dma_fence_put', fence: `f${i}` },
    { type: 'drm_mm_init', mm: `m${i}`, start: '0', size: '65536' },
    { type: 'drm_mm_insert_node', mm: `m${i}`, node: `n${i}`, size: '4096' },
    { type: 'drm_mm_remove_node', node: `n${i}` },
    { type: 'drm_mm_takedown', mm: `m${i}` },
  ] as ModelStep[];
}

