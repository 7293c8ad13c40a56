import { isDecimal } from '../world/fields.js';
import type { Invariant } from '../world/Protocol.js';
import type { FenceRecord } from './state.js';

const STATES = new Set(['unsignaled.signalingDisabled', 'unsignaled.signalingEnabled', 'signaled', 'freed']);

/** Whether one fence record is well formed (see {@link fenceRecordsAreWellFormed}). */
function wellFormed(f: FenceRecord): boolean {
  if (!STATES.has(f.state)) return false;
  if (!Number.isInteger(f.refcount) || f.refcount < 0) return false;
  if ((f.refcount === 0) !== (f.state === 'freed')) return false;
  if (!isDecimal(f.context) || !isDecimal(f.seqno)) return false;
  return f.cbs.length === 0 || f.state.startsWith('unsignaled');
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
      const s = w.dmaFence;
      if (!s.fences.every(wellFormed) || (s.stub !== null && !wellFormed(s.stub))) return false;
      return isDecimal(s.counter) && s.counter !== '0';
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
    // Nothing to match when no callback was ever named (most worlds the checker reaches).
    if (s.cbs.size === 0) return s.fences.every((f) => f.cbs.length === 0);
    const seen = new Map<string, number>();
    const listed = s.fences.every((f, name) => {
      for (const cb of f.cbs) {
        const c = s.cbs.get(cb);
        if (c === undefined || c.state !== 'registered' || c.fence !== name) return false;
        seen.set(cb, (seen.get(cb) ?? 0) + 1);
      }
      return true;
    });
    return listed && s.cbs.every((c, name) => c.state !== 'registered' || seen.get(name) === 1);
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
    return w.dmaFence.tasks.every((t) => typeof t.signalling === 'boolean' && Number.isInteger(t.nested) && t.nested >= 0 && (t.signalling || t.nested !== 0));
  },
};

/** The dma_fence invariants, type invariant first. */
export const dmaFenceInvariants: readonly Invariant[] = [fenceRecordsAreWellFormed, everyQueuedCallbackIsOnItsFence, sectionsAreHeldByTasks];
