import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getNextSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type DrmMmNodeFacts, drmMmNodeMachine } from '../../machines/drmMmNode.machine.js';
import { drmMmScanMachine } from '../../machines/drmMmScan.machine.js';
import { type BranchTrace, authoredBranches, compileMachine, decide } from '../../machines/machineTable.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { drmMmNodeAdapter } from '../../src/testgen/adapters/drmMmNode.js';
import { generatePaths, leafOf } from '../../src/testgen/generatePaths.js';
import type { World } from '../../src/world/World.js';

const TABLE = compileMachine(drmMmNodeMachine);
const FACTS: (keyof DrmMmNodeFacts)[] = ['rangeInverted', 'scanActive', 'allocatorTakenDown', 'fits', 'otherAllocator', 'outOfOrder', 'otherScan'];

/** Every combination of the facts. */
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

/** A {@link BranchTrace} that collects, per machine, the branches `apply` took. */
function collector(): { trace: BranchTrace; reached: Map<string, Set<string>> } {
  const reached = new Map<string, Set<string>>();
  const trace: BranchTrace = {
    reach(machineId, branch) {
      let set = reached.get(machineId);
      if (set === undefined) reached.set(machineId, (set = new Set()));
      set.add(branch);
    },
  };
  return { trace, reached };
}

/** Applies raw events from the initial world, reporting every branch taken to the trace. */
function run(events: readonly unknown[], trace: BranchTrace): void {
  let world: World = initialWorld();
  for (const e of events) world = apply(world, e, { trace }).world;
}

const FIXTURES = join(import.meta.dirname, '..', 'conformance', 'fixtures', 'drm_mm');

/** The events of every drm_mm conformance sample, file by file. */
function conformanceEvents(): unknown[][] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) =>
      readFileSync(join(FIXTURES, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (JSON.parse(l) as { event: unknown }).event),
    );
}

/** The logged events of every generated drm_mm_node path, run through the API as the path runner does. */
function pathEvents(): unknown[][] {
  const table = compileMachine(drmMmNodeMachine);
  return generatePaths(drmMmNodeAdapter).map((path) => {
    const sut = drmMmNodeAdapter.setup();
    let prev = path.initial;
    for (const { event, state } of path.steps) {
      const branch = decide(table, leafOf(prev), event.type, prev.context, event);
      if (branch === undefined) throw new Error(`no branch for ${event.type} in ${leafOf(prev)}`);
      drmMmNodeAdapter.exec(sut, event as never, branch, prev);
      prev = state;
    }
    return sut.kernel.entries.map((e) => e.event);
  });
}

describe('branches apply reaches', () => {
  const { trace, reached } = collector();
  for (const events of [...conformanceEvents(), ...pathEvents()]) run(events, trace);

  it('reaches every authored branch of drm_mm_node over the conformance samples and the generated paths', () => {
    const all = [...authoredBranches(compileMachine(drmMmNodeMachine)).keys()].sort();
    const got = reached.get('drm_mm_node') ?? new Set<string>();
    expect(all.filter((b) => !got.has(b))).toEqual([]);
    // Nothing outside the machine is reported under its id.
    expect([...got].filter((b) => !all.includes(b))).toEqual([]);
  });

  it('reaches drm_mm_scan branches too (the ones the node paths and samples drive)', () => {
    const all = new Set(authoredBranches(compileMachine(drmMmScanMachine)).keys());
    const got = reached.get('drm_mm_scan') ?? new Set<string>();
    expect(got.size).toBeGreaterThan(0);
    for (const b of got) expect(all.has(b), b).toBe(true);
  });
});
