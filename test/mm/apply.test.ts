import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { EMPTY_WORLD_FINGERPRINT } from '../../src/kernel/composeKernel.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { DEFAULT_MMAP_BASE, TASK_SIZE } from '../../src/mm/layout.js';
import { call, expectRefused, kinds, messages, mmap, withMm } from './helpers.js';

const PAGE = 4096n;
const BASE = DEFAULT_MMAP_BASE;

describe('mm_alloc', () => {
  it('starts with mm_users 1 and mm_count 1', () => {
    const k = new Kernel();
    expect(call(k, { type: 'mm_alloc', mm: 'm' })).toEqual({ ok: true, mm_users: 1, mm_count: 1 });
  });

  it('throws MALFORMED_EVENT naming mm for a name that is still a live mm, changing nothing', () => {
    const k = withMm();
    const before = k.fingerprint;
    expect(() => k.callJson({ type: 'mm_alloc', mm: 'm' })).toThrow(DrmstateError);
    expect(() => k.callJson({ type: 'mm_alloc', mm: 'm' })).toThrow(/already names a live mm/);
    expect(k.fingerprint).toBe(before);
  });

  it('throws naming mmap_base for an unaligned base', () => {
    try {
      new Kernel().callJson({ type: 'mm_alloc', mm: 'm', mmap_base: '4097' });
      expect.unreachable();
    } catch (e) {
      expect((e as DrmstateError).field).toBe('mmap_base');
    }
  });

  it('may reuse the name of a freed mm', () => {
    const k = withMm();
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    expect(call(k, { type: 'mm_alloc', mm: 'm' })).toEqual({ ok: true, mm_users: 1, mm_count: 1 });
  });

  it('leaves the fingerprint of a world that never touched mm as it was', () => {
    expect(new Kernel().fingerprint).toBe(EMPTY_WORLD_FINGERPRINT);
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    const only = k.fingerprint;
    const k2 = new Kernel();
    k2.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    expect(k2.fingerprint).toBe(only);
    expect(withMm().fingerprint).not.toBe(EMPTY_WORLD_FINGERPRINT);
  });
});

describe('mmput and exit_mmap', () => {
  it('the last mmput unmaps every VMA (address order) and frees the struct with no mmgrab', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    mmap(k, 'b', 4096);
    expect(call(k, { type: 'mmput', mm: 'm', task: 't' })).toEqual({ ok: true, mm_users: 0, unmapped: ['b', 'a'] });
    expect(k.world.mm.mms.get('m')?.state).toBe('freed');
    expect(k.world.mm.vmas.get('a')?.state).toBe('unmapped');
  });

  it('an mmgrab keeps the struct: usersGone, and the last mmdrop frees it', () => {
    const k = withMm();
    call(k, { type: 'mmgrab', mm: 'm' });
    expect(call(k, { type: 'mmput', mm: 'm', task: 't' })).toEqual({ ok: true, mm_users: 0, unmapped: [] });
    expect(k.world.mm.mms.get('m')).toMatchObject({ state: 'usersGone', users: 0, count: 1 });
    expect(call(k, { type: 'mmget_not_zero', mm: 'm' })).toEqual({ ok: true, got: false });
    expect(call(k, { type: 'mmdrop', mm: 'm' })).toEqual({ ok: true, mm_count: 0 });
    expect(k.world.mm.mms.get('m')?.state).toBe('freed');
  });

  it('mmput_async tears down the same way', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    expect(call(k, { type: 'mmput_async', mm: 'm' })).toEqual({ ok: true, mm_users: 0, unmapped: ['a'] });
  });
});

describe('misuse', () => {
  it('any call on a freed mm is a use_after_free, a further mmdrop too (not an underflow)', () => {
    const k = withMm();
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    const o = expectRefused(k, { type: 'mmdrop', mm: 'm' }, 'use_after_free');
    expect(messages(o)[0]).toMatch(/after __mmdrop freed it/);
    for (const e of [
      { type: 'mmgrab', mm: 'm' },
      { type: 'mmget', mm: 'm' },
      { type: 'mmget_not_zero', mm: 'm' },
      { type: 'mmput', mm: 'm', task: 't' },
      { type: 'mmput_async', mm: 'm' },
      { type: 'find_vma', mm: 'm', task: 't', addr: '0' },
    ])
      expectRefused(k, e, 'use_after_free');
  });

  it('an mmput with mm_users already 0 while an mmgrab keeps the struct is a refcount_underflow', () => {
    const k = withMm();
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    const o = expectRefused(k, { type: 'mmput', mm: 'm', task: 't' }, 'refcount_underflow');
    expect(messages(o)[0]).toMatch(/atomic_t underflows \(the kernel prints nothing/);
    expectRefused(k, { type: 'mmput_async', mm: 'm' }, 'refcount_underflow');
  });

  it('mmget of a zero-user mm is a use_after_free of the torn-down address space', () => {
    const k = withMm();
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    const o = expectRefused(k, { type: 'mmget', mm: 'm' }, 'use_after_free');
    expect(messages(o)[0]).toMatch(/exit_mmap already tore its address space down/);
    expectRefused(k, { type: 'vm_mmap', mm: 'm', task: 't', vma: 'v', len: '4096', flags: 'MAP_PRIVATE|MAP_ANONYMOUS' }, 'use_after_free');
    expectRefused(k, { type: 'vma_lookup', mm: 'm', task: 't', addr: '0' }, 'use_after_free');
  });

  it('mmdrop of the users\' own count reference is a refcount_underflow; with an mmgrab it is clean', () => {
    const k = withMm();
    expectRefused(k, { type: 'mmdrop', mm: 'm' }, 'refcount_underflow');
    call(k, { type: 'mmgrab', mm: 'm' });
    expect(call(k, { type: 'mmdrop', mm: 'm' })).toEqual({ ok: true, mm_count: 1 });
  });

  it('a name never created is UNKNOWN_OBJECT', () => {
    expect(() => new Kernel().callJson({ type: 'mmget', mm: 'nope' })).toThrow(/no mm named "nope"/);
    expect(() => new Kernel().callJson({ type: 'vma_start', vma: 'nope', task: 't' })).toThrow(/no VMA named "nope"/);
  });
});

describe('get_task_mm and task_mm_borrow', () => {
  it('get_task_mm takes a user reference; the borrow takes none', () => {
    const k = withMm();
    expect(call(k, { type: 'get_task_mm', task: 't' })).toEqual({ ok: true, mm: 'm' });
    expect(k.world.mm.mms.get('m')?.users).toBe(2);
    expect(call(k, { type: 'task_mm_borrow', task: 't' })).toEqual({ ok: true, mm: 'm' });
    expect(k.world.mm.mms.get('m')?.users).toBe(2);
  });

  it('answers null for a task without an mm and for one whose mm has no users', () => {
    const k = withMm();
    expect(call(k, { type: 'get_task_mm', task: 'other' })).toEqual({ ok: true, mm: null });
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    expect(call(k, { type: 'get_task_mm', task: 't' })).toEqual({ ok: true, mm: null });
    expect(call(k, { type: 'task_mm_borrow', task: 't' })).toEqual({ ok: true, mm: null });
    expect(k.world.mm.mms.get('m')?.users).toBe(0);
  });
});

describe('vm_mmap placement', () => {
  it('places top-down below mmap_base, first fit, page aligned', () => {
    const k = withMm();
    expect(mmap(k, 'a', 4096)).toEqual({ ok: true, start: (BASE - PAGE).toString() });
    expect(mmap(k, 'b', 100)).toEqual({ ok: true, start: (BASE - 2n * PAGE).toString() });
    expect(k.world.mm.mms.get('m')?.map.find((p) => p.vma === 'b')?.end).toBe((BASE - PAGE).toString());
  });

  it('uses the documented default mmap_base 0x7ffff7fff000', () => {
    expect(DEFAULT_MMAP_BASE).toBe(0x7ffff7fff000n);
    expect(TASK_SIZE).toBe(0x7ffffffff000n);
  });

  it('fills the highest hole that fits, and a free hint as given', () => {
    const k = withMm('1048576');
    mmap(k, 'a', 4096, { addr: 0x80000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    // Below the base: [0x81000, 0x100000) is free, 0x7f000 bytes: a 2-page mapping takes its top.
    expect(mmap(k, 'b', 8192)).toEqual({ ok: true, start: String(0x100000 - 0x2000) });
    // Too big for the top hole: the hole below 0x80000.
    expect(mmap(k, 'c', 0x7f000 - 0x2000 + 4096)).toEqual({ ok: true, start: String(0x80000 - (0x7f000 - 0x2000 + 4096)) });
    expect(mmap(k, 'd', 4096, { addr: 0x200000 })).toEqual({ ok: true, start: String(0x200000) });
    // A hint over a mapping is ignored.
    expect(mmap(k, 'e', 4096, { addr: 0x200000 }).start).not.toBe(String(0x200000));
  });

  it('falls back bottom-up from TASK_UNMAPPED_BASE when nothing fits below mmap_base', () => {
    const k = withMm('8192');
    expect(mmap(k, 'a', 8192)).toEqual({ ok: true, start: '46912496119808' });
    expect(BigInt(46912496119808)).toBe(0x2aaaaaaab000n);
  });

  it('MAP_FIXED replaces what it overlaps, splitting a VMA it covers part of', () => {
    const k = withMm();
    mmap(k, 'a', 4 * 4096, { addr: 0x100000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    mmap(k, 'b', 4096, { addr: 0x105000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    expect(mmap(k, 'c', 3 * 4096, { addr: 0x103000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' })).toEqual({
      ok: true,
      start: String(0x103000),
      unmapped: ['b'],
      split: ['a'],
    });
    expect(k.world.mm.mms.get('m')?.map).toEqual([
      { start: String(0x100000), end: String(0x103000), vma: 'a' },
      { start: String(0x103000), end: String(0x106000), vma: 'c' },
    ]);
  });

  it('MAP_FIXED_NOREPLACE answers EEXIST on overlap and maps when the range is free', () => {
    const k = withMm();
    mmap(k, 'a', 4096, { addr: 0x100000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    expect(mmap(k, 'b', 8192, { addr: 0xff000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE' })).toEqual({ ok: false, errno: 'EEXIST' });
    expect(mmap(k, 'b', 4096, { addr: 0xff000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE' })).toEqual({ ok: true, start: String(0xff000) });
  });

  it('answers the errnos of do_mmap', () => {
    const k = withMm();
    expect(mmap(k, 'v', 0)).toEqual({ ok: false, errno: 'EINVAL' });
    expect(mmap(k, 'v', '18446744073709551615')).toEqual({ ok: false, errno: 'ENOMEM' });
    expect(mmap(k, 'v', String(TASK_SIZE))).toEqual({ ok: false, errno: 'ENOMEM' });
    expect(mmap(k, 'v', 4096, { addr: 0x100001, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(mmap(k, 'v', 4096, { addr: 0, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' })).toEqual({ ok: false, errno: 'EPERM' });
    expect(mmap(k, 'v', 4096, { addr: String(TASK_SIZE), flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' })).toEqual({ ok: false, errno: 'ENOMEM' });
    expect(mmap(k, 'v', 4096, { flags: 'MAP_ANONYMOUS' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(mmap(k, 'v', 4096, { flags: 'MAP_SHARED_VALIDATE|MAP_ANONYMOUS' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(mmap(k, 'v', 4096, { flags: 'MAP_SHARED|MAP_ANONYMOUS' }).ok).toBe(true);
  });

  it('throws MALFORMED_EVENT naming flags for an unknown flag, and vma for a mapped name', () => {
    const k = withMm();
    expect(() => mmap(k, 'v', 4096, { flags: 'MAP_PRIVATE|MAP_BOGUS' })).toThrow(/unknown flag "MAP_BOGUS"/);
    mmap(k, 'v', 4096);
    try {
      mmap(k, 'v', 4096);
      expect.unreachable();
    } catch (e) {
      expect((e as DrmstateError).field).toBe('vma');
    }
  });
});

describe('vm_munmap', () => {
  it('splits a VMA: the pieces keep its name; a later unmap of the rest unmaps it', () => {
    const k = withMm();
    mmap(k, 'a', 4 * 4096, { addr: 0x100000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    expect(call(k, { type: 'vm_munmap', mm: 'm', task: 't', addr: String(0x101000), len: '4096' })).toEqual({ ok: true, unmapped: [], split: ['a'] });
    expect(k.world.mm.mms.get('m')?.map.map((p) => [p.start, p.end, p.vma])).toEqual([
      [String(0x100000), String(0x101000), 'a'],
      [String(0x102000), String(0x104000), 'a'],
    ]);
    expect(call(k, { type: 'vm_munmap', mm: 'm', task: 't', addr: String(0x100000), len: String(4 * 4096) })).toEqual({ ok: true, unmapped: ['a'], split: [] });
    expect(k.world.mm.vmas.get('a')?.state).toBe('unmapped');
  });

  it('does not merge adjacent VMAs', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    mmap(k, 'b', 4096);
    expect(k.world.mm.mms.get('m')?.map.length).toBe(2);
  });

  it('answers EINVAL for an unaligned start, a zero length, a range past TASK_SIZE; 0 for an empty range', () => {
    const k = withMm();
    const un = (addr: string, len: string) => call(k, { type: 'vm_munmap', mm: 'm', task: 't', addr, len });
    expect(un('1', '4096')).toEqual({ ok: false, errno: 'EINVAL' });
    expect(un('4096', '0')).toEqual({ ok: false, errno: 'EINVAL' });
    expect(un(String(TASK_SIZE), String(2n * PAGE))).toEqual({ ok: false, errno: 'EINVAL' });
    expect(un('4096', '1')).toEqual({ ok: true, unmapped: [], split: [] });
  });
});

describe('find_vma and vma_lookup', () => {
  it('find_vma answers the first VMA ending above addr, which may start above it; vma_lookup only a containing one', () => {
    const k = withMm();
    mmap(k, 'a', 4096, { addr: 0x100000, flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    expect(call(k, { type: 'find_vma', mm: 'm', task: 't', addr: '4096' }).vma).toBe('a');
    expect(call(k, { type: 'vma_lookup', mm: 'm', task: 't', addr: '4096' }).vma).toBe(null);
    expect(call(k, { type: 'vma_lookup', mm: 'm', task: 't', addr: String(0x100fff) }).vma).toBe('a');
    expect(call(k, { type: 'find_vma', mm: 'm', task: 't', addr: String(0x101000) }).vma).toBe(null);
  });
});

describe('VmaRef reads', () => {
  it('answer the piece the task looked up while it holds the lock; after the unlock a use_after_free', () => {
    const k = withMm();
    mmap(k, 'a', 8192, { addr: 0x100000, flags: 'MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED' });
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 't' });
    call(k, { type: 'vma_lookup', mm: 'm', task: 't', addr: String(0x100000) });
    expect(call(k, { type: 'vma_start', vma: 'a', task: 't' })).toEqual({ ok: true, start: String(0x100000) });
    expect(call(k, { type: 'vma_end', vma: 'a', task: 't' })).toEqual({ ok: true, end: String(0x102000) });
    expect(call(k, { type: 'vma_flags', vma: 'a', task: 't' })).toEqual({ ok: true, flags: 0x1 | 0x2 | 0x70 | 0x88 });
    expect(messages(expectRefused(k, { type: 'vma_start', vma: 'a', task: 'u' }, 'use_after_free'))[0]).toMatch(/no mmap lock protects the reference/);
    call(k, { type: 'mmap_read_unlock', mm: 'm', task: 't' });
    expectRefused(k, { type: 'vma_end', vma: 'a', task: 't' }, 'use_after_free');
  });

  it('a lookup without the lock gives no reference (vma_lookup asserts nothing)', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    expect(call(k, { type: 'vma_lookup', mm: 'm', task: 't', addr: String(DEFAULT_MMAP_BASE - PAGE) })).toEqual({ ok: true, vma: 'a' });
    expectRefused(k, { type: 'vma_start', vma: 'a', task: 't' }, 'use_after_free');
  });

  it('a downgrade keeps the references; task_exit ends them', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    call(k, { type: 'mmap_write_lock', mm: 'm', task: 't' });
    call(k, { type: 'find_vma', mm: 'm', task: 't', addr: '0' });
    call(k, { type: 'mmap_write_downgrade', mm: 'm', task: 't' });
    expect(call(k, { type: 'vma_start', vma: 'a', task: 't' }).ok).toBe(true);
    const exit = call(k, { type: 'task_exit', task: 't' });
    expect(kinds(exit)).toEqual(['lockdep']);
    expect(k.world.mm.tasks.has('t')).toBe(false);
  });

  it('after exit_mmap a read is a use_after_free of an unmapped VMA', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    const o = expectRefused(k, { type: 'vma_start', vma: 'a', task: 't' }, 'use_after_free');
    expect(messages(o)[0]).toMatch(/which is unmapped/);
  });
});

describe('the mmap lock (locking protocol rwsem, class mmap_lock)', () => {
  it('find_vma without the lock is lockdep (mmap_assert_locked), with it clean', () => {
    const k = withMm();
    const o = call(k, { type: 'find_vma', mm: 'm', task: 't', addr: '0' });
    expect(o.ok).toBe(true);
    expect(kinds(o)).toEqual(['lockdep']);
    expect(messages(o)[0]).toMatch(/mmap_assert_locked/);
    const k2 = withMm();
    call(k2, { type: 'mmap_read_lock', mm: 'm', task: 't' });
    expect(call(k2, { type: 'find_vma', mm: 'm', task: 't', addr: '0' })).toEqual({ ok: true, vma: null });
  });

  it('a recursive read lock by one task is lockdep; two tasks share it cleanly', () => {
    const k = withMm();
    expect(call(k, { type: 'mmap_read_lock', mm: 'm', task: 't' })).toEqual({ ok: true });
    expect(call(k, { type: 'mmap_read_lock', mm: 'm', task: 'u' })).toEqual({ ok: true });
    expect(kinds(call(k, { type: 'mmap_read_lock', mm: 'm', task: 't' }))).toContain('lockdep');
  });

  it('two mms\' mmap locks nest as recursion of the one class', () => {
    const k = withMm();
    call(k, { type: 'mm_alloc', mm: 'm2' });
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 't' });
    expect(kinds(call(k, { type: 'mmap_write_lock', mm: 'm2', task: 't' }))).toContain('lockdep');
  });

  it('write lock under the task\'s own read lock: lockdep and the task queues on itself', () => {
    const k = withMm();
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 't' });
    const o = call(k, { type: 'mmap_write_lock', mm: 'm', task: 't' });
    expect(o).toMatchObject({ ok: false, blocked: true, queued: true });
    expect(kinds(o)).toContain('lockdep');
  });

  it('vm_mmap takes the write lock itself: it waits while another task reads, and allocates GFP_KERNEL', () => {
    const k = withMm();
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 'u' });
    const before = k.fingerprint;
    expect(mmap(k, 'a', 4096)).toEqual({ ok: false, blocked: true });
    expect(k.fingerprint).toBe(before);
    call(k, { type: 'mmap_read_unlock', mm: 'm', task: 'u' });
    expect(mmap(k, 'a', 4096).ok).toBe(true);
    call(k, { type: 'dma_fence_begin_signalling', task: 't' });
    expect(kinds(mmap(k, 'b', 4096))).toContain('lockdep');
  });

  it('the last mmput sleep-checks first: in atomic context might_sleep, mmput_async clean', () => {
    const k = withMm();
    call(k, { type: 'rcu_read_lock', task: 't' });
    const o = call(k, { type: 'mmput', mm: 'm', task: 't' });
    expect(kinds(o)[0]).toBe('might_sleep');
    const k2 = withMm();
    call(k2, { type: 'rcu_read_lock', task: 't' });
    expect(call(k2, { type: 'mmput_async', mm: 'm' })).toEqual({ ok: true, mm_users: 0, unmapped: [] });
  });

  it('the last mmput inside a signalling section is lockdep through exit_mmap\'s mmap lock (A7); a non-final one is clean', () => {
    const k = withMm();
    call(k, { type: 'mmget', mm: 'm' });
    call(k, { type: 'dma_fence_begin_signalling', task: 't' });
    expect(call(k, { type: 'mmput', mm: 'm', task: 't' })).toEqual({ ok: true, mm_users: 1 });
    const last = call(k, { type: 'mmput', mm: 'm', task: 't' });
    expect(last.ok).toBe(true);
    expect(kinds(last)).toEqual(['lockdep']);
    expect(messages(last)[0]).toMatch(/mmap_lock/);
  });

  it('a zero-user mm\'s lock is a use_after_free of the torn-down address space', () => {
    const k = withMm();
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    for (const type of ['mmap_read_lock', 'mmap_read_trylock', 'mmap_write_lock', 'mmap_read_unlock'])
      expectRefused(k, { type, mm: 'm', task: 't' }, 'use_after_free');
  });

  it('mmap_assert_locked and mmap_assert_write_locked WARN (lockdep) for the calling task only, silent once lockdep is off', () => {
    const k = withMm();
    expect(kinds(call(k, { type: 'mmap_assert_locked', mm: 'm', task: 't' }))).toEqual(['lockdep']);
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 'r' });
    expect(call(k, { type: 'mmap_assert_locked', mm: 'm', task: 'r' })).toEqual({ ok: true });
    // Another task's hold does not count; a read hold is not a write hold.
    expect(kinds(call(k, { type: 'mmap_assert_locked', mm: 'm', task: 't' }))).toEqual(['lockdep']);
    expect(kinds(call(k, { type: 'mmap_assert_write_locked', mm: 'm', task: 'r' }))).toEqual(['lockdep']);
    call(k, { type: 'mmap_read_unlock', mm: 'm', task: 'r' });
    call(k, { type: 'mmap_write_lock', mm: 'm', task: 'w' });
    expect(call(k, { type: 'mmap_assert_write_locked', mm: 'm', task: 'w' })).toEqual({ ok: true });
    expect(call(k, { type: 'mmap_assert_locked', mm: 'm', task: 'w' })).toEqual({ ok: true });
    call(k, { type: 'debug_locks_off' });
    expect(call(k, { type: 'mmap_assert_locked', mm: 'm', task: 't' })).toEqual({ ok: true });
  });

  it('mmap_lock_is_contended answers whether a task waits on the lock', () => {
    const k = withMm();
    expect(call(k, { type: 'mmap_lock_is_contended', mm: 'm' })).toEqual({ ok: true, contended: false });
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 'r' });
    expect(call(k, { type: 'mmap_lock_is_contended', mm: 'm' })).toEqual({ ok: true, contended: false });
    call(k, { type: 'mmap_write_lock', mm: 'm', task: 'w' });
    expect(call(k, { type: 'mmap_lock_is_contended', mm: 'm' })).toEqual({ ok: true, contended: true });
  });

  it('answers the killable locks as the plain ones (no task receives a fatal signal)', () => {
    const k = withMm();
    expect(call(k, { type: 'mmap_read_lock_killable', mm: 'm', task: 'r' })).toEqual({ ok: true });
    expect(call(k, { type: 'mmap_write_lock_killable', mm: 'm', task: 'w' })).toEqual({ ok: false, blocked: true, queued: true });
    expect(call(k, { type: 'mmap_read_unlock', mm: 'm', task: 'r' })).toEqual({ ok: true, woke: ['w'] });
    expect(call(k, { type: 'mmap_write_unlock', mm: 'm', task: 'w' })).toEqual({ ok: true });
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    for (const type of ['mmap_read_lock_killable', 'mmap_write_lock_killable']) expectRefused(k, { type, mm: 'm', task: 't' }, 'use_after_free');
  });

  it('the last mmput waits while another task holds the lock', () => {
    const k = withMm();
    call(k, { type: 'mmap_read_lock', mm: 'm', task: 'u' });
    expect(call(k, { type: 'mmput', mm: 'm', task: 't' })).toEqual({ ok: false, blocked: true });
    expect(call(k, { type: 'mmput_async', mm: 'm' })).toEqual({ ok: false, blocked: true });
    expect(k.world.mm.mms.get('m')?.users).toBe(1);
  });
});
