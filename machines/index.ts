import type { AnyStateMachine } from 'xstate';
import { dmaFenceMachine } from './dmaFence.machine.js';
import { dmaFenceCbMachine } from './dmaFenceCb.machine.js';
import { drmMmNodeMachine } from './drmMmNode.machine.js';
import { signallingSectionMachine } from './signallingSection.machine.js';

/** Every statechart, keyed by machine `id` (the kernel struct's name); used by `--machine`. */
export const MACHINES: { readonly [id: string]: AnyStateMachine } = {
  [dmaFenceMachine.id]: dmaFenceMachine,
  [dmaFenceCbMachine.id]: dmaFenceCbMachine,
  [signallingSectionMachine.id]: signallingSectionMachine,
  [drmMmNodeMachine.id]: drmMmNodeMachine,
};
