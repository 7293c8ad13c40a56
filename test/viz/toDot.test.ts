import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { SELF_LOOPS, answerTables, answerTone, keepsState } from '../../src/viz/selfLoops.js';
import { TONE_COLOURS, toDot } from '../../src/viz/toDot.js';
import { transitionLabel } from '../../src/viz/transitionLabel.js';

/** The DOT text of a label inside a quoted ID. */
const quoted = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** Text inside an HTML-like label. */
const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('toDot', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    describe(id, () => {
      const text = toDot(machine);
      const d = diagramOf(machine);

      it('is a compound digraph named after the machine', () => {
        expect(text.startsWith(`digraph "${id}" {\n  compound=true;`)).toBe(true);
        expect(text.trimEnd().endsWith('}')).toBe(true);
      });

      it('draws compound states as clusters and the others as nodes, finals doubled and marked', () => {
        for (const s of diagramStates(d)) {
          if (s.children.length > 0) expect(text).toContain(`subgraph "cluster_${s.id}" {`);
          else if (s.type === 'final') expect(text).toMatch(new RegExp(`"${s.id}" \\[label=<<TABLE[^\\n]*<B>${s.id}</B> <FONT POINT-SIZE="10">\\(final\\)</FONT>[^\\n]*peripheries=2\\];`));
          else expect(text).toMatch(new RegExp(`"${s.id}" \\[label=(<<TABLE[^\\n]*<B>${s.id}</B>|"${s.id}")`));
        }
      });

      it('draws every transition that changes the state as an edge, and each answer that keeps it as a row of its state\'s table', () => {
        const edges = text.split('\n').filter((l) => l.includes(' -> ') && l.includes('label='));
        const changing = d.transitions.filter((t) => !keepsState(d, t));
        expect(edges).toHaveLength(changing.length);
        for (const t of changing) expect(text).toContain(`label="${quoted(transitionLabel(t))}"`);
        for (const [state, rows] of answerTables(d)) {
          const line = text.split('\n').find((l) => l.trimStart().startsWith(`"${state}" [`) || l.trimStart().startsWith(`"${state}__answers" [`))!;
          expect(line, state).toBeDefined();
          expect(line.match(/<TR>/g)).toHaveLength(rows.length + 1);
          for (const r of rows) expect(line).toContain(`>${r.tone === 'violation' ? `<B>${html(r.answer)}</B>` : html(r.answer)}</FONT>`);
        }
      });

      it('styles errno answers dashed and violations bold, in their colours', () => {
        for (const t of d.transitions.filter((x) => !keepsState(d, x))) {
          const line = text.split('\n').find((l) => l.includes(`label="${quoted(transitionLabel(t))}"`) && l.includes(`tooltip="${quoted(t.description)}"`))!;
          const tone = answerTone(t.meta);
          if (tone === 'ok') expect(line).not.toContain('style=');
          else expect(line).toContain(`color="${TONE_COLOURS[tone]}", fontcolor="${TONE_COLOURS[tone]}", style=${tone === 'errno' ? 'dashed' : tone === 'violation' ? 'bold' : 'dotted'}`);
        }
      });

      it('under --self-loops draw, draws every authored branch: an edge, or a line of its compound state\'s note; under hide, none that keeps the state', () => {
        const drawn = toDot(machine, { selfLoops: 'draw' });
        const edges = drawn.split('\n').filter((l) => l.includes(' -> ') && l.includes('label='));
        const notes = [...drawn.matchAll(/__internal" \[shape=note, style="", fontsize=11, label="([^\n]*)"\];/g)].map((m) => m[1]!.split('\\l').filter((x) => x !== ''));
        expect(edges.length + notes.flat().length).toBe(d.transitions.length);
        for (const t of d.transitions) expect(drawn).toContain(quoted(transitionLabel(t)));
        const finals = diagramStates(d).filter((s) => s.type === 'final').length;
        expect(drawn.match(/<TR>/g)?.length ?? 0).toBe(finals);
        const hidden = toDot(machine, { selfLoops: 'hide' });
        expect(hidden.split('\n').filter((l) => l.includes(' -> ') && l.includes('label='))).toHaveLength(d.transitions.filter((t) => !keepsState(d, t)).length);
        expect(hidden).not.toContain('__internal');
        expect(hidden.match(/<TR>/g)?.length ?? 0).toBe(finals);
      });

      it('lays out in Graphviz without an error or a warning, in every --self-loops mode', async () => {
        for (const selfLoops of SELF_LOOPS) {
          const r = (await instance()).render(toDot(machine, { selfLoops }), { format: 'svg' });
          expect(r.errors).toEqual([]);
          expect(r.status).toBe('success');
        }
      });

      it('marks the initial state', () => {
        expect(text).toMatch(new RegExp(`"__start" -> "${d.initial}(__start)?"`));
      });
    });
  }
});
