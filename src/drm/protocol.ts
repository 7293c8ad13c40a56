import { deviceMachine } from '../../machines/device.machine.js';
import { devresMachine } from '../../machines/devres.machine.js';
import { drmDeviceMachine } from '../../machines/drmDevice.machine.js';
import { drmFileMachine } from '../../machines/drmFile.machine.js';
import { drmGemHandleMachine } from '../../machines/drmGemHandle.machine.js';
import { drmGemObjectMachine } from '../../machines/drmGemObject.machine.js';
import { drmRegistrationMachine } from '../../machines/drmRegistration.machine.js';
import { DrmstateError } from '../errors.js';
import type { HashedMap } from '../world/HashedMap.js';
import type { Protocol } from '../world/Protocol.js';
import { applyDrm, drmTaskExit } from './apply.js';
import { DRM_EVENTS, type DrmEvent, decodeDrm } from './events.js';
import { drmInvariants } from './invariants.js';
import { drmLeaks } from './leaks.js';
import { type DrmState, MAP_KEYS, emptyMaps, hashDrmState, initialDrmState } from './state.js';

function bad(msg: string): DrmstateError {
  return new DrmstateError('BAD_SNAPSHOT', `drm slice: ${msg}`);
}

/**
 * The drm protocol: bus devices, DRM devices (registration, unplug), Rust registrations and Devres,
 * DRM files, GEM objects and handles, mmap offsets from the device's offset drm_mm.
 *
 * Models drivers/gpu/drm/drm_drv.c, drm_file.c, drm_ioctl.c, drm_gem.c, drm_vma_manager.c,
 * rust/kernel/drm/, rust/kernel/devres.rs and rust/kernel/revocable.rs (v6.17).
 */
export const drmProtocol: Protocol<'drm', DrmEvent> = {
  key: 'drm',
  events: DRM_EVENTS,
  initial: initialDrmState,
  decode: decodeDrm,
  apply: applyDrm,
  hash: hashDrmState,
  toSnapshot(s: DrmState): unknown {
    const out: Record<string, unknown> = {};
    for (const k of MAP_KEYS) out[k] = s[k].sortedEntries();
    return out;
  },
  fromSnapshot(data: unknown): DrmState {
    const d = data as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null) throw bad('expected an object');
    const out: Record<string, unknown> = {};
    for (const k of MAP_KEYS) {
      const list = d[k] ?? [];
      if (!Array.isArray(list)) throw bad(`"${k}" must be a list`);
      let m = (emptyMaps[k] as () => HashedMap<unknown>)();
      for (const [name, v] of list as [string, unknown][]) {
        // A version-1 snapshot's world-level task table was dma_fence's: drm tasks have sections.
        if (k === 'tasks' && !Array.isArray((v as { sections?: unknown } | null)?.sections)) continue;
        m = m.set(name, Object.freeze(v));
      }
      out[k] = m;
    }
    return Object.freeze(out) as unknown as DrmState;
  },
  // ABSTRACTION: files, objects and devices reference each other and the offset drm_mm, so every
  // drm call touches one shared object (and drm_mm's) for partial-order reduction.
  footprint: () => ['drm', 'drm_mm'],
  invariants: drmInvariants,
  leaks: drmLeaks,
  machines: [deviceMachine, drmDeviceMachine, drmRegistrationMachine, devresMachine, drmFileMachine, drmGemObjectMachine, drmGemHandleMachine],
  docs: 'docs/device.md',
  fixtures: 'device-gem',
  tasks: { table: (s) => s.tasks, exit: (world, task) => drmTaskExit(world, task) },
};
