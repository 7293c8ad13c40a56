import { DrmstateError } from '../errors.js';
import type { World } from '../world/World.js';

/** The flag bits of a fence, as a driver reads them with `test_bit()` on `fence->flags`. */
export interface FenceFlags {
  /** `DMA_FENCE_FLAG_SIGNALED_BIT`. */
  readonly signaled: boolean;
  /** `DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT`. */
  readonly enableSignal: boolean;
  /** `DMA_FENCE_FLAG_SEQNO64_BIT`. */
  readonly seqno64: boolean;
}

/** What a driver can read of a fence without a call: its fields and flags. */
export interface FenceInfo {
  readonly context: bigint;
  readonly seqno: bigint;
  readonly refcount: number;
  readonly error: number;
  readonly flags: FenceFlags;
  /** Whether the fence was released (its memory is gone: reading it is a use-after-free). */
  readonly freed: boolean;
  /** The queued callbacks, in the order they will run. */
  readonly callbacks: readonly string[];
}

/**
 * Reads a fence's fields and flags (`fence->context`, `->seqno`, `->flags`, …) from a world.
 *
 * @throws {DrmstateError} `UNKNOWN_OBJECT` when no fence has that name.
 * @example
 *   fenceInfo(kernel.world, 'f1').flags.signaled;
 */
export function fenceInfo(world: World, name: string): FenceInfo {
  const s = world.dmaFence;
  const rec = s.stubNames.has(name) && s.stub ? s.stub : s.fences.get(name);
  if (rec === undefined) throw new DrmstateError('UNKNOWN_OBJECT', `no fence named ${JSON.stringify(name)} was ever created`, { field: 'fence' });
  return {
    context: BigInt(rec.context),
    seqno: BigInt(rec.seqno),
    refcount: rec.refcount,
    error: rec.error,
    flags: {
      signaled: rec.state === 'signaled',
      enableSignal: rec.state !== 'unsignaled.signalingDisabled',
      seqno64: rec.seqno64,
    },
    freed: rec.state === 'freed',
    callbacks: rec.cbs,
  };
}
