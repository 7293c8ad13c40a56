import type { AnyMachineSnapshot } from 'xstate';
import { drmRegistrationMachine } from '../../../machines/drmRegistration.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** A caller-owned registration `r` (of `d1`) and a foreign-owned one `rf` (of `d2`), both on parent `p`; which one a path dropped. */
export class RegistrationSut extends DrmSut {
  dropped: 'r' | 'rf' | undefined;
}

/** Runs `drm_registration` paths against the kernel. */
export const drmRegistrationAdapter: MachineAdapter<RegistrationSut> = {
  machine: drmRegistrationMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const list: MachineEvent[] = [
      { type: 'drm_registration_drop', foreign: false, byDevres: false },
      { type: 'drm_registration_drop', foreign: true, byDevres: false },
    ];
    if (s.value === 'registered') list.push({ type: 'drm_registration_drop', foreign: true, byDevres: true });
    return list;
  },
  setup(): RegistrationSut {
    const sut = new RegistrationSut();
    sut.boundDevice('p');
    sut.must({ type: 'drm_dev_alloc', drm: 'd1', parent: 'p' });
    sut.must({ type: 'drm_dev_alloc', drm: 'd2', parent: 'p' });
    sut.must({ type: 'drm_registration_new', reg: 'r', drm: 'd1', flags: 0 });
    sut.must({ type: 'drm_registration_new_foreign_owned', reg: 'rf', drm: 'd2', parent: 'p', flags: 0 });
    return sut;
  },
  exec(sut, event, branch) {
    if (branch.source === 'dropped') return sut.call({ type: 'drm_registration_drop', reg: sut.dropped as string });
    if (event.byDevres === true) {
      const r = sut.call({ type: 'device_unbind', dev: 'p' });
      sut.dropped = 'rf';
      return r;
    }
    const reg = event.foreign === true ? 'rf' : 'r';
    const r = sut.call({ type: 'drm_registration_drop', reg });
    if (r.ok) sut.dropped = reg;
    return r;
  },
  checks: {
    registered: (sut) => {
      for (const [reg, drm] of [['r', 'd1'], ['rf', 'd2']] as const) {
        expectThat(sut.drm.regs.get(reg)?.state === 'registered', `${reg} is registered`);
        expectThat(sut.drm.drms.get(drm)?.refcount === 2, `${reg} holds a reference on ${drm}`);
      }
    },
    dropped: (sut) => {
      const drm = sut.dropped === 'r' ? 'd1' : 'd2';
      expectThat(sut.drm.regs.get(sut.dropped as string)?.state === 'dropped', 'the registration is dropped');
      expectThat(sut.drm.drms.get(drm)?.state === 'referenced.unregistered' && sut.drm.drms.get(drm)?.refcount === 1, `${drm} is unregistered, its reference dropped`);
    },
  },
};
