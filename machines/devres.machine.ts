import { setup } from 'xstate';

/**
 * Lifecycle of a Rust `Devres<T>`: valid while the device is bound, revoked at unbind.
 *
 * Kernel: [rust/kernel/devres.rs](https://github.com/torvalds/linux/blob/v6.17/rust/kernel/devres.rs)
 * (`Devres::new`, `devres_callback`, `try_access`, `access`),
 * [rust/kernel/revocable.rs](https://github.com/torvalds/linux/blob/v6.17/rust/kernel/revocable.rs)
 * (`try_access`, `revoke`: `synchronize_rcu` then drop).
 *
 * Modelled:
 * - `try_access`: a guard (an RCU read section of the task) while valid, `None` after revocation;
 * - revocation at unbind (the unbind waits for RCU readers: a queued wait the protocol keeps);
 * - `access(&Device<Bound>)`: EINVAL for another device; on a revoked resource a use-after-free
 *   (the type system forbids the call; the model shows what it would touch);
 * - using the resource through a guard already dropped, after revocation: a use-after-free;
 * - a guard is an RCU read section (`rcu_read_lock` in the locking protocol): the task is atomic
 *   while it lives, so a sleep under it is the locking protocol's `might_sleep`.
 *
 * Abstracted away:
 * - the drop of the `Devres` itself (`revoke_nosync` + `devm_remove_action`): no event names it;
 *
 * Invariants: drmTypeOk, everyDevresOfAnUnboundDeviceIsRevoked.
 *
 * Docs: docs/device.md.
 */

/** Calls on a Devres, with the facts the guards read. */
export type DevresEvent =
  | { readonly type: 'devres_try_access' }
  /** `holdsGuard`: the task holds a guard on this resource. */
  | { readonly type: 'devres_guard_drop'; readonly holdsGuard: boolean }
  | { readonly type: 'devres_guard_deref'; readonly holdsGuard: boolean }
  /**
   * `otherDevice`: `dev` is not the device the Devres was created with; `unbound`: the device is
   * no longer bound (an unbind is under way, its revocation of this Devres still to come).
   */
  | { readonly type: 'devres_access'; readonly otherDevice: boolean; readonly unbound: boolean }
  /** The devres action at unbind (`devres_callback`); `readers`: some task holds an RCU read section (a guard). */
  | { readonly type: 'device_unbind'; readonly readers: boolean };

const GUARD_DROP = [
  { guard: 'holdsGuard', description: 'rcu_read_unlock: the guard ends (an unbind waiting for readers may complete).', meta: { effects: ['rcuReadUnlock'] } },
  {
    description: 'The task holds no guard on this resource: rcu_read_unlock without a lock; lockdep, refused.',
    meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'noGuard' }], refused: true },
  },
] as const;
const OTHER_DEVICE = { guard: 'isOtherDevice', description: 'dev is not the Devres\'s device: EINVAL.', meta: { errno: 'EINVAL' } } as const;

export const devresMachine = setup({
  types: { events: {} as DevresEvent },
  guards: {
    /** The task's `RevocableGuard` on this resource is alive (rust/kernel/revocable.rs). */
    holdsGuard: ({ event }) => (event.type === 'devres_guard_drop' || event.type === 'devres_guard_deref') && event.holdsGuard,
    /** `self.dev.as_raw() != dev.as_raw()` in `Devres::access` (rust/kernel/devres.rs). */
    isOtherDevice: ({ event }) => event.type === 'devres_access' && event.otherDevice,
    /** The device is not bound: no `&Device<Bound>` can be shown (rust/kernel/device.rs). */
    isUnbound: ({ event }) => event.type === 'devres_access' && event.unbound,
    /** `synchronize_rcu()` in `Revocable::revoke` finds RCU readers (rust/kernel/revocable.rs). */
    hasReaders: ({ event }) => event.type === 'device_unbind' && event.readers,
  },
}).createMachine({
  id: 'devres',
  initial: 'initialised',
  states: {
    initialised: {
      description: 'Devres::new succeeded: the Revocable and its devres action exist.',
      tags: ['alive'],
      initial: 'valid',
      // A guard is an RCU read section of its task: dropping and using it read no Devres state.
      on: {
        devres_guard_drop: GUARD_DROP,
        devres_guard_deref: [
          { guard: 'holdsGuard', description: 'Reads the resource through a live guard (a revocation waits for it).' },
          { description: 'No guard, but not revoked: the data is still there.' },
        ],
      },
      states: {
        valid: {
          description: 'is_available: the resource may be used through try_access or access.',
          on: {
            devres_try_access: { description: 'rcu_read_lock, available: a guard; returns available true.', meta: { returns: { available: true }, effects: ['rcuReadLock'] } },
            devres_access: [
          OTHER_DEVICE,
          {
            guard: 'isUnbound',
            description: 'The device is unbinding (this revocation still to come): no &Device<Bound> exists; use_after_free, refused.',
            meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'unbound' }], refused: true },
          },
          { description: 'The same, bound device: a reference without RCU.' },
        ],
            device_unbind: [
              {
                guard: 'hasReaders',
                target: 'revoked',
                description: 'devres_callback: revoke (is_available = false); synchronize_rcu waits for the readers: the unbind is blocked and queued, the data dropped after.',
                meta: { blocked: true, queued: true, effects: ['revoke'] },
              },
              { target: 'revoked', description: 'devres_callback: revoke, no RCU reader, the data dropped.', meta: { effects: ['revoke'] } },
            ],
          },
        },
        revoked: {
          description: 'Revoked at unbind: try_access answers None forever; the data is dropped once the readers are gone.',
          on: {
            devres_try_access: { description: 'Revoked: returns available false (None).', meta: { returns: { available: false } } },
            devres_guard_deref: [
              { guard: 'holdsGuard', description: 'A guard taken before the revocation: the revoke waits for it, the data is still there.' },
              {
                description: 'The guard was dropped and the resource revoked: the data is gone; use_after_free, refused.',
                meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'guardDropped' }], refused: true },
              },
            ],
            devres_access: [
              OTHER_DEVICE,
              {
                description: 'Device unbound: no &Device<Bound> can exist, the data was dropped; use_after_free, refused.',
                meta: { violation: 'use_after_free', violations: [{ kind: 'use_after_free', check: 'unbound' }], refused: true },
              },
            ],
          },
        },
      },
    },
  },
});
