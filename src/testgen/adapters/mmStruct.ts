import type { AnyMachineSnapshot } from 'xstate';
import { mmStructMachine } from '../../../machines/mmStruct.machine.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/** The system an `mm_struct` path runs on: mm `m`, the current->mm of task `t`. */
export interface MmSut {
  readonly kernel: Kernel;
  next: number;
}

/** The mmap lock calls: each is run by a task of its own, which leaves the lock as it found it. */
const LOCK_CALLS = [
  'mmap_read_lock',
  'mmap_read_lock_killable',
  'mmap_read_trylock',
  'mmap_read_unlock',
  'mmap_write_lock',
  'mmap_write_lock_killable',
  'mmap_write_trylock',
  'mmap_write_unlock',
  'mmap_write_downgrade',
] as const;

/** How far the counts are explored: enough for every branch, bounded so the graph is finite. */
const MAX = 2;

/** Runs `mm_struct` paths against {@link Kernel.call}. */
export const mmStructAdapter: MachineAdapter<MmSut> = {
  machine: mmStructMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const c = s.context as { users: number; count: number };
    return [
      ...(c.count < MAX + 1 ? [{ type: 'mmgrab' }] : []),
      { type: 'mmdrop' },
      ...(c.users < MAX ? [{ type: 'mmget' }, { type: 'mmget_not_zero' }, { type: 'get_task_mm' }] : []),
      { type: 'mmput' },
      { type: 'mmput_async' },
      { type: 'task_mm_borrow' },
      { type: 'vm_mmap' },
      { type: 'vm_munmap', badRange: true },
      { type: 'vm_munmap', emptyRange: true },
      { type: 'vm_munmap' },
      { type: 'find_vma', unlocked: true },
      { type: 'find_vma' },
      { type: 'mmap_assert_locked', unlocked: true },
      { type: 'mmap_assert_locked' },
      { type: 'mmap_assert_write_locked', unlocked: true },
      { type: 'mmap_assert_write_locked' },
      { type: 'mmap_lock_is_contended' },
      { type: 'vma_lookup' },
      ...LOCK_CALLS.map((type) => ({ type })),
    ];
  },
  setup(): MmSut {
    const kernel = new Kernel();
    kernel.call({ type: 'mm_alloc', mm: 'm', task: 't' });
    return { kernel, next: 0 };
  },
  exec(sut, event, branch) {
    const k = sut.kernel;
    switch (event.type) {
      case 'mmgrab':
      case 'mmdrop':
      case 'mmget':
      case 'mmget_not_zero':
      case 'mmput_async':
        return k.call({ type: event.type, mm: 'm' });
      case 'mmput':
        return k.call({ type: 'mmput', mm: 'm', task: 't' });
      case 'get_task_mm':
      case 'task_mm_borrow': {
        const r = k.call({ type: event.type, task: 't' });
        const want = branch.meta.returns?.mm === null ? null : 'm';
        expectThat(r.ok && r.mm === want, `${event.type} answered ${String(r.mm)}, expected ${String(want)}`);
        return r;
      }
      case 'vm_mmap':
        return k.call({ type: 'vm_mmap', mm: 'm', task: 't', vma: `v${++sut.next}`, len: '4096', flags: 'MAP_PRIVATE|MAP_ANONYMOUS' });
      case 'vm_munmap':
        if (event.badRange) return k.call({ type: 'vm_munmap', mm: 'm', task: 't', addr: '1', len: '4096' });
        if (event.emptyRange) return k.call({ type: 'vm_munmap', mm: 'm', task: 't', addr: '4096', len: '0' });
        return k.call({ type: 'vm_munmap', mm: 'm', task: 't', addr: '4096', len: '4096' });
      case 'find_vma': {
        // Under the read lock, unless the path asks for the assertion to fail (a refused call needs none).
        const locked = event.unlocked !== true && !branch.meta.refused;
        if (locked) k.call({ type: 'mmap_read_lock', mm: 'm', task: 'f' });
        const r = k.call({ type: 'find_vma', mm: 'm', task: 'f', addr: '0' });
        if (locked) k.call({ type: 'mmap_read_unlock', mm: 'm', task: 'f' });
        return r;
      }
      case 'vma_lookup':
        return k.call({ type: event.type, mm: 'm', task: 't', addr: '0' });
      case 'mmap_lock_is_contended':
        return k.call({ type: event.type, mm: 'm' });
      case 'mmap_assert_locked':
      case 'mmap_assert_write_locked': {
        // Under the lock the assertion wants, unless the path asks for it to fail.
        const locked = event.unlocked !== true && !branch.meta.refused;
        const write = event.type === 'mmap_assert_write_locked';
        if (locked) k.call({ type: write ? 'mmap_write_lock' : 'mmap_read_lock', mm: 'm', task: 'a' });
        const r = k.call({ type: event.type, mm: 'm', task: 'a' });
        if (locked) k.call({ type: write ? 'mmap_write_unlock' : 'mmap_read_unlock', mm: 'm', task: 'a' });
        return r;
      }
      default: {
        const type = event.type as (typeof LOCK_CALLS)[number];
        if (!LOCK_CALLS.includes(type)) throw new Error(`no executor for ${event.type}`);
        const task = `l${++sut.next}`;
        const lock = (t: (typeof LOCK_CALLS)[number]) => k.call({ type: t, mm: 'm', task });
        // A zero-user or freed mm refuses every lock call: nothing to set up or undo.
        if (branch.meta.refused) return lock(type);
        switch (type) {
          case 'mmap_read_unlock':
            lock('mmap_read_lock');
            return lock(type);
          case 'mmap_write_unlock':
            lock('mmap_write_lock');
            return lock(type);
          case 'mmap_write_downgrade': {
            lock('mmap_write_lock');
            const r = lock(type);
            lock('mmap_read_unlock');
            return r;
          }
          default: {
            const r = lock(type);
            expectThat(r.ok && (r.locked === undefined || r.locked === true), `${type} on a free lock answered ${JSON.stringify(r.violations)}`);
            lock(type.startsWith('mmap_read') ? 'mmap_read_unlock' : 'mmap_write_unlock');
            return r;
          }
        }
      }
    }
  },
  checks: {
    live: (sut, snap) => {
      const m = sut.kernel.world.mm.mms.get('m');
      const c = snap.context as { users: number; count: number };
      expectThat(m?.state === 'live' && m.users === c.users && m.count === c.count, `mm is ${JSON.stringify(m)}, the machine says ${JSON.stringify(c)}`);
      const probe = sut.kernel.fork().call({ type: 'mmget_not_zero', mm: 'm' });
      expectThat(probe.ok && probe.got === true, 'mmget_not_zero must succeed while there are users');
    },
    usersGone: (sut, snap) => {
      const m = sut.kernel.world.mm.mms.get('m');
      const c = snap.context as { users: number; count: number };
      expectThat(m?.state === 'usersGone' && m.users === 0 && m.count === c.count && m.map.length === 0, `mm is ${JSON.stringify(m)}`);
      const probe = sut.kernel.fork().call({ type: 'mmget_not_zero', mm: 'm' });
      expectThat(probe.ok && probe.got === false, 'mmget_not_zero must fail once the users are gone');
    },
    freed: (sut) => {
      const m = sut.kernel.world.mm.mms.get('m');
      expectThat(m?.state === 'freed' && m.count === 0, `mm is ${JSON.stringify(m)}`);
      const probe = sut.kernel.fork().call({ type: 'mmgrab', mm: 'm' });
      expectThat(!probe.ok && probe.violations[0]?.kind === 'use_after_free', 'mmgrab of a freed mm must be a use after free');
    },
  },
};
