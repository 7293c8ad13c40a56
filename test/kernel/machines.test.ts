import { getNextSnapshot, type AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { compileMachine, decide } from '../../machines/machineTable.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import { generatePaths, leafOf } from '../../src/testgen/generatePaths.js';

function configText(machine: { config: unknown }): string {
  return JSON.stringify(machine.config, (_k, v) => (typeof v === 'function' ? '[fn]' : v));
}

describe('MACHINES', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    const table = compileMachine(machine);

    it(`${id}: every non-final state answers every event with an explicit, total branch list`, () => {
      for (const state of table.states) {
        if (table.finals.has(state)) continue;
        for (const event of table.events) {
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
            if (b.meta.errno !== undefined) expect(b.meta.errno).toMatch(/^E[A-Z0-9]+$/);
          }
    });

    it(`${id}: the compiled table and xstate agree on every reachable (state, event)`, () => {
      const adapter = ADAPTERS[id];
      expect(adapter).toBeDefined();
      const snapshots: AnyMachineSnapshot[] = [];
      for (const p of generatePaths(adapter as never)) {
        snapshots.push(p.initial);
        for (const s of p.steps) snapshots.push(s.state);
      }
      let checked = 0;
      for (const snap of snapshots) {
        if (snap.status !== 'active') continue;
        for (const event of adapter?.events(snap) ?? []) {
          const b = decide(table, leafOf(snap), event.type, snap.context, event);
          expect(b?.target).toBe(leafOf(getNextSnapshot(machine, snap, event as never)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
