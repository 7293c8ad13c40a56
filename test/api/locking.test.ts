import { describe, expect, it } from 'vitest';
import { KBox, Mutex, RwSemaphore, SpinLock, rcuReadLock } from '../../src/api/locking.js';
import { Kernel } from '../../src/kernel/Kernel.js';

describe('Mutex', () => {
  it('hands a queued lock to the waiter on release, whose pending guard then works', () => {
    const k = new Kernel();
    const m = Mutex.new(k, 'L');
    const a = m.lock('t1');
    const b = m.lock('t2');
    expect(a.ok).toBe(true);
    expect(b.ok === false && b.queued).toBe(true);
    if (!a.ok || b.ok) throw new Error('unexpected');
    expect(() => b.pending?.guard()).toThrow(/still waits/);
    expect(a.guard.release().woke).toEqual(['t2']);
    expect(b.pending?.guard().release()).toEqual({ ok: true, violations: [] });
    expect(() => a.guard.release()).toThrow(/released already/);
  });

  it('answers tryLock with a guard only when the mutex is free', () => {
    const m = Mutex.new(new Kernel(), 'L');
    const g = m.tryLock('t1');
    expect(g).toBeDefined();
    expect(m.tryLock('t2')).toBeUndefined();
  });
});

describe('SpinLock, rcuReadLock and KBox', () => {
  it('makes KBox.new(GFP_KERNEL) a might_sleep finding under a spinlock guard, clean after release', () => {
    const k = new Kernel();
    const s = SpinLock.new(k, 'S');
    const r = s.lock('t', { irqsave: true });
    expect(KBox.new(k, 't', 'GFP_KERNEL').violations.map((v) => v.kind)).toEqual(['might_sleep']);
    if (r.ok) r.guard.release();
    expect(KBox.new(k, 't', 'GFP_KERNEL').violations).toEqual([]);
  });

  it('makes the holder of an RCU guard atomic until release', () => {
    const k = new Kernel();
    const g = rcuReadLock(k, 't');
    expect(KBox.new(k, 't', 'GFP_ATOMIC').violations).toEqual([]);
    expect(KBox.new(k, 't', 'GFP_NOIO').violations.map((v) => v.kind)).toEqual(['might_sleep']);
    g.release();
    expect(KBox.new(k, 't', 'GFP_NOIO').violations).toEqual([]);
  });
});

describe('RwSemaphore', () => {
  it('shares read guards, downgrades a write guard, and refuses a try while a writer holds it', () => {
    const k = new Kernel();
    const sem = RwSemaphore.new(k, 'mm', 'mmap_lock');
    const w = sem.write('t1');
    expect(sem.tryRead('t2')).toBeUndefined();
    if (!w.ok) throw new Error('write failed');
    const { guard } = w.guard.downgrade();
    const r = sem.tryRead('t2');
    expect(r).toBeDefined();
    expect(sem.tryWrite('t3')).toBeUndefined();
    guard.release();
    r?.release();
    expect(sem.tryWrite('t3')).toBeDefined();
  });
});
