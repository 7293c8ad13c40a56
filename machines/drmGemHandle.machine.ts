import { setup } from 'xstate';

/**
 * One slot of a file's GEM handle table (`file_priv->object_idr`): free or live.
 *
 * Kernel: [drivers/gpu/drm/drm_gem.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_gem.c)
 * (drm_gem_handle_create_tail, drm_gem_object_lookup, drm_gem_handle_delete, drm_gem_release,
 * drm_gem_flink_ioctl); Rust: `BaseObject::create_handle`, `lookup_handle` (rust/kernel/drm/gem/mod.rs).
 *
 * Modelled:
 * - creation into the lowest free id ≥ 1, aborted and undone by the driver's open callback's errno;
 * - lookup (NULL, not an errno, for a free slot), delete (EINVAL for a free slot), flink (ENOENT).
 *
 * Abstracted away:
 * - the transient NULL entry between id reservation and publication, and during deletion: calls
 *   are atomic, so no lookup sees it.
 *
 * Invariants: handleIdsAreLowestFree, everyHandleHoldsItsObject.
 *
 * Docs: docs/gem.md.
 */

/** Calls on a handle slot; `open_fails`: the errno the object's open callback returns, if any. */
export type DrmGemHandleEvent =
  | { readonly type: 'drm_gem_handle_create'; readonly open_fails?: string }
  | { readonly type: 'drm_gem_object_lookup' }
  | { readonly type: 'drm_gem_handle_delete' }
  | { readonly type: 'drm_gem_flink' };

/** The errnos a driver's GEM `open` callback may be told to return (`open_fails` of drm_gem_object_init). */
export const OPEN_FAILS = ['ENOMEM', 'EINVAL', 'EPERM', 'EACCES', 'ENOSPC', 'EBUSY', 'ENODEV', 'EIO', 'EFAULT', 'ENOENT'] as const;

type GuardFn = (args: { event: DrmGemHandleEvent }) => boolean;

/** One guard per errno the open callback may return: `funcs->open(obj, file)` returned it (drm_gem.c). */
const OPEN_GUARDS: { [name: string]: GuardFn } = Object.fromEntries(
  OPEN_FAILS.map((errno) => [`isOpenFailingWith${errno}`, ({ event }: { event: DrmGemHandleEvent }) => event.type === 'drm_gem_handle_create' && event.open_fails === errno]),
);

const CREATE_FROM_FREE = [
  ...OPEN_FAILS.map((errno) => ({
    guard: `isOpenFailingWith${errno}`,
    description: `The driver's open callback returns -${errno}: the allow-list entry, the id and the handle count are undone; ${errno}.`,
    meta: { errno },
  })),
  { target: 'live', description: 'idr_alloc reserves the lowest free id, the file joins the allow-list, open succeeds: published.', meta: { effects: ['idrAlloc'] } },
];

export const drmGemHandleMachine = setup({
  types: { events: {} as DrmGemHandleEvent },
  guards: OPEN_GUARDS as never,
}).createMachine({
  id: 'drm_gem_handle',
  initial: 'free',
  states: {
    free: {
      description: 'No handle with this id in the file (never created, deleted, or the file closed).',
      on: {
        drm_gem_handle_create: CREATE_FROM_FREE as never,
        drm_gem_object_lookup: { description: 'Unknown handle: NULL, found false.', meta: { returns: { found: false } } },
        drm_gem_handle_delete: { description: 'Unknown handle: EINVAL.', meta: { errno: 'EINVAL' } },
        drm_gem_flink: { description: 'Unknown handle: ENOENT.', meta: { errno: 'ENOENT' } },
      },
    },
    live: {
      description: 'The id maps to an object; the file is on the object\'s mmap allow-list.',
      tags: ['alive'],
      on: {
        drm_gem_object_lookup: { description: 'Found: returns the object with a reference for the caller.', meta: { returns: { found: true }, effects: ['returnObject'] } },
        drm_gem_handle_delete: {
          target: 'free',
          description: 'Close callback, allow-list revoke, handle put, id removed (reusable).',
          meta: { effects: ['handleRelease'] },
        },
        drm_gem_flink: { description: 'The handle\'s object gets (or keeps) its name.', meta: { effects: ['flinkName'] } },
      },
    },
  },
});
