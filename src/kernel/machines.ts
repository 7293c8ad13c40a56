import { KERNEL } from './protocols.js';

/**
 * Every statechart of every registered protocol, keyed by machine `id` (the kernel struct's name);
 * used by the CLI's `--machine`. Derived from the protocol list: machines (layer 2) cannot know
 * the protocols, so the registry lives here.
 */
export const MACHINES = KERNEL.machines;
