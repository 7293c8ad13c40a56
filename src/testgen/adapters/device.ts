import type { AnyMachineSnapshot } from 'xstate';
import { deviceMachine } from '../../../machines/device.machine.js';
import { leafOf } from '../generatePaths.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** Runs `device` (bus device) paths: device `d`, and a bound device `other` with a DRM device `drmo`. */
export const deviceAdapter: MachineAdapter<DrmSut> = {
  machine: deviceMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const list: MachineEvent[] = [
      { type: 'driver_bind' },
      { type: 'device_unbind', waits: false, ownGuard: false },
      { type: 'devm_add_action' },
      { type: 'devres_new' },
      { type: 'drm_registration_new_foreign_owned', otherParent: false },
      { type: 'drm_registration_new_foreign_owned', otherParent: true },
    ];
    if (leafOf(s) === 'added.bound') list.push({ type: 'device_unbind', waits: true, ownGuard: false }, { type: 'device_unbind', waits: true, ownGuard: true });
    return list;
  },
  setup(): DrmSut {
    const sut = new DrmSut();
    sut.must({ type: 'device_add', dev: 'd' });
    sut.boundDevice('other');
    sut.must({ type: 'drm_dev_alloc', drm: 'drmo', parent: 'other' });
    return sut;
  },
  exec(sut, event) {
    switch (event.type) {
      case 'driver_bind':
        return sut.call({ type: 'driver_bind', dev: 'd' });
      case 'device_unbind': {
        if (event.ownGuard === true) {
          const res = sut.fresh('r');
          sut.must({ type: 'devres_new', res, dev: 'd' });
          sut.must({ type: 'devres_try_access', res, task: 'unbinder' });
          const r = sut.call({ type: 'device_unbind', dev: 'd', task: 'unbinder' });
          sut.must({ type: 'devres_guard_drop', res, task: 'unbinder' });
          return r;
        }
        if (event.waits === true) {
          const res = sut.fresh('r');
          sut.must({ type: 'devres_new', res, dev: 'd' });
          const g = sut.must({ type: 'devres_try_access', res, task: 'reader' });
          expectThat(g.available === true, 'the guard is taken');
          const r = sut.call({ type: 'device_unbind', dev: 'd', task: 'unbinder' });
          expectThat(r.queued === true, `the unbind waits for the reader: ${JSON.stringify(r)}`);
          expectThat(sut.drm.devres.get(res)?.state === 'initialised.revoked', 'the Devres is revoked in the first phase');
          return r;
        }
        return sut.call({ type: 'device_unbind', dev: 'd' });
      }
      case 'devm_add_action':
        return sut.call({ type: 'devm_add_action', dev: 'd', action: sut.fresh('a') });
      case 'devres_new':
        return sut.call({ type: 'devres_new', res: sut.fresh('r'), dev: 'd' });
      case 'drm_registration_new_foreign_owned': {
        if (event.otherParent === true) return sut.call({ type: event.type, reg: sut.fresh('reg'), drm: 'drmo', parent: 'd', flags: 0 });
        const drm = sut.fresh('drm');
        sut.must({ type: 'drm_dev_alloc', drm, parent: 'd' });
        return sut.call({ type: event.type, reg: sut.fresh('reg'), drm, parent: 'd', flags: 0 });
      }
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    'added.noDriver': (sut) => {
      expectThat(sut.drm.devices.get('d')?.state === 'added.noDriver', 'the device is added');
      expectThat(sut.probe({ type: 'driver_bind', dev: 'd' }).ok, 'a driver may bind');
    },
    'added.bound': (sut) => {
      expectThat(sut.drm.devices.get('d')?.state === 'added.bound', 'the device is bound');
      expectThat(sut.probe({ type: 'driver_bind', dev: 'd' }).errno === 'EBUSY', 'a second bind answers EBUSY');
    },
    'added.unbound': (sut) => {
      expectThat(sut.drm.devices.get('d')?.state === 'added.unbound', 'the device is unbound');
      expectThat(sut.probe({ type: 'devres_new', res: 'probe', dev: 'd' }).violations[0]?.kind === 'bug_on', 'Devres::new needs a bound device');
    },
  },
};
