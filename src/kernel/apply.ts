import type { BranchTrace } from '../../machines/machineTable.js';
import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type World, emptyTasks } from '../world/World.js';
import { PROTOCOLS, eventTypes, protocolOf } from './protocols.js';

/**
 * The world before any call: no objects, no tasks.
 *
 * @example
 *   const w = initialWorld();
 */
export function initialWorld(): World {
  const w: Record<string, unknown> = { tasks: emptyTasks() };
  for (const p of PROTOCOLS) w[p.key] = p.initial();
  return Object.freeze(w) as unknown as World;
}

/**
 * Checks that a value is an event of a known type.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT`.
 */
export function checkEvent(event: unknown): Event {
  return checked(event).event;
}

function checked(event: unknown): { event: Event; protocol: (typeof PROTOCOLS)[number] } {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw new DrmstateError('MALFORMED_EVENT', `an event must be an object with a "type", got ${JSON.stringify(event)}`);
  const type = (event as { type?: unknown }).type;
  if (typeof type !== 'string') throw new DrmstateError('MALFORMED_EVENT', 'an event needs a string "type" (the kernel function)', { field: 'type' });
  const protocol = protocolOf(type);
  if (protocol === undefined) {
    const near = eventTypes().filter((t) => t.startsWith(type.split('_').slice(0, 2).join('_')));
    throw new DrmstateError(
      'MALFORMED_EVENT',
      `unknown event type "${type}"${near.length ? ` (did you mean one of: ${near.slice(0, 6).join(', ')})` : ''}`,
      { field: 'type' },
    );
  }
  return { event: event as Event, protocol };
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
  const { event: ev, protocol } = checked(event);
  return protocol.apply(world, protocol.decode(ev), options?.trace);
}
