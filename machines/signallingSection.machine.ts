import { assign, setup } from 'xstate';

/**
 * One task's dma-fence signalling critical section: its read hold on the global `dma_fence_map`
 * lockdep map, and the nested begins whose cookie (true) has not been passed to an end yet.
 *
 * Kernel: [drivers/dma-buf/dma-fence.c](https://github.com/torvalds/linux/blob/v6.17/drivers/dma-buf/dma-fence.c)
 * (dma_fence_begin_signalling, dma_fence_end_signalling, __dma_fence_might_wait);
 * [kernel/locking/lockdep.c](https://github.com/torvalds/linux/blob/v6.17/kernel/locking/lockdep.c)
 * (lockdep_sys_exit, for `task_exit`).
 * Rust: `DmaFence::begin_signalling` in the 2025 RFC.
 *
 * Modelled:
 * - begin outside a section: a read acquisition, cookie false; begin inside: cookie true, and one
 *   more nested begin outstanding;
 * - end with cookie true: ends one outstanding nested begin (the kernel does nothing);
 * - end with cookie false: releases the hold;
 * - end with cookie false while holding nothing: lockdep's "bad unlock balance" (lock_release reports
 *   and returns; the void call completes), recorded, nothing changes;
 * - end with cookie true when no nested begin is outstanding: the kernel's `end(true)` returns at
 *   once, so nothing happens and nothing is reported;
 * - `task_exit` with the hold: lockdep's "lock held when returning to user space", recorded; a
 *   nested begin never ended holds nothing lockdep sees, so it is silent; the task's section state
 *   is cleared.
 *
 * Ends need not come in the reverse order of the begins: `begin → false, begin → true,
 * end(false), end(true)` is clean.
 *
 * - begin in atomic context (`in_atomic()`: the preempt count, raised by a spinlock or an RCU read
 *   section; IRQs off alone do not raise it): untracked, cookie true (one more nested begin);
 * - begin once lockdep is off (`debug_locks_off`, after its first report): `lock_is_held_type`
 *   answers "held", so the cookie is true; with lockdep off, ends and exits report nothing.
 *
 * Abstracted away:
 * - kernels without CONFIG_LOCKDEP (begin always true): the model is a lockdep build.
 *
 * Invariants: sectionsAreHeldByTasks.
 *
 * Docs: docs/dma-fence.md.
 */

/** The guard inputs beside the state: kept in the world's task table, not in the machine. */
export interface SignallingSectionContext {
  /**
   * Begins of this task that returned cookie true and whose cookie no end has taken yet (no C
   * field: the kernel keeps no such count, and an imbalance of it is never reported).
   */
  readonly nested: number;
  /** `!debug_locks`: lockdep is off (lib/debug_locks.c), so nothing is tracked or reported. */
  readonly lockdepOff: boolean;
}

/** Calls on a task's section. */
export type SignallingSectionEvent =
  /** `bool dma_fence_begin_signalling(void)`: returns the cookie; `atomic` is `in_atomic()`. */
  | { type: 'dma_fence_begin_signalling'; atomic: boolean }
  /** `void dma_fence_end_signalling(bool cookie)`. */
  | { type: 'dma_fence_end_signalling'; cookie: boolean }
  /** The task returns to user space (`lockdep_sys_exit`). */
  | { type: 'task_exit' }
  /** `debug_locks_off()`: lockdep stops (the locking protocol's call, seen here as a context change). */
  | { type: 'debug_locks_off' };

export const signallingSectionMachine = setup({
  types: { context: {} as SignallingSectionContext, events: {} as SignallingSectionEvent },
  guards: {
    /** `if (cookie) return;` in dma_fence_end_signalling (dma-fence.c), with a nested begin outstanding. */
    isMatchedNestedCookie: ({ context, event }) => event.type === 'dma_fence_end_signalling' && event.cookie && context.nested > 0,
    /** `if (cookie) return;` in dma_fence_end_signalling (dma-fence.c). */
    isNestedCookie: ({ event }) => event.type === 'dma_fence_end_signalling' && event.cookie,
    /** A begin that returned true was never ended. */
    hasNestedBegin: ({ context }) => context.nested > 0,
    /** `lock_is_held_type` answers "held" because lockdep is off (`!debug_locks`). */
    isLockdepOff: ({ context }) => context.lockdepOff,
    /** `in_atomic()`: the preempt count is raised (a spinlock, an RCU read section). */
    isAtomic: ({ event }) => event.type === 'dma_fence_begin_signalling' && event.atomic,
  },
  actions: {
    /** A begin inside a section returns true: one more cookie true outstanding (the model's count). */
    pushNested: assign({ nested: ({ context }) => context.nested + 1 }),
    /** An end(true) takes one outstanding cookie true. */
    popNested: assign({ nested: ({ context }) => context.nested - 1 }),
    /** `task_exit` clears the task's section state. */
    clearNested: assign({ nested: 0 }),
    /** `debug_locks_off()`: lockdep is off from now on. */
    turnLockdepOff: assign({ lockdepOff: true }),
  },
}).createMachine({
  id: 'dma_fence_signalling',
  initial: 'outside',
  context: { nested: 0, lockdepOff: false },
  states: {
    outside: {
      description: 'The task does not hold dma_fence_map.',
      on: {
        dma_fence_begin_signalling: [
          {
            guard: 'isLockdepOff',
            actions: 'pushNested',
            description: 'Lockdep is off: lock_is_held_type answers "held", so it returns true (one more nested begin).',
            meta: { cookie: true, nested: 1 },
          },
          {
            guard: 'isAtomic',
            actions: 'pushNested',
            description: 'in_atomic(): not tracked, returns true (one more nested begin).',
            meta: { cookie: true, nested: 1 },
          },
          {
            target: 'inside',
            description: 'Read-trylock-acquires dma_fence_map; returns false.',
            meta: { cookie: false, effects: ['acquireMap'] },
          },
        ],
        dma_fence_end_signalling: [
          {
            guard: 'isMatchedNestedCookie',
            actions: 'popNested',
            description: 'Cookie true of a nested begin whose outer section already ended: nothing in the kernel; the nested begin is ended.',
            meta: { nested: -1 },
          },
          {
            guard: 'isNestedCookie',
            description: 'Cookie true with no nested begin outstanding: `if (cookie) return;`, nothing happens and nothing is reported.',
          },
          {
            guard: 'isLockdepOff',
            description: 'Cookie false with lockdep off: lock_release returns at once; nothing happens.',
          },
          {
            description: 'Releases dma_fence_map that the task does not hold: lockdep "bad unlock balance" (print_unlock_imbalance_bug), and the call returns; nothing changes.',
            meta: { violation: 'lockdep', violations: [{ kind: 'lockdep', check: 'badUnlock' }] },
          },
        ],
        debug_locks_off: { actions: 'turnLockdepOff', description: 'Lockdep goes off: later begins answer true.' },
        task_exit: [
          {
            guard: 'hasNestedBegin',
            actions: 'clearNested',
            description: 'A begin that returned true was never ended: it holds nothing, so lockdep_sys_exit is silent; the section state is cleared.',
            meta: { clear: true },
          },
          { description: 'Nothing held: a clean return to user space.' },
        ],
      },
    },
    inside: {
      description: 'The task holds dma_fence_map for read: code that signals fences runs here.',
      on: {
        dma_fence_begin_signalling: {
          actions: 'pushNested',
          description: 'Already inside: returns true, one more nested begin outstanding (sections nest).',
          meta: { cookie: true, nested: 1 },
        },
        dma_fence_end_signalling: [
          {
            guard: 'isMatchedNestedCookie',
            actions: 'popNested',
            description: 'Cookie true of a nested begin: nothing in the kernel; the nested begin is ended.',
            meta: { nested: -1 },
          },
          {
            guard: 'isNestedCookie',
            description: 'Cookie true with no nested begin outstanding: `if (cookie) return;`, nothing happens and nothing is reported.',
          },
          { target: 'outside', description: 'Releases dma_fence_map.', meta: { effects: ['releaseMap'] } },
        ],
        debug_locks_off: { actions: 'turnLockdepOff', description: 'Lockdep goes off inside a section: the section stays open until its end.' },
        task_exit: [
          {
            guard: 'isLockdepOff',
            target: 'outside',
            actions: 'clearNested',
            description: 'Returns to user space inside a section with lockdep off: nothing is reported; the section state is cleared.',
            meta: { clear: true },
          },
          {
            target: 'outside',
            actions: 'clearNested',
            description: 'Returns to user space holding dma_fence_map: lockdep "lock held when returning to user space"; recorded, the section state is cleared.',
            meta: { violation: 'lockdep', clear: true },
          },
        ],
      },
    },
  },
});
