import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { type DecodedEvents, decodeFields } from '../world/fields.js';
import type { EventDef } from '../world/Protocol.js';

const dev = { kind: 'name', doc: 'the bus device (`struct device`)' } as const;
const drm = { kind: 'name', doc: 'the DRM device (`struct drm_device`)' } as const;
const file = { kind: 'name', doc: 'the open DRM file (`struct drm_file`)' } as const;
const obj = { kind: 'name', doc: 'the GEM object (`struct drm_gem_object`)' } as const;
const res = { kind: 'name', doc: 'the `Devres<T>`' } as const;
const reg = { kind: 'name', doc: 'the Rust `drm::Registration`' } as const;
const task = { kind: 'name', doc: 'the simulated thread' } as const;
const handle = { kind: 'int', doc: 'the GEM handle (u32 in C)' } as const;

/** The driver features a DRM device may declare (`enum drm_driver_feature`, lower case). */
export const DRM_FEATURES = ['gem', 'render', 'modeset'] as const;

import { OPEN_FAILS } from '../../machines/drmGemHandle.machine.js';

export { OPEN_FAILS };

/** Event types a devres action's `do` list may not hold: the two-phase calls (they would wait inside unbind). */
export const NOT_IN_ACTIONS: readonly string[] = ['device_unbind', 'drm_dev_unplug', 'device_add'];

function checkFeatures(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'expected a list of features (gem, render, modeset)';
  for (const f of v) if (typeof f !== 'string' || !(DRM_FEATURES as readonly string[]).includes(f)) return `unknown feature ${JSON.stringify(f)} (gem, render, modeset)`;
  if (new Set(v).size !== v.length) return 'a feature is listed twice';
  return undefined;
}

function checkDo(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'expected a list of events, run in order when the action runs';
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as unknown;
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof (e as { type?: unknown }).type !== 'string')
      return `do[${i}]: expected an event object with a "type"`;
    const type = (e as { type: string }).type;
    if (!Object.prototype.hasOwnProperty.call(DRM_EVENTS, type)) return `do[${i}]: ${JSON.stringify(type)} is not a drm event (an action runs drm events only)`;
    if (NOT_IN_ACTIONS.includes(type)) return `do[${i}]: ${type} may not run inside a devres action`;
  }
  return undefined;
}

const DRV = 'drivers/gpu/drm/drm_drv.c';
const GEM = 'drivers/gpu/drm/drm_gem.c';

/** Every drm event: bus devices, DRM devices, Rust registrations and Devres, files and GEM objects. */
export const DRM_EVENTS = {
  device_add: {
    kernel: 'device_add() (drivers/base/core.c)',
    rust: '— (the bus creates it)',
    summary: 'Adds a bus device with no driver bound. Naming a device that exists is library misuse.',
    fields: { dev },
    returns: [],
    errnos: [],
    violations: [],
  },
  driver_bind: {
    kernel: 'device_driver_attach() / __driver_probe_device() (drivers/base/dd.c)',
    rust: 'the bus `probe` callback (`Device<Core>`)',
    summary: 'Binds a driver (probe succeeds); EBUSY when one is bound already.',
    fields: { dev },
    returns: [],
    errnos: ['EBUSY'],
    violations: [],
  },
  device_unbind: {
    kernel: 'device_release_driver() → devres_release_all() (drivers/base/dd.c, drivers/base/devres.c)',
    rust: 'unbind: devres actions, `Devres` revocation (rust/kernel/devres.rs)',
    summary:
      'Unbinds the driver and runs the device\'s devres actions last-registered-first: user actions, devm drm_dev_put, foreign-owned Registration drops, Devres revocations. A revocation waits for RCU readers (Devres guards): blocked and queued until the last one is dropped; a task unbinding inside its own guard is a deadlock. Nothing bound: nothing happens.',
    fields: { dev, task: { ...task, optional: true, doc: 'the unbinding thread (default: the device name)' } },
    returns: ['violations of the actions'],
    errnos: [],
    violations: ['deadlock', 'use_after_free', 'leak', 'double_free', 'warn_on'],
  },
  devm_add_action: {
    kernel: 'devm_add_action() (include/linux/device/devres.h)',
    summary: 'Registers a devres action on the device; `do` lists the drm events it runs at unbind.',
    fields: { dev, action: { kind: 'name', doc: 'the action\'s name' }, do: { kind: 'json', optional: true, check: checkDo, doc: 'drm events run at unbind, in order' } },
    returns: [],
    errnos: [],
    violations: [],
  },
  drm_dev_alloc: {
    kernel: `__drm_dev_alloc() / drm_dev_init() (${DRV})`,
    rust: 'drm::Device::new() (rust/kernel/drm/device.rs)',
    summary: 'Allocates an unmanaged DRM device (refcount 1, a reference on the parent); `gem` initialises the offset manager (drm_mm of 0xFFFFF00 pages from page 0x100000).',
    fields: { drm, parent: dev, features: { kind: 'json', optional: true, check: checkFeatures, doc: 'gem, render, modeset (default ["gem"])' } },
    returns: [],
    errnos: [],
    violations: [],
  },
  devm_drm_dev_alloc: {
    kernel: `devm_drm_dev_alloc() → __devm_drm_dev_alloc() (${DRV})`,
    summary: 'As drm_dev_alloc, plus a devres action on the parent that drops the initial reference at unbind.',
    fields: { drm, parent: dev, features: { kind: 'json', optional: true, check: checkFeatures, doc: 'gem, render, modeset (default ["gem"])' } },
    returns: [],
    errnos: [],
    violations: [],
  },
  drm_dev_get: {
    kernel: `drm_dev_get() (${DRV})`,
    rust: 'ARef<drm::Device> clone',
    summary: 'Takes a reference; on a released device a use_after_free.',
    fields: { drm },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_dev_put: {
    kernel: `drm_dev_put() / drm_dev_release() (${DRV})`,
    rust: 'drop(ARef<drm::Device>)',
    summary:
      'Drops a reference; at zero the device is released: driver release, drm-managed actions in reverse (offset manager takedown, parent put). GEM objects of the device still alive are leaks; an mmap offset still allocated makes the offset manager\'s drm_mm_takedown WARN (warn_on); released while registered is a use_after_free (published minors). A put of a released device is a refcount_underflow.',
    fields: { drm },
    returns: [],
    errnos: [],
    violations: ['leak', 'warn_on', 'use_after_free', 'refcount_underflow'],
  },
  drm_dev_register: {
    kernel: `drm_dev_register() (${DRV})`,
    summary: 'Publishes the minors: drm_open works from now on. Registering twice (or after unregister/unplug) is forbidden: warn_on, refused.',
    fields: { drm, flags: { kind: 'int', doc: 'passed to the deprecated driver->load' } },
    returns: [],
    errnos: [],
    violations: ['warn_on', 'use_after_free'],
  },
  drm_dev_unregister: {
    kernel: `drm_dev_unregister() (${DRV})`,
    summary:
      'Unpublishes the minors (new opens: ENODEV); does not set unplugged and drops no reference. Unregistering a device that is not registered (again, or after an unplug) changes nothing and warns of nothing: the minor teardown is skipped, the hooks run again.',
    fields: { drm },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_dev_unplug: {
    kernel: `drm_dev_unplug() (${DRV})`,
    summary:
      'Sets unplugged, waits in synchronize_srcu for every drm_dev_enter section of any device (blocked and queued while readers remain; the last drm_dev_exit completes it), then unregisters. A sleep point: in atomic context, might_sleep (in an RCU read section, after RCU\'s illegal-synchronize_srcu splat, lockdep). Holding a lock that code inside a section takes: lockdep (rule E1). Inside the caller\'s own section: deadlock.',
    fields: { drm, task },
    returns: [],
    errnos: [],
    violations: ['deadlock', 'use_after_free', 'might_sleep', 'lockdep'],
  },
  drm_dev_enter: {
    kernel: `drm_dev_enter() (${DRV})`,
    summary: 'Enters an SRCU section of the device; entered false (no section) once unplugged.',
    fields: { drm, task },
    returns: ['entered'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_dev_exit: {
    kernel: `drm_dev_exit() (${DRV})`,
    summary: 'Ends the task\'s innermost section on the device; lists in `woke` the unplug or unbind it lets complete. Without a section: lockdep (refused).',
    fields: { drm, task },
    returns: ['woke'],
    errnos: [],
    violations: ['lockdep'],
  },
  drm_dev_is_unplugged: {
    kernel: 'drm_dev_is_unplugged() (include/drm/drm_drv.h)',
    summary: 'Whether drm_dev_unplug has set unplugged.',
    fields: { drm },
    returns: ['unplugged'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_registration_new: {
    kernel: `drm_dev_register() (${DRV})`,
    rust: 'drm::Registration::new() (rust/kernel/drm/driver.rs; private in v6.17)',
    summary: 'Registers the device and holds a reference; caller-owned, dropped with drm_registration_drop.',
    fields: { reg, drm, flags: { kind: 'int', doc: 'registration flags' } },
    returns: [],
    errnos: [],
    violations: ['warn_on', 'use_after_free'],
  },
  drm_registration_new_foreign_owned: {
    kernel: `drm_dev_register() + devm_add_action_or_reset() (${DRV}, drivers/base/devres.c)`,
    rust: 'drm::Registration::new_foreign_owned() (rust/kernel/drm/driver.rs)',
    summary: 'EINVAL unless `parent` is the device\'s parent; registers, holds a reference and hands the Registration to devres: dropped at unbind. `parent` must be bound (Device<Bound>).',
    fields: { reg, drm, parent: dev, flags: { kind: 'int', doc: 'registration flags' } },
    returns: [],
    errnos: ['EINVAL'],
    violations: ['bug_on', 'warn_on', 'use_after_free'],
  },
  drm_registration_drop: {
    kernel: `drm_dev_unregister() + drm_dev_put() (${DRV})`,
    rust: 'impl Drop for drm::Registration',
    summary: 'Unregisters (not unplug) and drops the registration\'s reference. Dropping a foreign-owned (devres) one, or one already dropped, is a double_free (refused).',
    fields: { reg },
    returns: [],
    errnos: [],
    violations: ['double_free', 'warn_on', 'leak'],
  },
  devres_new: {
    kernel: 'devm_add_action() (drivers/base/devres.c)',
    rust: 'Devres::new() (rust/kernel/devres.rs)',
    summary: 'Wraps a resource of a bound device; revoked at unbind. On a device that is not bound the call cannot be written (Device<Bound>): bug_on, refused.',
    fields: { res, dev },
    returns: [],
    errnos: [],
    violations: ['bug_on'],
  },
  devres_try_access: {
    kernel: '— (RCU: rcu_read_lock)',
    rust: 'Devres::try_access() / Revocable::try_access() (rust/kernel/revocable.rs)',
    summary: 'available true and a guard (an RCU read section of the task) while not revoked; available false after.',
    fields: { res, task },
    returns: ['available'],
    errnos: [],
    violations: [],
  },
  devres_guard_drop: {
    kernel: '— (RCU: rcu_read_unlock)',
    rust: 'drop(RevocableGuard)',
    summary: 'Drops the task\'s guard on the resource; lists in `woke` an unbind it lets complete. No guard: lockdep (refused).',
    fields: { res, task },
    returns: ['woke'],
    errnos: [],
    violations: ['lockdep'],
  },
  devres_guard_deref: {
    kernel: '—',
    rust: '*RevocableGuard (Deref)',
    summary: 'Uses the resource through the task\'s guard. Through a guard already dropped, on a revoked resource: use_after_free (refused).',
    fields: { res, task },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  devres_access: {
    kernel: '—',
    rust: 'Devres::access(&Device<Bound>) (rust/kernel/devres.rs)',
    summary: 'The bound-device fast path: EINVAL for another device; on a revoked (unbound) resource a use_after_free (refused).',
    fields: { res, dev },
    returns: [],
    errnos: ['EINVAL'],
    violations: ['use_after_free'],
  },
  drm_open: {
    kernel: 'drm_open() → drm_minor_acquire() (drivers/gpu/drm/drm_file.c, drm_drv.c)',
    rust: 'drm::File open callback',
    summary: 'Opens a file on the device, which it keeps alive; ENODEV unless registered and not unplugged (and after the device was released: its minors are gone).',
    fields: { file, drm, task: { ...task, optional: true } },
    returns: [],
    errnos: ['ENODEV'],
    violations: [],
  },
  drm_release: {
    kernel: 'drm_release() → drm_file_free() → drm_gem_release(), then drm_minor_release() (drivers/gpu/drm/drm_file.c)',
    rust: 'drm::File postclose callback',
    summary: 'Closes the file: drops every handle in ascending id order, then the file\'s device reference (which may release the device, as drm_dev_put does).',
    fields: { file },
    returns: [],
    errnos: [],
    violations: ['use_after_free', 'leak', 'warn_on'],
  },
  drm_ioctl: {
    kernel: 'drm_ioctl() → drm_ioctl_kernel() (drivers/gpu/drm/drm_ioctl.c)',
    rust: 'declare_drm_ioctls! handlers',
    summary: 'Dispatches an ioctl; ENODEV once the device is unplugged (plain unregister does not stop it).',
    fields: { file, task },
    returns: [],
    errnos: ['ENODEV'],
    violations: ['use_after_free'],
  },
  drm_gem_object_init: {
    kernel: `drm_gem_object_init() → drm_gem_private_object_init() (${GEM})`,
    rust: 'gem::Object::new() (rust/kernel/drm/gem/mod.rs)',
    summary: 'A shmem-backed object of `size` bytes, refcount 1, no handle, no offset; a size not page-aligned is bug_on (refused); above MAX_LFS_FILESIZE EINVAL. `open_fails` makes the driver\'s open callback fail every handle creation with that errno.',
    fields: { obj, drm, size: { kind: 'u64', doc: 'bytes, page-aligned' }, open_fails: { kind: 'enum', values: OPEN_FAILS, optional: true, doc: 'errno of the open callback' } },
    returns: [],
    errnos: ['EINVAL'],
    violations: ['bug_on', 'use_after_free'],
  },
  drm_gem_object_get: {
    kernel: 'drm_gem_object_get() (include/drm/drm_gem.h)',
    rust: 'ARef<gem::Object> clone',
    summary: 'Takes a reference; on a freed object a use_after_free.',
    fields: { obj },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_gem_object_put: {
    kernel: `drm_gem_object_put() → drm_gem_object_free() (${GEM})`,
    rust: 'drop(ARef<gem::Object>)',
    summary: 'Drops a reference; at zero the free callback runs and the mmap offset is released. A put of a freed object is a refcount_underflow; freeing after the device was released a use_after_free.',
    fields: { obj },
    returns: [],
    errnos: [],
    violations: ['refcount_underflow', 'use_after_free'],
  },
  drm_gem_handle_create: {
    kernel: `drm_gem_handle_create() → drm_gem_handle_create_tail() (${GEM})`,
    rust: 'BaseObject::create_handle()',
    summary: 'A new handle (lowest free id ≥ 1 in the file); the first handle of the object takes the one reference all handles share. The open callback\'s errno aborts and undoes it.',
    fields: { file, obj },
    returns: ['handle'],
    errnos: [...OPEN_FAILS],
    violations: ['use_after_free'],
  },
  drm_gem_object_lookup: {
    kernel: `drm_gem_object_lookup() (${GEM})`,
    rust: 'BaseObject::lookup_handle()',
    summary: 'found true and the object, with a reference the caller puts; found false for an unknown handle.',
    fields: { file, handle },
    returns: ['found', 'obj'],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_gem_handle_delete: {
    kernel: `drm_gem_handle_delete() (${GEM})`,
    summary: 'Deletes the handle; the last handle drops the shared reference (and the flink name). EINVAL for an unknown handle.',
    fields: { file, handle },
    returns: [],
    errnos: ['EINVAL'],
    violations: ['use_after_free'],
  },
  drm_gem_create_mmap_offset: {
    kernel: `drm_gem_create_mmap_offset() → drm_vma_offset_add() (${GEM}, drivers/gpu/drm/drm_vma_manager.c)`,
    rust: 'BaseObject::create_mmap_offset()',
    summary: 'The byte offset of the object\'s node in the device\'s offset drm_mm (size/PAGE_SIZE pages, mode best); idempotent; ENOSPC for a 0-byte object or a full space.',
    fields: { obj },
    returns: ['offset'],
    errnos: ['ENOSPC'],
    violations: ['use_after_free'],
  },
  drm_gem_free_mmap_offset: {
    kernel: `drm_gem_free_mmap_offset() → drm_vma_offset_remove() (${GEM})`,
    summary: 'Removes the offset node if there is one.',
    fields: { obj },
    returns: [],
    errnos: [],
    violations: ['use_after_free'],
  },
  drm_gem_mmap: {
    kernel: `drm_gem_mmap() → drm_gem_mmap_obj() (${GEM})`,
    summary:
      'Maps `len` bytes at the fake `offset`: ENODEV after unplug; EINVAL unless a node starts exactly at that page and spans the length (or for a misaligned offset or len 0); EACCES when the file holds no handle to the object. The VMA holds an object reference.',
    fields: { file, offset: { kind: 'u64', doc: 'byte offset' }, len: { kind: 'u64', doc: 'bytes' }, vma: { kind: 'name', doc: 'name for the mapping' } },
    returns: [],
    errnos: ['ENODEV', 'EINVAL', 'EACCES'],
    violations: ['use_after_free'],
  },
  drm_gem_vm_close: {
    kernel: `drm_gem_vm_close() (${GEM})`,
    summary: 'Unmaps: drops the VMA\'s object reference. Closing it twice is a use_after_free.',
    fields: { vma: { kind: 'name', doc: 'the mapping' } },
    returns: [],
    errnos: [],
    violations: ['use_after_free', 'refcount_underflow'],
  },
  drm_gem_flink: {
    kernel: `drm_gem_flink_ioctl() (${GEM})`,
    summary: 'The object\'s device-global name (lowest free ≥ 1 on first use); ENOENT for an unknown handle; EOPNOTSUPP without the gem feature.',
    fields: { file, handle },
    returns: ['name'],
    errnos: ['EOPNOTSUPP', 'ENOENT'],
    violations: ['use_after_free'],
  },
  dma_resv_lock: {
    kernel: 'dma_resv_lock() (include/linux/dma-resv.h) → ww_mutex_lock(&obj->resv->lock, NULL)',
    rust: 'gem::Object::resv().lock()',
    summary: 'Takes the object\'s reservation lock: a mutex of lockdep class `reservation_ww_class_mutex` in the locking protocol (contended: blocked and queued; the unlock that hands it over lists the task in `woke`); on a freed object a use_after_free.',
    fields: { obj, task },
    returns: ['(blocked, queued)'],
    errnos: [],
    violations: ['lockdep', 'might_sleep', 'use_after_free'],
  },
  dma_resv_unlock: {
    kernel: 'dma_resv_unlock() (include/linux/dma-resv.h) → ww_mutex_unlock()',
    summary: 'Releases the object\'s reservation lock; the first waiter gets it (`woke`); by a task that does not hold it: lockdep bad unlock balance.',
    fields: { obj, task },
    returns: ['woke'],
    errnos: [],
    violations: ['lockdep', 'use_after_free'],
  },
  drm_gem_open_by_name: {
    kernel: `drm_gem_open_ioctl() (${GEM})`,
    summary: 'A new handle in the file to the object with that flink name, and its size; ENOENT for an unknown name; EOPNOTSUPP without the gem feature.',
    fields: { file, name: { kind: 'int', doc: 'the flink name' } },
    returns: ['handle', 'size'],
    errnos: ['EOPNOTSUPP', 'ENOENT', ...OPEN_FAILS],
    violations: ['use_after_free'],
  },
} as const satisfies { readonly [type: string]: EventDef };

/** A drm event type. */
export type DrmEventType = keyof typeof DRM_EVENTS;

/** A decoded drm event (u64 fields as bigints), inferred from {@link DRM_EVENTS}. */
export type DrmEvent = DecodedEvents<typeof DRM_EVENTS>;

/**
 * Reads and checks a raw drm event.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` naming the field at fault.
 */
export function decodeDrm(event: Event): DrmEvent {
  const def = Object.prototype.hasOwnProperty.call(DRM_EVENTS, event.type) ? (DRM_EVENTS as { readonly [t: string]: EventDef })[event.type] : undefined;
  if (def === undefined) throw new DrmstateError('MALFORMED_EVENT', `not a drm event: ${event.type}`, { field: 'type' });
  return decodeFields<DrmEvent>(event, def.fields);
}
