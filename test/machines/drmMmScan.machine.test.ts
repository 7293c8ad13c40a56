import { getNextSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type DrmMmScanFacts, drmMmScanMachine } from '../../machines/drmMmScan.machine.js';
import { type BranchTrace, authoredBranches, compileMachine, decide } from '../../machines/machineTable.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { drmMmScanAdapter } from '../../src/testgen/adapters/drmMmScan.js';
import { runMachinePaths } from '../../src/testgen/runPaths.js';
import type { Outcome } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';

const TABLE = compileMachine(drmMmScanMachine);
const FACTS: (keyof DrmMmScanFacts)[] = ['allocatorTakenDown', 'rangeEmpty', 'sizeInvalid', 'scanActive', 'lastBlock', 'hitHoleMissing'];

function* factSets(): Generator<DrmMmScanFacts> {
  for (let bits = 0; bits < 1 << FACTS.length; bits++) {
    const c: Record<string, boolean> = {};
    FACTS.forEach((f, i) => (c[f] = (bits & (1 << i)) !== 0));
    yield c as DrmMmScanFacts;
  }
}

describe('drmMmScanMachine (struct drm_mm_scan lifecycle)', () => {
  it('starts zeroed and has the states zeroed, idle and scanning', () => {
    expect(TABLE.initial).toBe('zeroed');
    expect([...TABLE.states].sort()).toEqual(['idle', 'scanning', 'zeroed']);
  });

  it('answers every event from every state with a described branch list ending unguarded', () => {
    for (const state of TABLE.states)
      for (const event of TABLE.events) {
        const list = TABLE.branches.get(state)?.get(event) ?? [];
        expect(list.length, `${state} / ${event}`).toBeGreaterThan(0);
        expect(list[list.length - 1]?.guard).toBeUndefined();
        for (const b of list) {
          expect(b.description.length).toBeGreaterThan(0);
          if (b.meta.refused === true) expect(['bug_on', 'use_after_free']).toContain(b.meta.violation);
        }
      }
  });

  it('picks the same transition as xstate for every state, event and combination of facts', () => {
    for (const state of TABLE.states)
      for (const event of TABLE.events)
        for (const facts of factSets()) {
          const b = decide(TABLE, state, event, {}, { type: event, ...facts });
          const snap = drmMmScanMachine.resolveState({ value: state, context: {} });
          const next = getNextSnapshot(drmMmScanMachine, snap, { type: event, ...facts } as never);
          expect(next.value, `${state} / ${event}`).toBe(b?.target ?? state);
        }
  });
});

describe('branches apply reaches', () => {
  const reached = new Set<string>();
  const trace: BranchTrace = {
    reach(machineId, branch) {
      if (machineId === 'drm_mm_scan') reached.add(branch);
    },
  };
  let world: World = initialWorld();
  const outcomes: Outcome[] = [];
  const call = (event: Record<string, unknown>): Outcome => {
    const r = apply(world, event, { trace });
    world = r.world;
    outcomes.push(r.outcome);
    return r.outcome;
  };
  const range = { alignment: '0', color: '0', mode: 'best' } as const;
  const init = (scan: string, mm: string, size = '10', start = '0', end = '100') =>
    call({ type: 'drm_mm_scan_init_with_range', scan, mm, size, range_start: start, range_end: end, ...range });
  const add = (scan: string, node: string) => call({ type: 'drm_mm_scan_add_block', scan, node });
  const remove = (scan: string, node: string) => call({ type: 'drm_mm_scan_remove_block', scan, node });
  const evict = (scan: string) => call({ type: 'drm_mm_scan_color_evict', scan });
  const mm = (name: string) => call({ type: 'drm_mm_init', mm: name, start: '0', size: '100' });
  const node = (name: string, m: string) =>
    call({ type: 'drm_mm_insert_node_in_range', mm: m, node: name, size: '10', range_start: '0', range_end: '100', once: false, ...range });

  mm('m');
  mm('dead');
  call({ type: 'drm_mm_takedown', mm: 'dead' });
  node('a', 'm');
  node('b', 'm');
  // A zeroed scan: every call but init refuses; init checks the kernel's conditions in order.
  add('z', 'a');
  remove('z', 'a');
  evict('z');
  init('z0', 'dead');
  init('z1', 'm', '10', '5', '5');
  init('z3', 'm', '0');
  init('z4', 'm', '200');
  // Idle scans: re-initialised, used for evict, refusing removals of blocks they never held.
  init('i', 'm');
  init('i', 'dead');
  init('i', 'm', '10', '7', '7');
  init('i', 'm', '0');
  init('i', 'm');
  init('j', 'm');
  evict('i');
  remove('i', 'a');
  // A scanning scan: blocks come and go; init and evict refuse while it holds any.
  add('i', 'a');
  add('i', 'b');
  init('z5', 'm');
  init('j', 'm');
  init('i', 'dead');
  init('i', 'm', '10', '9', '9');
  init('i', 'm', '0');
  init('i', 'm');
  mm('o');
  init('i', 'o');
  evict('i');
  remove('i', 'b');
  remove('i', 'a');
  // No hole covers the hit once it is filled, and a taken-down allocator is a use after free.
  node('c', 'm');
  call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'fill', start: '30', size: '70', color: '0' });
  add('i', 'a');
  remove('i', 'a');
  call({ type: 'drm_mm_init', mm: 'g', start: '0', size: '100', color_adjust: { gap: '1' } });
  call({ type: 'drm_mm_reserve_node', mm: 'g', node: 'x', start: '0', size: '100', color: '0' });
  init('k', 'g', '50');
  add('k', 'x');
  remove('k', 'x');
  evict('k');
  call({ type: 'drm_mm_remove_node', node: 'x' });
  call({ type: 'drm_mm_takedown', mm: 'g' });
  evict('k');

  it('reaches every authored branch of drm_mm_scan', () => {
    const all = [...authoredBranches(TABLE).keys()].sort();
    expect(all.filter((b) => !reached.has(b))).toEqual([]);
  });

  it('refuses with bug_on every use of a zeroed scan but init', () => {
    expect(outcomes.slice(5, 8).map((o) => [o.ok, o.violations.map((v) => v.kind)])).toEqual([
      [false, ['bug_on']],
      [false, ['bug_on']],
      [false, ['bug_on']],
    ]);
  });
});

describe('drmMmScanAdapter', () => {
  it('covers every state and transition of drm_mm_scan with passing paths', () => {
    const c = runMachinePaths(drmMmScanAdapter);
    expect(c.failures).toEqual([]);
    expect(c.uncovered).toEqual({ states: [], transitions: [] });
    expect(c.transitions.total).toBeGreaterThan(0);
  });
});
