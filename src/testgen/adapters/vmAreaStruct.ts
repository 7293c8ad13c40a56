import type { AnyMachineSnapshot } from 'xstate';
import { vmAreaStructMachine } from '../../../machines/vmAreaStruct.machine.js';
import { Kernel } from '../../kernel/Kernel.js';
import { type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';
import { outcomeToJson } from '../../world/logFormat.js';
import type { Outcome } from '../../world/Outcome.js';

const show = (o: Outcome): string => JSON.stringify(outcomeToJson(o));

/** The system a `vm_area_struct` path runs on: VMA `v` in the current mm, beside VMA `w`. */
export interface VmaSut {
  readonly kernel: Kernel;
  /** The mm `v` maps into now (a new one after exit_mmap). */
  mm: string;
  next: number;
}

/** Where `v` is mapped (MAP_FIXED), and how many pages. */
const AT = 0x200000n;
const PAGES = 16n;
/** Where `w`, the mapping NOREPLACE collides with, sits. */
const W = 0x100000n;

const ERRORS = ['zeroLength', 'lengthOverflow', 'noRoom', 'misaligned', 'belowMinAddr', 'overlap', 'badMapType'] as const;

function newMm(sut: { kernel: Kernel; mm: string; next: number }): void {
  sut.mm = `m${++sut.next}`;
  sut.kernel.call({ type: 'mm_alloc', mm: sut.mm, task: 't' });
  sut.kernel.call({ type: 'vm_mmap', mm: sut.mm, task: 't', vma: `w${sut.next}`, addr: W, len: '4096', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
}

/** `v`'s pieces in the current world. */
function pieces(sut: VmaSut): { start: bigint; end: bigint }[] {
  return (sut.kernel.world.mm.mms.get(sut.mm)?.map ?? []).filter((p) => p.vma === 'v').map((p) => ({ start: BigInt(p.start), end: BigInt(p.end) }));
}

/** Runs `vm_area_struct` paths against {@link Kernel.call}. */
export const vmAreaStructAdapter: MachineAdapter<VmaSut> = {
  machine: vmAreaStructMachine,
  events(s: AnyMachineSnapshot): MachineEvent[] {
    const reads = ['vma_start', 'vma_end', 'vma_flags'];
    if (s.value === 'unmapped')
      return [...ERRORS.map((f) => ({ type: 'vm_mmap', [f]: true })), { type: 'vm_mmap' }, ...reads.map((type) => ({ type }))];
    return [
      { type: 'vm_munmap', whole: true },
      { type: 'vm_munmap', whole: false },
      { type: 'exit_mmap' },
      ...reads.flatMap((type) => [{ type, referenced: true }, { type, referenced: false }]),
    ];
  },
  setup(): VmaSut {
    const sut = { kernel: new Kernel(), mm: '', next: 0 };
    newMm(sut);
    // The name comes into being unmapped: mapped once, then unmapped.
    sut.kernel.call({ type: 'vm_mmap', mm: sut.mm, task: 't', vma: 'v', addr: AT, len: '4096', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' });
    sut.kernel.call({ type: 'vm_munmap', mm: sut.mm, task: 't', addr: AT, len: '4096' });
    return sut;
  },
  exec(sut, event) {
    const k = sut.kernel;
    const mm = sut.mm;
    const map = (addr: bigint | string, len: bigint | string, flags: string) => k.call({ type: 'vm_mmap', mm, task: 't', vma: 'v', addr, len, flags });
    switch (event.type) {
      case 'vm_mmap': {
        const anon = 'MAP_PRIVATE|MAP_ANONYMOUS';
        if (event.zeroLength) return map(AT, '0', anon);
        if (event.lengthOverflow) return map(AT, '18446744073709551615', anon);
        if (event.noRoom) return map('0', (1n << 47n).toString(), anon);
        if (event.misaligned) return map(AT + 1n, '4096', `${anon}|MAP_FIXED`);
        if (event.belowMinAddr) return map('0', '4096', `${anon}|MAP_FIXED`);
        if (event.overlap) return map(W, '4096', `${anon}|MAP_FIXED_NOREPLACE`);
        if (event.badMapType) return map(AT, '4096', 'MAP_ANONYMOUS');
        const r = map(AT, (PAGES * 4096n).toString(), `${anon}|MAP_FIXED`);
        expectThat(r.ok && r.start === AT, `vm_mmap answered ${show(r)}`);
        return r;
      }
      case 'vm_munmap': {
        const ps = pieces(sut);
        const first = ps[0];
        if (first === undefined) throw new Error('v has no piece to unmap');
        if (event.whole) {
          const r = k.call({ type: 'vm_munmap', mm, task: 't', addr: AT, len: (PAGES * 4096n).toString() });
          expectThat(r.ok && (r.unmapped as string[]).includes('v'), `vm_munmap answered ${show(r)}`);
          return r;
        }
        // Cut the first page of its first piece: a piece of more than one page is split, else the
        // name keeps its other pieces.
        if (first.end - first.start === 4096n && ps.length === 1) throw new Error('v is one page: no partial unmap left');
        const r = k.call({ type: 'vm_munmap', mm, task: 't', addr: first.start, len: '4096' });
        expectThat(r.ok && (r.split as string[]).includes('v'), `vm_munmap answered ${show(r)}`);
        return r;
      }
      case 'exit_mmap': {
        const r = k.call({ type: 'mmput', mm, task: 't' });
        expectThat(r.ok && (r.unmapped as string[]).includes('v'), `the last mmput answered ${show(r)}`);
        newMm(sut);
        return r;
      }
      default: {
        const type = event.type as 'vma_start' | 'vma_end' | 'vma_flags';
        const first = pieces(sut)[0];
        if (first === undefined) return k.call({ type, vma: 'v', task: 't' });
        // A reference found under the read lock: read while it is held, or after the unlock.
        k.call({ type: 'mmap_read_lock', mm, task: 't' });
        k.call({ type: 'vma_lookup', mm, task: 't', addr: first.start });
        if (event.referenced !== true) k.call({ type: 'mmap_read_unlock', mm, task: 't' });
        const r = k.call({ type, vma: 'v', task: 't' });
        if (event.referenced === true) k.call({ type: 'mmap_read_unlock', mm, task: 't' });
        return r;
      }
    }
  },
  checks: {
    unmapped: (sut) => {
      expectThat(sut.kernel.world.mm.vmas.get('v')?.state === 'unmapped' && pieces(sut).length === 0, 'v must be unmapped with no piece');
      const probe = sut.kernel.fork().call({ type: 'vma_start', vma: 'v', task: 't' });
      expectThat(!probe.ok && probe.violations[0]?.kind === 'use_after_free', 'reading an unmapped VMA must be a use after free');
    },
    mapped: (sut) => {
      expectThat(sut.kernel.world.mm.vmas.get('v')?.state === 'mapped' && pieces(sut).length > 0, 'v must be mapped with a piece');
      const f = sut.kernel.fork();
      const r = f.call({ type: 'vma_lookup', mm: sut.mm, task: 'probe', addr: (pieces(sut)[0] as { start: bigint }).start });
      expectThat(r.ok && r.vma === 'v', `vma_lookup must find v, got ${show(r)}`);
    },
  },
};
