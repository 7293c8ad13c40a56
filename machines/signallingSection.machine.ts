import { setup } from 'xstate';

/**
 * One task's dma-fence signalling critical section: its read hold on the global `dma_fence_map`
 * lockdep map.
 *
 * Kernel: [drivers/dma-buf/dma-fence.c](https://github.com/torvalds/linux/blob/v6.17/drivers/dma-buf/dma-fence.c)
 * (dma_fence_begin_signalling, dma_fence_end_signalling, __dma_fence_might_wait).
 * Rust: `DmaFence::begin_signalling` in the 2025 RFC.
 *
 * Modelled:
 * - begin outside a section: a read acquisition, cookie false; begin inside: cookie true, nothing;
 * - end with cookie true: nothing; end with cookie false: releases the hold;
 * - end with cookie false while holding nothing: lockdep's "bad unlock balance", refused.
 *
 * Abstracted away:
 * - `in_atomic()` (begin returns true there): simulated tasks run in process context;
 * - kernels without CONFIG_LOCKDEP (begin always true): the model is a lockdep build.
 *
 * Invariants: sectionsAreHeldByTasks.
 *
 * Docs: docs/dma-fence.md.
 */

/** A section has no data beyond its state. */
export type SignallingSectionContext = Record<string, never>;

/** Calls on a task's section. */
export type SignallingSectionEvent =
  /** `bool dma_fence_begin_signalling(void)`: returns the cookie. */
  | { type: 'dma_fence_begin_signalling' }
  /** `void dma_fence_end_signalling(bool cookie)`. */
  | { type: 'dma_fence_end_signalling'; cookie: boolean };

export const signallingSectionMachine = setup({
  types: { context: {} as SignallingSectionContext, events: {} as SignallingSectionEvent },
  guards: {
    /** `if (cookie) return;` in dma_fence_end_signalling (dma-fence.c). */
    isNestedCookie: ({ event }) => event.type === 'dma_fence_end_signalling' && event.cookie,
  },
}).createMachine({
  id: 'dma_fence_signalling',
  initial: 'outside',
  context: {},
  states: {
    outside: {
      description: 'The task does not hold dma_fence_map.',
      on: {
        dma_fence_begin_signalling: { target: 'inside', description: 'Read-acquires dma_fence_map; returns false.' },
        dma_fence_end_signalling: [
          { guard: 'isNestedCookie', description: 'Cookie true: nothing to release.' },
          {
            description: 'Releases dma_fence_map that the task does not hold: lockdep bad unlock balance; refused.',
            meta: { violation: 'lockdep', refused: true },
          },
        ],
      },
    },
    inside: {
      description: 'The task holds dma_fence_map for read: code that signals fences runs here.',
      on: {
        dma_fence_begin_signalling: { description: 'Already inside: returns true, nothing else (sections nest).' },
        dma_fence_end_signalling: [
          { guard: 'isNestedCookie', description: 'Cookie true (a nested begin): nothing.' },
          { target: 'outside', description: 'Releases dma_fence_map.' },
        ],
      },
    },
  },
});
