import { setup } from 'xstate';

/**
 * Lifecycle of `struct drm_file`: open until drm_release.
 *
 * Kernel: [drivers/gpu/drm/drm_file.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_file.c)
 * (drm_open, drm_release, drm_file_free), [drivers/gpu/drm/drm_ioctl.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_ioctl.c)
 * (drm_ioctl_kernel: the unplugged check), [drivers/gpu/drm/drm_gem.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_gem.c)
 * (drm_gem_mmap, drm_gem_open_ioctl); Rust: `drm::File` (rust/kernel/drm/file.rs).
 *
 * Modelled:
 * - ioctls: ENODEV once unplugged, dispatched after a plain unregister;
 * - mmap of a fake offset: ENODEV, EINVAL (no node starting there spanning the length), EACCES (no handle in this file);
 * - release: every handle dropped in ascending id order, then the device reference;
 * - the GEM calls that name the file, answered with a use-after-free once it is released.
 *
 * Abstracted away:
 * - the VMA's reference on the file: a mapping keeps only its object alive here (the release of
 *   a file with live mappings is not deferred);
 * - authentication, masters and node types (primary/render): every file may flink and open names.
 *
 * Invariants: drmTypeOk, everyOpenFileKeepsItsDeviceAlive, everyHandleHoldsItsObject.
 *
 * Docs: docs/device.md, docs/gem.md.
 */

/** Calls on a file, with the facts the guards read. */
export type DrmFileEvent =
  /** `unplugged`: drm_dev_is_unplugged of the file's device. */
  | { readonly type: 'drm_ioctl'; readonly unplugged: boolean }
  | { readonly type: 'drm_release' }
  /** `found`: a node starts at the page and spans the length (and offset, len are valid); `allowed`: the file is on its allow-list. */
  | { readonly type: 'drm_gem_mmap'; readonly unplugged: boolean; readonly found: boolean; readonly allowed: boolean }
  /** `notGem`: the device lacks DRIVER_GEM; `nameFound`: the flink name is in the device's name table. */
  | { readonly type: 'drm_gem_open_by_name'; readonly notGem: boolean; readonly nameFound: boolean }
  | { readonly type: 'drm_gem_handle_create' }
  | { readonly type: 'drm_gem_object_lookup' }
  | { readonly type: 'drm_gem_handle_delete' }
  | { readonly type: 'drm_gem_flink'; readonly notGem: boolean };

const UAF = (what: string) =>
  ({ description: `${what} on a released file: use_after_free, refused.`, meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true } }) as const;
const NOT_GEM = { guard: 'isNotGem', description: 'The driver has no DRIVER_GEM: EOPNOTSUPP.', meta: { errno: 'EOPNOTSUPP' } } as const;
const PASS = (what: string) => ({ description: `The file is open: ${what} (the handle slot decides).` }) as const;

export const drmFileMachine = setup({
  types: { events: {} as DrmFileEvent },
  guards: {
    /** `drm_dev_is_unplugged(dev)` in drm_ioctl_kernel / drm_gem_mmap. */
    isUnplugged: ({ event }) => (event.type === 'drm_ioctl' || event.type === 'drm_gem_mmap') && event.unplugged,
    /** drm_vma_offset_exact_lookup_locked() finds no node (drm_vma_manager.h), or the mmap arguments are invalid. */
    isNoNode: ({ event }) => event.type === 'drm_gem_mmap' && !event.found,
    /** `!drm_vma_node_is_allowed(node, priv)` in drm_gem_mmap (drm_gem.c). */
    isNotAllowed: ({ event }) => event.type === 'drm_gem_mmap' && !event.allowed,
    /** `idr_find(&dev->object_name_idr, name)` is NULL in drm_gem_open_ioctl (drm_gem.c). */
    isUnknownName: ({ event }) => event.type === 'drm_gem_open_by_name' && !event.nameFound,
    /** `!drm_core_check_feature(dev, DRIVER_GEM)` in drm_gem_flink_ioctl / drm_gem_open_ioctl (drm_gem.c). */
    isNotGem: ({ event }) => (event.type === 'drm_gem_flink' || event.type === 'drm_gem_open_by_name') && event.notGem,
  },
}).createMachine({
  id: 'drm_file',
  initial: 'open',
  states: {
    open: {
      description: 'An open file on the device: it holds a device reference and a handle table.',
      tags: ['alive'],
      on: {
        drm_ioctl: [
          { guard: 'isUnplugged', description: 'The device is unplugged: ENODEV before dispatch.', meta: { errno: 'ENODEV' } },
          { description: 'Dispatched to the driver (a plain unregister does not stop it).' },
        ],
        drm_release: { target: 'released', description: 'drm_file_free: every handle dropped in ascending id order, then drm_dev_put.', meta: { effects: ['dropHandles', 'drmDevPut'] } },
        drm_gem_mmap: [
          { guard: 'isUnplugged', description: 'The device is unplugged: ENODEV.', meta: { errno: 'ENODEV' } },
          { guard: 'isNoNode', description: 'No node starts at vm_pgoff spanning the length: EINVAL.', meta: { errno: 'EINVAL' } },
          { guard: 'isNotAllowed', description: 'The file holds no handle to the object: EACCES.', meta: { errno: 'EACCES' } },
          { description: 'Mapped with the shmem vm_ops; the VMA holds an object reference.', meta: { effects: ['vmaOpen'] } },
        ],
        drm_gem_open_by_name: [
          NOT_GEM,
          { guard: 'isUnknownName', description: 'No object has that name: ENOENT.', meta: { errno: 'ENOENT' } },
          PASS('creates a handle to the named object'),
        ],
        drm_gem_handle_create: PASS('creates a handle'),
        drm_gem_object_lookup: PASS('looks the handle up'),
        drm_gem_handle_delete: PASS('deletes the handle'),
        drm_gem_flink: [NOT_GEM, PASS('names the handle\'s object')],
      },
    },
    released: {
      type: 'final',
      description: 'drm_release ran: the drm_file is freed.',
      tags: ['released'],
      on: {
        drm_ioctl: UAF('drm_ioctl'),
        drm_release: UAF('drm_release'),
        drm_gem_mmap: UAF('drm_gem_mmap'),
        drm_gem_open_by_name: UAF('drm_gem_open_by_name'),
        drm_gem_handle_create: UAF('drm_gem_handle_create'),
        drm_gem_object_lookup: UAF('drm_gem_object_lookup'),
        drm_gem_handle_delete: UAF('drm_gem_handle_delete'),
        drm_gem_flink: UAF('drm_gem_flink'),
      },
    },
  },
});
