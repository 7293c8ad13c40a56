import type { AnyMachineSnapshot } from 'xstate';
import { drmDeviceMachine } from '../../../machines/drmDevice.machine.js';
import { leafOf } from '../generatePaths.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** The DRM device under test (`drm`, parent `p`), and `other` (parent `p2`) whose sections readers hold. */
export class DrmDeviceSut extends DrmSut {
  /** Tasks holding a section on `other`, which an unplug of `drm` waits for. */
  readonly readers: string[] = [];
}

const UNPLUG = (ownSection: boolean, readers: boolean, woken = false): MachineEvent => ({ type: 'drm_dev_unplug', ownSection, readers, woken });

/** Runs `drm_device` paths against the kernel. */
export const drmDeviceAdapter: MachineAdapter<DrmDeviceSut> = {
  machine: drmDeviceMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const leaf = leafOf(s);
    const unplugged = leaf.startsWith('referenced.unplugged');
    const list: MachineEvent[] = [
      { type: 'drm_dev_get' },
      { type: 'drm_dev_put', last: false },
      { type: 'drm_dev_put', last: true },
      { type: 'drm_dev_register' },
      { type: 'drm_dev_unregister' },
      UNPLUG(true, true),
      UNPLUG(false, true),
      { type: 'drm_dev_enter' },
      { type: 'drm_dev_exit', inSection: false },
      { type: 'drm_dev_is_unplugged' },
      { type: 'drm_open' },
      { type: 'drm_gem_object_init', misaligned: true, oversized: false },
      { type: 'drm_gem_object_init', misaligned: false, oversized: true },
      { type: 'drm_gem_object_init', misaligned: false, oversized: false },
    ];
    if (leaf !== 'referenced.unplugged.synchronizing') list.push(UNPLUG(false, false));
    if (leaf === 'referenced.unplugged.synchronizing') list.push(UNPLUG(false, true, true));
    // Released: the section a task entered before the last put (see exec's drm_dev_put).
    if (!unplugged) list.push({ type: 'drm_dev_exit', inSection: true });
    return list;
  },
  setup(): DrmDeviceSut {
    const sut = new DrmDeviceSut();
    sut.boundDevice('p');
    sut.boundDevice('p2');
    sut.must({ type: 'drm_dev_alloc', drm: 'drm', parent: 'p' });
    sut.must({ type: 'drm_dev_alloc', drm: 'other', parent: 'p2' });
    return sut;
  },
  exec(sut, event, branch) {
    const drm = 'drm';
    switch (event.type) {
      case 'drm_dev_get':
        return sut.call({ type: 'drm_dev_get', drm });
      case 'drm_dev_put': {
        if (branch.source !== 'released') {
          if (event.last === true) {
            while ((sut.drm.drms.get(drm)?.refcount ?? 0) > 1) sut.must({ type: 'drm_dev_put', drm });
            // A task inside a section outlives the device: its drm_dev_exit comes after the release.
            sut.must({ type: 'drm_dev_enter', drm, task: 'late' });
          } else sut.must({ type: 'drm_dev_get', drm });
        }
        return sut.call({ type: 'drm_dev_put', drm });
      }
      case 'drm_dev_register':
        return sut.call({ type: 'drm_dev_register', drm, flags: 0 });
      case 'drm_dev_unregister':
        return sut.call({ type: 'drm_dev_unregister', drm });
      case 'drm_dev_unplug': {
        if (event.woken === true) {
          let last = sut.call({ type: 'drm_dev_exit', drm: 'other', task: sut.readers.pop() as string });
          while (sut.readers.length > 0) last = sut.call({ type: 'drm_dev_exit', drm: 'other', task: sut.readers.pop() as string });
          expectThat(Array.isArray(last.woke), `the last exit wakes the unplug: ${JSON.stringify(last)}`);
          return last;
        }
        if (event.ownSection === true) {
          sut.must({ type: 'drm_dev_enter', drm: 'other', task: 'self' });
          const r = sut.call({ type: 'drm_dev_unplug', drm, task: 'self' });
          sut.must({ type: 'drm_dev_exit', drm: 'other', task: 'self' });
          return r;
        }
        if (event.readers === true) {
          const reader = sut.fresh('reader');
          sut.must({ type: 'drm_dev_enter', drm: 'other', task: reader });
          sut.readers.push(reader);
        }
        return sut.call({ type: 'drm_dev_unplug', drm, task: sut.fresh('unplugger') });
      }
      case 'drm_dev_enter': {
        const task = sut.fresh('e');
        const r = sut.call({ type: 'drm_dev_enter', drm, task });
        if (r.entered === true) sut.must({ type: 'drm_dev_exit', drm, task });
        return r;
      }
      case 'drm_dev_exit': {
        if (event.inSection !== true) return sut.call({ type: 'drm_dev_exit', drm, task: 'nobody' });
        if (branch.source === 'released') {
          expectThat(sut.drm.tasks.get('late')?.sections.some((x) => x.on === drm) === true, 'a section entered before the release');
          return sut.call({ type: 'drm_dev_exit', drm, task: 'late' });
        }
        const task = sut.fresh('x');
        expectThat(sut.must({ type: 'drm_dev_enter', drm, task }).entered === true, 'entered');
        return sut.call({ type: 'drm_dev_exit', drm, task });
      }
      case 'drm_dev_is_unplugged':
        return sut.call({ type: 'drm_dev_is_unplugged', drm });
      case 'drm_open': {
        const file = sut.fresh('f');
        const r = sut.call({ type: 'drm_open', file, drm });
        if (r.ok) sut.must({ type: 'drm_release', file });
        return r;
      }
      case 'drm_gem_object_init': {
        const obj = sut.fresh('o');
        const size = event.misaligned === true ? '4097' : event.oversized === true ? '9223372036854775808' : '4096';
        const r = sut.call({ type: 'drm_gem_object_init', obj, drm, size });
        if (r.ok) sut.must({ type: 'drm_gem_object_put', obj });
        return r;
      }
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    'referenced.allocated': (sut) => expectThat(sut.probe({ type: 'drm_open', file: 'probe', drm: 'drm' }).errno === 'ENODEV', 'open answers ENODEV before register'),
    'referenced.registered': (sut) => expectThat(sut.probe({ type: 'drm_open', file: 'probe', drm: 'drm' }).ok, 'open works while registered'),
    'referenced.unregistered': (sut) => {
      expectThat(sut.probe({ type: 'drm_open', file: 'probe', drm: 'drm' }).errno === 'ENODEV', 'open answers ENODEV after unregister');
      expectThat(sut.probe({ type: 'drm_dev_enter', drm: 'drm', task: 'probe' }).entered === true, 'drm_dev_enter still succeeds');
    },
    'referenced.unplugged': (sut) => {
      expectThat(sut.probe({ type: 'drm_dev_is_unplugged', drm: 'drm' }).unplugged === true, 'is_unplugged answers true');
      expectThat(sut.probe({ type: 'drm_dev_enter', drm: 'drm', task: 'probe' }).entered === false, 'drm_dev_enter answers false');
    },
    'referenced.unplugged.synchronizing': (sut) => expectThat([...sut.drm.tasks.entries()].some(([, t]) => t.waiting?.kind === 'unplug'), 'an unplug waits'),
    'referenced.unplugged.synchronized': (sut) => expectThat(sut.drm.drms.get('drm')?.registered === false, 'the device is unregistered'),
    released: (sut) => expectThat(sut.probe({ type: 'drm_dev_get', drm: 'drm' }).violations[0]?.kind === 'use_after_free', 'drm_dev_get is a use_after_free'),
  },
};
