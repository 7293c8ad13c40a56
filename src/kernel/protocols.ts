import { dmaFenceProtocol } from '../dma-fence/protocol.js';
import { drmMmProtocol } from '../drm-mm/protocol.js';
import type { Protocol } from '../world/Protocol.js';

/**
 * Every protocol the kernel composes, in a fixed order (the order of their slices in snapshots and
 * fingerprints).
 */
export const PROTOCOLS: readonly Protocol<never, unknown>[] = [
  dmaFenceProtocol as unknown as Protocol<never, unknown>,
  drmMmProtocol as unknown as Protocol<never, unknown>,
];

const BY_EVENT = new Map<string, Protocol<never, unknown>>();
for (const p of PROTOCOLS) for (const type of Object.keys(p.events)) BY_EVENT.set(type, p);

/** The protocol that answers an event type, or undefined. */
export function protocolOf(type: string): Protocol<never, unknown> | undefined {
  return BY_EVENT.get(type);
}

/** Every event type the kernel answers, sorted. */
export function eventTypes(): string[] {
  return [...BY_EVENT.keys()].sort();
}
