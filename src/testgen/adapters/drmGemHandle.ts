import type { AnyMachineSnapshot } from 'xstate';
import { OPEN_FAILS, drmGemHandleMachine } from '../../../machines/drmGemHandle.machine.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { DrmSut } from './drmSut.js';

/** Runs `drm_gem_handle` paths on handle 1 of file `f`: object `o`, and one object per open-callback errno. */
export const drmGemHandleAdapter: MachineAdapter<DrmSut> = {
  machine: drmGemHandleMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    // idr_alloc hands out the lowest free id, never a live one: a creation is asked of a free slot only.
    const list: MachineEvent[] = [...(s.value === 'live' ? [] : [{ type: 'drm_gem_handle_create' }]), { type: 'drm_gem_object_lookup' }, { type: 'drm_gem_handle_delete' }, { type: 'drm_gem_flink' }];
    if (s.value === 'free') for (const errno of OPEN_FAILS) list.push({ type: 'drm_gem_handle_create', open_fails: errno });
    return list;
  },
  setup(): DrmSut {
    const sut = new DrmSut();
    sut.registeredDrm('d', 'p');
    sut.must({ type: 'drm_open', file: 'f', drm: 'd' });
    sut.must({ type: 'drm_gem_object_init', obj: 'o', drm: 'd', size: '4096' });
    for (const errno of OPEN_FAILS) sut.must({ type: 'drm_gem_object_init', obj: `o_${errno}`, drm: 'd', size: '4096', open_fails: errno });
    return sut;
  },
  exec(sut, event, branch) {
    const file = 'f';
    switch (event.type) {
      case 'drm_gem_handle_create': {
        const obj = typeof event.open_fails === 'string' ? `o_${event.open_fails}` : 'o';
        const r = sut.call({ type: 'drm_gem_handle_create', file, obj });
        if (r.ok) expectThat(r.handle === (branch.source === 'live' ? 2 : 1), `the lowest free id: ${JSON.stringify(r)}`);
        return r;
      }
      case 'drm_gem_object_lookup': {
        const r = sut.call({ type: 'drm_gem_object_lookup', file, handle: 1 });
        if (r.found === true) sut.must({ type: 'drm_gem_object_put', obj: 'o' });
        return r;
      }
      case 'drm_gem_handle_delete':
      case 'drm_gem_flink':
        return sut.call({ type: event.type, file, handle: 1 });
      default:
        throw new Error(`no executor for ${event.type}`);
    }
  },
  checks: {
    free: (sut) => expectThat(sut.probe({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 }).found === false, 'handle 1 is not found'),
    live: (sut) => expectThat(sut.probe({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 }).obj === 'o', 'handle 1 names o'),
  },
};
