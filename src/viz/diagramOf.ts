import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { BranchMeta } from '../../machines/machineTable.js';

/** One state of a statechart as drawn: its identifier, its kind and its children. */
export interface DiagramState {
  /**
   * Identifier used in every rendered format: the state's key when no other state of the machine
   * has that key, otherwise its path joined with `_`.
   */
  readonly id: string;
  /** The state's key (its name in the machine config). */
  readonly key: string;
  /** Dotted path from the machine root. */
  readonly path: string;
  /** `atomic`, `compound`, `parallel` or `final`. */
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The kernel condition in words (the state's `description`). */
  readonly description: string;
  /** Id of the initial child of a compound state. */
  readonly initial: string | undefined;
  /** Child states, in document order. */
  readonly children: readonly DiagramState[];
}

/** One authored transition branch, drawn from the state node whose `on` defines it. */
export interface DiagramTransition {
  /** The kernel function the branch answers (the event type). */
  readonly event: string;
  /** Id of the state that authors the branch (may be a compound state). */
  readonly source: string;
  /** Id of the target state, or undefined for a targetless branch (the state does not change). */
  readonly target: string | undefined;
  /** Whether the target lies inside the source and the branch does not re-enter the source. */
  readonly internal: boolean;
  /** The guard's name (`not(x)`, `and(x, y)` for combinators), if any. */
  readonly guard: string | undefined;
  /** The branch's `description`. */
  readonly description: string;
  /** The branch's errno, violation kind, refusal and blocking. */
  readonly meta: BranchMeta;
  /** Position of the branch in its event's list on its source state. */
  readonly index: number;
}

/** A statechart reduced to what every drawing needs: the state tree and the authored transitions. */
export interface Diagram {
  /** The machine id (the kernel struct's name). */
  readonly id: string;
  /** Top-level states, in document order. */
  readonly states: readonly DiagramState[];
  /** Id of the machine's initial top-level state. */
  readonly initial: string;
  /** Every authored transition branch, in document order (by state, then event, then branch). */
  readonly transitions: readonly DiagramTransition[];
}

function guardText(g: unknown): string | undefined {
  if (g === undefined) return undefined;
  if (typeof g === 'string') return g;
  // xstate's not(), and() and or() return a function named after the combinator, holding `guards`.
  const inner = (g as { guards?: unknown }).guards;
  if (typeof g === 'function' && Array.isArray(inner)) return `${g.name}(${inner.map(guardText).join(', ')})`;
  if (typeof g === 'object' && g !== null && 'type' in g) return String((g as { type: unknown }).type);
  throw new Error(`machine guards must be named; found ${String(g)}`);
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...(Object.values(node.states) as AnyStateNode[]).flatMap(allNodes)];
}

function isInside(inner: AnyStateNode, outer: AnyStateNode): boolean {
  for (let n: AnyStateNode | undefined = inner.parent; n !== undefined; n = n.parent) if (n === outer) return true;
  return false;
}

/**
 * Reduces a machine to a {@link Diagram}: its state tree and every authored transition branch, each
 * kept on the state that authors it (a compound state's branches stay on the compound state).
 *
 * @throws {Error} if the machine's root itself authors transitions, or a guard is inline (unnamed).
 */
export function diagramOf(machine: AnyStateMachine): Diagram {
  const nodes = allNodes(machine.root).slice(1);
  const keyCount = new Map<string, number>();
  for (const n of nodes) keyCount.set(n.key, (keyCount.get(n.key) ?? 0) + 1);
  const idOf = (n: AnyStateNode): string => (keyCount.get(n.key) === 1 ? n.key : n.path.join('_'));
  if (Object.keys(machine.root.on).length > 0) throw new Error(`machine ${machine.id}: transitions on the root cannot be drawn`);

  const toState = (n: AnyStateNode): DiagramState => {
    const kids = Object.values(n.states) as AnyStateNode[];
    const first = n.type === 'compound' ? n.initial.target[0] : undefined;
    return {
      id: idOf(n),
      key: n.key,
      path: n.path.join('.'),
      type: n.type,
      description: n.description ?? '',
      initial: first === undefined ? undefined : idOf(first),
      children: kids.map(toState),
    };
  };

  const transitions: DiagramTransition[] = [];
  for (const n of nodes) {
    for (const [event, defs] of Object.entries(n.on as Record<string, readonly unknown[]>)) {
      defs.forEach((d, index) => {
        const t = d as { target?: readonly AnyStateNode[]; guard?: unknown; description?: string; meta?: BranchMeta; reenter?: boolean };
        const tgt = t.target?.[0];
        transitions.push({
          event,
          source: idOf(n),
          target: tgt === undefined ? undefined : idOf(tgt),
          internal: tgt !== undefined && isInside(tgt, n) && t.reenter !== true,
          guard: guardText(t.guard),
          description: t.description ?? '',
          meta: t.meta ?? {},
          index,
        });
      });
    }
  }
  const top = machine.root.initial.target[0];
  if (top === undefined) throw new Error(`machine ${machine.id} has no initial state`);
  return {
    id: machine.id,
    states: (Object.values(machine.root.states) as AnyStateNode[]).map(toState),
    initial: idOf(top),
    transitions,
  };
}

/** Every state of a diagram, depth first, parents before children. */
export function diagramStates(diagram: Diagram): DiagramState[] {
  const walk = (s: DiagramState): DiagramState[] => [s, ...s.children.flatMap(walk)];
  return diagram.states.flatMap(walk);
}
