import { Kernel } from '../../kernel/Kernel.js';
import { toJsonValue } from '../../world/fields.js';
import type { Outcome } from '../../world/Outcome.js';
import { expectThat } from '../MachineAdapter.js';

/**
 * A kernel for the drm adapters with the calls they share: `call` makes one call, `must` one the
 * path's setup needs to succeed (it throws otherwise, failing the path).
 */
export class DrmSut {
  readonly kernel = new Kernel();
  /** A counter for fresh names. */
  n = 0;

  call(event: { readonly type: string; readonly [field: string]: unknown }): Outcome {
    return this.kernel.callJson(event);
  }

  must(event: { readonly type: string; readonly [field: string]: unknown }): Outcome {
    const r = this.call(event);
    if (!r.ok) expectThat(false, `${event.type} ${JSON.stringify(event)} answered ${JSON.stringify(toJsonValue(r))}`);
    return r;
  }

  fresh(prefix: string): string {
    return `${prefix}${++this.n}`;
  }

  /** A bound bus device `dev`. */
  boundDevice(dev: string): void {
    this.must({ type: 'device_add', dev });
    this.must({ type: 'driver_bind', dev });
  }

  /** A registered DRM device `drm` on a new bound parent `parent`. */
  registeredDrm(drm: string, parent: string): void {
    this.boundDevice(parent);
    this.must({ type: 'drm_dev_alloc', drm, parent });
    this.must({ type: 'drm_dev_register', drm, flags: 0 });
  }

  /** The drm slice of the current world. */
  get drm() {
    return this.kernel.world.drm;
  }

  /** A probe on a fork of the kernel: the answer of one call, the system left as it is. */
  probe(event: { readonly type: string; readonly [field: string]: unknown }): Outcome {
    return this.kernel.fork().callJson(event);
  }
}
