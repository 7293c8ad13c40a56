import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { decodeFields } from '../world/fields.js';
import type { Protocol } from '../world/Protocol.js';
import { dmaFenceMachine } from '../../machines/dmaFence.machine.js';
import { dmaFenceCbMachine } from '../../machines/dmaFenceCb.machine.js';
import { dmaFenceContextMachine } from '../../machines/dmaFenceContext.machine.js';
import { signallingSectionMachine } from '../../machines/signallingSection.machine.js';
import { applyDmaFence, dmaFenceTaskExit } from './apply.js';
import { DMA_FENCE_EVENTS, type DmaFenceEvent } from './events.js';
import { dmaFenceInvariants } from './invariants.js';
import { dmaFenceLeaks } from './leaks.js';
import { type DmaFenceState, type DmaFenceTask, emptyMaps, hashDmaFenceState, initialDmaFenceState, v1TasksHash } from './state.js';
import { HashedMap } from '../world/HashedMap.js';

// A Map, not a property lookup: event types read from a log are fresh strings (a replay hot path).
const DEFS = new Map<string, (typeof DMA_FENCE_EVENTS)[keyof typeof DMA_FENCE_EVENTS]>(
  Object.entries(DMA_FENCE_EVENTS) as [string, (typeof DMA_FENCE_EVENTS)[keyof typeof DMA_FENCE_EVENTS]][],
);

function bad(msg: string): DrmstateError {
  return new DrmstateError('BAD_SNAPSHOT', `dma_fence slice: ${msg}`);
}

/**
 * The dma_fence protocol: contexts, fences, callbacks and signalling sections.
 * Models drivers/dma-buf/dma-fence.c (v6.17; v7.0's dma_fence_check_and_signal too).
 */
export const dmaFenceProtocol: Protocol<'dmaFence', DmaFenceEvent> = {
  key: 'dmaFence',
  events: DMA_FENCE_EVENTS,
  initial: initialDmaFenceState,
  decode(event: Event): DmaFenceEvent {
    const def = DEFS.get(event.type);
    if (def === undefined) throw new DrmstateError('MALFORMED_EVENT', `not a dma_fence event: ${event.type}`, { field: 'type' });
    return decodeFields<DmaFenceEvent>(event, def.fields);
  },
  apply: applyDmaFence,
  hash: hashDmaFenceState,
  toSnapshot(s: DmaFenceState): unknown {
    return {
      counter: s.counter,
      contexts: s.contexts.sortedEntries(),
      fences: s.fences.sortedEntries(),
      cbs: s.cbs.sortedEntries(),
      stub: s.stub,
      stubNames: [...s.stubNames.keys()].sort(),
      tasks: s.tasks.sortedEntries(),
    };
  },
  fromSnapshot(data: unknown): DmaFenceState {
    const d = data as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null) throw bad('expected an object');
    for (const k of ['contexts', 'fences', 'cbs', 'stubNames']) if (!Array.isArray(d[k])) throw bad(`"${k}" must be a list`);
    if (typeof d.counter !== 'string') throw bad('"counter" must be a decimal string');
    const e = emptyMaps;
    const from = <V>(m: HashedMap<V>, list: unknown): HashedMap<V> => {
      let out = m;
      for (const [k, v] of list as [string, V][]) out = out.set(k, Object.freeze(v));
      return out;
    };
    let stubNames = e.stubNames();
    for (const n of d.stubNames as string[]) stubNames = stubNames.set(n, true);
    return Object.freeze({
      counter: d.counter,
      contexts: from(e.contexts(), d.contexts),
      fences: from(e.fences(), d.fences),
      cbs: from(e.cbs(), d.cbs),
      stub: (d.stub ?? null) as DmaFenceState['stub'],
      stubNames,
      // A snapshot from before tasks moved into this slice has none: no task has a section open.
      tasks: from(
        e.tasks(),
        ((d.tasks as [string, Partial<DmaFenceTask>][] | undefined) ?? []).map(([k, t]) => [k, { signalling: t.signalling === true, nested: t.nested ?? 0 }]),
      ),
    });
  },
  invariants: dmaFenceInvariants,
  leaks: dmaFenceLeaks,
  footprint(event: Event): readonly string[] {
    // A callback slot and a fence can share a string: kinds keep them apart. f1/f2 of is_later are
    // fences. Calls with global effects share one object per effect.
    const out: string[] = [];
    if (event.type === 'dma_fence_context_alloc') out.push('dma_fence_context_counter');
    if (event.type === 'dma_fence_get_stub') out.push('dma_fence_stub');
    // Sections and waits are lockdep annotations: they read and extend the one dependency graph
    // (the locking protocol's `lockdep` object).
    if (event.type === 'dma_fence_begin_signalling' || event.type === 'dma_fence_end_signalling' || event.type === 'dma_fence_wait_timeout') out.push('lockdep');
    for (const field of ['fence', 'f1', 'f2', 'ctx', 'cb'] as const) {
      const v = event[field];
      if (typeof v === 'string') out.push(`${field === 'ctx' ? 'ctx' : field === 'cb' ? 'cb' : 'fence'}:${v}`);
    }
    return out;
  },
  machines: [dmaFenceContextMachine, dmaFenceMachine, dmaFenceCbMachine, signallingSectionMachine],
  docs: 'docs/dma-fence.md',
  fixtures: 'dma_fence',
  tasks: { table: (s) => s.tasks, v1Hash: v1TasksHash, exit: dmaFenceTaskExit },
};
