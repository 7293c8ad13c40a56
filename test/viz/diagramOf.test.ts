import { and, not, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { authoredBranches, compileMachine } from '../../machines/machineTable.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';

describe('diagramOf', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    it(`keeps every authored branch of ${id}, on the state that authors it`, () => {
      const d = diagramOf(machine);
      const authored = authoredBranches(compileMachine(machine));
      expect(d.transitions).toHaveLength(authored.size);
      const keys = new Set(d.transitions.map((t) => `${t.source}:${t.event}:${t.index}`));
      for (const b of authored.values()) expect(keys).toContain(`${b.definedIn.split('.').at(-1)}:${b.event}:${b.index}`);
    });

    it(`lists every state of ${id} once`, () => {
      const ids = diagramStates(diagramOf(machine)).map((s) => s.path);
      const leaves = compileMachine(machine).states;
      for (const leaf of leaves) expect(ids).toContain(leaf);
      expect(new Set(ids).size).toBe(ids.length);
    });
  }

  it('marks a branch from a compound state into its own child as internal', () => {
    const t = diagramOf(MACHINES['dma_fence']!).transitions.find((x) => x.event === 'dma_fence_add_callback' && x.source === 'unsignaled');
    expect(t).toMatchObject({ target: 'signalingEnabled', internal: true });
  });

  it('names a state by its path when its key is not unique in the machine', () => {
    const m = setup({}).createMachine({
      id: 'twin',
      initial: 'a',
      states: {
        a: { initial: 'idle', states: { idle: { on: { go: { target: '#twin.b' } } } } },
        b: { initial: 'idle', states: { idle: {} } },
      },
    });
    const d = diagramOf(m);
    expect(diagramStates(d).map((s) => s.id)).toEqual(['a', 'a_idle', 'b', 'b_idle']);
    expect(d.transitions[0]).toMatchObject({ source: 'a_idle', target: 'b', internal: false });
  });

  it('writes guard combinators as calls', () => {
    const m = setup({ guards: { isX: () => true, isY: () => true } }).createMachine({
      id: 'g',
      initial: 's',
      states: { s: { on: { e: [{ guard: { type: 'isX' } }, { guard: not('isX') }, { guard: and(['isX', not('isY')]) }] } } },
    });
    expect(diagramOf(m).transitions.map((t) => t.guard)).toEqual(['isX', 'not(isX)', 'and(isX, not(isY))']);
  });
});
