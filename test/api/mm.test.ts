import { describe, expect, it } from 'vitest';
import { Mm, MmWithUser, MmapReadGuard, currentMm } from '../../src/api/mm.js';
import { DrmstateError } from '../../src/errors.js';
import { Kernel } from '../../src/kernel/Kernel.js';

describe('Mm and MmWithUser', () => {
  it('mmgetNotZero bridges a count reference to a user reference until the users are gone', () => {
    const k = new Kernel();
    const user = MmWithUser.alloc(k, 't', 'm');
    const mm = Mm.fromUser(user);
    const second = mm.mmgetNotZero();
    expect(second).not.toBeNull();
    expect(k.world.mm.mms.get('m')).toMatchObject({ users: 2, count: 2 });
    second?.put('t');
    expect(user.put('t')).toEqual({ ok: true, value: [], violations: [] });
    expect(mm.mmgetNotZero()).toBeNull();
    expect(mm.drop()).toEqual({ ok: true, value: undefined, violations: [] });
    expect(k.world.mm.mms.get('m')?.state).toBe('freed');
  });

  it('the read lock through an Mm after the last mmput is a use_after_free', () => {
    const k = new Kernel();
    const user = MmWithUser.alloc(k, 't', 'm');
    const mm = Mm.fromUser(user);
    user.put('t');
    const r = mm.uncheckedMmapReadLock('t');
    expect(r.ok).toBe(false);
    expect(r.violations.map((v) => v.kind)).toEqual(['use_after_free']);
  });

  it('mmgrabCurrent (v8, not upstream) grabs; currentMm borrows without a count', () => {
    const k = new Kernel();
    MmWithUser.alloc(k, 't', 'm');
    expect(currentMm(k, 't')?.name).toBe('m');
    expect(k.world.mm.mms.get('m')).toMatchObject({ users: 1, count: 1 });
    expect(Mm.mmgrabCurrent(k, 't')?.name).toBe('m');
    expect(k.world.mm.mms.get('m')).toMatchObject({ users: 1, count: 2 });
    expect(currentMm(k, 'nobody')).toBeNull();
    expect(Mm.mmgrabCurrent(k, 'nobody')).toBeNull();
  });

  it('intoMmputAsync drops with mmput_async: clean in atomic context where put is might_sleep', () => {
    const k = new Kernel();
    const a = MmWithUser.alloc(k, 't', 'a');
    k.call({ type: 'rcu_read_lock', task: 't' });
    expect(a.put('t').violations.map((v) => v.kind)).toContain('might_sleep');
    const b = MmWithUser.alloc(k, 'u', 'b');
    expect(b.intoMmputAsync().put()).toEqual({ ok: true, value: [], violations: [] });
  });
});

describe('MmapReadGuard and VmaRef', () => {
  it('a VmaRef reads while its guard is held and is a use_after_free after unlock()', () => {
    const k = new Kernel();
    const mm = MmWithUser.alloc(k, 't', 'm');
    k.call({ type: 'vm_mmap', mm: 'm', task: 't', vma: 'v', addr: '1048576', len: '8192', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    const g = mm.mmapReadLock('t');
    if (!g.ok) throw new Error('lock');
    const vma = g.value.vmaLookup(1048576n);
    expect(vma?.start()).toEqual({ ok: true, value: 1048576n, violations: [] });
    expect(vma?.end()).toEqual({ ok: true, value: 1056768n, violations: [] });
    expect(g.value.vmaLookup(0n)).toBeNull();
    g.value.unlock();
    const stale = vma?.start();
    expect(stale?.ok).toBe(false);
    expect(stale?.violations.map((v) => v.kind)).toEqual(['use_after_free']);
    expect(() => g.value.vmaLookup(1048576n)).toThrow(DrmstateError);
    expect(() => g.value.unlock()).toThrow(/unlocked already/);
  });

  it('scoped unlocks after the closure; trylock fails while a writer holds the lock', () => {
    const k = new Kernel();
    const mm = MmWithUser.alloc(k, 't', 'm');
    const g = mm.mmapReadTrylock('t');
    expect(g).not.toBeNull();
    const n = MmapReadGuard.scoped(g as MmapReadGuard, (guard) => (guard.vmaLookup(0n) === null ? 0 : 1));
    expect(n).toBe(0);
    expect(g?.isHeld).toBe(false);
    k.call({ type: 'mmap_write_lock', mm: 'm', task: 'w' });
    expect(mm.mmapReadTrylock('t')).toBeNull();
  });
});
