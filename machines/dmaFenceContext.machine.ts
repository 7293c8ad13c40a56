import { setup } from 'xstate';

/**
 * A fence context name's allocation: `dma_fence_context_alloc(num)` reserving ids from the global
 * `dma_fence_context_counter`.
 *
 * Kernel: [drivers/dma-buf/dma-fence.c](https://github.com/torvalds/linux/blob/v6.17/drivers/dma-buf/dma-fence.c)
 * (dma_fence_context_alloc); Rust: `DmaFenceCtx::new` in the 2025 RFC.
 *
 * Modelled:
 * - the allocation of `num` consecutive context ids, the name holding the first;
 * - `WARN_ON(!num)`: allocating zero contexts warns and still returns the counter's value;
 * - allocating again under a name already used: a fresh range, the name now holding its first id.
 *
 * Abstracted away:
 * - the counter's value and the ids: they live in the World (`counter`, `contexts`), per DESIGN;
 * - the atomic64 increment: every call runs whole.
 *
 * Invariants: fenceRecordsAreWellFormed (the ids the fences carry come from here).
 *
 * Docs: docs/dma-fence.md.
 */

/** Calls on a context name. */
export type DmaFenceContextEvent =
  /** `u64 dma_fence_context_alloc(unsigned num)`: the first of `num` new ids; WARNs for 0. No errno. */
  { readonly type: 'dma_fence_context_alloc'; readonly num: number };

/** The `dma_fence_context` statechart. */
export const dmaFenceContextMachine = setup({
  types: { events: {} as DmaFenceContextEvent },
  guards: {
    /** `WARN_ON(!num)` in dma_fence_context_alloc (dma-fence.c). */
    isZeroContexts: ({ event }) => event.num === 0,
  },
}).createMachine({
  id: 'dma_fence_context',
  initial: 'unallocated',
  states: {
    unallocated: {
      description: 'The name holds no context id yet.',
      on: {
        dma_fence_context_alloc: [
          {
            guard: 'isZeroContexts',
            target: 'allocated',
            description: 'WARN_ON(!num): allocates no id, returns the counter as it is.',
            meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'zeroContexts' }] },
          },
          { target: 'allocated', description: 'Reserves num ids; returns the first.' },
        ],
      },
    },
    allocated: {
      description: 'The name holds the first id of the range its last dma_fence_context_alloc returned.',
      tags: ['alive'],
      on: {
        dma_fence_context_alloc: [
          {
            guard: 'isZeroContexts',
            description: 'WARN_ON(!num): allocates no id; the name now holds the counter as it is.',
            meta: { violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'zeroContexts' }] },
          },
          { description: 'Reserves num fresh ids; the name now holds the first.' },
        ],
      },
    },
  },
});
