import type { DecodedEvents } from '../world/fields.js';
import type { EventDef } from '../world/Protocol.js';

const mm = { kind: 'name', doc: 'the mm_struct' } as const;
const task = { kind: 'name', doc: 'the simulated thread' } as const;
const vma = { kind: 'name', doc: 'the mapping (VMA) name' } as const;

/** Every mm event: fields, outcomes, errnos, violations, kernel function and Rust name. */
export const MM_EVENTS = {
  mm_alloc: {
    kernel: 'mm_alloc() / mm_init() (kernel/fork.c)',
    summary:
      'Allocates an mm with mm_users 1 and mm_count 1 and an empty VMA tree; `task` (optional) is the task whose current->mm it becomes; `mmap_base` defaults to 0x7ffff7fff000 (x86-64, 4-level paging, randomisation off). Naming a live mm again is library misuse.',
    fields: {
      mm,
      task: { kind: 'name', optional: true, doc: 'the task whose current->mm it becomes' },
      mmap_base: { kind: 'u64', optional: true, doc: 'mm->mmap_base (arch_pick_mmap_layout)' },
    },
    returns: ['mm_users', 'mm_count'],
    errnos: [],
    violations: [],
  },
  mmgrab: {
    kernel: 'mmgrab() (include/linux/sched/mm.h)',
    rust: 'ARef<Mm> clone (AlwaysRefCounted::inc_ref)',
    summary: 'Takes a reference on the struct (mm_count).',
    fields: { mm },
    returns: ['mm_count'],
    errnos: [],
    violations: ['use_after_free'],
  },
  mmdrop: {
    kernel: 'mmdrop() / __mmdrop() (include/linux/sched/mm.h, kernel/fork.c)',
    rust: 'drop(ARef<Mm>)',
    summary:
      'Drops a struct reference; the last one frees it. On a freed mm a use_after_free; dropping the one count the users hold while mm_users > 0 a refcount_underflow (both refused).',
    fields: { mm },
    returns: ['mm_count'],
    errnos: [],
    violations: ['use_after_free', 'refcount_underflow'],
  },
  mmget: {
    kernel: 'mmget() (include/linux/sched/mm.h)',
    rust: 'ARef<MmWithUser> clone',
    summary: 'Takes a user reference (mm_users). On a zero-user mm it resurrects a torn-down address space: use_after_free (refused; the kernel cannot see it).',
    fields: { mm },
    returns: ['mm_users'],
    errnos: [],
    violations: ['use_after_free'],
  },
  mmget_not_zero: {
    kernel: 'mmget_not_zero() (include/linux/sched/mm.h)',
    rust: 'Mm::mmget_not_zero() -> Option<ARef<MmWithUser>>',
    summary: 'Takes a user reference unless mm_users is 0; `got` says whether it did.',
    fields: { mm },
    returns: ['got'],
    errnos: [],
    violations: ['use_after_free'],
  },
  mmput: {
    kernel: 'mmput() / __mmput() / exit_mmap() (kernel/fork.c, mm/mmap.c)',
    rust: 'drop(ARef<MmWithUser>)',
    summary:
      'might_sleep, then drops a user reference; the last one runs exit_mmap (every VMA unmapped, listed in `unmapped`, under the mmap lock: read, then write) and then drops the users\' mm_count. With mm_users already 0 a refcount_underflow (the kernel\'s atomic_t prints nothing); on a freed mm a use_after_free (both refused).',
    fields: { mm, task },
    returns: ['mm_users', 'unmapped (the last one)'],
    errnos: [],
    violations: ['might_sleep', 'lockdep', 'refcount_underflow', 'use_after_free'],
  },
  mmput_async: {
    kernel: 'mmput_async() (kernel/fork.c)',
    rust: 'drop(ARef<MmWithUserAsync>)',
    summary: 'As mmput, without the sleep check: the teardown runs from a workqueue (here at once, in no task\'s context), so it is clean in atomic context.',
    fields: { mm },
    returns: ['mm_users', 'unmapped (the last one)'],
    errnos: [],
    violations: ['refcount_underflow', 'use_after_free'],
  },
  get_task_mm: {
    kernel: 'get_task_mm() (kernel/fork.c)',
    summary: 'The task\'s mm, with a user reference taken on it; null for a task without one or exiting (its mm\'s users are gone).',
    fields: { task },
    returns: ['mm'],
    errnos: [],
    violations: [],
  },
  task_mm_borrow: {
    kernel: 'current->mm (include/linux/sched.h)',
    rust: 'current!().mm() -> Option<&MmWithUser>',
    summary: 'The task\'s current->mm, borrowed: no count changes; null for a task without one or exiting.',
    fields: { task },
    returns: ['mm'],
    errnos: [],
    violations: [],
  },
  mmap_read_lock: lockEvent('mmap_read_lock', 'down_read', 'MmWithUser::mmap_read_lock() -> MmapReadGuard', 'Takes the mmap lock for read (the rwsem of class mmap_lock): readers share, a writer or a queued writer makes it block and queue.', []),
  mmap_read_lock_killable: lockEvent(
    'mmap_read_lock_killable',
    'down_read_killable',
    undefined,
    'As mmap_read_lock, abandoning the wait on a fatal signal (-EINTR); no simulated task receives one, so it answers as mmap_read_lock.',
    [],
  ),
  mmap_read_trylock: lockEvent('mmap_read_trylock', 'down_read_trylock', 'MmWithUser::mmap_read_trylock() -> Option<MmapReadGuard>', 'Tries the read lock: `locked` false while a writer holds it or waits.', ['locked']),
  mmap_read_unlock: lockEvent('mmap_read_unlock', 'up_read', 'drop(MmapReadGuard)', 'Releases a read hold (by a task that never took it: lockdep, and the reader count still drops); `woke` lists the tasks it granted. The task\'s VMA references from this mm die with its last hold.', ['woke']),
  mmap_write_lock: lockEvent('mmap_write_lock', 'down_write', undefined, 'Takes the mmap lock for write: blocks and queues behind any holder.', []),
  mmap_write_lock_killable: lockEvent(
    'mmap_write_lock_killable',
    'down_write_killable',
    undefined,
    'As mmap_write_lock, abandoning the wait on a fatal signal (-EINTR); no simulated task receives one, so it answers as mmap_write_lock.',
    [],
  ),
  mmap_write_trylock: lockEvent('mmap_write_trylock', 'down_write_trylock', undefined, 'Tries the write lock: `locked` false while anyone holds it.', ['locked']),
  mmap_write_unlock: lockEvent('mmap_write_unlock', 'up_write', undefined, 'Releases the write lock; `woke` lists the tasks it granted; the task\'s VMA references from this mm die.', ['woke']),
  mmap_write_downgrade: lockEvent('mmap_write_downgrade', 'downgrade_write', undefined, 'Turns the write hold into a read hold; waiting readers may enter (`woke`), writers stay out.', ['woke']),
  vm_mmap: {
    kernel: 'vm_mmap() / vm_mmap_pgoff() / do_mmap() (mm/util.c, mm/mmap.c)',
    summary:
      'Maps an anonymous VMA named `vma` (write lock taken, GFP_KERNEL allocation): MAP_FIXED at `addr` replacing overlaps (listed in `unmapped`/`split`), MAP_FIXED_NOREPLACE with EEXIST on overlap, else the hint `addr` if free, else the top-down first fit below mmap_base. `flags` is a string such as "MAP_PRIVATE|MAP_ANONYMOUS"; `prot` defaults to "PROT_READ|PROT_WRITE".',
    fields: {
      mm,
      task,
      vma,
      addr: { kind: 'u64', optional: true, doc: 'hint, or the MAP_FIXED address (default 0)' },
      len: { kind: 'u64', doc: 'length in bytes (rounded up to pages)' },
      prot: { kind: 'json', optional: true, check: checkFlagString('prot'), doc: 'PROT_ flags joined with |' },
      flags: { kind: 'json', check: checkFlagString('flags'), doc: 'MAP_ flags joined with |' },
    },
    returns: ['start', 'unmapped', 'split'],
    errnos: ['EINVAL', 'ENOMEM', 'EPERM', 'EEXIST'],
    violations: ['use_after_free', 'lockdep', 'might_sleep'],
  },
  vm_munmap: {
    kernel: 'vm_munmap() / do_vmi_munmap() (mm/mmap.c, mm/vma.c)',
    summary: 'Unmaps [addr, addr + PAGE_ALIGN(len)) under the write lock: `unmapped` lists the VMAs gone, `split` those that keep pieces. EINVAL for an unaligned addr, a zero length or a range past TASK_SIZE.',
    fields: { mm, task, addr: { kind: 'u64', doc: 'start (page aligned)' }, len: { kind: 'u64', doc: 'length in bytes' } },
    returns: ['unmapped', 'split'],
    errnos: ['EINVAL'],
    violations: ['use_after_free', 'lockdep', 'might_sleep'],
  },
  find_vma: {
    kernel: 'find_vma() (mm/mmap.c)',
    summary: 'The first VMA ending above addr (it may start above it), or null; mmap_assert_locked: lockdep without the mmap lock.',
    fields: { mm, task, addr: { kind: 'u64', doc: 'the address' } },
    returns: ['vma'],
    errnos: [],
    violations: ['lockdep', 'use_after_free'],
  },
  mmap_assert_locked: {
    kernel: 'mmap_assert_locked() = rwsem_assert_held(&mm->mmap_lock) (include/linux/mmap_lock.h)',
    summary: 'lockdep_assert_held: a lockdep WARN when the calling task holds no mmap lock of this mm (another task\'s hold does not count); silent once lockdep is off.',
    fields: { mm, task },
    returns: [],
    errnos: [],
    violations: ['lockdep', 'use_after_free'],
  },
  mmap_assert_write_locked: {
    kernel: 'mmap_assert_write_locked() = rwsem_assert_held_write(&mm->mmap_lock) (include/linux/mmap_lock.h)',
    summary: 'lockdep_assert_held_write: a lockdep WARN when the calling task does not hold this mm\'s mmap lock for write; silent once lockdep is off.',
    fields: { mm, task },
    returns: [],
    errnos: [],
    violations: ['lockdep', 'use_after_free'],
  },
  mmap_lock_is_contended: {
    kernel: 'mmap_lock_is_contended() = rwsem_is_contended(&mm->mmap_lock) (include/linux/mmap_lock.h)',
    summary: 'Whether a task waits on the mmap lock (`contended`).',
    fields: { mm },
    returns: ['contended'],
    errnos: [],
    violations: ['use_after_free'],
  },
  vma_lookup: {
    kernel: 'vma_lookup() (include/linux/mm.h)',
    rust: 'MmapReadGuard::vma_lookup() -> Option<&VmaRef>',
    summary: 'The VMA containing addr, or null. The kernel asserts nothing here; the reference it gives is valid only while the task holds the mmap lock.',
    fields: { mm, task, addr: { kind: 'u64', doc: 'the address' } },
    returns: ['vma'],
    errnos: [],
    violations: ['use_after_free'],
  },
  vma_start: {
    kernel: 'vma->vm_start (include/linux/mm_types.h)',
    rust: 'VmaRef::start()',
    summary: 'Reads the start of the piece the task looked up; without the mmap lock that lookup was made under, a use_after_free (refused; the kernel cannot see it).',
    fields: { vma, task },
    returns: ['start'],
    errnos: [],
    violations: ['use_after_free'],
  },
  vma_end: {
    kernel: 'vma->vm_end (include/linux/mm_types.h)',
    rust: 'VmaRef::end()',
    summary: 'Reads the (exclusive) end of the piece the task looked up; as vma_start.',
    fields: { vma, task },
    returns: ['end'],
    errnos: [],
    violations: ['use_after_free'],
  },
  vma_flags: {
    kernel: 'vma->vm_flags (include/linux/mm_types.h)',
    rust: 'VmaRef::flags()',
    summary: 'Reads vm_flags (a number: VM_READ 0x1, VM_WRITE 0x2, VM_EXEC 0x4, VM_SHARED 0x8, VM_MAY* 0x10-0x80, …); as vma_start.',
    fields: { vma, task },
    returns: ['flags'],
    errnos: [],
    violations: ['use_after_free'],
  },
} as const satisfies { readonly [type: string]: EventDef };

/** An mmap lock call: `mm, task`, the rwsem call of the locking protocol on the mm's lock. */
function lockEvent<R extends readonly string[]>(name: string, rwsem: string, rust: string | undefined, summary: string, returns: R) {
  return {
    kernel: `${name}() = ${rwsem}(&mm->mmap_lock) (include/linux/mmap_lock.h, kernel/locking/rwsem.c)`,
    ...(rust === undefined ? {} : { rust }),
    summary: `${summary} On a zero-user mm a use_after_free of the torn-down address space (refused; Rust's \`Mm\` offers no lock).`,
    fields: { mm, task },
    returns,
    errnos: [] as const,
    violations: ['lockdep', 'might_sleep', 'use_after_free'] as const,
  } as const;
}

/** Checks a `|`-joined flag string (the flag names themselves are checked when it is parsed). */
function checkFlagString(field: string): (v: unknown) => string | undefined {
  return (v) =>
    typeof v === 'string' && /^[A-Z_0-9]+( *\| *[A-Z_0-9]+)*$/.test(v.trim())
      ? undefined
      : `${field}: expected flag names joined with | (such as "MAP_PRIVATE|MAP_ANONYMOUS"), got ${JSON.stringify(v)}`;
}

/** An mm event type. */
export type MmEventType = keyof typeof MM_EVENTS;

/** A decoded mm event (u64 fields as bigints), inferred from {@link MM_EVENTS}' schemas. */
export type MmEvent = DecodedEvents<typeof MM_EVENTS>;
