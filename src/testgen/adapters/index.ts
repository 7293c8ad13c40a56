import type { AnyMachineAdapter } from '../MachineAdapter.js';
import { dmaFenceAdapter } from './dmaFence.js';
import { dmaFenceCbAdapter } from './dmaFenceCb.js';
import { dmaFenceContextAdapter } from './dmaFenceContext.js';
import { drmMmAdapter } from './drmMm.js';
import { drmMmNodeAdapter } from './drmMmNode.js';
import { drmMmScanAdapter } from './drmMmScan.js';
import { mutexAdapter } from './mutex.js';
import { rwSemaphoreAdapter } from './rwSemaphore.js';
import { mmStructAdapter } from './mmStruct.js';
import { vmAreaStructAdapter } from './vmAreaStruct.js';
import { signallingSectionAdapter } from './signallingSection.js';
import { spinlockAdapter } from './spinlock.js';
import { taskContextAdapter } from './taskContext.js';

/**
 * Every machine's adapter. The API layer cannot be imported by the protocols (layer 3), so the
 * adapters are listed here, one per machine a protocol declares; a test checks that every machine of
 * every registered protocol has one and that none is left over (docs/contributing.md).
 */
const ALL: readonly AnyMachineAdapter[] = [
  dmaFenceAdapter,
  dmaFenceCbAdapter,
  dmaFenceContextAdapter,
  signallingSectionAdapter,
  drmMmAdapter,
  drmMmNodeAdapter,
  drmMmScanAdapter,
  mutexAdapter,
  spinlockAdapter,
  rwSemaphoreAdapter,
  taskContextAdapter,
  mmStructAdapter,
  vmAreaStructAdapter,
];

/** The adapter of every machine, keyed by machine id (derived from each adapter's machine). */
export const ADAPTERS: { readonly [machineId: string]: AnyMachineAdapter } = Object.freeze(
  Object.fromEntries(ALL.map((a) => [a.machine.id, a])),
);
