import type { Diagram, DiagramTransition } from './diagramOf.js';

/**
 * Where a drawing declares a transition: the id of the innermost compound state that contains both
 * of its ends, or undefined for the top level. A targetless branch is drawn as a loop on its source,
 * so its scope is the source's parent. Mermaid and DOT both need edges declared at this level so that
 * neither end is re-created inside a nested block.
 */
export function scopeOf(diagram: Diagram, t: DiagramTransition): string | undefined {
  const parent = new Map<string, string | undefined>();
  const visit = (id: string | undefined, kids: Diagram['states']): void => {
    for (const k of kids) {
      parent.set(k.id, id);
      visit(k.id, k.children);
    }
  };
  visit(undefined, diagram.states);
  const chain = (id: string | undefined): (string | undefined)[] => {
    const out: (string | undefined)[] = [];
    for (let c = id; c !== undefined; c = parent.get(c)) out.push(c);
    out.push(undefined);
    return out;
  };
  const a = chain(parent.get(t.source));
  const b = new Set(chain(parent.get(t.target ?? t.source)));
  return a.find((x) => b.has(x));
}
