import type { BranchTrace } from '../../machines/machineTable.js';
import type { Event } from '../world/Event.js';
import type { ApplyResult } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import type { TryApplyResult } from './composeKernel.js';
import { KERNEL } from './protocols.js';

/**
 * The world before any call: no objects, no tasks.
 *
 * @example
 *   const w = initialWorld();
 */
export function initialWorld(): World {
  return KERNEL.initialWorld();
}

/**
 * Checks that a value is an event of a known type.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT`.
 */
export function checkEvent(event: unknown): Event {
  return KERNEL.checkEvent(event);
}

/**
 * Applies one kernel call to a world: pure, returns the new world and the outcome.
 *
 * Kernel findings (WARN, BUG, use-after-free, …) are `violations` on the outcome, never thrown.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` for a bad event, `UNKNOWN_OBJECT` for a name never
 *   created. The input world is never changed.
 * @example
 *   const { world, outcome } = apply(initialWorld(), { type: 'dma_fence_context_alloc', ctx: 'c' });
 *   outcome.context; // 1n
 */
export function apply(world: World, event: unknown, options?: { readonly trace?: BranchTrace }): ApplyResult {
  return KERNEL.apply(world, event, options);
}

/**
 * {@link apply} for explorers: misuse (a name never created, a malformed event) comes back as data —
 * `{ misuse: { code, message, field, object } }` — instead of a thrown `DrmstateError`, and a
 * never-created name builds no `Error` at all.
 *
 * @example
 *   const r = tryApply(initialWorld(), { type: 'dma_fence_signal', fence: 'f' });
 *   r.misuse?.object; // 'f'
 */
export function tryApply(world: World, event: unknown, options?: { readonly trace?: BranchTrace }): TryApplyResult {
  return KERNEL.tryApply(world, event, options);
}
