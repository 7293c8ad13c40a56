import { type Hash64, StreamHash, ZERO_HASH, addHash, entryHash, feedText } from '../world/hash.js';
import { HashedMap } from '../world/HashedMap.js';
import type { Event } from '../world/Event.js';

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
  /** The callback's body (`do`): calls run when it runs. Absent for a body-less callback. */
  readonly body?: readonly Event[];
}

/**
 * One task's part in dma_fence: its signalling section (machines/signallingSection.machine.ts).
 * Only tasks with something outstanding are stored; a task never named is idle.
 */
export interface DmaFenceTask {
  /** Whether the task holds the `dma_fence_map` lockdep map for read (lockdep's `held_locks`). */
  readonly signalling: boolean;
  /** Begins that returned cookie true and that no end has taken yet (the model's count). */
  readonly nested: number;
}

/** A task with no section and no nested begin. */
export const IDLE_TASK: DmaFenceTask = Object.freeze({ signalling: false, nested: 0 });

/**
 * Canonical encoding of a task's part, for hashing: `s` for a plain read hold (what log format
 * version 1 wrote for every stored task), else the hold and the nested count.
 */
export function encodeTask(t: DmaFenceTask): string {
  return t.signalling && t.nested === 0 ? 's' : `${t.signalling ? 's' : '-'}${t.nested}`;
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
  /** Each task's section state (tasks with nothing outstanding are not stored). */
  readonly tasks: HashedMap<DmaFenceTask>;
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
  return c.body === undefined ? `${c.state}|${c.fence}` : `${c.state}|${c.fence}|${JSON.stringify(c.body)}`;
}

/** Streams {@link encodeCb}'s string into a hash without building it. */
export function feedCb(c: CbRecord, h: StreamHash): void {
  h.str(c.state).char(SEP).str(c.fence);
  if (c.body !== undefined) h.char(SEP).str(JSON.stringify(c.body));
}

const encodeTrue = (): string => '1';

/** Empty maps of each kind (tagged so equal keys in different maps hash apart). */
export const emptyMaps = {
  contexts: (): HashedMap<ContextRecord> => HashedMap.empty('dma_fence.ctx', encodeContext),
  fences: (): HashedMap<FenceRecord> => HashedMap.empty('dma_fence.fence', { feed: feedFence }),
  cbs: (): HashedMap<CbRecord> => HashedMap.empty('dma_fence.cb', { feed: feedCb }),
  stubNames: (): HashedMap<true> => HashedMap.empty('dma_fence.stub', encodeTrue),
  // The tag log format version 1 used for the world's task table, so old fingerprints stay.
  tasks: (): HashedMap<DmaFenceTask> => HashedMap.empty('task', encodeTask),
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
    tasks: emptyMaps.tasks(),
  });
}

/**
 * The incremental hash of the slice, its task table left out (the kernel hashes that apart, see
 * `Protocol.tasks`).
 */
export function hashDmaFenceState(s: DmaFenceState): Hash64 {
  // The counter and the stub, streamed as the string `counter|stub` hashed with seed 0xf3.
  const h = new StreamHash().reset({ h1: 0xdeadbeef ^ 0xf3, h2: 0x41c6ce57 ^ 0xf3 }).str(s.counter).char(SEP);
  if (s.stub === null) h.char(45);
  else feedFence(s.stub, h);
  const a = h.digest();
  const c = s.contexts.hash;
  const f = s.fences.hash;
  const b = s.cbs.hash;
  const n = s.stubNames.hash;
  return { lo: (a.lo + c.lo + f.lo + b.lo + n.lo) >>> 0, hi: (a.hi + c.hi + f.hi + b.hi + n.hi) >>> 0 };
}

/**
 * The task table's hash as log format version 1 computed it: only read holds, each encoded `s`
 * (version 1 did not count nested begins). O(tasks).
 */
export function v1TasksHash(s: DmaFenceState): Hash64 {
  let h = ZERO_HASH;
  for (const [name, t] of s.tasks.entries()) if (t.signalling) h = addHash(h, entryHash('task', name, 's', feedText));
  return h;
}
