import type { AnyMachineAdapter } from '../MachineAdapter.js';
import { dmaFenceAdapter } from './dmaFence.js';
import { dmaFenceCbAdapter } from './dmaFenceCb.js';
import { drmMmNodeAdapter } from './drmMmNode.js';
import { signallingSectionAdapter } from './signallingSection.js';

/** The adapter of every machine, keyed by machine id. */
export const ADAPTERS: { readonly [machineId: string]: AnyMachineAdapter } = {
  dma_fence: dmaFenceAdapter,
  dma_fence_cb: dmaFenceCbAdapter,
  dma_fence_signalling: signallingSectionAdapter,
  drm_mm_node: drmMmNodeAdapter,
};
