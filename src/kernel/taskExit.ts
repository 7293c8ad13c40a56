import type { EventDef } from '../world/Protocol.js';

/** The event type of a task's end: every protocol checks its own part of the task. */
export const TASK_EXIT = 'task_exit';

/**
 * `task_exit (task)`: the simulated thread returns to user space (or exits). Every protocol with a
 * part of the task's state checks it — a signalling section still open, and later any lock still
 * held, is lockdep's "lock held when returning to user space" — recorded, not refused, and the
 * task's state is cleared. The kernel answers it itself; it belongs to no protocol.
 *
 * Models syscall_exit_to_user_mode_work() (include/linux/entry-common.h: the WARN for IRQs left
 * off) and lockdep_sys_exit() (kernel/locking/lockdep.c), called on the way back to user space.
 */
export const TASK_EXIT_EVENT: EventDef = {
  kernel: 'syscall_exit_to_user_mode_work() (include/linux/entry-common.h) and lockdep_sys_exit() (kernel/locking/lockdep.c), on return to user space',
  summary:
    'The task ends: returning with IRQs off is a warn_on ("syscall left IRQs disabled"), anything it still holds (a signalling section, a lock) is a lockdep finding, and its state is cleared.',
  fields: { task: { kind: 'name', doc: 'the simulated thread' } },
  returns: [],
  errnos: [],
  violations: ['lockdep', 'warn_on'],
};
