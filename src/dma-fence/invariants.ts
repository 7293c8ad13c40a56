import type { Invariant } from '../world/Protocol.js';
import type { World } from '../world/World.js';
import type { FenceRecord } from './state.js';

const STATES = new Set(['unsignaled.signalingDisabled', 'unsignaled.signalingEnabled', 'signaled', 'freed']);
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function allFences(w: World): [string, FenceRecord][] {
  const list = [...w.dmaFence.fences.entries()];
  if (w.dmaFence.stub) list.push(['(stub)', w.dmaFence.stub]);
  return list;
}

/**
 * For every fence, its record is well formed: a known state, a refcount ≥ 0 that is 0 exactly when
 * freed, decimal u64 context and seqno, and queued callbacks only while unsignaled.
 *
 * Kernel: dma_fence_init sets refcount 1 and an empty list; kref_put frees at 0 (dma-fence.c).
 * Broken by: the checker's known-buggy fence models (issue of the model checker).
 */
export const fenceRecordsAreWellFormed: Invariant = {
  name: 'fenceRecordsAreWellFormed',
  statement:
    'For every fence, the state is a machine state, refcount is 0 exactly when freed, context and seqno are decimal u64s, and callbacks are queued only while unsignaled.',
  holds: (w) => {
    try {
      for (const [, f] of allFences(w)) {
        if (!STATES.has(f.state)) return false;
        if (!Number.isInteger(f.refcount) || f.refcount < 0) return false;
        if ((f.refcount === 0) !== (f.state === 'freed')) return false;
        if (!DECIMAL.test(f.context) || !DECIMAL.test(f.seqno)) return false;
        if (f.cbs.length > 0 && !f.state.startsWith('unsignaled')) return false;
      }
      return DECIMAL.test(w.dmaFence.counter) && BigInt(w.dmaFence.counter) >= 1n;
    } catch {
      return false;
    }
  },
};

/**
 * For every callback that is registered, exactly one live unsignaled fence holds it on its list,
 * and every name on a fence's list is a registered callback pointing back at that fence.
 *
 * Kernel: add_callback links the node into one cb_list; remove and signal unlink it (dma-fence.c).
 * Broken by: a model that adds a still-queued callback a second time.
 */
export const everyQueuedCallbackIsOnItsFence: Invariant = {
  name: 'everyQueuedCallbackIsOnItsFence',
  statement: 'For every registered callback, exactly one unsignaled fence lists it, and every listed callback is registered on that fence.',
  holds: (w) => {
    const s = w.dmaFence;
    const seen = new Map<string, number>();
    for (const [name, f] of s.fences.entries()) {
      for (const cb of f.cbs) {
        const c = s.cbs.get(cb);
        if (c === undefined || c.state !== 'registered' || c.fence !== name) return false;
        seen.set(cb, (seen.get(cb) ?? 0) + 1);
      }
    }
    for (const [name, c] of s.cbs.entries()) if (c.state === 'registered' && seen.get(name) !== 1) return false;
    return true;
  },
};

/**
 * For every task inside a signalling section, the task table records exactly one read hold.
 *
 * Kernel: begin_signalling read-acquires dma_fence_map only when not already held (dma-fence.c).
 * Broken by: a model that ends a section it never began.
 */
export const sectionsAreHeldByTasks: Invariant = {
  name: 'sectionsAreHeldByTasks',
  statement:
    'For every task in the dma_fence task table, it holds the dma_fence_map read hold or has a nested begin outstanding, and its nested count is a non-negative integer (idle tasks are not stored).',
  holds: (w) => {
    for (const [, t] of w.dmaFence.tasks.entries())
      if (typeof t.signalling !== 'boolean' || !Number.isInteger(t.nested) || t.nested < 0 || (!t.signalling && t.nested === 0)) return false;
    return true;
  },
};

/** The dma_fence invariants, type invariant first. */
export const dmaFenceInvariants: readonly Invariant[] = [fenceRecordsAreWellFormed, everyQueuedCallbackIsOnItsFence, sectionsAreHeldByTasks];
