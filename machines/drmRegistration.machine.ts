import { setup } from 'xstate';

/**
 * Lifecycle of a Rust `drm::Registration<T>`: registered until dropped.
 *
 * Kernel: [rust/kernel/drm/driver.rs](https://github.com/torvalds/linux/blob/v6.17/rust/kernel/drm/driver.rs)
 * (`Registration::new`, `new_foreign_owned`, `Drop`), [rust/kernel/devres.rs](https://github.com/torvalds/linux/blob/v6.17/rust/kernel/devres.rs)
 * (`devres::register`).
 *
 * Modelled:
 * - the drop: `drm_dev_unregister` (not unplug), then the registration's `ARef` put;
 * - a foreign-owned registration is owned by devres: dropped at unbind; an explicit drop of it, or a
 *   second drop, is a double free.
 *
 * Abstracted away:
 * - creation: the DRM device's machine decides the register, the parent's the EINVAL and the bound
 *   check; the registration starts here registered.
 *
 * Invariants: drmTypeOk.
 *
 * Docs: docs/device.md.
 */

/** The drop of a registration; `foreign`: owned by devres; `byDevres`: the devres action runs it at unbind. */
export type DrmRegistrationEvent = { readonly type: 'drm_registration_drop'; readonly foreign: boolean; readonly byDevres: boolean };

const DOUBLE_FREE = {
  description: 'Dropped already: a second drop frees the registration twice; double_free, refused.',
  meta: { violation: 'double_free', violations: [{ kind: 'double_free', check: 'dropped' }], refused: true },
} as const;

export const drmRegistrationMachine = setup({
  types: { events: {} as DrmRegistrationEvent },
  guards: {
    /** The Registration was moved into devres (`devres::register`): only the devres action may drop it (rust/kernel/devres.rs). */
    isForeignOwnedExplicitDrop: ({ event }) => event.foreign && !event.byDevres,
  },
}).createMachine({
  id: 'drm_registration',
  initial: 'registered',
  states: {
    registered: {
      description: 'drm_dev_register succeeded; the Registration holds a device reference.',
      tags: ['alive'],
      on: {
        drm_registration_drop: [
          {
            guard: 'isForeignOwnedExplicitDrop',
            description: 'The registration belongs to devres (KBox handed to devm_add_action_or_reset): an explicit drop frees it twice; double_free, refused.',
            meta: { violation: 'double_free', violations: [{ kind: 'double_free', check: 'foreignOwned' }], refused: true },
          },
          { target: 'dropped', description: 'Drop: drm_dev_unregister, then drm_dev_put of the registration\'s reference.', meta: { effects: ['drmDevUnregister', 'drmDevPut'] } },
        ],
      },
    },
    dropped: {
      type: 'final',
      description: 'Dropped: the device is unregistered and the registration\'s reference is gone.',
      tags: ['released'],
      on: { drm_registration_drop: DOUBLE_FREE },
    },
  },
});
