import type { AnyStateMachine } from 'xstate';
import { diagramOf, type DiagramState, type DiagramTransition } from './diagramOf.js';

/** The namespace of the `drm:` attributes that carry each branch's errno, violation and flags. */
export const SCXML_DRM_NAMESPACE = 'urn:drmstate:meta';

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function transition(t: DiagramTransition): string {
  let s = `<transition event="${x(t.event)}"`;
  if (t.guard !== undefined) s += ` cond="${x(t.guard)}"`;
  if (t.target !== undefined) s += ` target="${x(t.target)}"`;
  if (t.internal) s += ' type="internal"';
  if (t.meta.errno !== undefined) s += ` drm:errno="${x(t.meta.errno)}"`;
  if (t.meta.violation !== undefined) s += ` drm:violation="${x(t.meta.violation)}"`;
  if (t.meta.refused === true) s += ' drm:refused="true"';
  if (t.meta.blocked === true) s += ' drm:blocked="true"';
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
 * @example
 *   toScxml(MACHINES['dma_fence_signalling']); // '<?xml version="1.0" …><scxml … initial="outside">…'
 */
export function toScxml(machine: AnyStateMachine): string {
  const d = diagramOf(machine);
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:drm="${SCXML_DRM_NAMESPACE}" version="1.0" name="${x(d.id)}" initial="${x(d.initial)}">`,
  ];
  const emit = (s: DiagramState, depth: number): void => {
    const pad = '  '.repeat(depth);
    const tag = s.type === 'final' ? 'final' : s.type === 'parallel' ? 'parallel' : 'state';
    const own = d.transitions.filter((t) => t.source === s.id);
    const init = s.initial !== undefined && s.type === 'compound' ? ` initial="${x(s.initial)}"` : '';
    if (own.length === 0 && s.children.length === 0) {
      lines.push(`${pad}<${tag} id="${x(s.id)}"${init}/>`);
      return;
    }
    lines.push(`${pad}<${tag} id="${x(s.id)}"${init}>`);
    for (const t of own) lines.push(`${pad}  ${transition(t)}`);
    for (const c of s.children) emit(c, depth + 1);
    lines.push(`${pad}</${tag}>`);
  };
  for (const s of d.states) emit(s, 1);
  lines.push('</scxml>');
  return lines.join('\n') + '\n';
}
