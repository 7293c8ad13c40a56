import type { DecodedEvents } from '../world/fields.js';
import type { EventDef } from '../world/Protocol.js';
import { GFP_MASKS } from './ops.js';

const lock = { kind: 'name', doc: 'the lock (named by the caller)' } as const;
const cls = { kind: 'name', optional: true, doc: 'the lockdep class (default: the lock\'s name)' } as const;
const task = { kind: 'name', doc: 'the simulated thread' } as const;
const flags = { kind: 'int', doc: 'the value the matching save returned' } as const;

const lockCall = (kernel: string, summary: string, extra: Partial<Omit<EventDef, 'fields'>> = {}): EventDef & { readonly fields: { readonly lock: typeof lock; readonly task: typeof task } } => ({
  kernel,
  summary,
  fields: { lock, task },
  returns: [],
  errnos: [],
  violations: ['lockdep', 'might_sleep'],
  ...extra,
});

/** Every locking event: fields, outcomes, violations, kernel function and Rust name. */
export const LOCKING_EVENTS = {
  mutex_init: {
    kernel: 'mutex_init() (include/linux/mutex.h)',
    rust: 'Mutex::new / new_mutex!',
    summary: 'Initialises a free mutex of lockdep class `class`; re-initialising a held one is a `bug_on` (refused).',
    fields: { lock, class: cls },
    returns: [],
    errnos: [],
    violations: ['bug_on'],
  },
  mutex_lock: lockCall(
    'mutex_lock() (kernel/locking/mutex.c)',
    'might_sleep, lockdep acquisition, then the mutex; held elsewhere: blocked and queued (the unlock that hands it over lists the task in `woke`).',
    { rust: 'Mutex::lock', returns: ['(blocked, queued)'] },
  ),
  mutex_trylock: lockCall('mutex_trylock() (kernel/locking/mutex.c)', 'Takes the mutex if free: `{ ok: true, locked }`.', { rust: 'Mutex::try_lock', returns: ['locked'], violations: [] }),
  mutex_unlock: lockCall(
    'mutex_unlock() (kernel/locking/mutex.c)',
    'Releases; the first waiter gets it (`woke`). By a task that does not hold it: lockdep bad unlock balance, released anyway.',
    { rust: 'drop(MutexGuard)', returns: ['woke'], violations: ['lockdep'] },
  ),
  spin_lock_init: {
    kernel: 'spin_lock_init() (include/linux/spinlock.h)',
    rust: 'SpinLock::new / new_spinlock!',
    summary: 'Initialises a free spinlock of lockdep class `class`; re-initialising a held one is a `bug_on` (refused).',
    fields: { lock, class: cls },
    returns: [],
    errnos: [],
    violations: ['bug_on'],
  },
  spin_lock: lockCall('spin_lock() (include/linux/spinlock_api_smp.h)', 'Atomic from here (preempt count); held elsewhere: blocked (spinning changes nothing but lockdep\'s edges).', {
    rust: 'SpinLock::lock',
    returns: ['(blocked)'],
    violations: ['lockdep'],
  }),
  spin_lock_irqsave: lockCall('spin_lock_irqsave() (include/linux/spinlock.h)', 'As spin_lock, with IRQs saved and disabled first.', { returns: ['(blocked)'], violations: ['lockdep'] }),
  spin_unlock: lockCall('spin_unlock() (include/linux/spinlock.h)', 'Releases and drops the preempt count; a foreign or unbalanced unlock is lockdep bad unlock balance.', {
    rust: 'drop(SpinLockGuard)',
    violations: ['lockdep'],
  }),
  spin_unlock_irqrestore: lockCall('spin_unlock_irqrestore() (include/linux/spinlock.h)', 'As spin_unlock, restoring the IRQ state its irqsave saved.', { violations: ['lockdep'] }),
  init_rwsem: {
    kernel: 'init_rwsem() (include/linux/rwsem.h)',
    summary: 'Initialises a free rwsem of lockdep class `class` (an mm\'s mmap lock has class `mmap_lock`); re-initialising a held one is a `bug_on` (refused).',
    fields: { lock, class: cls },
    returns: [],
    errnos: [],
    violations: ['bug_on'],
  },
  down_read: lockCall('down_read() (kernel/locking/rwsem.c)', 'Shares with readers; a writer holding it or queued (RWSEM_FLAG_WAITERS) makes it blocked and queued.', {
    returns: ['(blocked, queued)'],
  }),
  down_read_trylock: lockCall('down_read_trylock() (kernel/locking/rwsem.c)', '`{ ok: true, locked }`: fails while a writer holds it or anybody waits.', { returns: ['locked'], violations: [] }),
  up_read: lockCall(
    'up_read() (kernel/locking/rwsem.c)',
    'The last reader hands it to the writer at the head (`woke`). By a non-reader: lockdep bad unlock balance, and a reader count still goes. On a writer-held rwsem: `warn_on` (DEBUG_RWSEMS), refused; by a task holding it in no mode, lockdep\'s bad unlock balance first.',
    { returns: ['woke'], violations: ['lockdep', 'warn_on'] },
  ),
  down_write: lockCall('down_write() (kernel/locking/rwsem.c)', 'Takes it exclusively; any holder makes it blocked and queued.', { returns: ['(blocked, queued)'] }),
  down_write_trylock: lockCall('down_write_trylock() (kernel/locking/rwsem.c)', '`{ ok: true, locked }`: only from RWSEM_UNLOCKED_VALUE (no holder, no waiter).', { returns: ['locked'], violations: [] }),
  up_write: lockCall(
    'up_write() (kernel/locking/rwsem.c)',
    'rwsem_mark_wake: a writer at the head gets it, else every queued reader (`woke`). By another task: lockdep bad unlock balance, then `warn_on` (DEBUG_RWSEMS: not the owner), released anyway; not write-held: `warn_on` (DEBUG_RWSEMS), refused, with lockdep\'s bad unlock balance first for a task holding it in no mode.',
    { returns: ['woke'], violations: ['lockdep', 'warn_on'] },
  ),
  downgrade_write: lockCall(
    'downgrade_write() (kernel/locking/rwsem.c)',
    'The writer now holds it for read; queued readers at the head are granted (`woke`), writers stay queued. By another task: lockdep bad unlock balance, then `warn_on` (DEBUG_RWSEMS), downgraded anyway; not write-held: `warn_on`, refused.',
    { returns: ['woke'], violations: ['lockdep', 'warn_on'] },
  ),
  rcu_read_lock: {
    kernel: 'rcu_read_lock() (include/linux/rcupdate.h)',
    rust: 'rcu::read_lock() / Devres::try_access',
    summary: 'Opens an RCU read section: atomic (non-preemptible RCU), no sleeping until the unlock.',
    fields: { task },
    returns: [],
    errnos: [],
    violations: [],
  },
  rcu_read_unlock: {
    kernel: 'rcu_read_unlock() (include/linux/rcupdate.h)',
    rust: 'drop(rcu::Guard)',
    summary: 'Closes one RCU read section; with none open, lockdep bad unlock balance (refused).',
    fields: { task },
    returns: [],
    errnos: [],
    violations: ['lockdep'],
  },
  local_irq_disable: {
    kernel: 'local_irq_disable() (include/linux/irqflags.h)',
    summary: 'IRQs off: sleeping is reported, but in_atomic() stays false (a section begun here is tracked).',
    fields: { task },
    returns: [],
    errnos: [],
    violations: [],
  },
  local_irq_enable: {
    kernel: 'local_irq_enable() (include/linux/irqflags.h)',
    summary: 'IRQs on (a flag, not a count).',
    fields: { task },
    returns: [],
    errnos: [],
    violations: [],
  },
  kmalloc: {
    kernel: 'kmalloc() → might_alloc() (include/linux/sched/mm.h, mm/page_alloc.c fs_reclaim_acquire)',
    rust: 'KBox::new(value, flags)',
    summary:
      'Allocates (always succeeds). A reclaiming mask (after the memalloc scopes) acquires `fs_reclaim` (with __GFP_FS) and the MMU-notifier map; a blocking mask is a sleep point.',
    fields: { task, gfp: { kind: 'enum', values: Object.keys(GFP_MASKS), doc: 'the GFP mask' } },
    returns: [],
    errnos: [],
    violations: ['lockdep', 'might_sleep'],
  },
  memalloc_noreclaim_save: {
    kernel: 'memalloc_noreclaim_save() (include/linux/sched/mm.h)',
    summary: 'Sets PF_MEMALLOC (no reclaim tracking); returns `flags`, the bit (2048) if newly set, else 0.',
    fields: { task },
    returns: ['flags'],
    errnos: [],
    violations: [],
  },
  memalloc_noreclaim_restore: {
    kernel: 'memalloc_noreclaim_restore() (include/linux/sched/mm.h)',
    summary: 'Clears the PF_* bits in `flags`.',
    fields: { task, flags },
    returns: [],
    errnos: [],
    violations: [],
  },
  memalloc_nofs_save: {
    kernel: 'memalloc_nofs_save() (include/linux/sched/mm.h)',
    summary: 'Sets PF_MEMALLOC_NOFS (allocations lose __GFP_FS); returns `flags`, the bit (262144) if newly set, else 0.',
    fields: { task },
    returns: ['flags'],
    errnos: [],
    violations: [],
  },
  memalloc_nofs_restore: {
    kernel: 'memalloc_nofs_restore() (include/linux/sched/mm.h)',
    summary: 'Clears the PF_* bits in `flags`.',
    fields: { task, flags },
    returns: [],
    errnos: [],
    violations: [],
  },
  memalloc_noio_save: {
    kernel: 'memalloc_noio_save() (include/linux/sched/mm.h)',
    summary: 'Sets PF_MEMALLOC_NOIO (allocations lose __GFP_IO and __GFP_FS); returns `flags`, the bit (524288) if newly set, else 0.',
    fields: { task },
    returns: ['flags'],
    errnos: [],
    violations: [],
  },
  memalloc_noio_restore: {
    kernel: 'memalloc_noio_restore() (include/linux/sched/mm.h)',
    summary: 'Clears the PF_* bits in `flags`.',
    fields: { task, flags },
    returns: [],
    errnos: [],
    violations: [],
  },
  might_fault: {
    kernel: '__might_fault() (mm/memory.c), as copy_from_user makes it',
    rust: 'UserSliceReader::read',
    summary: 'A sleep point and a read acquisition of the `mmap_lock` class (edges from the held locks), fault or not.',
    fields: { task },
    returns: [],
    errnos: [],
    violations: ['lockdep', 'might_sleep'],
  },
  might_sleep: {
    kernel: 'might_sleep() (include/linux/kernel.h, kernel/sched/core.c __might_sleep)',
    summary: 'A sleep point: reported in atomic context (a spinlock, an RCU read section, IRQs off).',
    fields: { task },
    returns: [],
    errnos: [],
    violations: ['might_sleep'],
  },
  debug_locks_off: {
    kernel: 'debug_locks_off() (lib/debug_locks.c)',
    summary: 'Turns lockdep off, as its first report does: no more lockdep reports, lock_is_held answers "held".',
    fields: {},
    returns: [],
    errnos: [],
    violations: [],
  },
  lock_map_acquire: {
    kernel: 'lock_map_acquire() (include/linux/lockdep.h)',
    summary: 'lockdep annotation: takes the lockdep map `map` (its own class: a lock class or a pseudo-lock such as `fs_reclaim`) exclusively, recording a dependency from every lock the task holds; no lock is taken. The checker writes these to replay the dependencies other interleavings recorded.',
    fields: { map: { kind: 'name', doc: 'the lockdep map, by its class name' }, task },
    returns: [],
    errnos: [],
    violations: ['lockdep'],
  },
  lock_map_release: {
    kernel: 'lock_map_release() (include/linux/lockdep.h)',
    summary: 'lockdep annotation: releases the lockdep map `map`; not held: bad unlock balance.',
    fields: { map: { kind: 'name', doc: 'the lockdep map, by its class name' }, task },
    returns: [],
    errnos: [],
    violations: ['lockdep'],
  },
  lockdep_prove_all: {
    kernel: '(model option: no kernel function)',
    summary: 'What `drmstate run --lockdep-all` sends first: later lockdep reports do not turn lockdep off, so every one is seen.',
    fields: {},
    returns: [],
    errnos: [],
    violations: [],
  },
} as const satisfies { readonly [type: string]: EventDef };

/** A decoded locking event. */
export type LockingEvent = DecodedEvents<typeof LOCKING_EVENTS>;
