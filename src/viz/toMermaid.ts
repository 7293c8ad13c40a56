import type { AnyStateMachine } from 'xstate';
import { diagramOf, type DiagramState } from './diagramOf.js';
import { scopeOf } from './scopeOf.js';
import { transitionLabel } from './transitionLabel.js';

/**
 * Draws a statechart as a mermaid `stateDiagram-v2`: compound states as nested `state X { … }`
 * blocks, `[*] -->` for initial states, `--> [*]` after final states, and every authored transition
 * labelled with its kernel function, its guard in brackets, and `/ ERRNO` or `! violation` from its
 * `meta` (see {@link transitionLabel}). A targetless branch is a loop on its state.
 *
 * @example
 *   toMermaid(MACHINES['dma_fence_cb']); // "stateDiagram-v2\n  [*] --> unqueued\n  …"
 */
export function toMermaid(machine: AnyStateMachine): string {
  const d = diagramOf(machine);
  const lines: string[] = ['stateDiagram-v2'];
  const block = (scope: string | undefined, initial: string, states: readonly DiagramState[], depth: number): void => {
    const pad = '  '.repeat(depth);
    lines.push(`${pad}[*] --> ${initial}`);
    for (const s of states) {
      if (s.children.length > 0 && s.initial !== undefined) {
        lines.push(`${pad}state ${s.id} {`);
        block(s.id, s.initial, s.children, depth + 1);
        lines.push(`${pad}}`);
      } else lines.push(`${pad}${s.id}`);
    }
    for (const t of d.transitions)
      if (scopeOf(d, t) === scope) lines.push(`${pad}${t.source} --> ${t.target ?? t.source} : ${transitionLabel(t)}`);
    for (const s of states) if (s.type === 'final') lines.push(`${pad}${s.id} --> [*]`);
  };
  block(undefined, d.initial, d.states, 1);
  return lines.join('\n') + '\n';
}
