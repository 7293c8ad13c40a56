import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { toMermaid } from '../../src/viz/toMermaid.js';
import { transitionLabel } from '../../src/viz/transitionLabel.js';

describe('toMermaid', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    describe(id, () => {
      const text = toMermaid(machine);
      const lines = text.split('\n').map((l) => l.trim());
      const d = diagramOf(machine);

      it('is a stateDiagram-v2 that starts at the initial state', () => {
        expect(lines[0]).toBe('stateDiagram-v2');
        expect(lines[1]).toBe(`[*] --> ${d.initial}`);
      });

      it('declares every state, compound states as nested blocks with their own initial state', () => {
        for (const s of diagramStates(d)) {
          if (s.children.length > 0) {
            const open = lines.indexOf(`state ${s.id} {`);
            expect(open).toBeGreaterThan(0);
            expect(lines[open + 1]).toBe(`[*] --> ${s.initial}`);
          } else expect(lines).toContain(s.id);
        }
      });

      it('draws every authored transition once, labelled', () => {
        const arrows = lines.filter((l) => / --> .* : /.test(l));
        expect(arrows).toHaveLength(d.transitions.length);
        for (const t of d.transitions) expect(lines).toContain(`${t.source} --> ${t.target ?? t.source} : ${transitionLabel(t)}`);
      });

      it('ends each final state', () => {
        for (const s of diagramStates(d).filter((x) => x.type === 'final')) expect(lines).toContain(`${s.id} --> [*]`);
      });

      it('matches the snapshot', () => {
        expect(text).toMatchSnapshot();
      });
    });
  }

  it('labels errnos and violations from meta', () => {
    const text = toMermaid(MACHINES['dma_fence_cb']!);
    expect(text).toContain('unqueued --> unqueued : dma_fence_add_callback [isFenceSignaled] / ENOENT');
    expect(text).toContain('registered --> registered : dma_fence_add_callback ! bug_on');
  });
});
