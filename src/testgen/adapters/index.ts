import type { AnyMachineAdapter } from '../MachineAdapter.js';
import { dmaFenceAdapter } from './dmaFence.js';
import { dmaFenceCbAdapter } from './dmaFenceCb.js';
import { dmaFenceContextAdapter } from './dmaFenceContext.js';
import { drmMmAdapter } from './drmMm.js';
import { drmMmNodeAdapter } from './drmMmNode.js';
import { drmMmScanAdapter } from './drmMmScan.js';
import { signallingSectionAdapter } from './signallingSection.js';
import { deviceAdapter } from './device.js';
import { devresAdapter } from './devres.js';
import { drmDeviceAdapter } from './drmDevice.js';
import { drmFileAdapter } from './drmFile.js';
import { drmGemHandleAdapter } from './drmGemHandle.js';
import { drmGemObjectAdapter } from './drmGemObject.js';
import { drmRegistrationAdapter } from './drmRegistration.js';

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
  deviceAdapter,
  drmDeviceAdapter,
  drmRegistrationAdapter,
  devresAdapter,
  drmFileAdapter,
  drmGemObjectAdapter,
  drmGemHandleAdapter,
];

/** The adapter of every machine, keyed by machine id (derived from each adapter's machine). */
export const ADAPTERS: { readonly [machineId: string]: AnyMachineAdapter } = Object.freeze(
  Object.fromEntries(ALL.map((a) => [a.machine.id, a])),
);
