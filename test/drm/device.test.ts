import { describe, expect, it } from 'vitest';
import { Scenario, kinds } from './helpers.js';

describe('drm_dev_unregister versus drm_dev_unplug with an open file', () => {
  it('keeps dispatching ioctls on an open file after a plain unregister', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_open', file: 'f1', drm: 'drm0' });
    s.ok({ type: 'drm_dev_unregister', drm: 'drm0' });
    expect(s.run({ type: 'drm_ioctl', file: 'f1', task: 't1' })).toEqual({ ok: true });
    expect(s.run({ type: 'drm_open', file: 'f2', drm: 'drm0' })).toEqual({ ok: false, errno: 'ENODEV' });
    expect(s.run({ type: 'drm_dev_enter', drm: 'drm0', task: 't1' })).toEqual({ ok: true, entered: true });
  });

  it('answers ENODEV to ioctls and mmaps of an open file after unplug, and the file still closes', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_open', file: 'f1', drm: 'drm0' });
    s.ok({ type: 'drm_dev_unplug', drm: 'drm0', task: 't0' });
    expect(s.run({ type: 'drm_ioctl', file: 'f1', task: 't1' })).toEqual({ ok: false, errno: 'ENODEV' });
    expect(s.run({ type: 'drm_gem_mmap', file: 'f1', offset: '4294967296', len: '4096', vma: 'v' })).toEqual({ ok: false, errno: 'ENODEV' });
    expect(s.run({ type: 'drm_dev_is_unplugged', drm: 'drm0' })).toEqual({ ok: true, unplugged: true });
    s.ok({ type: 'drm_release', file: 'f1' }, { type: 'drm_dev_put', drm: 'drm0' });
    expect(s.world.drm.drms.get('drm0')?.state).toBe('released');
  });

  it('releases the device only at the last file close, after its handles', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_open', file: 'f1', drm: 'drm0' }, { type: 'drm_dev_unregister', drm: 'drm0' }, { type: 'drm_dev_put', drm: 'drm0' });
    expect(s.world.drm.drms.get('drm0')?.refcount).toBe(1);
    s.ok({ type: 'drm_release', file: 'f1' });
    expect(s.world.drm.drms.get('drm0')?.state).toBe('released');
    expect(kinds(s.run({ type: 'drm_dev_get', drm: 'drm0' }))).toEqual(['use_after_free']);
    expect(kinds(s.run({ type: 'drm_dev_put', drm: 'drm0' }))).toEqual(['refcount_underflow']);
  });
});

describe('drm_dev_register and drm_dev_unregister', () => {
  it('refuses a second register with a warn_on', () => {
    const s = new Scenario().device();
    const o = s.run({ type: 'drm_dev_register', drm: 'drm0', flags: 0 });
    expect(o.ok).toBe(false);
    expect(kinds(o)).toEqual(['warn_on']);
  });

  it('unregisters a device that is not registered without a warning (drm_dev_unregister has no WARN)', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'drm_dev_alloc', drm: 'd', parent: 'p' });
    expect(s.run({ type: 'drm_dev_unregister', drm: 'd' })).toEqual({ ok: true });
    expect(s.world.drm.drms.get('d')?.registered).toBe(false);
    // Twice, and after an unplug (which unregistered already): still nothing to report.
    const r = new Scenario().device();
    expect(r.run({ type: 'drm_dev_unregister', drm: 'drm0' })).toEqual({ ok: true });
    expect(r.run({ type: 'drm_dev_unregister', drm: 'drm0' })).toEqual({ ok: true });
    const u = new Scenario().device();
    expect(u.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't' })).toEqual({ ok: true });
    expect(u.run({ type: 'drm_dev_unregister', drm: 'drm0' })).toEqual({ ok: true });
    expect(u.run({ type: 'drm_dev_is_unplugged', drm: 'drm0' })).toEqual({ ok: true, unplugged: true });
  });

  it('ends a section with drm_dev_exit after the device was released (the SRCU domain is global)', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'drm_dev_alloc', drm: 'd', parent: 'p' });
    expect(s.run({ type: 'drm_dev_enter', drm: 'd', task: 't1' })).toEqual({ ok: true, entered: true });
    expect(s.run({ type: 'drm_dev_put', drm: 'd' })).toEqual({ ok: true });
    expect(s.run({ type: 'drm_dev_exit', drm: 'd', task: 't1' })).toEqual({ ok: true });
    // The section is gone: a second exit unlocks nothing.
    expect(kinds(s.run({ type: 'drm_dev_exit', drm: 'd', task: 't1' }))).toEqual(['lockdep']);
  });

  it('reports a release while registered as a use_after_free of the published minors', () => {
    const s = new Scenario().device();
    expect(kinds(s.run({ type: 'drm_dev_put', drm: 'drm0' }))).toEqual(['use_after_free']);
  });
});

describe('drm_dev_unplug (two-phase, one SRCU domain)', () => {
  it('reports rule E1: an unplug holding a lock that code inside a drm_dev_enter section takes (lockdep, SRCU annotated)', () => {
    const s = new Scenario().device();
    s.ok(
      { type: 'mutex_init', lock: 'M' },
      { type: 'drm_dev_enter', drm: 'drm0', task: 't1' },
      { type: 'mutex_lock', lock: 'M', task: 't1' },
      { type: 'mutex_unlock', lock: 'M', task: 't1' },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't1' },
      { type: 'mutex_lock', lock: 'M', task: 't2' },
    );
    const o = s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't2' });
    expect(o.ok).toBe(true);
    expect(kinds(o)).toEqual(['lockdep']);
    expect((o.violations as { message: string }[])[0]?.message).toMatch(/rule E1.*cycle: M → drm_unplug_srcu → M/);
    // A lock that no section takes is clean.
    const clean = new Scenario().device();
    clean.ok({ type: 'mutex_init', lock: 'N' }, { type: 'mutex_lock', lock: 'N', task: 't2' });
    expect(clean.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't2' })).toEqual({ ok: true });
  });

  it('lets sections nest and meet signalling sections and fence waits as lockdep does (recursive read: no false cycle)', () => {
    const s = new Scenario().device('drm0', 'p0').device('drm1', 'p1');
    s.ok(
      // Nested sections of one task, on two devices and on the same one.
      { type: 'drm_dev_enter', drm: 'drm0', task: 't1' },
      { type: 'drm_dev_enter', drm: 'drm1', task: 't1' },
      { type: 'drm_dev_enter', drm: 'drm0', task: 't1' },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't1' },
      { type: 'drm_dev_exit', drm: 'drm1', task: 't1' },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't1' },
      // A section inside a signalling section, and a fence wait inside a section: clean.
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
      { type: 'dma_fence_begin_signalling', task: 't2' },
      { type: 'drm_dev_enter', drm: 'drm0', task: 't2' },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't2' },
      { type: 'dma_fence_end_signalling', task: 't2', cookie: false },
      { type: 'drm_dev_enter', drm: 'drm0', task: 't3' },
      { type: 'dma_fence_wait_timeout', fence: 'f', task: 't3', timeout: 0 },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't3' },
    );
    expect(s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't4' })).toEqual({ ok: true });
  });

  it('orders a lock taken inside a section after the SRCU map only, as lockdep\'s walk stops at the section\'s hold', () => {
    const s = new Scenario().device();
    s.ok(
      { type: 'mutex_init', lock: 'A' },
      { type: 'mutex_init', lock: 'B' },
      { type: 'mutex_lock', lock: 'A', task: 't1' },
      { type: 'drm_dev_enter', drm: 'drm0', task: 't1' },
      { type: 'mutex_lock', lock: 'B', task: 't1' },
      { type: 'mutex_unlock', lock: 'B', task: 't1' },
      { type: 'drm_dev_exit', drm: 'drm0', task: 't1' },
      { type: 'mutex_unlock', lock: 'A', task: 't1' },
      // B → A in another task: lockdep recorded no A → B, so nothing to report (a deadlock it misses).
      { type: 'mutex_lock', lock: 'B', task: 't2' },
      { type: 'mutex_lock', lock: 'A', task: 't2' },
    );
    expect(s.world.locking.debugLocks).toBe(true);
  });

  it('is a sleep point (synchronize_srcu): might_sleep under a spinlock, clean in process context', () => {
    const s = new Scenario().device();
    s.ok({ type: 'spin_lock_init', lock: 'S' }, { type: 'spin_lock', lock: 'S', task: 't1' });
    const o = s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't1' });
    expect(o.ok).toBe(true);
    expect(kinds(o)).toEqual(['might_sleep']);
    expect(s.world.drm.drms.get('drm0')?.registered).toBe(false);
    const clean = new Scenario().device();
    expect(clean.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't1' })).toEqual({ ok: true });
    // In an RCU read section (a Devres guard is one): RCU's "Illegal synchronize_srcu()" splat first.
    const rcu = new Scenario().device();
    rcu.ok({ type: 'rcu_read_lock', task: 't1' });
    const r = rcu.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't1' });
    expect(kinds(r)).toEqual(['lockdep', 'might_sleep']);
    expect((r.violations as { message: string }[])[0]?.message).toMatch(/Illegal synchronize_srcu\(\)/);
    // The splat leaves lockdep on.
    expect(rcu.world.locking.debugLocks).toBe(true);
  });

  it('waits for a section of another device and is completed by its exit', () => {
    const s = new Scenario().device('drm0', 'p0').device('drm1', 'p1');
    expect(s.run({ type: 'drm_dev_enter', drm: 'drm1', task: 't1' })).toEqual({ ok: true, entered: true });
    expect(s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't2' })).toEqual({ ok: false, blocked: true, queued: true });
    expect(s.run({ type: 'drm_dev_enter', drm: 'drm0', task: 't3' })).toEqual({ ok: true, entered: false });
    expect(s.world.drm.drms.get('drm0')?.registered).toBe(true);
    expect(s.run({ type: 'drm_dev_exit', drm: 'drm1', task: 't1' })).toEqual({ ok: true, woke: ['t2'] });
    expect(s.world.drm.drms.get('drm0')?.registered).toBe(false);
  });

  it('does not wait for sections entered after it began', () => {
    const s = new Scenario().device('drm0', 'p0').device('drm1', 'p1');
    s.ok({ type: 'drm_dev_enter', drm: 'drm1', task: 't1' });
    s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't2' });
    s.ok({ type: 'drm_dev_enter', drm: 'drm1', task: 't3' });
    expect(s.run({ type: 'drm_dev_exit', drm: 'drm1', task: 't1' })).toEqual({ ok: true, woke: ['t2'] });
    expect(s.run({ type: 'drm_dev_exit', drm: 'drm1', task: 't3' })).toEqual({ ok: true });
  });

  it('wakes every unplug that waited for the same readers', () => {
    const s = new Scenario().device('drm0', 'p0').device('drm1', 'p1');
    s.ok({ type: 'drm_dev_enter', drm: 'drm1', task: 't1' });
    s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 'u1' });
    s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 'u2' });
    expect(s.run({ type: 'drm_dev_exit', drm: 'drm1', task: 't1' })).toEqual({ ok: true, woke: ['u1', 'u2'] });
  });

  it('is a deadlock inside the caller\'s own section, and changes nothing', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_dev_enter', drm: 'drm0', task: 't' });
    const before = s.world;
    const o = s.run({ type: 'drm_dev_unplug', drm: 'drm0', task: 't' });
    expect(kinds(o)).toEqual(['deadlock']);
    expect(s.world).toBe(before);
  });

  it('is a lockdep finding to exit without enter', () => {
    const s = new Scenario().device();
    expect(kinds(s.run({ type: 'drm_dev_exit', drm: 'drm0', task: 't' }))).toEqual(['lockdep']);
  });

  it('reports a section still open at task_exit', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_dev_enter', drm: 'drm0', task: 't' });
    expect(kinds(s.run({ type: 'task_exit', task: 't' }))).toEqual(['lockdep']);
    expect(s.world.drm.tasks.has('t')).toBe(false);
  });
});

describe('bus devices and devres actions', () => {
  it('runs devres actions last-registered-first at unbind', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' });
    s.ok({ type: 'devm_drm_dev_alloc', drm: 'd', parent: 'p' }, { type: 'drm_dev_register', drm: 'd', flags: 0 });
    // Registered after the device: runs first, so the devm put finds the device unregistered.
    s.ok({ type: 'devm_add_action', dev: 'p', action: 'a', do: [{ type: 'drm_dev_unregister', drm: 'd' }] });
    expect(s.run({ type: 'device_unbind', dev: 'p' })).toEqual({ ok: true });
    expect(s.world.drm.drms.get('d')?.state).toBe('released');
  });

  it('finds the use_after_free when the devm put runs before the unregister', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' });
    s.ok({ type: 'devm_add_action', dev: 'p', action: 'a', do: [{ type: 'drm_dev_unregister', drm: 'd' }] });
    s.ok({ type: 'devm_drm_dev_alloc', drm: 'd', parent: 'p' }, { type: 'drm_dev_register', drm: 'd', flags: 0 });
    const o = s.run({ type: 'device_unbind', dev: 'p' });
    expect(kinds(o)).toEqual(['use_after_free', 'use_after_free']);
  });

  it('answers EBUSY to a second bind and nothing to an unbind of an unbound device', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' });
    expect(s.run({ type: 'driver_bind', dev: 'p' })).toEqual({ ok: false, errno: 'EBUSY' });
    s.ok({ type: 'device_unbind', dev: 'p' }, { type: 'device_unbind', dev: 'p' });
  });

  it('refuses an action list with a two-phase call or a foreign event as malformed', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' });
    expect(() => s.run({ type: 'devm_add_action', dev: 'p', action: 'a', do: [{ type: 'device_unbind', dev: 'p' }] })).toThrow(/do\[0\]/);
    expect(() => s.run({ type: 'devm_add_action', dev: 'p', action: 'a', do: [{ type: 'dma_fence_get', fence: 'f' }] })).toThrow(/not a drm event/);
  });

  it('throws for names never created, naming the field', () => {
    const s = new Scenario();
    expect(() => s.run({ type: 'drm_dev_get', drm: 'nope' })).toThrow(/nope/);
    expect(() => s.run({ type: 'drm_dev_alloc', drm: 'd', parent: 'nope' })).toThrow(/parent|nope/);
    s.ok({ type: 'device_add', dev: 'p' });
    expect(() => s.run({ type: 'device_add', dev: 'p' })).toThrow(/already names/);
    expect(() => s.run({ type: 'drm_dev_alloc', drm: 'd', parent: 'p', features: ['accel'] })).toThrow(/features|accel/);
  });
});

describe('Rust Registration', () => {
  it('unregisters on drop but leaves an open file working (the seed thread\'s finding)', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'drm_dev_alloc', drm: 'd', parent: 'p' });
    s.ok({ type: 'drm_registration_new_foreign_owned', reg: 'r', drm: 'd', parent: 'p', flags: 0 });
    s.ok({ type: 'drm_open', file: 'f', drm: 'd' });
    s.ok({ type: 'device_unbind', dev: 'p' });
    expect(s.world.drm.regs.get('r')?.state).toBe('dropped');
    expect(s.run({ type: 'drm_ioctl', file: 'f', task: 't' })).toEqual({ ok: true });
    expect(s.run({ type: 'drm_open', file: 'g', drm: 'd' })).toEqual({ ok: false, errno: 'ENODEV' });
  });

  it('answers EINVAL when parent is not the device\'s parent, registering nothing', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'device_add', dev: 'q' }, { type: 'driver_bind', dev: 'q' });
    s.ok({ type: 'drm_dev_alloc', drm: 'd', parent: 'p' });
    expect(s.run({ type: 'drm_registration_new_foreign_owned', reg: 'r', drm: 'd', parent: 'q', flags: 0 })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(s.world.drm.drms.get('d')?.registered).toBe(false);
  });

  it('is a double_free to drop a foreign-owned registration, or any registration twice', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'drm_dev_alloc', drm: 'd', parent: 'p' }, { type: 'drm_dev_alloc', drm: 'e', parent: 'p' });
    s.ok({ type: 'drm_registration_new_foreign_owned', reg: 'rf', drm: 'd', parent: 'p', flags: 0 }, { type: 'drm_registration_new', reg: 'r', drm: 'e', flags: 0 });
    expect(kinds(s.run({ type: 'drm_registration_drop', reg: 'rf' }))).toEqual(['double_free']);
    s.ok({ type: 'drm_registration_drop', reg: 'r' });
    expect(s.world.drm.drms.get('e')).toMatchObject({ state: 'referenced.unregistered', refcount: 1 });
    expect(kinds(s.run({ type: 'drm_registration_drop', reg: 'r' }))).toEqual(['double_free']);
  });
});

describe('Devres', () => {
  function bound(): Scenario {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'device_add', dev: 'q' });
    s.ok({ type: 'devres_new', res: 'bar', dev: 'p' });
    return s;
  }

  it('answers available false after unbind (clean), and access is a use_after_free', () => {
    const s = bound();
    expect(s.run({ type: 'devres_try_access', res: 'bar', task: 't' })).toEqual({ ok: true, available: true });
    s.ok({ type: 'devres_guard_drop', res: 'bar', task: 't' }, { type: 'device_unbind', dev: 'p' });
    expect(s.run({ type: 'devres_try_access', res: 'bar', task: 't' })).toEqual({ ok: true, available: false });
    expect(kinds(s.run({ type: 'devres_access', res: 'bar', dev: 'p' }))).toEqual(['use_after_free']);
  });

  it('answers EINVAL to access with another device', () => {
    const s = bound();
    expect(s.run({ type: 'devres_access', res: 'bar', dev: 'q' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(s.run({ type: 'devres_access', res: 'bar', dev: 'p' })).toEqual({ ok: true });
  });

  it('revokes first and completes the unbind at the last guard drop', () => {
    const s = bound();
    s.ok({ type: 'devres_try_access', res: 'bar', task: 'reader' });
    expect(s.run({ type: 'device_unbind', dev: 'p', task: 'u' })).toEqual({ ok: false, blocked: true, queued: true });
    expect(s.run({ type: 'devres_try_access', res: 'bar', task: 'late' })).toEqual({ ok: true, available: false });
    expect(s.run({ type: 'devres_guard_deref', res: 'bar', task: 'reader' })).toEqual({ ok: true });
    expect(s.run({ type: 'devres_guard_drop', res: 'bar', task: 'reader' })).toEqual({ ok: true, woke: ['u'] });
    expect(kinds(s.run({ type: 'devres_guard_deref', res: 'bar', task: 'reader' }))).toEqual(['use_after_free']);
  });

  it('refuses Devres::new on a device that is not bound, and a drop of a guard never taken', () => {
    const s = bound();
    expect(kinds(s.run({ type: 'devres_new', res: 'x', dev: 'q' }))).toEqual(['bug_on']);
    expect(kinds(s.run({ type: 'devres_guard_drop', res: 'bar', task: 'nobody' }))).toEqual(['lockdep']);
  });
});

describe('drm_open after the device is released', () => {
  it('answers ENODEV: the minors went with the device', () => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_dev_unregister', drm: 'drm0' }, { type: 'drm_dev_put', drm: 'drm0' });
    expect(s.run({ type: 'drm_open', file: 'f', drm: 'drm0' })).toEqual({ ok: false, errno: 'ENODEV' });
  });
});

describe('device_unbind inside a Devres guard', () => {
  it('is a deadlock when the unbinding task holds a guard, and changes nothing', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'devres_new', res: 'bar', dev: 'p' });
    s.ok({ type: 'devres_try_access', res: 'bar', task: 't' });
    const before = s.world;
    expect(kinds(s.run({ type: 'device_unbind', dev: 'p', task: 't' }))).toEqual(['deadlock']);
    expect(s.world).toBe(before);
  });
});

describe('devres_access during an unbind', () => {
  it('is a use_after_free on a Devres whose revocation is still to come', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'devres_new', res: 'early', dev: 'p' }, { type: 'devres_new', res: 'late', dev: 'p' });
    s.ok({ type: 'devres_try_access', res: 'late', task: 'r' });
    expect(s.run({ type: 'device_unbind', dev: 'p', task: 'u' })).toEqual({ ok: false, blocked: true, queued: true });
    expect(s.world.drm.devres.get('early')?.state).toBe('initialised.valid');
    expect(kinds(s.run({ type: 'devres_access', res: 'early', dev: 'p' }))).toEqual(['use_after_free']);
    expect(s.run({ type: 'devres_guard_drop', res: 'late', task: 'r' })).toEqual({ ok: true, woke: ['u'] });
    expect(s.world.drm.devres.get('early')?.state).toBe('initialised.revoked');
  });
});
