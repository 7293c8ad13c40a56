import type { AnyStateMachine } from 'xstate';
import { type Diagram, diagramOf, type DiagramState, type DiagramTransition } from './diagramOf.js';
import { type DiagramOptions, answerText, keepsState } from './selfLoops.js';

/** The namespace of the `drm:` attributes that carry each branch's errno, violation and flags. */
export const SCXML_DRM_NAMESPACE = 'urn:drmstate:meta';

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function transition(t: DiagramTransition, answer: string | undefined): string {
  let s = `<transition event="${x(t.event)}"`;
  if (t.guard !== undefined) s += ` cond="${x(t.guard)}"`;
  if (t.target !== undefined) s += ` target="${x(t.target)}"`;
  if (t.internal) s += ' type="internal"';
  if (t.meta.errno !== undefined) s += ` drm:errno="${x(t.meta.errno)}"`;
  if (t.meta.violation !== undefined) s += ` drm:violation="${x(t.meta.violation)}"`;
  if (t.meta.refused === true) s += ' drm:refused="true"';
  if (t.meta.blocked === true) s += ' drm:blocked="true"';
  if (answer !== undefined) s += ` drm:answer="${x(answer)}"`;
  return `${s}/>`;
}

/**
 * Writes a statechart as W3C SCXML: `<scxml initial=…>`, nested `<state>` (with `initial` on
 * compound states), `<parallel>`, `<final>`, and one `<transition event cond target>` per authored
 * branch, in the order the C function checks. Guards become `cond` (the guard's name); a targetless
 * branch has no `target`; a branch from a compound state into its own child is `type="internal"`,
 * as xstate v5 does not re-enter the source. Each branch's errno, violation kind, refusal and blocking
 * are kept as `drm:` attributes in the {@link SCXML_DRM_NAMESPACE} namespace.
 *
 * The branches that keep their state follow `selfLoops`, as in the drawings. Under `fold` (the
 * default) each state lists first the events that can change it, then, after a comment, the events
 * whose every branch keeps it, each of those branches carrying `drm:answer` (the answer the drawings'
 * table shows): only whole events move, so the branches of one event keep their order and the
 * document means what the machine does. Under `draw` every branch stays in document order, and under
 * `hide` the branches that keep their state are left out (the document then describes the changes
 * of state only: a left-out event no longer stops at the state).
 *
 * @example
 *   toScxml(MACHINES['dma_fence_signalling']); // '<?xml version="1.0" …><scxml … initial="outside">…'
 */
export function toScxml(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  const selfLoops = options.selfLoops ?? 'fold';
  const d = diagramOf(machine);
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:drm="${SCXML_DRM_NAMESPACE}" version="1.0" name="${x(d.id)}" initial="${x(d.initial)}">`,
  ];
  const emit = (s: DiagramState, depth: number): void => {
    const pad = '  '.repeat(depth);
    const tag = s.type === 'final' ? 'final' : s.type === 'parallel' ? 'parallel' : 'state';
    const { changing, keeping } = grouped(d, s.id, selfLoops);
    const own = [...changing, ...keeping];
    const init = s.initial !== undefined && s.type === 'compound' ? ` initial="${x(s.initial)}"` : '';
    if (own.length === 0 && s.children.length === 0) {
      lines.push(`${pad}<${tag} id="${x(s.id)}"${init}/>`);
      return;
    }
    lines.push(`${pad}<${tag} id="${x(s.id)}"${init}>`);
    for (const t of changing) lines.push(`${pad}  ${transition(t, selfLoops === 'fold' && keepsState(d, t) ? answerText(t.meta) : undefined)}`);
    if (keeping.length > 0) lines.push(`${pad}  <!-- answers that keep the state -->`);
    for (const t of keeping) lines.push(`${pad}  ${transition(t, answerText(t.meta))}`);
    for (const c of s.children) emit(c, depth + 1);
    lines.push(`${pad}</${tag}>`);
  };
  for (const s of d.states) emit(s, 1);
  lines.push('</scxml>');
  return lines.join('\n') + '\n';
}

/**
 * A state's branches as written: under `fold`, the events with a branch that changes the state
 * (`changing`, in document order) apart from the events whose every branch keeps it (`keeping`);
 * under `draw`, all in `changing`; under `hide`, the branches that keep the state left out.
 */
function grouped(d: Diagram, id: string, selfLoops: DiagramOptions['selfLoops']): { changing: DiagramTransition[]; keeping: DiagramTransition[] } {
  const own = d.transitions.filter((t) => t.source === id);
  if (selfLoops === 'draw') return { changing: own, keeping: [] };
  if (selfLoops === 'hide') return { changing: own.filter((t) => !keepsState(d, t)), keeping: [] };
  const changes = new Set(own.filter((t) => !keepsState(d, t)).map((t) => t.event));
  return { changing: own.filter((t) => changes.has(t.event)), keeping: own.filter((t) => !changes.has(t.event)) };
}
