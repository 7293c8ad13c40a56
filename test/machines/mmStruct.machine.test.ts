import { describe, expect, it } from 'vitest';
import { compileMachine, decide } from '../../machines/machineTable.js';
import { mmStructMachine } from '../../machines/mmStruct.machine.js';
import { MM_EFFECTS } from '../../src/mm/apply.js';
import { mmStructAdapter } from '../../src/testgen/adapters/mmStruct.js';
import { runMachinePaths } from '../../src/testgen/runPaths.js';

const TABLE = compileMachine(mmStructMachine);

describe('mmStructMachine (struct mm_struct lifecycle)', () => {
  it('starts live and has the states live, usersGone and freed (final)', () => {
    expect(TABLE.initial).toBe('live');
    expect([...TABLE.states]).toEqual(['live', 'usersGone', 'freed']);
    expect([...TABLE.finals]).toEqual(['freed']);
  });

  it('takes the last mmput to freed with no mmgrab left, to usersGone with one', () => {
    expect(decide(TABLE, 'live', 'mmput', { users: 1, count: 1 })?.target).toBe('freed');
    expect(decide(TABLE, 'live', 'mmput', { users: 1, count: 2 })?.target).toBe('usersGone');
    expect(decide(TABLE, 'live', 'mmput', { users: 2, count: 1 })?.target).toBe('live');
    expect(decide(TABLE, 'live', 'mmput', { users: 1, count: 2 })?.meta.effects).toEqual(['mightSleep', 'mmputCount', 'exitMmap', 'mmdropCount']);
    expect(decide(TABLE, 'live', 'mmput_async', { users: 1, count: 2 })?.meta.effects).toEqual(['mmputCount', 'exitMmap', 'mmdropCount']);
  });

  it('refuses an mmput past zero as refcount_underflow, after the sleep check', () => {
    const b = decide(TABLE, 'usersGone', 'mmput', { users: 0, count: 1 });
    expect(b?.meta).toMatchObject({ violation: 'refcount_underflow', refused: true, effects: ['mightSleep'] });
  });

  it('answers every call on a freed mm with use_after_free (mmdrop too), but get_task_mm with null', () => {
    for (const e of ['mmgrab', 'mmdrop', 'mmget', 'mmget_not_zero', 'mmput', 'mmput_async', 'vm_mmap', 'vm_munmap', 'find_vma', 'vma_lookup'])
      expect(decide(TABLE, 'freed', e, { users: 0, count: 0 })?.meta.violation, e).toBe('use_after_free');
    expect(decide(TABLE, 'freed', 'get_task_mm', { users: 0, count: 0 })?.meta.returns).toEqual({ mm: null });
  });

  it('names only effects apply performs', () => {
    for (const byEvent of TABLE.branches.values())
      for (const list of byEvent.values()) for (const b of list) for (const e of b.meta.effects ?? []) expect(MM_EFFECTS.has(e), e).toBe(true);
  });
});

describe('mmStructAdapter', () => {
  it('covers every state and transition of mm_struct with passing paths', () => {
    const c = runMachinePaths(mmStructAdapter);
    expect(c.failures).toEqual([]);
    expect(c.uncovered).toEqual({ states: [], transitions: [] });
    expect(c.transitions.total).toBeGreaterThan(30);
  });
});
