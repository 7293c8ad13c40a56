import type { AnyStateMachine } from 'xstate';
import { diagramOf, diagramStates, type DiagramState } from './diagramOf.js';
import { type AnswerRow, type AnswerTone, type DiagramOptions, answerTables, answerTone, drawnTransitions } from './selfLoops.js';
import { transitionLabel } from './transitionLabel.js';

/** Quotes a string as a DOT ID. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Escapes text for a Graphviz HTML-like label. */
function h(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The colour of each answer tone, on edges and in the folded tables. */
export const TONE_COLOURS: { readonly [tone in AnswerTone]: string } = {
  ok: '#1e6b34',
  errno: '#b35900',
  violation: '#b0182b',
  blocked: '#5b5b5b',
};

/** The DOT edge attributes that style a branch by its tone: errors dashed, violations bold. */
function toneAttrs(tone: AnswerTone): string[] {
  if (tone === 'ok') return [];
  const c = TONE_COLOURS[tone];
  const style = tone === 'errno' ? 'dashed' : tone === 'violation' ? 'bold' : 'dotted';
  return [`color=${q(c)}`, `fontcolor=${q(c)}`, `style=${style}`];
}

/** The rows of a folded table, as HTML table rows: event (spanning its branches), guard, answer. */
function tableRows(owner: string, rows: readonly AnswerRow[]): string {
  const guards = rows.some((r) => r.guard !== undefined);
  let out = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let span = 1;
    const first = i === 0 || rows[i - 1]!.event !== r.event;
    if (first) while (i + span < rows.length && rows[i + span]!.event === r.event) span++;
    const tip = h(r.description);
    const colour = TONE_COLOURS[r.tone];
    const answer = r.tone === 'violation' ? `<B>${h(r.answer)}</B>` : h(r.answer);
    out += '<TR>';
    if (first) out += `<TD ALIGN="LEFT" VALIGN="TOP"${span > 1 ? ` ROWSPAN="${span}"` : ''}>${h(r.event)}</TD>`;
    if (guards) out += `${SPACER}<TD ALIGN="LEFT">${r.guard !== undefined ? h(`[${r.guard}]`) : ''}</TD>`;
    out += `${SPACER}<TD ALIGN="LEFT" ID="${h(`${owner}__answer${i}`)}" TOOLTIP="${tip}" HREF="#"><FONT COLOR="${colour}">${answer}</FONT></TD></TR>`;
  }
  return out;
}

/** An empty cell that keeps the table's columns apart. */
const SPACER = '<TD WIDTH="8"></TD>';

/** An HTML label: a header (the state's name, and a note), then the folded table if any. */
function tableLabel(owner: string, title: string, note: string | undefined, rows: readonly AnswerRow[]): string {
  const cols = rows.some((r) => r.guard !== undefined) ? 5 : 3;
  const head = `<B>${h(title)}</B>${note !== undefined ? ` <FONT POINT-SIZE="10">${h(note)}</FONT>` : ''}`;
  let s = `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD COLSPAN="${cols}">${head}</TD></TR>`;
  if (rows.length > 0) s += `<HR/>${tableRows(owner, rows)}`;
  return `${s}</TABLE>>`;
}

/**
 * Draws a statechart as a Graphviz DOT digraph: compound states as `cluster_` subgraphs, each with a
 * point for its initial pseudo-state (also the anchor of edges to and from the cluster, drawn with
 * `compound=true`, `lhead` and `ltail`); final states with a double border and `(final)`; every
 * state-changing branch an edge labelled as in {@link transitionLabel}, errno answers dashed and
 * violations bold, each in its colour. The branches that keep their state follow `selfLoops`: under
 * `fold` (the default) they are a table of `event [guard] answer` in the state's box (a compound
 * state's in a box of its own inside its cluster), under `draw` loops, under `hide` left out. An
 * edge back to a state listed earlier (states are listed in lifecycle order) has `weight=0` and `minlen=2`. State
 * and branch descriptions become tooltips (shown by the SVG). Text is set in Courier, whose fixed
 * width Graphviz and every browser agree on.
 *
 * @example
 *   toDot(MACHINES['drm_mm_node']); // 'digraph "drm_mm_node" {\n  compound=true; …'
 */
export function toDot(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  const selfLoops = options.selfLoops ?? 'fold';
  const d = diagramOf(machine);
  const tables = selfLoops === 'fold' ? answerTables(d) : new Map<string, readonly AnswerRow[]>();
  const byId = new Map(diagramStates(d).map((s) => [s.id, s]));
  const isCompound = (id: string): boolean => (byId.get(id)?.children.length ?? 0) > 0;
  const anchor = (id: string): string => (isCompound(id) ? `${id}__start` : id);
  const lines: string[] = [
    `digraph ${q(d.id)} {`,
    '  compound=true;',
    '  rankdir=LR; ranksep=0.6;',
    `  label=${q(d.id)}; labelloc=t; fontname="Courier"; fontsize=16;`,
    '  node [shape=box, style=rounded, fontname="Courier", fontsize=12];',
    '  edge [fontname="Courier", fontsize=11];',
    '  "__start" [shape=point, label=""];',
  ];
  const declare = (states: readonly DiagramState[], depth: number): void => {
    const pad = '  '.repeat(depth);
    for (const s of states) {
      if (s.children.length > 0) {
        lines.push(`${pad}subgraph ${q(`cluster_${s.id}`)} {`);
        lines.push(`${pad}  label=${q(s.id)}; tooltip=${q(s.description)}; style=rounded;`);
        lines.push(`${pad}  ${q(anchor(s.id))} [shape=point, label=""];`);
        const inner = tables.get(s.id) ?? [];
        const loops = selfLoops === 'draw' ? d.transitions.filter((t) => t.source === s.id && t.target === undefined) : [];
        // A loop cannot be drawn on a cluster: under `draw`, its branches are listed in a note inside it.
        if (loops.length > 0) {
          const text = loops.map((t) => q(transitionLabel(t)).slice(1, -1) + '\\l').join('');
          lines.push(`${pad}  ${q(`${s.id}__internal`)} [shape=note, style="", fontsize=11, label="${text}"];`);
        }
        if (inner.length > 0)
          lines.push(`${pad}  ${q(`${s.id}__answers`)} [style="rounded,dashed", fontsize=11, tooltip=${q(`In every substate of ${s.id}.`)}, label=${tableLabel(`${s.id}__answers`, s.id, '(every substate)', inner)}];`);
        declare(s.children, depth + 1);
        lines.push(`${pad}}`);
      } else {
        const final = s.type === 'final';
        const rows = tables.get(s.id) ?? [];
        const label = rows.length > 0 || final ? tableLabel(s.id, s.id, final ? '(final)' : undefined, rows) : q(s.id);
        lines.push(`${pad}${q(s.id)} [label=${label}, tooltip=${q(s.description)}${final ? ', peripheries=2' : ''}];`);
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
  const order = diagramStates(d).map((s) => s.id);
  const parentOf = new Map<string, string>();
  for (const s of diagramStates(d)) for (const c of s.children) parentOf.set(c.id, s.id);
  const inside = (id: string, cluster: string): boolean => {
    for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) if (p === cluster) return true;
    return false;
  };
  initialEdge('__start', d.initial);
  for (const s of diagramStates(d)) if (s.initial !== undefined) initialEdge(anchor(s.id), s.initial);
  for (const t of drawnTransitions(d, selfLoops)) {
    if (t.target === undefined && isCompound(t.source)) continue;
    const to = t.target ?? t.source;
    const attrs = [`label=${q(transitionLabel(t))}`, `tooltip=${q(t.description)}`, ...toneAttrs(answerTone(t.meta))];
    // States are listed in lifecycle order: an edge back to an earlier state does not pull the
    // layout, so the forward edges rank the states and the way back is routed around them, two
    // ranks long so that several ways back between one pair of states keep their labels apart.
    if (order.indexOf(to) < order.indexOf(t.source)) attrs.push('weight=0', 'minlen=2');
    else {
      // An edge that leaves its cluster from a state inside it is two ranks long, so that its label
      // keeps apart from the cluster's own edges to the same state.
      const p = parentOf.get(t.source);
      if (!isCompound(t.source) && p !== undefined && !inside(to, p) && to !== p) attrs.push('minlen=2');
    }
    if (isCompound(t.source) && !t.internal) attrs.push(`ltail=${q(`cluster_${t.source}`)}`);
    if (isCompound(to) && to !== t.source) attrs.push(`lhead=${q(`cluster_${to}`)}`);
    edge(t.source, to, attrs);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
