import { getNextSnapshot, type AnyMachineSnapshot, type AnyStateMachine, type AnyTransitionDefinition, type EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { type Branch, type MachineTable, branchId, branchViolations, compileMachine, decide } from '../../machines/machineTable.js';
import { isErrno } from '../../src/errno.js';
import { VIOLATION_KINDS } from '../../src/world/Violation.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import { generatePaths, leafOf } from '../../src/testgen/generatePaths.js';

function configText(machine: { config: unknown }): string {
  return JSON.stringify(machine.config, (_k, v) => (typeof v === 'function' ? '[fn]' : v));
}

describe('MACHINES', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    const table = compileMachine(machine);

    it(`${id}: every non-final state answers every event it can be shown with an explicit, total branch list`, () => {
      // What a state can be shown is what its adapter offers there (the events the protocol sends
      // an object in that state): a callback slot on no list is never shown its fence's signal.
      const shown = new Map<string, Set<string>>();
      for (const { snap, event } of reachablePairs(id)) {
        const state = leafOf(snap);
        if (!shown.has(state)) shown.set(state, new Set());
        shown.get(state)?.add(event.type);
      }
      expect(new Set([...shown.values()].flatMap((s) => [...s])), 'every event the machine names is shown in some state').toEqual(new Set(table.events));
      for (const state of table.states) {
        if (table.finals.has(state)) continue;
        expect(shown.has(state), `${state} is reached by no generated path`).toBe(true);
        for (const event of shown.get(state) ?? []) {
          const list = table.branches.get(state)?.get(event);
          expect(list, `${state} does not answer ${event}`).toBeDefined();
          // The last branch is unguarded: whatever the guards say, the state answers.
          expect(list?.[list.length - 1]?.guard, `${state} / ${event} can fall through`).toBeUndefined();
          for (const b of list ?? []) expect(b.description.length, `${state} / ${event} has a branch without description`).toBeGreaterThan(0);
        }
      }
    });

    it(`${id}: uses no invoke, after, always or wildcard transitions`, () => {
      const text = configText(machine);
      for (const word of ['"invoke"', '"after"', '"always"', '"*"']) expect(text.includes(word), word).toBe(false);
    });

    it(`${id}: error and violation branches carry their errno or kind in meta`, () => {
      for (const byEvent of table.branches.values())
        for (const list of byEvent.values())
          for (const b of list) {
            if (b.meta.refused) expect(b.meta.violation).toBeDefined();
            if (b.meta.errno !== undefined) expect(isErrno(b.meta.errno), b.meta.errno).toBe(true);
            // `violation` is the first of `violations` when both are given, and every kind is kernel vocabulary.
            if (b.meta.violations !== undefined) expect(b.meta.violation).toBe(b.meta.violations[0]?.kind);
            for (const v of branchViolations(b.meta)) expect(VIOLATION_KINDS).toContain(v.kind);
          }
    });

    it(`${id}: the compiled table picks xstate's own branch (target, branch id, meta) on every reachable (state, event)`, () => {
      const pairs = reachablePairs(id);
      expect(pairs.length).toBeGreaterThan(0);
      expect(oracleMismatches(machine, table, pairs)).toEqual([]);
    });
  }
});

/** Every reachable (snapshot, event) of a machine: the snapshots of its generated paths and its adapter's events there. */
function reachablePairs(id: string): { snap: AnyMachineSnapshot; event: EventObject }[] {
  const adapter = ADAPTERS[id];
  if (adapter === undefined) throw new Error(`no adapter for ${id}`);
  const seen = new Set<string>();
  const out: { snap: AnyMachineSnapshot; event: EventObject }[] = [];
  for (const p of generatePaths(adapter)) {
    for (const snap of [p.initial, ...p.steps.map((s) => s.state)]) {
      // A final state is asked too: it may author branches (a freed fence's findings).
      if (snap.status !== 'active' && snap.status !== 'done') continue;
      for (const event of adapter.events(snap)) {
        const key = JSON.stringify([snap.value, snap.context, event]);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ snap, event });
      }
    }
  }
  return out;
}

/** The branch id of the transition definition xstate takes: where it is authored and its position there. */
function xstateBranchId(def: AnyTransitionDefinition, eventType: string): string {
  const list = (def.source.on as Record<string, readonly AnyTransitionDefinition[]>)[eventType] ?? [];
  return branchId({ definedIn: def.source.path.join('.'), index: list.indexOf(def) }, eventType);
}

/**
 * Where the table and xstate's own `getTransitionData` disagree: the target leaf, the authored
 * branch, or its meta. Empty when they agree everywhere.
 */
function oracleMismatches(machine: AnyStateMachine, table: MachineTable, pairs: readonly { snap: AnyMachineSnapshot; event: EventObject }[]): string[] {
  const out: string[] = [];
  for (const { snap, event } of pairs) {
    const where = `${leafOf(snap)} / ${JSON.stringify(event)}`;
    const defs = machine.getTransitionData(snap as never, event as never) as AnyTransitionDefinition[];
    let b: Branch | undefined;
    try {
      b = decide(table, leafOf(snap), event.type, snap.context, event);
    } catch (e) {
      out.push(`${where}: the table throws ${(e as Error).message}`);
      continue;
    }
    if (defs.length === 0 && b === undefined && snap.status === 'done') continue;
    if (defs.length !== 1 || b === undefined) {
      out.push(`${where}: xstate takes ${defs.length} transitions, the table ${b === undefined ? 'none' : 'one'}`);
      continue;
    }
    const def = defs[0] as AnyTransitionDefinition;
    const target = leafOf(getNextSnapshot(machine, snap, event as never));
    if (b.target !== target) out.push(`${where}: target ${b.target}, xstate ${target}`);
    const id = xstateBranchId(def, event.type);
    if (branchId(b, event.type) !== id) out.push(`${where}: branch ${branchId(b, event.type)}, xstate ${id}`);
    if (JSON.stringify(b.meta) !== JSON.stringify(def.meta ?? {})) out.push(`${where}: meta ${JSON.stringify(b.meta)}, xstate ${JSON.stringify(def.meta ?? {})}`);
  }
  return out;
}

describe('the table oracle', () => {
  it('fails a table that picks a wrong branch with the same target', () => {
    const machine = MACHINES.dma_fence as AnyStateMachine;
    const table = compileMachine(machine);
    // The signaled fence's set_error branches are both targetless: drop the first one's guard so
    // the table takes it for every error, where xstate takes the second for an in-range error.
    const signaled = table.branches.get('signaled') as ReadonlyMap<string, readonly Branch[]>;
    const list = signaled.get('dma_fence_set_error') as readonly Branch[];
    expect(list[0]?.target).toBe(list[1]?.target);
    const wrong = new Map(signaled);
    wrong.set('dma_fence_set_error', [{ ...(list[0] as Branch), guard: undefined }, ...list.slice(1)]);
    const tampered: MachineTable = { ...table, branches: new Map([...table.branches, ['signaled', wrong]]) };
    const pairs = reachablePairs('dma_fence').filter((p) => leafOf(p.snap) === 'signaled' && p.event.type === 'dma_fence_set_error');
    expect(pairs.length).toBeGreaterThan(0);
    const found = oracleMismatches(machine, tampered, pairs);
    expect(found.some((m) => m.includes('branch signaled:dma_fence_set_error:0, xstate signaled:dma_fence_set_error:1'))).toBe(true);
    expect(found.every((m) => !m.includes('target'))).toBe(true);
    expect(oracleMismatches(machine, table, pairs)).toEqual([]);
  });
});
