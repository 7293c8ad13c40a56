import type { MachineAdapter } from '../MachineAdapter.js';
import { dmaFenceAdapter } from './dmaFence.js';
import { dmaFenceCbAdapter } from './dmaFenceCb.js';
import { signallingSectionAdapter } from './signallingSection.js';

/** The adapter of every machine, keyed by machine id. */
export const ADAPTERS: { readonly [machineId: string]: MachineAdapter<never> } = {
  dma_fence: dmaFenceAdapter as unknown as MachineAdapter<never>,
  dma_fence_cb: dmaFenceCbAdapter as unknown as MachineAdapter<never>,
  dma_fence_signalling: signallingSectionAdapter as unknown as MachineAdapter<never>,
};
