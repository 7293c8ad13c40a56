import { setup } from 'xstate';

/**
 * Lifecycle of `struct drm_device`: allocated, registered, unregistered or unplugged, released.
 *
 * Kernel: [drivers/gpu/drm/drm_drv.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_drv.c)
 * (drm_dev_init, drm_dev_register, drm_dev_unregister, drm_dev_unplug, drm_dev_enter/exit,
 * drm_dev_put/drm_dev_release), [drivers/gpu/drm/drm_file.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_file.c)
 * (drm_open); Rust: `drm::Device` (rust/kernel/drm/device.rs).
 *
 * Modelled:
 * - registration (at most once), unregister (does not unplug), the two-phase unplug: `unplugged`
 *   set first, then `synchronize_srcu` over the one global SRCU domain (a queued wait), then
 *   unregister; unplug inside the caller's own section is a deadlock;
 * - the kref: release at zero (the protocol reports leaked objects and offsets);
 * - `drm_open`'s ENODEV, `drm_dev_enter`'s false, GEM object init's size rules.
 *
 * Abstracted away:
 * - the SRCU index: a task's exit ends its innermost section on the device;
 * - minors, debugfs, modeset, the legacy load/unload hooks: no call observes them.
 *
 * Invariants: drmTypeOk, everyOpenFileKeepsItsDeviceAlive.
 *
 * Docs: docs/device.md.
 */

/** Calls on a DRM device, with the facts the guards read. */
export type DrmDeviceEvent =
  | { readonly type: 'drm_dev_get' }
  /** `last`: the put drops the last reference. */
  | { readonly type: 'drm_dev_put'; readonly last: boolean }
  | { readonly type: 'drm_dev_register' }
  | { readonly type: 'drm_dev_unregister' }
  /** `ownSection`: the caller is inside a drm_dev_enter section; `readers`: some task is; `woken`: the wait is over (second phase). */
  | { readonly type: 'drm_dev_unplug'; readonly ownSection: boolean; readonly readers: boolean; readonly woken: boolean }
  | { readonly type: 'drm_dev_enter' }
  /** `inSection`: the task has a section on this device. */
  | { readonly type: 'drm_dev_exit'; readonly inSection: boolean }
  | { readonly type: 'drm_dev_is_unplugged' }
  | { readonly type: 'drm_open' }
  /** `misaligned`: `size & (PAGE_SIZE - 1)`; `oversized`: above MAX_LFS_FILESIZE. */
  | { readonly type: 'drm_gem_object_init'; readonly misaligned: boolean; readonly oversized: boolean };

const UAF = (what: string) =>
  ({ description: `${what} on a released device: use_after_free, refused.`, meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'released' }], refused: true } }) as const;

const GET = { description: 'Takes a reference.', meta: { effects: ['krefGet'] } } as const;
const PUT = [
  { guard: 'isLastReference', target: '#drm_device.released', description: 'Last reference: drm_dev_release (driver release, drm-managed actions in reverse, offset manager takedown).', meta: { effects: ['krefPut', 'release'] } },
  { description: 'Drops a reference.', meta: { effects: ['krefPut'] } },
] as const;
const REGISTER_AGAIN = {
  description: 'drm_dev_register on a device registered before: forbidden (the second minor registration fails and unpublishes the first); warn_on, refused.',
  meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'registerTwice' }], refused: true },
} as const;
const UNREGISTER_NOT_REGISTERED = {
  description:
    'Not registered: drm_minor_unregister returns early for a minor that is not registered and the panic/client/modeset/unload hooks run again; no WARN (drm_drv.c), nothing changes.',
} as const;
const DEADLOCK = {
  guard: 'isOwnSection',
  description: 'The caller is inside a drm_dev_enter section: synchronize_srcu waits for itself; deadlock, refused.',
  meta: { violation: 'deadlock', violations: [{ kind: 'deadlock', check: 'ownSection' }], refused: true },
} as const;
const ENTER_OK = { description: 'SRCU read lock; not unplugged: entered true.', meta: { returns: { entered: true }, effects: ['srcuReadLock'] } } as const;
const EXIT = [
  { guard: 'hasSection', description: 'SRCU read unlock of the task\'s innermost section on the device.', meta: { effects: ['srcuReadUnlock'] } },
  {
    description: 'No section of the task on this device: srcu_read_unlock without a lock; lockdep, refused.',
    meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'exitWithoutEnter' }], refused: true },
  },
] as const;
const OPEN_ENODEV = { description: 'The minor is not published (or the device is unplugged): ENODEV.', meta: { errno: 'ENODEV' } } as const;
const GEM_INIT = [
  {
    guard: 'isMisalignedSize',
    description: 'BUG_ON(size not page-aligned) in drm_gem_private_object_init; refused.',
    meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'misalignedSize' }], refused: true },
  },
  { guard: 'isOversized', description: 'shmem_file_setup refuses a size above MAX_LFS_FILESIZE: EINVAL.', meta: { errno: 'EINVAL' } },
  { description: 'Initialises the object: refcount 1, no handle, no offset.', meta: { effects: ['gemObjectInit'] } },
] as const;
const PLUGGED = { description: 'Returns false.', meta: { returns: { unplugged: false } } } as const;

/** drm_dev_unplug from a state not yet unplugged: the first phase sets the flag. */
const UNPLUG = [
    DEADLOCK,
    {
      guard: 'hasReaders',
      target: '.unplugged.synchronizing',
      description: 'Sets unplugged; synchronize_srcu (a sleep point) finds readers: blocked and queued until the last drm_dev_exit.',
      meta: { blocked: true, queued: true, effects: ['setUnplugged', 'mightSleep', 'queueWaiter'] },
    },
    { target: '.unplugged.synchronized', description: 'Sets unplugged; synchronize_srcu (a sleep point) finds no reader: unregisters at once.', meta: { effects: ['setUnplugged', 'mightSleep', 'unregister'] } },
] as const;

export const drmDeviceMachine = setup({
  types: { events: {} as DrmDeviceEvent },
  guards: {
    /** `kref_put(&dev->ref, drm_dev_release)` drops the last reference (drm_drv.c). */
    isLastReference: ({ event }) => event.type === 'drm_dev_put' && event.last,
    /** The caller holds a `drm_unplug_srcu` read section: synchronize_srcu would wait for itself (drm_drv.c). */
    isOwnSection: ({ event }) => event.type === 'drm_dev_unplug' && event.ownSection,
    /** Some task holds a `drm_unplug_srcu` read section of any device (drm_drv.c). */
    hasReaders: ({ event }) => event.type === 'drm_dev_unplug' && event.readers,
    /** The grace period is over: the queued unplug resumes (drm_drv.c, after synchronize_srcu). */
    isWoken: ({ event }) => event.type === 'drm_dev_unplug' && event.woken,
    /** The task has a section on this device to end (drm_dev_exit, drm_drv.c). */
    hasSection: ({ event }) => event.type === 'drm_dev_exit' && event.inSection,
    /** `BUG_ON((size & (PAGE_SIZE - 1)) != 0)` in drm_gem_private_object_init (drm_gem.c). */
    isMisalignedSize: ({ event }) => event.type === 'drm_gem_object_init' && event.misaligned,
    /** `size > MAX_LFS_FILESIZE` in shmem_file_setup (mm/shmem.c). */
    isOversized: ({ event }) => event.type === 'drm_gem_object_init' && event.oversized,
  },
}).createMachine({
  id: 'drm_device',
  initial: 'referenced',
  states: {
    referenced: {
      description: 'refcount ≥ 1: the device is alive.',
      tags: ['alive'],
      initial: 'allocated',
      // Calls every live state answers alike unless it says otherwise.
      on: {
        drm_dev_get: GET,
        drm_dev_put: PUT,
        drm_dev_register: REGISTER_AGAIN,
        drm_dev_unregister: UNREGISTER_NOT_REGISTERED,
        drm_dev_unplug: UNPLUG,
        drm_dev_enter: ENTER_OK,
        drm_dev_exit: EXIT,
        drm_dev_is_unplugged: PLUGGED,
        drm_open: OPEN_ENODEV,
        drm_gem_object_init: GEM_INIT,
      },
      states: {
        allocated: {
          description: 'drm_dev_init done: refcount ≥ 1, minors allocated but not published.',
          on: {
            drm_dev_register: { target: 'registered', description: 'Publishes the minors; registered = true.', meta: { effects: ['register'] } },
          },
        },
        registered: {
          description: 'registered = true: the minors are published, drm_open works.',
          on: {
            drm_dev_put: [
              {
                guard: 'isLastReference',
                target: '#drm_device.released',
                description: 'Last reference while the minors are published: released anyway, the minors point at freed memory; use_after_free.',
                meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'releasedWhileRegistered' }], effects: ['krefPut', 'release'] },
              },
              { description: 'Drops a reference.', meta: { effects: ['krefPut'] } },
            ],
            drm_dev_unregister: { target: 'unregistered', description: 'Unpublishes the minors; unplugged stays false, no reference dropped.', meta: { effects: ['unregister'] } },
            drm_open: { description: 'The minor is published and the device not unplugged: a file holding a device reference.', meta: { effects: ['krefGet'] } },
          },
        },
        unregistered: {
          description: 'drm_dev_unregister done, not unplugged: open files keep working, drm_dev_enter succeeds.',
        },
        unplugged: {
          description: 'unplugged = true: drm_dev_enter fails, ioctls and mmaps answer ENODEV, drm_open ENODEV.',
          initial: 'synchronizing',
          on: {
            drm_dev_enter: { description: 'Unplugged: the read lock is dropped again; entered false.', meta: { returns: { entered: false } } },
            drm_dev_is_unplugged: { description: 'Returns true.', meta: { returns: { unplugged: true } } },
          },
          states: {
            synchronizing: {
              description: 'A drm_dev_unplug waits in synchronize_srcu for readers of any device.',
              on: {
                drm_dev_unregister: { description: 'Unpublishes the minors now (the waiting unplug unregisters again; its hooks run twice either way).', meta: { effects: ['unregister'] } },
                drm_dev_unplug: [
                  { guard: 'isWoken', target: 'synchronized', description: 'The grace period is over: drm_dev_unregister, user mappings zapped.', meta: { effects: ['unregister'] } },
                  DEADLOCK,
                  { description: 'Sets unplugged again and waits too (a sleep point): blocked and queued.', meta: { blocked: true, queued: true, effects: ['setUnplugged', 'mightSleep', 'queueWaiter'] } },
                ],
              },
            },
            synchronized: {
              description: 'drm_dev_unplug done: the grace period is over and the device unregistered.',
              on: {
                drm_dev_unplug: [
                  DEADLOCK,
                  { guard: 'hasReaders', description: 'Unplugged again; synchronize_srcu (a sleep point) finds readers: blocked and queued.', meta: { blocked: true, queued: true, effects: ['mightSleep', 'queueWaiter'] } },
                  { description: 'Unplugged again, no reader: synchronize_srcu returns (a sleep point); nothing changes.', meta: { effects: ['mightSleep'] } },
                ],
              },
            },
          },
        },
      },
    },
    released: {
      type: 'final',
      description: 'drm_dev_release ran: the container is freed.',
      tags: ['released'],
      on: {
        drm_dev_get: UAF('drm_dev_get'),
        drm_dev_put: {
          description: 'drm_dev_put of a released device: refcount_underflow, refused.',
          meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'released' }], refused: true },
        },
        drm_dev_register: UAF('drm_dev_register'),
        drm_dev_unregister: UAF('drm_dev_unregister'),
        drm_dev_unplug: UAF('drm_dev_unplug'),
        drm_dev_enter: UAF('drm_dev_enter'),
        drm_dev_is_unplugged: UAF('drm_dev_is_unplugged'),
        // KERNEL: drm_dev_exit(idx) only unlocks the global drm_unplug_srcu; it never reads the device.
        drm_dev_exit: EXIT,
        drm_open: { description: 'The minors were freed with the device (drm_minor_alloc_release erased their xarray slots): drm_minor_acquire finds none; ENODEV.', meta: { errno: 'ENODEV' } },
        drm_gem_object_init: UAF('drm_gem_object_init'),
      },
    },
  },
});
