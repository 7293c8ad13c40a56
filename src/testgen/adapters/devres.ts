import { devresMachine } from '../../../machines/devres.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** Runs `devres` paths: Devres `res` of bound device `p` (and a bound device `q`); task `g` may hold a guard from before a revocation. */
export const devresAdapter: MachineAdapter<DrmSut> = {
  machine: devresMachine,
  events: (snap): MachineEvent[] => [
    // First: the shortest path to `revoked` revokes under a guard, so a guard taken before the revocation exists there.
    // A revocation runs once: its devres action leaves the device's list, so no later unbind reaches a revoked Devres.
    ...(snap.matches('initialised.revoked')
      ? []
      : [
          { type: 'device_unbind', readers: true },
          { type: 'device_unbind', readers: false },
        ]),
    { type: 'devres_try_access' },
    { type: 'devres_guard_drop', holdsGuard: true },
    { type: 'devres_guard_drop', holdsGuard: false },
    { type: 'devres_guard_deref', holdsGuard: true },
    { type: 'devres_guard_deref', holdsGuard: false },
    { type: 'devres_access', otherDevice: true, unbound: false },
    { type: 'devres_access', otherDevice: false, unbound: false },
    { type: 'devres_access', otherDevice: false, unbound: true },
  ],
  setup(): DrmSut {
    const sut = new DrmSut();
    sut.boundDevice('p');
    sut.boundDevice('q');
    sut.must({ type: 'devres_new', res: 'res', dev: 'p' });
    return sut;
  },
  exec(sut, event, branch) {
    const res = 'res';
    const revoked = branch.source === 'initialised.revoked';
    const guarded = (): boolean => sut.drm.tasks.get('g')?.guards.some((x) => x.on === res) === true;
    switch (event.type) {
      case 'device_unbind': {
        if (revoked) {
          // A later bind and unbind: the revoked Devres is no longer among the device's actions.
          sut.must({ type: 'driver_bind', dev: 'p' });
          return sut.call({ type: 'device_unbind', dev: 'p', task: 'u2' });
        }
        if (event.readers === true) sut.must({ type: 'devres_try_access', res, task: 'g' });
        return sut.call({ type: 'device_unbind', dev: 'p', task: 'u' });
      }
      case 'devres_try_access': {
        const r = sut.call({ type: 'devres_try_access', res, task: 't' });
        if (r.available === true) sut.must({ type: 'devres_guard_drop', res, task: 't' });
        return r;
      }
      case 'devres_guard_drop':
      case 'devres_guard_deref': {
        if (event.holdsGuard !== true) return sut.call({ type: event.type, res, task: 'nobody' });
        if (!guarded()) sut.must({ type: 'devres_try_access', res, task: 'g' });
        const r = sut.call({ type: event.type, res, task: 'g' });
        if (event.type === 'devres_guard_deref' && !revoked) sut.must({ type: 'devres_guard_drop', res, task: 'g' });
        return r;
      }
      case 'devres_access': {
        if (event.unbound === true && !revoked) {
          // A Devres registered later is revoked first and waits for its reader: `res` is still valid, the device unbinding.
          sut.must({ type: 'devres_new', res: 'late', dev: 'p' });
          sut.must({ type: 'devres_try_access', res: 'late', task: 'lateReader' });
          expectThat(sut.call({ type: 'device_unbind', dev: 'p', task: 'u' }).queued === true, 'the unbind waits');
          expectThat(sut.drm.devres.get(res)?.state === 'initialised.valid', 'res is not revoked yet');
        }
        return sut.call({ type: 'devres_access', res, dev: event.otherDevice === true ? 'q' : 'p' });
      }
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    'initialised.valid': (sut) => expectThat(sut.probe({ type: 'devres_try_access', res: 'res', task: 'probe' }).available === true, 'try_access answers available'),
    'initialised.revoked': (sut) => {
      expectThat(sut.probe({ type: 'devres_try_access', res: 'res', task: 'probe' }).available === false, 'try_access answers None');
      expectThat(sut.drm.devres.get('res')?.state === 'initialised.revoked', 'the Devres is revoked');
    },
  },
};
