import { describe, expect, it } from 'vitest';
import { compileMachine, decide } from '../../machines/machineTable.js';
import { vmAreaStructMachine } from '../../machines/vmAreaStruct.machine.js';
import { VMA_EFFECTS } from '../../src/mm/apply.js';
import { vmAreaStructAdapter } from '../../src/testgen/adapters/vmAreaStruct.js';
import { runMachinePaths } from '../../src/testgen/runPaths.js';

const TABLE = compileMachine(vmAreaStructMachine);

describe('vmAreaStructMachine (struct vm_area_struct lifecycle)', () => {
  it('starts unmapped and has the states unmapped and mapped, neither final', () => {
    expect(TABLE.initial).toBe('unmapped');
    expect([...TABLE.states]).toEqual(['unmapped', 'mapped']);
    expect(TABLE.finals.size).toBe(0);
  });

  it('decides do_mmap errnos in the order the C function checks', () => {
    const e = (facts: object) => decide(TABLE, 'unmapped', 'vm_mmap', {}, { type: 'vm_mmap', ...facts })?.meta.errno;
    expect(e({ zeroLength: true, noRoom: true })).toBe('EINVAL');
    expect(e({ lengthOverflow: true, noRoom: true })).toBe('ENOMEM');
    expect(e({ misaligned: true, overlap: true })).toBe('EINVAL');
    expect(e({ belowMinAddr: true })).toBe('EPERM');
    expect(e({ overlap: true, badMapType: true })).toBe('EEXIST');
    expect(e({ badMapType: true })).toBe('EINVAL');
    expect(e({})).toBeUndefined();
  });

  it('refuses a read without the reference as use_after_free', () => {
    expect(decide(TABLE, 'mapped', 'vma_start', {}, { type: 'vma_start', referenced: false })?.meta).toMatchObject({ violation: 'use_after_free', refused: true });
    expect(decide(TABLE, 'mapped', 'vma_start', {}, { type: 'vma_start', referenced: true })?.meta.effects).toEqual(['readVma']);
  });

  it('names only effects apply performs', () => {
    for (const byEvent of TABLE.branches.values())
      for (const list of byEvent.values()) for (const b of list) for (const e of b.meta.effects ?? []) expect(VMA_EFFECTS.has(e), e).toBe(true);
  });
});

describe('vmAreaStructAdapter', () => {
  it('covers every state and transition of vm_area_struct with passing paths', () => {
    const c = runMachinePaths(vmAreaStructAdapter);
    expect(c.failures).toEqual([]);
    expect(c.uncovered).toEqual({ states: [], transitions: [] });
    expect(c.transitions.total).toBeGreaterThan(15);
  });
});
