import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { toDot } from '../../src/viz/toDot.js';
import { transitionLabel } from '../../src/viz/transitionLabel.js';

/** The DOT text of a label inside a quoted ID. */
const quoted = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

describe('toDot', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    describe(id, () => {
      const text = toDot(machine);
      const d = diagramOf(machine);

      it('is a compound digraph named after the machine', () => {
        expect(text.startsWith(`digraph "${id}" {\n  compound=true;`)).toBe(true);
        expect(text.trimEnd().endsWith('}')).toBe(true);
      });

      it('draws compound states as clusters and the others as nodes, finals doubled', () => {
        for (const s of diagramStates(d)) {
          if (s.children.length > 0) expect(text).toContain(`subgraph "cluster_${s.id}" {`);
          else expect(text).toMatch(new RegExp(`"${s.id}" \\[label="${s.id}"[^\\n]*${s.type === 'final' ? 'peripheries=2' : ''}`));
        }
      });

      it('labels every authored transition: an edge, or a line of its compound state\'s note', () => {
        const edges = text.split('\n').filter((l) => l.includes(' -> ') && l.includes('label='));
        const notes = [...text.matchAll(/__internal" \[shape=note, fontsize=10, label="([^\n]*)"\];/g)].map((m) => m[1]!.split('\\l').filter((x) => x !== ''));
        expect(edges.length + notes.flat().length).toBe(d.transitions.length);
        for (const t of d.transitions) expect(text).toContain(quoted(transitionLabel(t)));
      });

      it('lays out in Graphviz without an error or a warning', async () => {
        const r = (await instance()).render(text, { format: 'svg' });
        expect(r.errors).toEqual([]);
        expect(r.status).toBe('success');
      });

      it('marks the initial state', () => {
        expect(text).toMatch(new RegExp(`"__start" -> "${d.initial}(__start)?"`));
      });
    });
  }
});
