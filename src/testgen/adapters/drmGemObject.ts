import { drmGemObjectMachine } from '../../../machines/drmGemObject.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** Object `o` on registered `d` (parent `p`), file `f` open on it. */
function releaseDevice(sut: DrmSut): void {
  // The file's handles and the device's last references go: the device is released, `o` outlives it.
  sut.must({ type: 'drm_release', file: 'f' });
  sut.must({ type: 'drm_dev_unregister', drm: 'd' });
  const r = sut.call({ type: 'drm_dev_put', drm: 'd' });
  expectThat(r.ok && r.violations.some((v) => v.kind === 'leak'), `the release reports o as a leak: ${JSON.stringify(r)}`);
}

/** Runs `drm_gem_object` paths against the kernel. */
export const drmGemObjectAdapter: MachineAdapter<DrmSut> = {
  machine: drmGemObjectMachine,
  events: (): MachineEvent[] => [
    { type: 'drm_gem_object_get' },
    { type: 'drm_gem_object_put', last: true, deviceReleased: false },
    { type: 'drm_gem_object_put', last: false, deviceReleased: false },
    { type: 'drm_gem_object_put', last: true, deviceReleased: true },
    { type: 'drm_gem_handle_create', hasHandles: false, deviceReleased: false },
    { type: 'drm_gem_handle_create', hasHandles: true, deviceReleased: false },
    { type: 'drm_gem_handle_create', hasHandles: false, deviceReleased: true },
    { type: 'drm_gem_handle_delete', lastHandle: false, last: false },
    { type: 'drm_gem_handle_delete', lastHandle: true, last: false },
    { type: 'drm_gem_handle_delete', lastHandle: true, last: true },
    { type: 'drm_gem_object_lookup' },
    { type: 'drm_gem_create_mmap_offset', hasOffset: false, deviceReleased: false },
    { type: 'drm_gem_create_mmap_offset', hasOffset: true, deviceReleased: false },
    { type: 'drm_gem_create_mmap_offset', hasOffset: false, deviceReleased: true },
    { type: 'drm_gem_free_mmap_offset', deviceReleased: false },
    { type: 'drm_gem_free_mmap_offset', deviceReleased: true },
    { type: 'drm_gem_flink' },
    { type: 'dma_resv_lock' },
    { type: 'dma_resv_unlock' },
  ],
  setup(): DrmSut {
    const sut = new DrmSut();
    sut.registeredDrm('d', 'p');
    sut.must({ type: 'drm_open', file: 'f', drm: 'd' });
    sut.registeredDrm('d2', 'p2');
    sut.must({ type: 'drm_open', file: 'g', drm: 'd2' });
    sut.must({ type: 'drm_gem_object_init', obj: 'o', drm: 'd', size: '4096' });
    return sut;
  },
  exec(sut, event, branch) {
    const obj = 'o';
    const file = 'f';
    const handle = (): number => sut.must({ type: 'drm_gem_handle_create', file, obj }).handle as number;
    if (branch.source === 'freed') {
      if (event.type === 'drm_gem_handle_create') return sut.call({ type: event.type, file, obj });
      if (event.type === 'drm_gem_handle_delete' || event.type === 'drm_gem_object_lookup' || event.type === 'drm_gem_flink') {
        // Another object brought to the same state with a handle left: one put too many frees it.
        const o2 = sut.fresh('dangling');
        sut.must({ type: 'drm_gem_object_init', obj: o2, drm: 'd', size: '4096' });
        const h = sut.must({ type: 'drm_gem_handle_create', file, obj: o2 }).handle as number;
        sut.must({ type: 'drm_gem_object_put', obj: o2 });
        sut.must({ type: 'drm_gem_object_put', obj: o2 });
        return sut.call({ type: event.type, file, handle: h });
      }
      if (event.type === 'dma_resv_lock' || event.type === 'dma_resv_unlock') return sut.call({ type: event.type, obj, task: 't' });
      return sut.call({ type: event.type, obj });
    }
    if (event.deviceReleased === true) releaseDevice(sut);
    switch (event.type) {
      case 'drm_gem_object_get':
        return sut.call({ type: 'drm_gem_object_get', obj });
      case 'dma_resv_lock': {
        // Taken and given back, so the path goes on with the lock free.
        const r = sut.call({ type: 'dma_resv_lock', obj, task: 't' });
        expectThat(r.ok && r.violations.length === 0, `dma_resv_lock of a live object: ${JSON.stringify(r)}`);
        sut.must({ type: 'dma_resv_unlock', obj, task: 't' });
        return r;
      }
      case 'dma_resv_unlock':
        sut.must({ type: 'dma_resv_lock', obj, task: 't' });
        return sut.call({ type: 'dma_resv_unlock', obj, task: 't' });
      case 'drm_gem_object_put':
        if (event.last !== true) sut.must({ type: 'drm_gem_object_get', obj });
        return sut.call({ type: 'drm_gem_object_put', obj });
      case 'drm_gem_handle_create':
        // With the device released, the handle is asked for in a file of another device.
        if (event.deviceReleased === true) return sut.call({ type: 'drm_gem_handle_create', file: 'g', obj });
        if (event.hasHandles === true) handle();
        return sut.call({ type: 'drm_gem_handle_create', file, obj });
      case 'drm_gem_handle_delete': {
        const h = handle();
        if (event.lastHandle !== true) handle();
        if (event.last === true) sut.must({ type: 'drm_gem_object_put', obj });
        return sut.call({ type: 'drm_gem_handle_delete', file, handle: h });
      }
      case 'drm_gem_object_lookup': {
        const r = sut.call({ type: 'drm_gem_object_lookup', file, handle: handle() });
        expectThat(r.found === true && r.obj === obj, `lookup finds o: ${JSON.stringify(r)}`);
        return r;
      }
      case 'drm_gem_create_mmap_offset': {
        if (event.hasOffset === true) sut.must({ type: 'drm_gem_create_mmap_offset', obj });
        const r = sut.call({ type: 'drm_gem_create_mmap_offset', obj });
        if (r.ok) expectThat(r.offset === 0x100000000n, `the first offset is 4 GiB: ${String(r.offset)}`);
        return r;
      }
      case 'drm_gem_free_mmap_offset':
        return sut.call({ type: 'drm_gem_free_mmap_offset', obj });
      case 'drm_gem_flink': {
        const r = sut.call({ type: 'drm_gem_flink', file, handle: handle() });
        expectThat(r.name === 1, `the first name is 1: ${JSON.stringify(r)}`);
        return r;
      }
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    alive: (sut) => expectThat(sut.drm.objects.get('o')?.state === 'alive' && (sut.drm.objects.get('o')?.refcount ?? 0) >= 1, 'the object is alive'),
    freed: (sut) => {
      expectThat(sut.drm.objects.get('o')?.state === 'freed', 'the object is freed');
      expectThat(sut.probe({ type: 'drm_gem_object_get', obj: 'o' }).violations[0]?.kind === 'use_after_free', 'a get is a use_after_free');
    },
  },
};
