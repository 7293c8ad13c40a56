import { getNextSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type DrmMmNodeFacts, drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { compileMachine, decide } from '../../machines/machineTable.js';

const TABLE = compileMachine(drmMmNodeMachine);
const FACTS: (keyof DrmMmNodeFacts)[] = ['rangeInverted', 'scanActive', 'allocatorTakenDown', 'fits', 'otherAllocator', 'outOfOrder'];

/** Every combination of the six facts. */
function* factSets(): Generator<DrmMmNodeFacts> {
  for (let bits = 0; bits < 1 << FACTS.length; bits++) {
    const c: Record<string, boolean> = {};
    FACTS.forEach((f, i) => (c[f] = (bits & (1 << i)) !== 0));
    yield c as DrmMmNodeFacts;
  }
}

describe('drmMmNodeMachine (struct drm_mm_node lifecycle)', () => {
  it('has the states unlinked, inserted, scanned, removed and orphaned', () => {
    expect([...TABLE.states].sort()).toEqual(['inserted', 'orphaned', 'removed', 'scanned', 'unlinked']);
    expect(TABLE.initial).toBe('unlinked');
  });

  it('answers every event from every non-final state with an explicit, described branch', () => {
    for (const state of TABLE.states) {
      if (TABLE.finals.has(state)) continue;
      for (const event of TABLE.events) {
        const list = TABLE.branches.get(state)?.get(event);
        expect(list, `${state} / ${event}`).toBeDefined();
        const branches = list ?? [];
        expect(branches.length).toBeGreaterThan(0);
        for (const b of branches) expect(b.description.length, `${state} / ${event}`).toBeGreaterThan(0);
        // The last branch is unguarded: the state always answers.
        expect(branches[branches.length - 1]?.guard).toBeUndefined();
      }
    }
  });

  it('names every guard is…/has… and marks every refusal with a violation kind', () => {
    for (const name of Object.keys(TABLE.guards)) expect(name).toMatch(/^(is|has)[A-Z]/);
    for (const byEvent of TABLE.branches.values())
      for (const list of byEvent.values())
        for (const b of list) {
          if (b.meta.refused === true) expect(['bug_on', 'use_after_free']).toContain(b.meta.violation);
          if (b.meta.errno !== undefined) expect(b.meta.errno).toBe('ENOSPC');
        }
  });

  it('picks the same transition as xstate for every state, event and combination of facts', () => {
    for (const state of TABLE.states) {
      for (const event of TABLE.events) {
        for (const facts of factSets()) {
          const b = decide(TABLE, state, event, {}, { type: event, ...facts });
          const snap = drmMmNodeMachine.resolveState({ value: state, context: {} });
          const next = getNextSnapshot(drmMmNodeMachine, snap, { type: event, ...facts } as never);
          expect(next.value, `${state} / ${event}`).toBe(b?.target ?? state);
        }
      }
    }
  });

  it('reaches inserted only through a fitting insertion or reservation', () => {
    const from = (state: string, event: string, facts: DrmMmNodeFacts) => decide(TABLE, state, event, {}, { type: event, ...facts });
    expect(from('unlinked', 'drm_mm_insert_node', { fits: true })?.target).toBe('inserted');
    expect(from('unlinked', 'drm_mm_insert_node', {})?.meta.errno).toBe('ENOSPC');
    expect(from('removed', 'drm_mm_reserve_node', { fits: true })?.target).toBe('inserted');
    expect(from('inserted', 'drm_mm_remove_node', {})?.target).toBe('removed');
    expect(from('inserted', 'drm_mm_scan_add_block', {})?.target).toBe('scanned');
    expect(from('scanned', 'drm_mm_scan_remove_block', {})?.target).toBe('inserted');
    expect(from('scanned', 'drm_mm_scan_remove_block', { outOfOrder: true })?.meta.violation).toBe('bug_on');
    expect(from('inserted', 'drm_mm_takedown', {})?.target).toBe('orphaned');
    expect(from('orphaned', 'drm_mm_remove_node', {})?.meta.violation).toBe('use_after_free');
    expect(from('unlinked', 'drm_mm_insert_node_in_range', { rangeInverted: true, fits: true })?.meta.violation).toBe('bug_on');
  });
});
