import type { DiagramTransition } from './diagramOf.js';

/**
 * The label every drawing puts on a transition: the kernel function, the guard in brackets, then
 * `/ ERRNO` for the errno the call answers, `! kind` for the violation it records, and `(blocked)`
 * when the call would sleep.
 *
 * @example
 *   transitionLabel(t); // "dma_fence_wait_timeout [isNegativeTimeout] / EINVAL ! warn_on"
 */
export function transitionLabel(t: Pick<DiagramTransition, 'event' | 'guard' | 'meta'>): string {
  let s = t.event;
  if (t.guard !== undefined) s += ` [${t.guard}]`;
  if (t.meta.errno !== undefined) s += ` / ${t.meta.errno}`;
  if (t.meta.violation !== undefined) s += ` ! ${t.meta.violation}`;
  if (t.meta.blocked === true) s += ' (blocked)';
  return s;
}
