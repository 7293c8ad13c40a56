import type { AnyStateMachine } from 'xstate';
import { diagramOf, type DiagramState } from './diagramOf.js';
import { scopeOf } from './scopeOf.js';
import { type AnswerRow, type DiagramOptions, answerRowText, answerTables, drawnTransitions } from './selfLoops.js';
import { transitionLabel } from './transitionLabel.js';

/** Mermaid reads `;` and `#` in a description as syntax. */
function text(s: string): string {
  return s.replace(/[;#]/g, ' ');
}

/**
 * Draws a statechart as a mermaid `stateDiagram-v2`: compound states as nested `state X { … }`
 * blocks, `[*] -->` for initial states, `--> [*]` after final states, and every state-changing
 * branch labelled with its kernel function, its guard in brackets, and `/ ERRNO` or `! violation`
 * from its `meta` (see {@link transitionLabel}). The branches that keep their state follow
 * `selfLoops`: under `fold` (the default) each is a line `event [guard] → answer` of its state's
 * description (`state : …`; a compound state's in a note beside it), under `draw` a loop, under
 * `hide` left out.
 *
 * @example
 *   toMermaid(MACHINES['dma_fence_cb']); // "stateDiagram-v2\n  [*] --> unqueued\n  …"
 */
export function toMermaid(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  const selfLoops = options.selfLoops ?? 'fold';
  const d = diagramOf(machine);
  const tables = selfLoops === 'fold' ? answerTables(d) : new Map<string, readonly AnswerRow[]>();
  const drawn = drawnTransitions(d, selfLoops);
  const lines: string[] = ['stateDiagram-v2'];
  const block = (scope: string | undefined, initial: string, states: readonly DiagramState[], depth: number): void => {
    const pad = '  '.repeat(depth);
    lines.push(`${pad}[*] --> ${initial}`);
    for (const s of states) {
      const rows = tables.get(s.id) ?? [];
      if (s.children.length > 0 && s.initial !== undefined) {
        lines.push(`${pad}state ${s.id} {`);
        block(s.id, s.initial, s.children, depth + 1);
        lines.push(`${pad}}`);
        if (rows.length > 0) {
          lines.push(`${pad}note right of ${s.id}`);
          lines.push(`${pad}  in every substate:`);
          for (const r of rows) lines.push(`${pad}  ${text(answerRowText(r))}`);
          lines.push(`${pad}end note`);
        }
      } else {
        lines.push(`${pad}${s.id}`);
        for (const r of rows) lines.push(`${pad}${s.id} : ${text(answerRowText(r))}`);
      }
    }
    for (const t of drawn) if (scopeOf(d, t) === scope) lines.push(`${pad}${t.source} --> ${t.target ?? t.source} : ${transitionLabel(t)}`);
    for (const s of states) if (s.type === 'final') lines.push(`${pad}${s.id} --> [*]`);
  };
  block(undefined, d.initial, d.states, 1);
  return lines.join('\n') + '\n';
}
