import type { BranchMeta } from '../../machines/machineTable.js';
import type { Diagram, DiagramTransition } from './diagramOf.js';

/**
 * How a drawing shows the branches that do not change the state (queries, refusals, violations):
 * `fold` lists them in their state's box as a table of `event → answer`, `draw` draws each as a loop
 * on its state, `hide` leaves them out.
 */
export type SelfLoops = 'fold' | 'draw' | 'hide';

/** The values of {@link SelfLoops}, the default first. */
export const SELF_LOOPS: readonly SelfLoops[] = ['fold', 'draw', 'hide'];

/** Options every statechart renderer takes. */
export interface DiagramOptions {
  /** How branches that keep the state are drawn (default `fold`). */
  readonly selfLoops?: SelfLoops;
}

/**
 * What a branch answers, as a drawing styles it: a `violation` (WARN, BUG, use after free, …), an
 * `errno`, a call that would sleep (`blocked`), or a success (`ok`).
 */
export type AnswerTone = 'violation' | 'errno' | 'blocked' | 'ok';

/** The tone of a branch's answer: its violation first, then its errno, then blocking. */
export function answerTone(meta: BranchMeta): AnswerTone {
  if (meta.violation !== undefined || (meta.violations?.length ?? 0) > 0) return 'violation';
  if (meta.errno !== undefined) return 'errno';
  if (meta.blocked === true) return 'blocked';
  return 'ok';
}

/**
 * A branch's answer in a few characters, as the folded table shows it: the errno (`ENOENT`), the
 * values the branch fixes (`removed=false`), `! kind` for each violation, `blocked` for a call that
 * would sleep, and `ok` when there is nothing else to say.
 *
 * @example
 *   answerText({ errno: 'EINVAL', violation: 'warn_on' }); // "EINVAL ! warn_on"
 */
export function answerText(meta: BranchMeta): string {
  const parts: string[] = [];
  if (meta.errno !== undefined) parts.push(meta.errno);
  for (const [k, v] of Object.entries(meta.returns ?? {})) parts.push(`${k}=${String(v)}`);
  if (meta.blocked === true) parts.push('blocked');
  const kinds = meta.violations !== undefined ? meta.violations.map((v) => v.kind) : meta.violation !== undefined ? [meta.violation] : [];
  for (const k of kinds) parts.push(`! ${k}`);
  return parts.length === 0 ? 'ok' : parts.join(' ');
}

/**
 * Whether a branch keeps its state: it has no target, or it targets its own atomic source (a
 * re-entry that lands where it started). A compound state re-entered lands in its initial child, so
 * that branch is a change of state and is drawn.
 */
export function keepsState(diagram: Diagram, t: DiagramTransition): boolean {
  if (t.target === undefined) return true;
  return t.target === t.source && !compoundIds(diagram).has(t.source);
}

function compoundIds(diagram: Diagram): Set<string> {
  const out = new Set<string>();
  const walk = (states: Diagram['states']): void => {
    for (const s of states) {
      if (s.children.length > 0) out.add(s.id);
      walk(s.children);
    }
  };
  walk(diagram.states);
  return out;
}

/** One row of a state's folded table: a branch that keeps the state, and what it answers. */
export interface AnswerRow {
  /** The kernel function. */
  readonly event: string;
  /** The guard's name, if the branch has one. */
  readonly guard: string | undefined;
  /** {@link answerText} of the branch. */
  readonly answer: string;
  /** {@link answerTone} of the branch. */
  readonly tone: AnswerTone;
  /** The branch's description. */
  readonly description: string;
}

/**
 * The folded tables of a diagram: for each state that authors branches that keep it, those branches
 * as rows, in document order (so the branches of one event stay together, in the order the C
 * function checks).
 */
export function answerTables(diagram: Diagram): ReadonlyMap<string, readonly AnswerRow[]> {
  const out = new Map<string, AnswerRow[]>();
  for (const t of diagram.transitions) {
    if (!keepsState(diagram, t)) continue;
    const rows = out.get(t.source) ?? [];
    rows.push({ event: t.event, guard: t.guard, answer: answerText(t.meta), tone: answerTone(t.meta), description: t.description });
    out.set(t.source, rows);
  }
  return out;
}

/** One row as a line of text: `event [guard] → answer`. */
export function answerRowText(r: AnswerRow): string {
  return `${r.event}${r.guard !== undefined ? ` [${r.guard}]` : ''} → ${r.answer}`;
}

/** The transitions a drawing draws as edges under a {@link SelfLoops} mode: all but the folded or hidden ones. */
export function drawnTransitions(diagram: Diagram, selfLoops: SelfLoops): readonly DiagramTransition[] {
  return selfLoops === 'draw' ? diagram.transitions : diagram.transitions.filter((t) => !keepsState(diagram, t));
}
