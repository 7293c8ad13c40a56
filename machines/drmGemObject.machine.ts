import { setup } from 'xstate';

/**
 * Lifecycle of `struct drm_gem_object` (shmem-backed): alive while referenced, freed at zero.
 *
 * Kernel: [drivers/gpu/drm/drm_gem.c](https://github.com/torvalds/linux/blob/v6.17/drivers/gpu/drm/drm_gem.c)
 * (drm_gem_object_init, drm_gem_handle_create_tail, drm_gem_object_release_handle,
 * drm_gem_object_free, drm_gem_create_mmap_offset, drm_gem_flink_ioctl),
 * [include/drm/drm_gem.h](https://github.com/torvalds/linux/blob/v6.17/include/drm/drm_gem.h);
 * Rust: `gem::Object` (rust/kernel/drm/gem/mod.rs).
 *
 * Modelled:
 * - the kref and the handle count: the first handle takes the one reference all handles share, the
 *   last handle drops it (and the flink name);
 * - the mmap offset (idempotent), released when the object is freed;
 * - calls on a freed object: use-after-free, a put a refcount underflow; the object's calls that
 *   touch its device after the device was released: use-after-free.
 *
 * Abstracted away:
 * - the reservation object's fences and ww acquire contexts: `dma_resv_lock` takes the object's
 *   reservation lock with no acquire context (`ww_mutex_lock(&resv->lock, NULL)`), as the locking
 *   protocol's mutex of class `reservation_ww_class_mutex`;
 * - dma-buf export and PRIME: no event names them.
 *
 * Invariants: drmTypeOk, everyHandleHoldsItsObject, everyOffsetBelongsToALiveObject.
 *
 * Docs: docs/gem.md.
 */

/** Calls on an object, with the facts the guards read. */
export type DrmGemObjectEvent =
  | { readonly type: 'drm_gem_object_get' }
  /** `last`: the put drops the last reference; `deviceReleased`: the object's drm_device is freed. */
  | { readonly type: 'drm_gem_object_put'; readonly last: boolean; readonly deviceReleased: boolean }
  /** `hasHandles`: `handle_count > 0` before the call; `deviceReleased`: `obj->dev` is freed (its `object_name_lock` with it). */
  | { readonly type: 'drm_gem_handle_create'; readonly hasHandles: boolean; readonly deviceReleased: boolean }
  /**
   * A handle's release (GEM_CLOSE or file close); `lastHandle`, `last`: the handle count and the
   * refcount reach zero. The handle's file keeps the device alive, so it is never released here.
   */
  | { readonly type: 'drm_gem_handle_delete'; readonly lastHandle: boolean; readonly last: boolean }
  | { readonly type: 'drm_gem_object_lookup' }
  /** `hasOffset`: `drm_mm_node_allocated(&obj->vma_node.vm_node)`. */
  | { readonly type: 'drm_gem_create_mmap_offset'; readonly hasOffset: boolean; readonly deviceReleased: boolean }
  | { readonly type: 'drm_gem_free_mmap_offset'; readonly deviceReleased: boolean }
  | { readonly type: 'drm_gem_flink' }
  /** `dma_resv_lock(obj->resv, NULL)` / `dma_resv_unlock(obj->resv)`: the object's reservation lock. */
  | { readonly type: 'dma_resv_lock' }
  | { readonly type: 'dma_resv_unlock' };

const DEVICE_GONE = <G extends 'isLastReferenceOfAnOrphan' | 'isDeviceReleased'>(guard: G, what: string) =>
  ({
    guard,
    description: `${what} reads dev->vma_offset_manager of a released drm_device: use_after_free, refused.`,
    meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'deviceReleased' }], refused: true },
  }) as const;
const UAF = (what: string) =>
  ({ description: `${what} on a freed object: use_after_free, refused.`, meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'freed' }], refused: true } }) as const;

export const drmGemObjectMachine = setup({
  types: { events: {} as DrmGemObjectEvent },
  guards: {
    /** `kref_put(&obj->refcount, drm_gem_object_free)` frees the object while its device is gone (drm_gem.c). */
    isLastReferenceOfAnOrphan: ({ event }) => event.type === 'drm_gem_object_put' && event.last && event.deviceReleased,
    /** `kref_put(&obj->refcount, drm_gem_object_free)` drops the last reference (include/drm/drm_gem.h). */
    isLastReference: ({ event }) => (event.type === 'drm_gem_object_put' || event.type === 'drm_gem_handle_delete') && event.last,
    /** `obj->handle_count++ == 0` in drm_gem_handle_create_tail (drm_gem.c). */
    hasHandles: ({ event }) => event.type === 'drm_gem_handle_create' && event.hasHandles,
    /** `--obj->handle_count == 0` in drm_gem_object_handle_put_unlocked (drm_gem.c). */
    isLastHandle: ({ event }) => event.type === 'drm_gem_handle_delete' && event.lastHandle,
    /** `drm_mm_node_allocated(&node->vm_node)` in drm_vma_offset_add (drm_vma_manager.c). */
    hasOffset: ({ event }) => event.type === 'drm_gem_create_mmap_offset' && event.hasOffset,
    /** The object's `dev` has been released (drm_dev_release ran). */
    isDeviceReleased: ({ event }) =>
      (event.type === 'drm_gem_create_mmap_offset' || event.type === 'drm_gem_free_mmap_offset' || event.type === 'drm_gem_handle_create') && event.deviceReleased,
  },
}).createMachine({
  id: 'drm_gem_object',
  initial: 'alive',
  states: {
    alive: {
      description: 'Initialised: refcount ≥ 1 (one of them shared by all handles while handle_count > 0).',
      tags: ['alive'],
      on: {
        drm_gem_object_get: { description: 'Takes a reference.', meta: { effects: ['krefGet'] } },
        dma_resv_lock: {
          description: 'Takes obj->resv->lock (a ww_mutex, no acquire context): the locking protocol\'s mutex of class reservation_ww_class_mutex; held by another task: blocked and queued.',
          meta: { effects: ['resvLock'] },
        },
        dma_resv_unlock: { description: 'Releases obj->resv->lock; the first waiter gets it (woke).', meta: { effects: ['resvUnlock'] } },
        drm_gem_object_put: [
          DEVICE_GONE('isLastReferenceOfAnOrphan', 'The free (drm_gem_object_release)'),
          { guard: 'isLastReference', target: 'freed', description: 'Last reference: the free callback, drm_gem_object_release (offset removed).', meta: { effects: ['krefPut', 'free'] } },
          { description: 'Drops a reference.', meta: { effects: ['krefPut'] } },
        ],
        drm_gem_handle_create: [
          {
            guard: 'isDeviceReleased',
            description: 'drm_gem_handle_create_tail takes obj->dev->object_name_lock of a released drm_device: use_after_free, refused.',
            meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'deviceReleased' }], refused: true },
          },
          { guard: 'hasHandles', description: 'Another handle: handle_count + 1, no new reference.', meta: { effects: ['handleCountInc'] } },
          { description: 'The first handle: handle_count 1 and one reference shared by all handles.', meta: { effects: ['handleCountInc', 'krefGet'] } },
        ],
        drm_gem_handle_delete: [
          {
            guard: 'isLastReference',
            target: 'freed',
            description: 'The last handle and the last reference: the name goes, the shared reference is dropped, the object freed.',
            meta: { effects: ['handleCountDec', 'removeName', 'krefPut', 'free'] },
          },
          { guard: 'isLastHandle', description: 'The last handle: the flink name goes, the shared reference is dropped.', meta: { effects: ['handleCountDec', 'removeName', 'krefPut'] } },
          { description: 'Another handle remains: handle_count − 1.', meta: { effects: ['handleCountDec'] } },
        ],
        drm_gem_object_lookup: { description: 'The handle\'s lookup takes a reference for the caller.', meta: { effects: ['krefGet'] } },
        drm_gem_create_mmap_offset: [
          DEVICE_GONE('isDeviceReleased', 'drm_gem_create_mmap_offset'),
          { guard: 'hasOffset', description: 'Already has an offset: 0, the offset unchanged (size ignored).', meta: { effects: ['returnOffset'] } },
          { description: 'drm_vma_offset_add: size/PAGE_SIZE pages from the offset drm_mm, mode best.', meta: { effects: ['drmVmaOffsetAdd', 'returnOffset'] } },
        ],
        drm_gem_free_mmap_offset: [
          DEVICE_GONE('isDeviceReleased', 'drm_gem_free_mmap_offset'),
          { description: 'drm_vma_offset_remove: the node goes if there is one.', meta: { effects: ['drmVmaOffsetRemove'] } },
        ],
        drm_gem_flink: { description: 'Assigns the lowest free name ≥ 1 of the device if it has none; returns it.', meta: { effects: ['flinkName'] } },
      },
    },
    freed: {
      type: 'final',
      description: 'The free callback ran: the object is gone.',
      tags: ['released'],
      on: {
        drm_gem_object_get: UAF('drm_gem_object_get'),
        dma_resv_lock: UAF('dma_resv_lock'),
        dma_resv_unlock: UAF('dma_resv_unlock'),
        drm_gem_object_put: {
          description: 'drm_gem_object_put of a freed object: refcount_underflow, refused.',
          meta: { violation: 'refcount_underflow', violations: [{ kind: 'refcount_underflow', check: 'freed' }], refused: true },
        },
        drm_gem_handle_create: UAF('drm_gem_handle_create'),
        drm_gem_handle_delete: UAF('The handle put (a reference too many was dropped)'),
        drm_gem_object_lookup: UAF('drm_gem_object_lookup (a reference too many was dropped)'),
        drm_gem_flink: UAF('drm_gem_flink (a reference too many was dropped)'),
        drm_gem_create_mmap_offset: UAF('drm_gem_create_mmap_offset'),
        drm_gem_free_mmap_offset: UAF('drm_gem_free_mmap_offset'),
      },
    },
  },
});
