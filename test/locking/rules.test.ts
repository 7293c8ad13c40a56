import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/Kernel.js';
import type { Event } from '../../src/world/Event.js';
import { type OutcomeJson, outcomeToJson } from '../../src/world/logFormat.js';

/** Runs events on a fresh kernel; returns every outcome as JSON. */
function run(events: readonly Event[], k = new Kernel()): OutcomeJson[] {
  return events.map((e) => outcomeToJson(k.callJson(e)));
}

function kinds(o: OutcomeJson | undefined): string[] {
  return ((o?.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
}

function messages(o: OutcomeJson | undefined): string[] {
  return ((o?.violations as { message: string }[] | undefined) ?? []).map((v) => v.message);
}

const fence = [
  { type: 'dma_fence_context_alloc', ctx: 'c' },
  { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
];

describe('real blocking', () => {
  it('queues a mutex_lock of a held mutex and hands it over on unlock (woke)', () => {
    const o = run([
      { type: 'mutex_init', lock: 'L' },
      { type: 'mutex_lock', lock: 'L', task: 't1' },
      { type: 'mutex_lock', lock: 'L', task: 't2' },
      { type: 'mutex_unlock', lock: 'L', task: 't1' },
      { type: 'mutex_trylock', lock: 'L', task: 't3' },
    ]);
    expect(o[2]).toEqual({ ok: false, blocked: true, queued: true });
    expect(o[3]).toEqual({ ok: true, woke: ['t2'] });
    expect(o[4]).toEqual({ ok: true, locked: false });
  });

  it('does not queue a free mutex, and trylock takes it', () => {
    const o = run([
      { type: 'mutex_init', lock: 'L' },
      { type: 'mutex_trylock', lock: 'L', task: 't1' },
      { type: 'mutex_unlock', lock: 'L', task: 't1' },
      { type: 'mutex_lock', lock: 'L', task: 't2' },
    ]);
    expect(o.slice(1)).toEqual([{ ok: true, locked: true }, { ok: true }, { ok: true }]);
  });

  it('makes a spin_lock of a held spinlock blocked, not queued, and changes nothing', () => {
    const k = new Kernel();
    run([{ type: 'spin_lock_init', lock: 'S' }, { type: 'spin_lock', lock: 'S', task: 't1' }], k);
    const before = k.fingerprint;
    expect(run([{ type: 'spin_lock', lock: 'S', task: 't2' }], k)[0]).toEqual({ ok: false, blocked: true });
    expect(k.fingerprint).toBe(before);
  });

  it('refuses a call by a task asleep on a lock as MALFORMED_EVENT naming task', () => {
    const k = new Kernel();
    run([{ type: 'mutex_init', lock: 'L' }, { type: 'mutex_lock', lock: 'L', task: 't1' }, { type: 'mutex_lock', lock: 'L', task: 't2' }], k);
    expect(() => k.callJson({ type: 'kmalloc', task: 't2', gfp: 'GFP_KERNEL' })).toThrow(/asleep/);
  });

  it('names an uninitialised lock and a lock of another kind as misuse', () => {
    expect(() => new Kernel().callJson({ type: 'mutex_lock', lock: 'nope', task: 't' })).toThrow(/was ever initialised \(mutex_init first\)/);
    const k = new Kernel();
    k.callJson({ type: 'spin_lock_init', lock: 'S' });
    expect(() => k.callJson({ type: 'mutex_lock', lock: 'S', task: 't' })).toThrow(/is a spinlock/);
  });
});

describe('rwsem wake order (rwsem_mark_wake)', () => {
  it('hands the last reader\'s unlock to the writer only; up_write then grants the reader', () => {
    const o = run([
      { type: 'init_rwsem', lock: 'S' },
      { type: 'down_read', lock: 'S', task: 'r1' },
      { type: 'down_write', lock: 'S', task: 'w' },
      { type: 'down_read', lock: 'S', task: 'r2' },
      { type: 'up_read', lock: 'S', task: 'r1' },
      { type: 'up_write', lock: 'S', task: 'w' },
    ]);
    expect(o[2]).toEqual({ ok: false, blocked: true, queued: true });
    expect(o[3]).toEqual({ ok: false, blocked: true, queued: true });
    expect(o[4]).toEqual({ ok: true, woke: ['w'] });
    expect(o[5]).toEqual({ ok: true, woke: ['r2'] });
  });

  it('grants every queued reader at once when a reader heads the queue, writers staying queued', () => {
    const o = run([
      { type: 'init_rwsem', lock: 'S' },
      { type: 'down_write', lock: 'S', task: 'w1' },
      { type: 'down_read', lock: 'S', task: 'r1' },
      { type: 'down_write', lock: 'S', task: 'w2' },
      { type: 'down_read', lock: 'S', task: 'r2' },
      { type: 'up_write', lock: 'S', task: 'w1' },
      { type: 'up_read', lock: 'S', task: 'r1' },
      { type: 'up_read', lock: 'S', task: 'r2' },
    ]);
    expect(o[5]).toEqual({ ok: true, woke: ['r1', 'r2'] });
    expect(o[6]).toEqual({ ok: true });
    expect(o[7]).toEqual({ ok: true, woke: ['w2'] });
  });

  it('lets a down_write_trylock succeed only on a free rwsem with nobody waiting', () => {
    const o = run([
      { type: 'init_rwsem', lock: 'S' },
      { type: 'down_write_trylock', lock: 'S', task: 't1' },
      { type: 'down_write_trylock', lock: 'S', task: 't2' },
      { type: 'up_write', lock: 'S', task: 't1' },
      { type: 'down_write_trylock', lock: 'S', task: 't2' },
    ]);
    expect(o.map((x) => x.locked)).toEqual([undefined, true, false, undefined, true]);
  });
});

describe('lockdep: circular dependency', () => {
  const abba = (second: Event[]): Event[] => [
    { type: 'mutex_init', lock: 'A' },
    { type: 'mutex_init', lock: 'B' },
    { type: 'mutex_lock', lock: 'A', task: 't1' },
    { type: 'mutex_lock', lock: 'B', task: 't1' },
    { type: 'mutex_unlock', lock: 'B', task: 't1' },
    { type: 'mutex_unlock', lock: 'A', task: 't1' },
    ...second,
  ];

  it('reports B → A after A → B, naming the cycle\'s classes', () => {
    const o = run(abba([{ type: 'mutex_lock', lock: 'B', task: 't2' }, { type: 'mutex_lock', lock: 'A', task: 't2' }]));
    const last = o[o.length - 1];
    expect(kinds(last)).toEqual(['lockdep']);
    expect(messages(last)[0]).toMatch(/possible circular locking dependency detected.*cycle: B → A → B/);
  });

  it('names the cycle\'s classes as the violation\'s objects', () => {
    const k = new Kernel();
    run(abba([{ type: 'mutex_lock', lock: 'B', task: 't2' }]), k);
    expect(k.callJson({ type: 'mutex_lock', lock: 'A', task: 't2' }).violations[0]?.objects).toEqual(['B', 'A']);
  });

  it('is clean when the second task takes them in the same order', () => {
    const o = run(abba([{ type: 'mutex_lock', lock: 'A', task: 't2' }, { type: 'mutex_lock', lock: 'B', task: 't2' }]));
    expect(o.flatMap(kinds)).toEqual([]);
  });

  it('records no dependency for a trylock (taken in any order)', () => {
    const o = run(abba([{ type: 'mutex_lock', lock: 'B', task: 't2' }, { type: 'mutex_trylock', lock: 'A', task: 't2' }]));
    expect(o.flatMap(kinds)).toEqual([]);
  });
});

describe('lockdep: the primed chain and the signalling rules', () => {
  it('A1: GFP_KERNEL inside a section closes dma_fence_map → fs_reclaim → … → dma_fence_map', () => {
    const o = run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'kmalloc', task: 't', gfp: 'GFP_KERNEL' }]);
    expect(kinds(o[1])).toEqual(['lockdep']);
    expect(messages(o[1])[0]).toMatch(/rule A1.*cycle: dma_fence_map → fs_reclaim/);
  });

  it('A1: GFP_NOFS and GFP_NOIO still hit the MMU-notifier map', () => {
    for (const gfp of ['GFP_NOFS', 'GFP_NOIO']) {
      const o = run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'kmalloc', task: 't', gfp }]);
      expect(messages(o[1])[0], gfp).toMatch(/mmu_notifier_invalidate_range_start/);
    }
  });

  it('A1 boundary: GFP_NOWAIT, GFP_ATOMIC and a memalloc_noreclaim scope are clean', () => {
    const o = run([
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_NOWAIT' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_ATOMIC' },
      { type: 'memalloc_noreclaim_save', task: 't' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_KERNEL' },
    ]);
    expect(o.flatMap(kinds)).toEqual([]);
    expect(o[3]).toEqual({ ok: true, flags: 2048 });
  });

  it('A1 boundary: a memalloc_nofs scope drops fs_reclaim but keeps the MMU-notifier map', () => {
    const o = run([
      { type: 'memalloc_nofs_save', task: 't' },
      { type: 'dma_fence_begin_signalling', task: 't' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_KERNEL' },
    ]);
    expect(messages(o[2])[0]).toMatch(/trying to acquire mmu_notifier_invalidate_range_start/);
  });

  it('A2: might_fault inside a section; clean outside one', () => {
    expect(kinds(run([{ type: 'dma_fence_begin_signalling', task: 't' }, { type: 'might_fault', task: 't' }])[1])).toEqual(['lockdep']);
    expect(kinds(run([{ type: 'might_fault', task: 't' }])[0])).toEqual([]);
  });

  it('A3: a reservation_ww_class_mutex lock inside a section; clean outside', () => {
    const init = { type: 'mutex_init', lock: 'resv', class: 'reservation_ww_class_mutex' };
    expect(messages(run([init, { type: 'dma_fence_begin_signalling', task: 't' }, { type: 'mutex_lock', lock: 'resv', task: 't' }])[2])[0]).toMatch(/rule A3/);
    expect(run([init, { type: 'mutex_lock', lock: 'resv', task: 't' }]).flatMap(kinds)).toEqual([]);
  });

  it('D1: might_fault under a dma_resv lock inverts the primed order; under mmap_lock then resv is clean', () => {
    const o = run([{ type: 'mutex_init', lock: 'resv', class: 'reservation_ww_class_mutex' }, { type: 'mutex_lock', lock: 'resv', task: 't' }, { type: 'might_fault', task: 't' }]);
    expect(messages(o[2])[0]).toMatch(/rule D1/);
    const clean = run([
      { type: 'init_rwsem', lock: 'mm', class: 'mmap_lock' },
      { type: 'mutex_init', lock: 'resv', class: 'reservation_ww_class_mutex' },
      { type: 'down_read', lock: 'mm', task: 't' },
      { type: 'mutex_lock', lock: 'resv', task: 't' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_KERNEL' },
    ]);
    expect(clean.flatMap(kinds)).toEqual([]);
  });

  it('A5: a lock held across a fence wait, then taken in a section, closes the cycle even while blocked', () => {
    const o = run([
      ...fence,
      { type: 'mutex_init', lock: 'L' },
      { type: 'mutex_lock', lock: 'L', task: 't1' },
      { type: 'dma_fence_wait_timeout', fence: 'f', task: 't1', timeout: 100 },
      { type: 'dma_fence_begin_signalling', task: 't2' },
      { type: 'mutex_lock', lock: 'L', task: 't2' },
    ]);
    expect(o[4]).toEqual({ ok: false, blocked: true });
    expect(o[6]).toMatchObject({ ok: false, blocked: true, queued: true });
    expect(messages(o[6])[0]).toMatch(/rule A5.*cycle: dma_fence_map → L → dma_fence_map/);
  });

  it('A5 boundary: the same lock taken in a section when nobody waited while holding it is clean', () => {
    const o = run([{ type: 'mutex_init', lock: 'L' }, { type: 'dma_fence_begin_signalling', task: 't2' }, { type: 'mutex_lock', lock: 'L', task: 't2' }]);
    expect(o.flatMap(kinds)).toEqual([]);
  });

  it('A6: a fence wait inside a section, with nothing else held, is not reported', () => {
    const o = run([...fence, { type: 'dma_fence_begin_signalling', task: 't' }, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 }]);
    expect(o.flatMap(kinds)).toEqual([]);
  });
});

describe('lockdep: recursion, wait context, unlock balance, exit', () => {
  it('reports two locks of one class taken by one task (D5), not two classes', () => {
    const two = (cls2: string) =>
      run([
        { type: 'init_rwsem', lock: 'm1', class: 'mmap_lock' },
        { type: 'init_rwsem', lock: 'm2', class: cls2 },
        { type: 'down_read', lock: 'm1', task: 't' },
        { type: 'down_read', lock: 'm2', task: 't' },
      ]);
    expect(messages(two('mmap_lock')[3])[0]).toMatch(/possible recursive locking detected.*rule D5/);
    expect(two('other').flatMap(kinds)).toEqual([]);
  });

  it('reports a mutex under a spinlock as might_sleep and invalid wait context; under IRQs off as might_sleep only', () => {
    const o = run([{ type: 'spin_lock_init', lock: 'S' }, { type: 'mutex_init', lock: 'M' }, { type: 'spin_lock', lock: 'S', task: 't' }, { type: 'mutex_lock', lock: 'M', task: 't' }]);
    expect(kinds(o[3])).toEqual(['might_sleep', 'lockdep']);
    expect(messages(o[3])[1]).toMatch(/Invalid wait context/);
    const irq = run([{ type: 'mutex_init', lock: 'M' }, { type: 'local_irq_disable', task: 't' }, { type: 'mutex_lock', lock: 'M', task: 't' }]);
    expect(kinds(irq[2])).toEqual(['might_sleep']);
  });

  it('reports a mutex in an RCU read section; a spinlock there is clean', () => {
    const o = run([{ type: 'mutex_init', lock: 'M' }, { type: 'rcu_read_lock', task: 't' }, { type: 'mutex_lock', lock: 'M', task: 't' }]);
    expect(kinds(o[2])).toEqual(['might_sleep', 'lockdep']);
    const s = run([{ type: 'spin_lock_init', lock: 'S' }, { type: 'rcu_read_lock', task: 't' }, { type: 'spin_lock', lock: 'S', task: 't' }]);
    expect(s.flatMap(kinds)).toEqual([]);
  });

  it('reports an unlock by a task that does not hold it, and releases the lock anyway', () => {
    const o = run([
      { type: 'mutex_init', lock: 'L' },
      { type: 'mutex_lock', lock: 'L', task: 't1' },
      { type: 'mutex_unlock', lock: 'L', task: 't2' },
      { type: 'mutex_trylock', lock: 'L', task: 't3' },
    ]);
    expect(messages(o[2])[0]).toMatch(/bad unlock balance detected!.*debug_locks_off/);
    expect(o[3]).toEqual({ ok: true, locked: true });
  });

  it('reports a lock held at task_exit; a task that released everything exits clean', () => {
    const held = run([{ type: 'mutex_init', lock: 'L' }, { type: 'mutex_lock', lock: 'L', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(messages(held[2])[0]).toMatch(/lock held when returning to user space!.*L/);
    const rcu = run([{ type: 'rcu_read_lock', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(kinds(rcu[1])).toEqual(['lockdep']);
    const clean = run([{ type: 'mutex_init', lock: 'L' }, { type: 'mutex_lock', lock: 'L', task: 't' }, { type: 'mutex_unlock', lock: 'L', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(clean.flatMap(kinds)).toEqual([]);
  });
});

describe('debug_locks_off', () => {
  const twoReports: Event[] = [
    { type: 'mutex_init', lock: 'L' },
    { type: 'mutex_unlock', lock: 'L', task: 't1' },
    { type: 'mutex_unlock', lock: 'L', task: 't2' },
    { type: 'dma_fence_begin_signalling', task: 't3' },
  ];

  it('turns lockdep off after the first report: no second report, and begin_signalling answers true', () => {
    const o = run(twoReports);
    expect(kinds(o[1])).toEqual(['lockdep']);
    expect(kinds(o[2])).toEqual([]);
    expect(o[3]).toEqual({ ok: true, cookie: true });
  });

  it('keeps lockdep on under lockdep_prove_all (drmstate run --lockdep-all)', () => {
    const o = run([{ type: 'lockdep_prove_all' }, ...twoReports]);
    expect(kinds(o[2])).toEqual(['lockdep']);
    expect(kinds(o[3])).toEqual(['lockdep']);
    expect(messages(o[2])[0]).not.toMatch(/debug_locks_off/);
    expect(o[4]).toEqual({ ok: true, cookie: false });
  });
});

describe('might_sleep', () => {
  it('reports every fence wait in atomic context, even a timeout-0 poll', () => {
    const o = run([...fence, { type: 'rcu_read_lock', task: 't' }, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: 0 }]);
    expect(o[3]).toMatchObject({ ok: true, ret: 0 });
    expect(kinds(o[3])).toEqual(['might_sleep']);
  });

  it('reports a blocking kmalloc, might_fault and might_sleep under a spinlock; GFP_ATOMIC is clean', () => {
    const o = run([
      { type: 'spin_lock_init', lock: 'S' },
      { type: 'spin_lock_irqsave', lock: 'S', task: 't' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_KERNEL' },
      { type: 'kmalloc', task: 't', gfp: 'GFP_ATOMIC' },
      { type: 'might_sleep', task: 't' },
      { type: 'spin_unlock_irqrestore', lock: 'S', task: 't' },
      { type: 'might_sleep', task: 't' },
    ]);
    expect(o.map(kinds)).toEqual([[], [], ['might_sleep'], [], ['might_sleep'], [], []]);
  });

  it('reports a wrong-mode rwsem release by a task that holds it in no mode as lockdep, then the DEBUG_RWSEMS warning', () => {
    const o = run([
      { type: 'init_rwsem', lock: 'W' },
      { type: 'down_write', lock: 'W', task: 't1' },
      { type: 'up_read', lock: 'W', task: 't2' },
      { type: 'up_write', lock: 'W', task: 't1' },
    ]);
    expect(o[2]?.ok).toBe(false);
    expect(kinds(o[2])).toEqual(['lockdep', 'warn_on']);
    // Refused: the writer still holds it and releases it cleanly.
    expect(kinds(o[3])).toEqual([]);
    // The holder in the other mode gets only the warning.
    const own = run([{ type: 'init_rwsem', lock: 'W' }, { type: 'down_write', lock: 'W', task: 't1' }, { type: 'up_read', lock: 'W', task: 't1' }]);
    expect(kinds(own[2])).toEqual(['warn_on']);
    const r = run([{ type: 'init_rwsem', lock: 'R' }, { type: 'down_read', lock: 'R', task: 't1' }, { type: 'up_write', lock: 'R', task: 't2' }, { type: 'downgrade_write', lock: 'R', task: 't3' }]);
    expect(r.slice(2).map(kinds)).toEqual([['lockdep', 'warn_on'], ['warn_on']]);
  });

  it('reports an up_write or downgrade_write by a task other than the writer as lockdep, then DEBUG_RWSEMS (which turns lockdep off), and releases anyway', () => {
    const o = run([
      { type: 'init_rwsem', lock: 'W' },
      { type: 'down_write', lock: 'W', task: 't1' },
      { type: 'up_write', lock: 'W', task: 't2' },
      { type: 'down_write', lock: 'W', task: 't3' },
      { type: 'downgrade_write', lock: 'W', task: 't4' },
    ]);
    expect(kinds(o[2])).toEqual(['lockdep', 'warn_on']);
    expect(o[3]).toEqual({ ok: true });
    // Lockdep is off after the first report, but DEBUG_RWSEMS still warns.
    expect(kinds(o[4])).toEqual(['warn_on']);
    expect(messages(o[4])[0]).toMatch(/DEBUG_RWSEMS_WARN_ON/);
  });

  it('warns when a task returns to user space with IRQs off, before lockdep checks its held locks', () => {
    const irq = run([{ type: 'local_irq_disable', task: 't' }, { type: 'task_exit', task: 't' }, { type: 'might_sleep', task: 't' }]);
    expect(kinds(irq[1])).toEqual(['warn_on']);
    expect(messages(irq[1])[0]).toMatch(/syscall left IRQs disabled/);
    // The IRQs are on again: the task may sleep.
    expect(kinds(irq[2])).toEqual([]);
    const held = run([
      { type: 'spin_lock_init', lock: 'S' },
      { type: 'local_irq_disable', task: 't' },
      { type: 'spin_lock', lock: 'S', task: 't' },
      { type: 'task_exit', task: 't' },
    ]);
    expect(kinds(held[3])).toEqual(['warn_on', 'lockdep']);
    // With IRQs on, only the held lock is reported.
    const on = run([{ type: 'spin_lock_init', lock: 'S' }, { type: 'spin_lock', lock: 'S', task: 't' }, { type: 'task_exit', task: 't' }]);
    expect(kinds(on[2])).toEqual(['lockdep']);
  });

  it('restores the IRQ state spin_lock_irqsave saved', () => {
    const o = run([
      { type: 'spin_lock_init', lock: 'S' },
      { type: 'local_irq_disable', task: 't' },
      { type: 'spin_lock_irqsave', lock: 'S', task: 't' },
      { type: 'spin_unlock_irqrestore', lock: 'S', task: 't' },
      { type: 'might_sleep', task: 't' },
      { type: 'local_irq_enable', task: 't' },
      { type: 'might_sleep', task: 't' },
    ]);
    expect(kinds(o[4])).toEqual(['might_sleep']);
    expect(kinds(o[6])).toEqual([]);
  });

  it('tracks a section begun with only IRQs off (cookie false) and not one begun under a spinlock', () => {
    const o = run([
      { type: 'local_irq_disable', task: 't1' },
      { type: 'dma_fence_begin_signalling', task: 't1' },
      { type: 'spin_lock_init', lock: 'S' },
      { type: 'spin_lock', lock: 'S', task: 't2' },
      { type: 'dma_fence_begin_signalling', task: 't2' },
    ]);
    expect(o[1]).toEqual({ ok: true, cookie: false });
    expect(o[4]).toEqual({ ok: true, cookie: true });
  });
});

describe('memalloc scopes', () => {
  it('answers the bit a save newly set, 0 when it was set already, and restore clears what it is given', () => {
    const o = run([
      { type: 'memalloc_nofs_save', task: 't' },
      { type: 'memalloc_nofs_save', task: 't' },
      { type: 'memalloc_nofs_restore', task: 't', flags: 0 },
      { type: 'memalloc_noio_save', task: 't' },
      { type: 'memalloc_noio_restore', task: 't', flags: 524288 },
      { type: 'memalloc_nofs_restore', task: 't', flags: 262144 },
      { type: 'task_exit', task: 't' },
    ]);
    expect(o.map((x) => x.flags)).toEqual([262144, 0, undefined, 524288, undefined, undefined, undefined]);
    expect(o.flatMap(kinds)).toEqual([]);
  });

  it('refuses rcu_read_unlock without a section as a lockdep unlock imbalance', () => {
    const o = run([{ type: 'rcu_read_unlock', task: 't' }]);
    expect(o[0]?.ok).toBe(false);
    expect(kinds(o[0])).toEqual(['lockdep']);
  });
});
