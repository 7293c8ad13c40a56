import { describe, expect, it } from 'vitest';
import { transitionLabel } from '../../src/viz/transitionLabel.js';

describe('transitionLabel', () => {
  it('is the kernel function alone for a plain branch', () => {
    expect(transitionLabel({ event: 'dma_fence_get', guard: undefined, meta: {} })).toBe('dma_fence_get');
  });

  it('puts the guard in brackets, then the errno after a slash and the violation after a bang', () => {
    expect(
      transitionLabel({ event: 'dma_fence_wait_timeout', guard: 'isNegativeTimeout', meta: { errno: 'EINVAL', violation: 'warn_on' } }),
    ).toBe('dma_fence_wait_timeout [isNegativeTimeout] / EINVAL ! warn_on');
  });

  it('marks a blocking branch', () => {
    expect(transitionLabel({ event: 'dma_fence_wait_timeout', guard: undefined, meta: { blocked: true } })).toBe(
      'dma_fence_wait_timeout (blocked)',
    );
  });
});
