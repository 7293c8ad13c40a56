import { getNextSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { drmMmMachine } from '../../machines/drmMm.machine.js';
import { type BranchTrace, authoredBranches, compileMachine, decide } from '../../machines/machineTable.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { drmMmAdapter } from '../../src/testgen/adapters/drmMm.js';
import { runMachinePaths } from '../../src/testgen/runPaths.js';
import type { Outcome } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';

const TABLE = compileMachine(drmMmMachine);

describe('drmMmMachine (struct drm_mm lifecycle)', () => {
  it('starts released and has the states released and live', () => {
    expect(TABLE.initial).toBe('released');
    expect([...TABLE.states].sort()).toEqual(['live', 'released']);
  });

  it('answers every event from every state, refusals carrying their kind', () => {
    for (const state of TABLE.states)
      for (const event of TABLE.events) {
        const list = TABLE.branches.get(state)?.get(event) ?? [];
        expect(list.length, `${state} / ${event}`).toBeGreaterThan(0);
        expect(list[list.length - 1]?.guard).toBeUndefined();
        for (const b of list) if (b.meta.refused === true) expect(['bug_on', 'use_after_free']).toContain(b.meta.violation);
      }
  });

  it('picks the same transition as xstate for every state, event and fact', () => {
    for (const state of TABLE.states)
      for (const event of TABLE.events)
        for (const rangeEmpty of [false, true]) {
          const b = decide(TABLE, state, event, {}, { type: event, rangeEmpty });
          const next = getNextSnapshot(drmMmMachine, drmMmMachine.resolveState({ value: state, context: {} }), { type: event, rangeEmpty } as never);
          expect(next.value, `${state} / ${event}`).toBe(b?.target ?? state);
        }
  });
});

describe('branches apply reaches', () => {
  const reached = new Set<string>();
  const trace: BranchTrace = {
    reach(machineId, branch) {
      if (machineId === 'drm_mm') reached.add(branch);
    },
  };
  let world: World = initialWorld();
  const call = (event: Record<string, unknown>): Outcome => {
    const r = apply(world, event, { trace });
    world = r.world;
    return r.outcome;
  };
  const kinds = (o: Outcome) => [o.ok, o.violations.map((v) => v.kind)];
  const answers = [
    call({ type: 'drm_mm_init', mm: 'm', start: '5', size: '0' }),
    call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '64' }),
    call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '64' }),
    ...(['drm_mm_holes', 'drm_mm_nodes', 'drm_mm_clean', 'drm_mm_takedown'] as const).map((type) => call({ type, mm: 'm' })),
    ...(['drm_mm_holes', 'drm_mm_nodes', 'drm_mm_clean', 'drm_mm_takedown'] as const).map((type) => call({ type, mm: 'm' })),
    call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '64' }),
  ];

  it('reaches every authored branch of drm_mm', () => {
    expect([...authoredBranches(TABLE).keys()].filter((b) => !reached.has(b))).toEqual([]);
  });

  it('answers as the branches say: BUG on a bad range or a live allocator, use after free after takedown', () => {
    expect(answers.map(kinds)).toEqual([
      [false, ['bug_on']],
      [true, []],
      [false, ['bug_on']],
      [true, []],
      [true, []],
      [true, []],
      [true, []],
      [false, ['use_after_free']],
      [false, ['use_after_free']],
      [false, ['use_after_free']],
      [false, ['use_after_free']],
      [true, []],
    ]);
  });
});

describe('drmMmAdapter', () => {
  it('covers every state and transition of drm_mm with passing paths', () => {
    const c = runMachinePaths(drmMmAdapter);
    expect(c.failures).toEqual([]);
    expect(c.uncovered).toEqual({ states: [], transitions: [] });
    expect(c.transitions.total).toBeGreaterThan(0);
  });
});
