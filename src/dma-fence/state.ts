import { type Hash64, type StreamHash, addHash, hashString } from '../world/hash.js';
import { HashedMap } from '../world/HashedMap.js';

/** A leaf state of the `dma_fence` machine (machines/dmaFence.machine.ts). */
export type FenceState = 'unsignaled.signalingDisabled' | 'unsignaled.signalingEnabled' | 'signaled' | 'freed';

/** A leaf state of the `dma_fence_cb` machine (machines/dmaFenceCb.machine.ts). */
export type CbState = 'unqueued' | 'registered' | 'invoked' | 'removed';

/** One `struct dma_fence`. */
export interface FenceRecord {
  /** Lifecycle state from the `dma_fence` machine (`flags` SIGNALED / ENABLE_SIGNAL, freed). */
  readonly state: FenceState;
  /** `refcount` (kref). */
  readonly refcount: number;
  /** `context`, a u64 in decimal. */
  readonly context: string;
  /** `seqno`, a u64 in decimal. */
  readonly seqno: string;
  /** `DMA_FENCE_FLAG_SEQNO64_BIT` (set by dma_fence_init64). */
  readonly seqno64: boolean;
  /** `error`: 0 or what dma_fence_set_error stored. */
  readonly error: number;
  /** `cb_list`: the queued callbacks' names, head first. */
  readonly cbs: readonly string[];
}

/** One fence context: the id dma_fence_context_alloc returned and the next default seqno. */
export interface ContextRecord {
  /** The context id, a u64 in decimal. */
  readonly id: string;
  /** The seqno the next dma_fence_init without one gets, a u64 in decimal. */
  readonly next: string;
}

/** One `struct dma_fence_cb`. */
export interface CbRecord {
  /** Lifecycle state from the `dma_fence_cb` machine. */
  readonly state: CbState;
  /** The fence it is queued on (while `registered`), else the fence it last touched. */
  readonly fence: string;
}

/** The dma_fence part of the world. */
export interface DmaFenceState {
  /** `dma_fence_context_counter`: the next context id, decimal. */
  readonly counter: string;
  readonly contexts: HashedMap<ContextRecord>;
  /** Fences by name (stub names excluded). */
  readonly fences: HashedMap<FenceRecord>;
  readonly cbs: HashedMap<CbRecord>;
  /** The global `dma_fence_stub`, once dma_fence_get_stub has initialised it. */
  readonly stub: FenceRecord | null;
  /** Names that refer to the stub. */
  readonly stubNames: HashedMap<true>;
}

declare module '../world/World.js' {
  interface WorldSlices {
    dmaFence: DmaFenceState;
  }
}

/** Canonical encoding of a fence for hashing. */
export function encodeFence(f: FenceRecord): string {
  return `${f.state}|${f.refcount}|${f.context}|${f.seqno}|${f.seqno64 ? 1 : 0}|${f.error}|${f.cbs.join('\u0001')}`;
}

/** Streams {@link encodeFence}'s string into a hash without building it (the replay hot path). */
export function feedFence(f: FenceRecord, h: StreamHash): void {
  h.str(f.state).char(SEP).int(f.refcount).char(SEP).str(f.context).char(SEP).str(f.seqno).char(SEP);
  h.char(f.seqno64 ? 49 : 48).char(SEP).int(f.error).char(SEP);
  for (let i = 0; i < f.cbs.length; i++) {
    if (i > 0) h.char(1);
    h.str(f.cbs[i] as string);
  }
}

/** `|`, the field separator of the encodings. */
const SEP = 124;

/** Canonical encoding of a context for hashing. */
export function encodeContext(c: ContextRecord): string {
  return `${c.id}|${c.next}`;
}

/** Canonical encoding of a callback for hashing. */
export function encodeCb(c: CbRecord): string {
  return `${c.state}|${c.fence}`;
}

/** Streams {@link encodeCb}'s string into a hash without building it. */
export function feedCb(c: CbRecord, h: StreamHash): void {
  h.str(c.state).char(SEP).str(c.fence);
}

const encodeTrue = (): string => '1';

/** Empty maps of each kind (tagged so equal keys in different maps hash apart). */
export const emptyMaps = {
  contexts: (): HashedMap<ContextRecord> => HashedMap.empty('dma_fence.ctx', encodeContext),
  fences: (): HashedMap<FenceRecord> => HashedMap.empty('dma_fence.fence', { feed: feedFence }),
  cbs: (): HashedMap<CbRecord> => HashedMap.empty('dma_fence.cb', { feed: feedCb }),
  stubNames: (): HashedMap<true> => HashedMap.empty('dma_fence.stub', encodeTrue),
};

/** The dma_fence slice of an empty world: the context counter starts at 1. */
export function initialDmaFenceState(): DmaFenceState {
  return Object.freeze({
    counter: '1',
    contexts: emptyMaps.contexts(),
    fences: emptyMaps.fences(),
    cbs: emptyMaps.cbs(),
    stub: null,
    stubNames: emptyMaps.stubNames(),
  });
}

let lastScalars: { counter: string; stub: FenceRecord | null; hash: Hash64 } = { counter: '', stub: null, hash: { lo: 0, hi: 0 } };

/** The incremental hash of the slice. */
export function hashDmaFenceState(s: DmaFenceState): Hash64 {
  // The counter and the stub change rarely: remember the hash of the last pair seen (a pure cache).
  if (s.counter !== lastScalars.counter || s.stub !== lastScalars.stub) {
    lastScalars = { counter: s.counter, stub: s.stub, hash: hashString(`${s.counter}|${s.stub ? encodeFence(s.stub) : '-'}`, 0xf3) };
  }
  const a = lastScalars.hash;
  const c = s.contexts.hash;
  const f = s.fences.hash;
  const b = s.cbs.hash;
  const n = s.stubNames.hash;
  return { lo: (a.lo + c.lo + f.lo + b.lo + n.lo) >>> 0, hi: (a.hi + c.hi + f.hi + b.hi + n.hi) >>> 0 };
}
