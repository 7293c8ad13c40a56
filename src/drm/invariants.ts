import type { Invariant } from '../world/Protocol.js';
import type { World } from '../world/World.js';

/**
 * For every drm object, its record is well formed: a released device has refcount 0 and every other
 * one at least 1; a freed object refcount 0 and no handle, a live one at least 1; handle ids are ≥ 1.
 *
 * Kernel: kref_init(1) in drm_dev_init and drm_gem_private_object_init; release only at zero.
 *
 * Broken by: a model whose object is put once more than it was got (refcount_underflow is refused, so the record stays well formed).
 */
export const drmTypeOk: Invariant = {
  name: 'drmTypeOk',
  statement: 'for every DRM device, GEM object and file, its refcount is 0 exactly when it is released and its handle ids are at least 1',
  holds(w: World): boolean {
    const s = w.drm;
    for (const [, d] of s.drms.entries()) if ((d.state === 'released') !== (d.refcount === 0) || d.refcount < 0) return false;
    for (const [, o] of s.objects.entries()) if ((o.state === 'freed') !== (o.refcount === 0) || (o.state === 'freed' && o.handleCount !== 0)) return false;
    for (const [, f] of s.files.entries()) if (f.handles.some(([h]) => h < 1)) return false;
    return true;
  },
};

/**
 * For every open DRM file, its device is not released.
 *
 * Kernel: drm_open takes drm_dev_get through drm_minor_acquire; drm_release drops it last (drm_file.c).
 *
 * Broken by: a model that drops the device reference a file holds (the put is then its own, and refused at zero).
 */
export const everyOpenFileKeepsItsDeviceAlive: Invariant = {
  name: 'everyOpenFileKeepsItsDeviceAlive',
  statement: 'for every open DRM file, its DRM device is not released',
  holds(w: World): boolean {
    for (const [, f] of w.drm.files.entries()) if (f.state === 'open' && w.drm.drms.get(f.drm)?.state === 'released') return false;
    return true;
  },
};

/**
 * For every GEM object, its handle count is the number of handles naming it in open files, and an
 * object with handles is alive with a reference beyond the caller's.
 *
 * Kernel: drm_gem_handle_create_tail / drm_gem_object_handle_put_unlocked (drm_gem.c).
 *
 * Broken by: a model that puts the shared handle reference by hand (the last handle's free then finds the object freed: refused).
 */
export const everyHandleHoldsItsObject: Invariant = {
  name: 'everyHandleHoldsItsObject',
  statement: 'for every GEM object, handle_count equals the handles naming it, and an object with handles is alive',
  holds(w: World): boolean {
    const count = new Map<string, number>();
    for (const [, f] of w.drm.files.entries()) for (const [, o] of f.handles) count.set(o, (count.get(o) ?? 0) + 1);
    for (const [name, o] of w.drm.objects.entries()) {
      const n = count.get(name) ?? 0;
      if (o.handleCount !== n || (n > 0 && o.state !== 'alive')) return false;
    }
    return true;
  },
};

/**
 * For every Devres whose device is not bound, it is revoked.
 *
 * Kernel: the Devres revocation is a devres action of the device, run at unbind (rust/kernel/devres.rs).
 *
 * Broken by: a model that creates a Devres on an unbound device (refused: bug_on).
 */
export const everyDevresOfAnUnboundDeviceIsRevoked: Invariant = {
  name: 'everyDevresOfAnUnboundDeviceIsRevoked',
  statement: 'for every Devres, its device is bound or it is revoked',
  holds(w: World): boolean {
    for (const [, r] of w.drm.devres.entries()) if (r.state === 'initialised.valid' && w.drm.devices.get(r.dev)?.state !== 'added.bound') return false;
    return true;
  },
};

/** The drm invariants, type invariant first. */
export const drmInvariants: readonly Invariant[] = [drmTypeOk, everyOpenFileKeepsItsDeviceAlive, everyHandleHoldsItsObject, everyDevresOfAnUnboundDeviceIsRevoked];
