import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { answerRowText, answerTables, keepsState } from '../../src/viz/selfLoops.js';
import { toMermaid } from '../../src/viz/toMermaid.js';
import { transitionLabel } from '../../src/viz/transitionLabel.js';

describe('toMermaid', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    describe(id, () => {
      const text = toMermaid(machine);
      const lines = text.split('\n').map((l) => l.trim());
      const d = diagramOf(machine);
      const arrows = (ls: readonly string[]): string[] => ls.filter((l) => / --> .* : /.test(l));

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

      it('draws every transition that changes the state once, labelled, and no other', () => {
        const changing = d.transitions.filter((t) => !keepsState(d, t));
        expect(arrows(lines)).toHaveLength(changing.length);
        for (const t of changing) expect(lines).toContain(`${t.source} --> ${t.target} : ${transitionLabel(t)}`);
      });

      it('folds each answer that keeps the state into its state: a description line, or a note on a compound state', () => {
        const tables = answerTables(d);
        const folded = [...tables.values()].flat().length;
        expect(folded).toBe(d.transitions.filter((t) => keepsState(d, t)).length);
        for (const [state, rows] of tables) {
          const compound = lines.includes(`state ${state} {`);
          const note = lines.indexOf(`note right of ${state}`);
          if (compound) expect(note).toBeGreaterThan(0);
          rows.forEach((r, i) => {
            const line = answerRowText(r).replace(/[;#]/g, ' ');
            if (compound) expect(lines[note + 2 + i]).toBe(line);
            else expect(lines).toContain(`${state} : ${line}`);
          });
        }
      });

      it('under --self-loops draw, draws every authored branch once, answers that keep the state as loops', () => {
        const drawn = toMermaid(machine, { selfLoops: 'draw' }).split('\n').map((l) => l.trim());
        expect(arrows(drawn)).toHaveLength(d.transitions.length);
        for (const t of d.transitions) expect(drawn).toContain(`${t.source} --> ${t.target ?? t.source} : ${transitionLabel(t)}`);
        expect(drawn.filter((l) => / : .* → /.test(l) && !l.includes('-->'))).toEqual([]);
      });

      it('under --self-loops hide, leaves the answers that keep the state out', () => {
        const hidden = toMermaid(machine, { selfLoops: 'hide' }).split('\n').map((l) => l.trim());
        expect(arrows(hidden)).toHaveLength(d.transitions.filter((t) => !keepsState(d, t)).length);
        expect(hidden.filter((l) => l.includes(' → ') || l.startsWith('note '))).toEqual([]);
      });

      it('ends each final state', () => {
        for (const s of diagramStates(d).filter((x) => x.type === 'final')) expect(lines).toContain(`${s.id} --> [*]`);
      });

      it('matches the snapshot', () => {
        expect(text).toMatchSnapshot();
      });
    });
  }

  it('labels errnos and violations from meta, on edges and in the folded answers', () => {
    const text = toMermaid(MACHINES['dma_fence_cb']!);
    expect(text).toContain('invoked --> unqueued : dma_fence_add_callback [isFenceSignaled] / ENOENT');
    expect(text).toContain('unqueued : dma_fence_add_callback [isFenceSignaled] → ENOENT');
    expect(text).toContain('registered : dma_fence_add_callback → ! bug_on');
    expect(text).toContain('unqueued : dma_fence_remove_callback → removed=false');
  });

  it('notes the answers of a compound state beside its block', () => {
    const text = toMermaid(MACHINES['dma_fence']!);
    expect(text).toContain('  note right of unsignaled\n    in every substate:\n    dma_fence_init → ! bug_on\n');
  });
});
