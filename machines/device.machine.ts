import { setup } from 'xstate';

/**
 * Lifecycle of a bus `struct device` as drivers see it: added, a driver bound, unbound.
 *
 * Kernel: [drivers/base/dd.c](https://github.com/torvalds/linux/blob/v6.17/drivers/base/dd.c) (probe,
 * device_release_driver), [drivers/base/devres.c](https://github.com/torvalds/linux/blob/v6.17/drivers/base/devres.c)
 * (devres_release_all); Rust: `Device<Bound>` (rust/kernel/device.rs), `Devres`
 * (rust/kernel/devres.rs), `drm::Registration::new_foreign_owned` (rust/kernel/drm/driver.rs).
 *
 * Modelled:
 * - binding (EBUSY when bound) and unbinding, which runs the devres actions last-registered-first;
 * - the unbind's wait for RCU readers when it revokes a `Devres` (a queued wait);
 * - the calls that need a bound device: `Devres::new`, `Registration::new_foreign_owned`.
 *
 * Abstracted away:
 * - the probe callback's own work: a bind is a successful probe;
 * - device removal (`device_del`): the device stays added.
 *
 * Invariants: drmTypeOk, everyDevresOfAnUnboundDeviceIsRevoked.
 *
 * Docs: docs/device.md.
 */

/** Calls on a bus device, with the facts the guards read. */
export type DeviceEvent =
  /** `device_driver_attach(drv, dev)`: 0 or `-EBUSY`. */
  | { readonly type: 'driver_bind' }
  /**
   * `device_release_driver(dev)`; `waits`: a Devres revocation must wait for RCU readers;
   * `ownGuard`: the unbinding task holds a Devres guard itself.
   */
  | { readonly type: 'device_unbind'; readonly waits: boolean; readonly ownGuard: boolean }
  /** `devm_add_action(dev, action, data)`: 0. */
  | { readonly type: 'devm_add_action' }
  /** `Devres::new(dev, data)`. */
  | { readonly type: 'devres_new' }
  /** `Registration::new_foreign_owned(drm, dev, flags)`; `otherParent`: `drm`'s parent is not `dev`. */
  | { readonly type: 'drm_registration_new_foreign_owned'; readonly otherParent: boolean };

const NOT_BOUND_RUST = {
  description: 'The device is not bound: the call needs a &Device<Bound>, which the type system only hands out while bound; bug_on, refused.',
  meta: { violation: 'bug_on', violations: [{ kind: 'bug_on', check: 'notBound' }], refused: true },
} as const;

const FOREIGN_NOT_BOUND = [
  { guard: 'isOtherParent', description: 'drm\'s parent is another device: EINVAL, nothing registered.', meta: { errno: 'EINVAL' } },
  NOT_BOUND_RUST,
] as const;

export const deviceMachine = setup({
  types: { events: {} as DeviceEvent },
  guards: {
    /** A `Devres` revocation finds RCU readers: `synchronize_rcu()` in `Revocable::revoke` must wait (rust/kernel/revocable.rs). */
    isWaitingForReaders: ({ event }) => event.type === 'device_unbind' && event.waits,
    /** The revocation's `synchronize_rcu()` would run inside the caller's own RCU read section (rust/kernel/revocable.rs). */
    isWaitingForItself: ({ event }) => event.type === 'device_unbind' && event.waits && event.ownGuard,
    /** `drm.as_ref().as_raw() != dev.as_raw()` in `Registration::new_foreign_owned` (rust/kernel/drm/driver.rs). */
    isOtherParent: ({ event }) => event.type === 'drm_registration_new_foreign_owned' && event.otherParent,
  },
}).createMachine({
  id: 'device',
  initial: 'added',
  states: {
    added: {
      description: 'device_add done: the struct device exists.',
      tags: ['alive'],
      initial: 'noDriver',
      // Calls every substate answers alike unless it says otherwise (no driver bound).
      on: {
        driver_bind: { target: '.bound', description: 'Probe succeeds: the driver is bound.' },
        device_unbind: { description: 'No driver bound: nothing to release.' },
        devm_add_action: { description: 'Appends the action to the device\'s devres list.', meta: { effects: ['devresAdd'] } },
        devres_new: NOT_BOUND_RUST,
        drm_registration_new_foreign_owned: FOREIGN_NOT_BOUND,
      },
      states: {
        noDriver: {
          description: 'No driver has bound yet.',
        },
        bound: {
          description: 'A driver is bound (dev->driver set): Device<Bound> exists.',
          on: {
            driver_bind: { description: 'A driver is bound already: EBUSY.', meta: { errno: 'EBUSY' } },
            device_unbind: [
              {
                guard: 'isWaitingForItself',
                description: 'The unbinding task holds a Devres guard: synchronize_rcu waits for itself; deadlock, refused.',
                meta: { violation: 'deadlock', violations: [{ kind: 'deadlock', check: 'ownGuard' }], refused: true },
              },
              {
                guard: 'isWaitingForReaders',
                target: 'unbound',
                description: 'Runs the devres actions last-registered-first up to a Devres revocation that waits for RCU readers: blocked and queued; the last guard drop finishes the release.',
                meta: { blocked: true, queued: true, effects: ['devresReleaseAll'] },
              },
              { target: 'unbound', description: 'Runs every devres action last-registered-first.', meta: { effects: ['devresReleaseAll'] } },
            ],
            devres_new: { description: 'Registers the Devres revocation as a devres action.', meta: { effects: ['devresAdd'] } },
            drm_registration_new_foreign_owned: [
              { guard: 'isOtherParent', description: 'drm\'s parent is another device: EINVAL, nothing registered.', meta: { errno: 'EINVAL' } },
              { description: 'Registers the device and hands the Registration to devres.', meta: { effects: ['devresAdd'] } },
            ],
          },
        },
        unbound: {
          description: 'The driver was unbound; its devres actions have run (or run once the unbind completes).',
        },
      },
    },
  },
});
