import { dmaFenceProtocol } from '../dma-fence/protocol.js';
import { drmMmProtocol } from '../drm-mm/protocol.js';
import { lockingProtocol } from '../locking/protocol.js';
import { mmProtocol } from '../mm/protocol.js';
import { drmProtocol } from '../drm/protocol.js';
import { type AnyProtocol, composeKernel } from './composeKernel.js';

/**
 * Every protocol the kernel composes, in a fixed order (the order of their slices in snapshots).
 * The one registration point: adding a protocol is its folder and one line here (see
 * docs/contributing.md).
 */
export const PROTOCOLS: readonly AnyProtocol[] = [
  dmaFenceProtocol as unknown as AnyProtocol,
  drmMmProtocol as unknown as AnyProtocol,
  lockingProtocol as unknown as AnyProtocol,
  mmProtocol as unknown as AnyProtocol,
  drmProtocol as unknown as AnyProtocol,
];

/** The kernel composed from {@link PROTOCOLS}: what the free functions (`apply`, `fingerprint`, …) use. */
export const KERNEL = composeKernel(PROTOCOLS);

/** The protocol that answers an event type, or undefined. */
export function protocolOf(type: string): AnyProtocol | undefined {
  return KERNEL.protocolOf(type);
}

/** Every event type the kernel answers, sorted. */
export function eventTypes(): string[] {
  return [...KERNEL.eventTypes];
}
