import { type Violation, violation } from '../world/Violation.js';
import type { World } from '../world/World.js';

/**
 * What dma_fence leaves alive in a world: every fence that still holds a reference, and every task
 * still inside a signalling section, each as a `leak` violation naming the object.
 *
 * KERNEL: a fence whose last dma_fence_put() never came is never released (dma_fence_release in
 * drivers/dma-buf/dma-fence.c never runs: kmemleak's view). A task that returns to user space or
 * exits while dma_fence_begin_signalling()'s lockdep map is still held is reported by lockdep
 * (lockdep_sys_exit and debug_check_no_locks_held in kernel/locking/lockdep.c).
 *
 * ABSTRACTION: the global stub fence (dma_fence_get_stub) is never a leak: the kernel keeps it for
 * ever. Nothing here is a violation of the run unless the caller asks (`drmstate run --leaks`).
 *
 * @example
 *   dmaFenceLeaks(world); // [{ kind: 'leak', message: 'dma_fence "f1" still holds 1 reference …', objects: ['f1'] }]
 */
export function dmaFenceLeaks(world: World): readonly Violation[] {
  const out: Violation[] = [];
  for (const [name, f] of world.dmaFence.fences.sortedEntries()) {
    if (f.state === 'freed' || f.refcount <= 0) continue;
    const refs = `${f.refcount} reference${f.refcount === 1 ? '' : 's'}`;
    const state = f.state === 'signaled' ? 'signaled' : 'unsignaled';
    const cbs = f.cbs.length > 0 ? `, with callback${f.cbs.length === 1 ? '' : 's'} ${f.cbs.join(', ')} still queued` : '';
    out.push(
      violation(
        'leak',
        `dma_fence ${JSON.stringify(name)} (context ${f.context}, seqno ${f.seqno}, ${state}) still holds ${refs}${cbs}: it is never released`,
        [name, ...f.cbs],
      ),
    );
  }
  for (const [task, t] of world.tasks.sortedEntries()) {
    if (!t.signalling) continue;
    out.push(
      violation(
        'leak',
        `task ${JSON.stringify(task)} is still inside a fence signalling section (dma_fence_map held): lockdep reports a lock held when it returns to user space`,
        [task],
      ),
    );
  }
  return out;
}
