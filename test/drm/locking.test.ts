import { describe, expect, it } from 'vitest';
import { Scenario, kinds } from './helpers.js';

// Issue #12 with the locking protocol: the GEM object's reservation lock and the Devres guard's RCU section.

describe('dma_resv_lock', () => {
  const gem = (): Scenario => {
    const s = new Scenario().device();
    s.ok({ type: 'drm_gem_object_init', obj: 'bo', drm: 'drm0', size: '4096' });
    return s;
  };

  it('is a mutex of class reservation_ww_class_mutex: a second task queues and the unlock hands it over', () => {
    const s = gem();
    expect(s.run({ type: 'dma_resv_lock', obj: 'bo', task: 't1' })).toEqual({ ok: true });
    expect(s.run({ type: 'dma_resv_lock', obj: 'bo', task: 't2' })).toEqual({ ok: false, blocked: true, queued: true });
    expect(s.run({ type: 'dma_resv_unlock', obj: 'bo', task: 't1' })).toEqual({ ok: true, woke: ['t2'] });
    expect(s.world.locking.locks.get('resv:bo')).toEqual(expect.objectContaining({ class: 'reservation_ww_class_mutex', owner: 't2' }));
  });

  it('under which copy_from_user (might_fault) is lockdep\'s D1 cycle; before it, clean', () => {
    const bad = gem();
    bad.ok({ type: 'dma_resv_lock', obj: 'bo', task: 't1' });
    const o = bad.run({ type: 'might_fault', task: 't1' });
    expect(kinds(o)).toEqual(['lockdep']);
    expect(String((o.violations as { message: string }[])[0]?.message)).toContain('rule D1');
    const good = gem();
    good.ok({ type: 'might_fault', task: 't1' }, { type: 'dma_resv_lock', obj: 'bo', task: 't1' }, { type: 'dma_resv_unlock', obj: 'bo', task: 't1' });
  });

  it('on a freed object is a use_after_free, refused', () => {
    const s = gem();
    s.ok({ type: 'drm_gem_object_put', obj: 'bo' });
    const o = s.run({ type: 'dma_resv_lock', obj: 'bo', task: 't1' });
    expect(o.ok).toBe(false);
    expect(kinds(o)).toEqual(['use_after_free']);
    expect(s.world.locking.locks.has('resv:bo')).toBe(false);
  });
});

describe('a Devres guard', () => {
  const guarded = (): Scenario => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'devres_new', res: 'r', dev: 'p' }, { type: 'mutex_init', lock: 'M' });
    expect(s.run({ type: 'devres_try_access', res: 'r', task: 't1' })).toEqual({ ok: true, available: true });
    return s;
  };

  it('is an RCU read section: a mutex taken under it is might_sleep', () => {
    const s = guarded();
    expect(kinds(s.run({ type: 'mutex_lock', lock: 'M', task: 't1' }))).toContain('might_sleep');
  });

  it('ends with its drop: the same mutex afterwards is clean, and another task was never atomic', () => {
    const s = guarded();
    expect(s.run({ type: 'mutex_lock', lock: 'M', task: 't2' })).toEqual({ ok: true });
    s.ok({ type: 'mutex_unlock', lock: 'M', task: 't2' }, { type: 'devres_guard_drop', res: 'r', task: 't1' }, { type: 'mutex_lock', lock: 'M', task: 't1' });
  });

  it('still held when the task returns to user space is lockdep\'s "held when returning to user space"', () => {
    const s = guarded();
    expect(kinds(s.run({ type: 'task_exit', task: 't1' }))).toContain('lockdep');
  });
});
