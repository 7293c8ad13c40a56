import type { Event } from '../world/Event.js';
import type { Hash64 } from '../world/hash.js';
import { HashedMap } from '../world/HashedMap.js';

/** A devres action on a bus device: a user action, a devm drm_dev_put, a foreign-owned Registration, a Devres revocation. */
export interface DevresAction {
  readonly kind: 'action' | 'drmPut' | 'registration' | 'devres';
  /** The action's name, or the DRM device, registration or Devres it releases. */
  readonly name: string;
  /** For `action`: the drm events it runs. */
  readonly do?: readonly Event[];
}

/** One bus `struct device`. */
export interface BusDeviceRecord {
  /** State of the `device` machine. */
  readonly state: 'added.noDriver' | 'added.bound' | 'added.unbound';
  /** `dev->devres_head`, in registration order (released last first). */
  readonly actions: readonly DevresAction[];
}

/** A leaf state of the `drm_device` machine. */
export type DrmDeviceState =
  | 'referenced.allocated'
  | 'referenced.registered'
  | 'referenced.unregistered'
  | 'referenced.unplugged.synchronizing'
  | 'referenced.unplugged.synchronized'
  | 'released';

/** One `struct drm_device`. */
export interface DrmDeviceRecord {
  readonly state: DrmDeviceState;
  /** `dev->ref` (kref). */
  readonly refcount: number;
  /** `dev->dev`: the parent bus device. */
  readonly parent: string;
  /** Allocated with devm_drm_dev_alloc (a devres put on the parent). */
  readonly managed: boolean;
  readonly features: readonly string[];
  /** `dev->registered`. */
  readonly registered: boolean;
  /** The offset manager's drm_mm (`dev->vma_offset_manager`), when the device has DRIVER_GEM. */
  readonly mm: string | null;
  /** `dev->object_name_idr`: flink name → object, ascending. */
  readonly names: readonly (readonly [number, string])[];
}

/** One Rust `drm::Registration`. */
export interface RegistrationRecord {
  readonly state: 'registered' | 'dropped';
  readonly drm: string;
  /** Owned by devres (new_foreign_owned) on this device, or null (caller-owned). */
  readonly owner: string | null;
}

/** One Rust `Devres<T>`. */
export interface DevresRecord {
  readonly state: 'initialised.valid' | 'initialised.revoked';
  readonly dev: string;
}

/** One `struct drm_file`. */
export interface DrmFileRecord {
  readonly state: 'open' | 'released';
  readonly drm: string;
  /** `file_priv->object_idr`: handle → object, ascending. */
  readonly handles: readonly (readonly [number, string])[];
}

/** One `struct drm_gem_object`. */
export interface GemObjectRecord {
  readonly state: 'alive' | 'freed';
  readonly drm: string;
  /** `obj->size` in bytes, decimal. */
  readonly size: string;
  /** `obj->refcount`. */
  readonly refcount: number;
  /** `obj->handle_count`. */
  readonly handleCount: number;
  /** Whether the vma node is in the offset drm_mm. */
  readonly offset: boolean;
  /** `obj->name` (flink), 0 for none. */
  readonly name: number;
  /** The errno the driver's open callback returns, or null. */
  readonly openFails: string | null;
  /** `obj->vma_node.vm_files`: file → allow count, sorted by file. */
  readonly allow: readonly (readonly [string, number])[];
}

/** One DRM mmap (`struct vm_area_struct`). */
export interface VmaRecord {
  readonly state: 'mapped' | 'closed';
  readonly obj: string;
  readonly file: string;
}

/** A read-side section: an SRCU `drm_dev_enter` section (`on` a device) or an RCU Devres guard (`on` a resource). */
export interface ReadSection {
  readonly on: string;
  /** Tasks whose grace period (synchronize_srcu / synchronize_rcu) began while this section was open. */
  readonly waiters: readonly string[];
}

/** What a task waits for: an unplug's SRCU grace period, or an unbind's RCU grace period with its remaining actions. */
export type Waiter = { readonly kind: 'unplug'; readonly drm: string } | { readonly kind: 'unbind'; readonly dev: string; readonly rest: readonly DevresAction[] };

/** One task's part in drm: its SRCU sections, RCU guards and queued wait. Idle tasks are not stored. */
export interface DrmTask {
  readonly sections: readonly ReadSection[];
  readonly guards: readonly ReadSection[];
  readonly waiting: Waiter | null;
}

/** A task with nothing outstanding. */
export const IDLE: DrmTask = Object.freeze({ sections: [], guards: [], waiting: null });

/** The drm part of the world. */
export interface DrmState {
  readonly devices: HashedMap<BusDeviceRecord>;
  readonly drms: HashedMap<DrmDeviceRecord>;
  readonly regs: HashedMap<RegistrationRecord>;
  readonly devres: HashedMap<DevresRecord>;
  readonly files: HashedMap<DrmFileRecord>;
  readonly objects: HashedMap<GemObjectRecord>;
  readonly vmas: HashedMap<VmaRecord>;
  readonly tasks: HashedMap<DrmTask>;
}

declare module '../world/World.js' {
  interface WorldSlices {
    drm: DrmState;
  }
}

function json<V>(): (v: V) => string {
  return (v) => JSON.stringify(v);
}

/** Empty maps of each kind (tagged so equal keys in different maps hash apart). */
export const emptyMaps = {
  devices: (): HashedMap<BusDeviceRecord> => HashedMap.empty('drm.dev', json<BusDeviceRecord>()),
  drms: (): HashedMap<DrmDeviceRecord> => HashedMap.empty('drm.drm', json<DrmDeviceRecord>()),
  regs: (): HashedMap<RegistrationRecord> => HashedMap.empty('drm.reg', json<RegistrationRecord>()),
  devres: (): HashedMap<DevresRecord> => HashedMap.empty('drm.devres', json<DevresRecord>()),
  files: (): HashedMap<DrmFileRecord> => HashedMap.empty('drm.file', json<DrmFileRecord>()),
  objects: (): HashedMap<GemObjectRecord> => HashedMap.empty('drm.obj', json<GemObjectRecord>()),
  vmas: (): HashedMap<VmaRecord> => HashedMap.empty('drm.vma', json<VmaRecord>()),
  tasks: (): HashedMap<DrmTask> => HashedMap.empty('drm.task', json<DrmTask>()),
};

/** The map fields of the slice, in snapshot order. */
export const MAP_KEYS = ['devices', 'drms', 'regs', 'devres', 'files', 'objects', 'vmas', 'tasks'] as const;

/** The drm slice of an empty world. */
export function initialDrmState(): DrmState {
  return Object.freeze({
    devices: emptyMaps.devices(),
    drms: emptyMaps.drms(),
    regs: emptyMaps.regs(),
    devres: emptyMaps.devres(),
    files: emptyMaps.files(),
    objects: emptyMaps.objects(),
    vmas: emptyMaps.vmas(),
    tasks: emptyMaps.tasks(),
  });
}

/** The incremental hash of the slice, its task table left out (the kernel hashes that apart). An empty slice hashes to zero. */
export function hashDrmState(s: DrmState): Hash64 {
  // Lane sums inline: no hash object per map (every fingerprint of every world hashes this slice).
  const a = s.devices.hash, b = s.drms.hash, c = s.regs.hash, d = s.devres.hash, e = s.files.hash, f = s.objects.hash, g = s.vmas.hash;
  return { lo: (a.lo + b.lo + c.lo + d.lo + e.lo + f.lo + g.lo) >>> 0, hi: (a.hi + b.hi + c.hi + d.hi + e.hi + f.hi + g.hi) >>> 0 };
}
