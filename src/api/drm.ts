import type { Kernel } from '../kernel/Kernel.js';
import { type Result, freshName, result, unit } from './result.js';

export type { Result } from './result.js';

/**
 * A bus `struct device` (a PCI or platform device): bound while a driver's probe succeeded.
 *
 * @example
 *   const pdev = BusDevice.add(k, 'pdev0');
 *   pdev.bind();
 */
export class BusDevice {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
  ) {}

  /** Adds the device. Models device_add() (drivers/base/core.c). @throws {DrmstateError} for a name in use. */
  static add(kernel: Kernel, name: string = freshName(kernel, 'pdev')): BusDevice {
    kernel.call({ type: 'device_add', dev: name });
    return new BusDevice(kernel, name);
  }

  /** Binds a driver (probe succeeds); EBUSY when bound. Models device_driver_attach() (drivers/base/dd.c). */
  bind(): Result {
    return result(this.kernel.call({ type: 'driver_bind', dev: this.name }), unit);
  }

  /**
   * Unbinds: the devres actions run last-registered-first; `blocked` while a Devres revocation waits
   * for guards. Models device_release_driver() (drivers/base/dd.c).
   */
  unbind(task?: string): Result {
    return result(this.kernel.call({ type: 'device_unbind', dev: this.name, ...(task !== undefined ? { task } : {}) }), unit);
  }

  /** Registers a devres action running `events` (drm events) at unbind. Models devm_add_action(). */
  addAction(action: string, events: readonly { readonly type: string; readonly [field: string]: unknown }[] = []): Result {
    return result(this.kernel.call({ type: 'devm_add_action', dev: this.name, action, do: events }), unit);
  }
}

/**
 * A `drm::Device` (`struct drm_device`) with its reference explicit: `clone` and `drop` are the
 * `ARef`'s `drm_dev_get` and `drm_dev_put`.
 *
 * @example
 *   const drm = Device.new(k, pdev);
 *   Registration.newForeignOwned(drm, pdev, 0);
 *   const file = drm.open().value; // a File
 */
export class Device {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
    readonly parent: BusDevice,
  ) {}

  /**
   * Allocates an unmanaged device holding one reference. Models drm::Device::new() → __drm_dev_alloc() (drivers/gpu/drm/drm_drv.c).
   *
   * @throws {DrmstateError} for a name in use or an unknown feature.
   */
  static new(kernel: Kernel, parent: BusDevice, name: string = freshName(kernel, 'drm'), features?: readonly ('gem' | 'render' | 'modeset')[]): Device {
    kernel.call({ type: 'drm_dev_alloc', drm: name, parent: parent.name, ...(features !== undefined ? { features } : {}) });
    return new Device(kernel, name, parent);
  }

  /** As {@link Device.new}, the reference owned by a devres action of the parent. Models devm_drm_dev_alloc(). */
  static devmNew(kernel: Kernel, parent: BusDevice, name: string = freshName(kernel, 'drm')): Device {
    kernel.call({ type: 'devm_drm_dev_alloc', drm: name, parent: parent.name });
    return new Device(kernel, name, parent);
  }

  /** Takes a reference (`ARef::clone`). Models drm_dev_get(). */
  clone(): Result<Device> {
    return result(this.kernel.call({ type: 'drm_dev_get', drm: this.name }), () => this);
  }

  /** Drops a reference (`drop(ARef)`); the last releases the device. Models drm_dev_put(). */
  drop(): Result {
    return result(this.kernel.call({ type: 'drm_dev_put', drm: this.name }), unit);
  }

  /** Models drm_dev_register(). */
  register(flags = 0): Result {
    return result(this.kernel.call({ type: 'drm_dev_register', drm: this.name, flags }), unit);
  }

  /** Models drm_dev_unregister(). */
  unregister(): Result {
    return result(this.kernel.call({ type: 'drm_dev_unregister', drm: this.name }), unit);
  }

  /** Unplugs: `blocked` while SRCU readers of any device remain. Models drm_dev_unplug(). */
  unplug(task: string): Result {
    return result(this.kernel.call({ type: 'drm_dev_unplug', drm: this.name, task }), unit);
  }

  /** Enters an SRCU section; false once unplugged. Models drm_dev_enter(). */
  enter(task: string): Result<boolean> {
    return result(this.kernel.call({ type: 'drm_dev_enter', drm: this.name, task }), (o) => o.entered as boolean);
  }

  /** Ends the task's innermost section; the value is the tasks it woke. Models drm_dev_exit(). */
  exit(task: string): Result<readonly string[]> {
    return result(this.kernel.call({ type: 'drm_dev_exit', drm: this.name, task }), (o) => (o.woke as string[] | undefined) ?? []);
  }

  /** Models drm_dev_is_unplugged(). */
  isUnplugged(): Result<boolean> {
    return result(this.kernel.call({ type: 'drm_dev_is_unplugged', drm: this.name }), (o) => o.unplugged as boolean);
  }

  /** Opens a file (ENODEV unless registered and not unplugged). Models drm_open(). */
  open(name: string = freshName(this.kernel, 'file')): Result<File> {
    return result(this.kernel.call({ type: 'drm_open', file: name, drm: this.name }), () => new File(this.kernel, name, this));
  }
}

/** A Rust `drm::Registration`: the device stays registered until it is dropped. */
export class Registration {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
    readonly device: Device,
  ) {}

  /** A caller-owned registration. Models drm::Registration::new() (rust/kernel/drm/driver.rs, private in v6.17). */
  static new(device: Device, flags = 0, name: string = freshName(device.kernel, 'reg')): Result<Registration> {
    const o = device.kernel.call({ type: 'drm_registration_new', reg: name, drm: device.name, flags });
    return result(o, () => new Registration(device.kernel, name, device));
  }

  /** Registers and hands the registration to devres on `parent` (EINVAL for another parent). Models drm::Registration::new_foreign_owned(). */
  static newForeignOwned(device: Device, parent: BusDevice, flags = 0, name: string = freshName(device.kernel, 'reg')): Result {
    return result(device.kernel.call({ type: 'drm_registration_new_foreign_owned', reg: name, drm: device.name, parent: parent.name, flags }), unit);
  }

  /** Unregisters (not unplug) and drops the reference. Models `impl Drop for Registration`. */
  drop(): Result {
    return result(this.kernel.call({ type: 'drm_registration_drop', reg: this.name }), unit);
  }
}

/** A Rust `RevocableGuard`: the task's RCU read section on a {@link Devres}. */
export class RevocableGuard {
  constructor(
    readonly devres: Devres,
    readonly task: string,
  ) {}

  /** Uses the resource through the guard (after its drop, on a revoked resource: use_after_free). */
  deref(): Result {
    return result(this.devres.kernel.call({ type: 'devres_guard_deref', res: this.devres.name, task: this.task }), unit);
  }

  /** Drops the guard; the value is the unbinds it let complete. */
  drop(): Result<readonly string[]> {
    return result(this.devres.kernel.call({ type: 'devres_guard_drop', res: this.devres.name, task: this.task }), (o) => (o.woke as string[] | undefined) ?? []);
  }
}

/** A Rust `Devres<T>`: revoked when its device unbinds. */
export class Devres {
  private constructor(
    readonly kernel: Kernel,
    readonly name: string,
    readonly device: BusDevice,
  ) {}

  /** Models Devres::new() (rust/kernel/devres.rs); refused (bug_on) on a device that is not bound. */
  static new(device: BusDevice, name: string = freshName(device.kernel, 'res')): Result<Devres> {
    return result(device.kernel.call({ type: 'devres_new', res: name, dev: device.name }), () => new Devres(device.kernel, name, device));
  }

  /** A guard while not revoked, null after. Models Devres::try_access(). */
  tryAccess(task: string): Result<RevocableGuard | null> {
    return result(this.kernel.call({ type: 'devres_try_access', res: this.name, task }), (o) => (o.available === true ? new RevocableGuard(this, task) : null));
  }

  /** The bound-device fast path: EINVAL for another device. Models Devres::access(). */
  access(dev: BusDevice): Result {
    return result(this.kernel.call({ type: 'devres_access', res: this.name, dev: dev.name }), unit);
  }
}

/** An open `drm::File` (`struct drm_file`). */
export class File {
  constructor(
    readonly kernel: Kernel,
    readonly name: string,
    readonly device: Device,
  ) {}

  /** Models drm_ioctl() (ENODEV after unplug). */
  ioctl(task: string): Result {
    return result(this.kernel.call({ type: 'drm_ioctl', file: this.name, task }), unit);
  }

  /** Models drm_release(): every handle dropped, then the device reference. */
  release(): Result {
    return result(this.kernel.call({ type: 'drm_release', file: this.name }), unit);
  }

  /** Maps `len` bytes at a fake offset. Models drm_gem_mmap(). */
  mmap(offset: bigint, len: bigint, vma: string = freshName(this.kernel, 'vma')): Result<string> {
    return result(this.kernel.call({ type: 'drm_gem_mmap', file: this.name, offset, len, vma }), () => vma);
  }
}

/** An `ARef<gem::Object>`: one counted reference to a GEM object. */
export class ObjectRef {
  constructor(
    readonly kernel: Kernel,
    readonly name: string,
  ) {}

  /** Finds the handle's object with a new reference; ENOENT for an unknown handle (the Rust answer to NULL). Models BaseObject::lookup_handle(). */
  static lookupHandle(file: File, handle: number): Result<ObjectRef> {
    const o = file.kernel.call({ type: 'drm_gem_object_lookup', file: file.name, handle });
    if (o.ok && o.found === false) return { ok: false, errno: 'ENOENT', violations: o.violations };
    return result(o, (x) => new ObjectRef(file.kernel, x.obj as string));
  }

  /** Takes another reference. Models drm_gem_object_get(). */
  clone(): Result<ObjectRef> {
    return result(this.kernel.call({ type: 'drm_gem_object_get', obj: this.name }), () => new ObjectRef(this.kernel, this.name));
  }

  /** Drops this reference. Models drm_gem_object_put(). */
  drop(): Result {
    return result(this.kernel.call({ type: 'drm_gem_object_put', obj: this.name }), unit);
  }

  /** A new handle in `file` (the lowest free id ≥ 1). Models BaseObject::create_handle(). */
  createHandle(file: File): Result<number> {
    return result(this.kernel.call({ type: 'drm_gem_handle_create', file: file.name, obj: this.name }), (o) => o.handle as number);
  }

  /** The byte mmap offset (idempotent). Models BaseObject::create_mmap_offset(). */
  createMmapOffset(): Result<bigint> {
    return result(this.kernel.call({ type: 'drm_gem_create_mmap_offset', obj: this.name }), (o) => o.offset as bigint);
  }
}

/** The reference `gem::Object::new` returns, unique until {@link UniqueObjectRef.intoRef} shares it. */
export class UniqueObjectRef extends ObjectRef {
  /**
   * A shmem-backed object of `size` bytes (page-aligned, else bug_on). Models gem::Object::new() → drm_gem_object_init().
   *
   * @throws {DrmstateError} for a name in use.
   */
  static create(device: Device, size: bigint, name: string = freshName(device.kernel, 'obj')): Result<UniqueObjectRef> {
    return result(device.kernel.call({ type: 'drm_gem_object_init', obj: name, drm: device.name, size }), () => new UniqueObjectRef(device.kernel, name));
  }

  /** The same reference, now shareable (`UniqueARef::into`). No kernel call. */
  intoRef(): ObjectRef {
    return new ObjectRef(this.kernel, this.name);
  }
}

/** The GEM object class of the API, by its Rust name. */
export { ObjectRef as GemObject };
