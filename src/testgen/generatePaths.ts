import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { getInitialSnapshot, getNextSnapshot } from 'xstate';
import { createTestModel } from 'xstate/graph';
import type { AnyMachineAdapter } from './MachineAdapter.js';

/** One generated test path: the events from the initial state, and the snapshots they reach. */
export interface GeneratedPath {
  /** Human-readable summary: the leaf state reached and the events. */
  readonly description: string;
  readonly steps: readonly { readonly event: EventObject; readonly state: AnyMachineSnapshot }[];
  /** The initial snapshot. */
  readonly initial: AnyMachineSnapshot;
}

/** The dotted leaf-state path of a snapshot (`unsignaled.signalingEnabled`). */
export function leafOf(snapshot: AnyMachineSnapshot): string {
  const parts: string[] = [];
  let v: unknown = snapshot.value;
  while (typeof v === 'object' && v !== null) {
    const [k, next] = Object.entries(v as Record<string, unknown>)[0] as [string, unknown];
    parts.push(k);
    v = next;
  }
  parts.push(String(v));
  return parts.join('.');
}

function eventKey(e: EventObject): string {
  return JSON.stringify(e);
}

/** An event as `type(field=value, …)`, or its bare type when it has no payload. */
export function formatEvent(e: EventObject): string {
  const fields = Object.entries(e).filter(([k]) => k !== 'type');
  return fields.length === 0 ? e.type : `${e.type}(${fields.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})`;
}

/**
 * Generates the transition-cover paths of a machine with xstate/graph: the shortest path to every
 * reachable state, and for every edge of the adjacency map the shortest path to its source followed
 * by that edge. Every reachable state and every reachable (state, event) pair is the last step of
 * some path.
 *
 * @example
 *   generatePaths(dmaFenceAdapter).length;
 */
export function generatePaths(adapter: AnyMachineAdapter): GeneratedPath[] {
  const serialize = (s: AnyMachineSnapshot): string => JSON.stringify({ value: s.value, context: s.context });
  const model = createTestModel(adapter.machine, {
    events: (s: AnyMachineSnapshot) => [...adapter.events(s)],
    // createTestModel offers a bare event for every type a state handles; keep only the adapter's.
    filterEvents: (s: AnyMachineSnapshot, e: EventObject) => adapter.events(s).some((x) => eventKey(x) === eventKey(e)),
    serializeState: serialize,
  } as never);
  const shortest = model.getShortestPaths({ allowDuplicatePaths: true });
  const toState = new Map<string, (typeof shortest)[number]>();
  for (const p of shortest) {
    const k = serialize(p.state as AnyMachineSnapshot);
    const cur = toState.get(k);
    if (cur === undefined || p.steps.length < cur.steps.length) toState.set(k, p);
  }
  const initial = getInitialSnapshot(adapter.machine) as AnyMachineSnapshot;
  if (!toState.has(serialize(initial))) toState.set(serialize(initial), { state: initial, steps: [], weight: 0 } as never);
  const out: GeneratedPath[] = [];
  const seen = new Set<string>();
  const push = (steps: { event: EventObject; state: AnyMachineSnapshot }[]): void => {
    const real = steps.filter((s) => s.event.type !== 'xstate.init');
    const key = real.map((s) => eventKey(s.event)).join(' ');
    if (seen.has(key)) return;
    seen.add(key);
    const end = real.length > 0 ? (real[real.length - 1]?.state as AnyMachineSnapshot) : initial;
    out.push({
      description: `${leafOf(end)} via ${real.length === 0 ? '(initial)' : real.map((s) => formatEvent(s.event)).join(' → ')}`,
      steps: real,
      initial,
    });
  };
  for (const p of toState.values()) push(p.steps as never);
  for (const base of toState.values()) {
    const from = base.state as AnyMachineSnapshot;
    if (from.status !== 'active' && from.status !== 'done') continue;
    // xstate/graph leaves out events whose only branches are targetless and action-free (its
    // "own events"), but those are kernel answers too (an errno, a WARN): step each event of the
    // adapter here with xstate's pure transition, so self-loops are covered as well. A final state
    // is stepped only with the events it answers (a freed fence's use-after-free findings).
    for (const event of adapter.events(from)) {
      if (from.status === 'done' && adapter.machine.getTransitionData(from as never, event as never).length === 0) continue;
      push([...(base.steps as never[]), { event, state: getNextSnapshot(adapter.machine, from, event) }]);
    }
  }
  return out;
}
