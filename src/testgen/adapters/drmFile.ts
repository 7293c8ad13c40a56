import { drmFileMachine } from '../../../machines/drmFile.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** File `f` on registered `d` with handle 1 to `o` (mmap offset `offset`); `o2` has an offset but no handle in `f`. */
export class FileSut extends DrmSut {
  offset = '0';
  offset2 = '0';
}

/** Runs `drm_file` paths against the kernel. */
export const drmFileAdapter: MachineAdapter<FileSut> = {
  machine: drmFileMachine,
  events: (): MachineEvent[] => [
    { type: 'drm_ioctl', unplugged: false },
    { type: 'drm_ioctl', unplugged: true },
    { type: 'drm_release' },
    { type: 'drm_gem_mmap', unplugged: true, found: true, allowed: true },
    { type: 'drm_gem_mmap', unplugged: false, found: false, allowed: false },
    { type: 'drm_gem_mmap', unplugged: false, found: true, allowed: false },
    { type: 'drm_gem_mmap', unplugged: false, found: true, allowed: true },
    { type: 'drm_gem_open_by_name', notGem: true, nameFound: false },
    { type: 'drm_gem_open_by_name', notGem: false, nameFound: false },
    { type: 'drm_gem_open_by_name', notGem: false, nameFound: true },
    { type: 'drm_gem_handle_create' },
    { type: 'drm_gem_object_lookup' },
    { type: 'drm_gem_handle_delete' },
    { type: 'drm_gem_flink', notGem: false },
    { type: 'drm_gem_flink', notGem: true },
  ],
  setup(): FileSut {
    const sut = new FileSut();
    sut.registeredDrm('d', 'p');
    sut.must({ type: 'drm_open', file: 'f', drm: 'd' });
    for (const obj of ['o', 'o2']) sut.must({ type: 'drm_gem_object_init', obj, drm: 'd', size: '8192' });
    sut.must({ type: 'drm_gem_handle_create', file: 'f', obj: 'o' });
    sut.offset = String(sut.must({ type: 'drm_gem_create_mmap_offset', obj: 'o' }).offset);
    sut.offset2 = String(sut.must({ type: 'drm_gem_create_mmap_offset', obj: 'o2' }).offset);
    // A device without DRIVER_GEM and a file on it, for the ioctls that check the feature.
    sut.boundDevice('pn');
    sut.must({ type: 'drm_dev_alloc', drm: 'dn', parent: 'pn', features: [] });
    sut.must({ type: 'drm_dev_register', drm: 'dn', flags: 0 });
    sut.must({ type: 'drm_open', file: 'fn', drm: 'dn' });
    return sut;
  },
  exec(sut, event, branch) {
    const file = 'f';
    const released = branch.source === 'released';
    if (!released && (event.unplugged === true)) sut.must({ type: 'drm_dev_unplug', drm: 'd', task: 'u' });
    switch (event.type) {
      case 'drm_ioctl':
        return sut.call({ type: 'drm_ioctl', file, task: 't' });
      case 'drm_release':
        return sut.call({ type: 'drm_release', file });
      case 'drm_gem_mmap': {
        const offset = event.found !== true ? (BigInt(sut.offset) + 4096n).toString() : event.allowed === true ? sut.offset : sut.offset2;
        return sut.call({ type: 'drm_gem_mmap', file, offset, len: '8192', vma: sut.fresh('vma') });
      }
      case 'drm_gem_open_by_name': {
        if (event.notGem === true && !released) return sut.call({ type: 'drm_gem_open_by_name', file: 'fn', name: 1 });
        let name = 99;
        if (event.nameFound === true && !released) name = sut.must({ type: 'drm_gem_flink', file, handle: 1 }).name as number;
        return sut.call({ type: 'drm_gem_open_by_name', file, name });
      }
      case 'drm_gem_handle_create':
        return sut.call({ type: 'drm_gem_handle_create', file, obj: 'o2' });
      case 'drm_gem_object_lookup': {
        const r = sut.call({ type: 'drm_gem_object_lookup', file, handle: 1 });
        if (r.found === true) sut.must({ type: 'drm_gem_object_put', obj: 'o' });
        return r;
      }
      case 'drm_gem_handle_delete': {
        if (released) return sut.call({ type: 'drm_gem_handle_delete', file, handle: 1 });
        const h = sut.must({ type: 'drm_gem_handle_create', file, obj: 'o2' }).handle as number;
        return sut.call({ type: 'drm_gem_handle_delete', file, handle: h });
      }
      case 'drm_gem_flink':
        return sut.call({ type: 'drm_gem_flink', file: event.notGem === true && !released ? 'fn' : file, handle: 1 });
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    open: (sut) => {
      expectThat(sut.drm.files.get('f')?.state === 'open', 'the file is open');
      expectThat(sut.probe({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 }).found === true, 'its handle 1 is found');
    },
    released: (sut) => {
      expectThat(sut.drm.files.get('f')?.state === 'released', 'the file is released');
      expectThat(sut.probe({ type: 'drm_ioctl', file: 'f', task: 't' }).violations[0]?.kind === 'use_after_free', 'an ioctl is a use_after_free');
    },
  },
};
