import type { AnyStateMachine } from 'xstate';
import { diagramOf, diagramStates, type DiagramState } from './diagramOf.js';
import { transitionLabel } from './transitionLabel.js';

/** Quotes a string as a DOT ID. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Draws a statechart as a Graphviz DOT digraph: compound states as `cluster_` subgraphs, each with a
 * point for its initial pseudo-state (also the anchor of edges to and from the cluster, drawn with
 * `compound=true`, `lhead` and `ltail`); final states with a double border; every authored transition
 * labelled as in {@link transitionLabel}. A targetless branch of an atomic state is a loop; those of a
 * compound state are listed in one note inside its cluster. State and branch descriptions become
 * tooltips (shown by the SVG).
 *
 * @example
 *   toDot(MACHINES['drm_mm_node']); // 'digraph "drm_mm_node" {\n  compound=true; …'
 */
export function toDot(machine: AnyStateMachine): string {
  const d = diagramOf(machine);
  const byId = new Map(diagramStates(d).map((s) => [s.id, s]));
  const isCompound = (id: string): boolean => (byId.get(id)?.children.length ?? 0) > 0;
  const anchor = (id: string): string => (isCompound(id) ? `${id}__start` : id);
  const lines: string[] = [
    `digraph ${q(d.id)} {`,
    '  compound=true;',
    '  rankdir=LR;',
    `  label=${q(d.id)}; labelloc=t; fontname="Helvetica";`,
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  "__start" [shape=point, label=""];',
  ];
  const declare = (states: readonly DiagramState[], depth: number): void => {
    const pad = '  '.repeat(depth);
    for (const s of states) {
      if (s.children.length > 0) {
        lines.push(`${pad}subgraph ${q(`cluster_${s.id}`)} {`);
        lines.push(`${pad}  label=${q(s.id)}; tooltip=${q(s.description)}; style=rounded;`);
        lines.push(`${pad}  ${q(anchor(s.id))} [shape=point, label=""];`);
        const inner = d.transitions.filter((t) => t.source === s.id && t.target === undefined);
        if (inner.length > 0) {
          const text = inner.map((t) => q(transitionLabel(t)).slice(1, -1) + '\\l').join('');
          lines.push(`${pad}  ${q(`${s.id}__internal`)} [shape=note, fontsize=10, label="${text}"];`);
        }
        declare(s.children, depth + 1);
        lines.push(`${pad}}`);
      } else {
        const final = s.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${pad}${q(s.id)} [label=${q(s.id)}, tooltip=${q(s.description)}${final}];`);
      }
    }
  };
  declare(d.states, 1);
  const edge = (from: string, to: string, attrs: string[]): void => {
    lines.push(`  ${q(anchor(from))} -> ${q(anchor(to))} [${attrs.join(', ')}];`);
  };
  // Initial pseudo-states: the graph's own point, then each cluster's point to its initial child.
  const initialEdge = (from: string, to: string): void => {
    const attrs = isCompound(to) ? ` [lhead=${q(`cluster_${to}`)}]` : '';
    lines.push(`  ${q(from)} -> ${q(anchor(to))}${attrs};`);
  };
  initialEdge('__start', d.initial);
  for (const s of diagramStates(d)) if (s.initial !== undefined) initialEdge(anchor(s.id), s.initial);
  for (const t of d.transitions) {
    if (t.target === undefined && isCompound(t.source)) continue;
    const to = t.target ?? t.source;
    const attrs = [`label=${q(transitionLabel(t))}`, `tooltip=${q(t.description)}`];
    if (isCompound(t.source) && !t.internal) attrs.push(`ltail=${q(`cluster_${t.source}`)}`);
    if (isCompound(to) && to !== t.source) attrs.push(`lhead=${q(`cluster_${to}`)}`);
    edge(t.source, to, attrs);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
