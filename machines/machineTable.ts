import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** One violation a branch records: its kind, and which kernel check raised it (for the message). */
export interface BranchViolation {
  /** The violation kind, in snake_case kernel vocabulary (`warn_on`, `bug_on`, `use_after_free`). */
  readonly kind: string;
  /** Which check of the C function raised it (`signaled`, `outOfRange`): the protocol's message key. */
  readonly check?: string;
}

/** A value a branch fixes for the call to return: JSON-able constants only. */
export type BranchReturn = string | number | boolean | null;

/**
 * Everything the kernel decides on one transition branch: the errno, the values returned that the
 * branch fixes, the violations (kind and whether the call is refused), whether the call blocks, and
 * which named effects the protocol performs. Protocol code reads these and decides nothing more.
 */
export interface BranchMeta {
  /** The errno the call answers with on this branch. */
  readonly errno?: string;
  /** The kind of the (first) violation this branch records; with `violations`, their first kind. */
  readonly violation?: string;
  /**
   * Every violation the branch records, in the order the C function raises them, when the protocol
   * needs more than the kind (its check) or there is more than one (two WARNs in one call).
   */
  readonly violations?: readonly BranchViolation[];
  /** Whether the call is refused (nothing changes) on this branch. */
  readonly refused?: boolean;
  /** Whether the call would sleep: `{ ok: false, blocked: true }`, nothing changes. */
  readonly blocked?: boolean;
  /**
   * With `blocked`: the call joins a wait queue: its first phase takes effect (`{ ok: false,
   * blocked: true, queued: true }`) and a later call completes it, listing the task in `woke`.
   */
  readonly queued?: boolean;
  /** Outcome fields the branch fixes (`{ was_signaled: true }`, `{ status: 0 }`). */
  readonly returns?: { readonly [field: string]: BranchReturn };
  /** Named effects the protocol performs on this branch, in order (`['runCallbacks']`). */
  readonly effects?: readonly string[];
}

/**
 * The violations a branch records, whichever way its meta spells them: `violations` when given,
 * else the single `violation` kind.
 */
export function branchViolations(meta: BranchMeta): readonly BranchViolation[] {
  if (meta.violations !== undefined) return meta.violations;
  return meta.violation === undefined ? NO_VIOLATIONS : [{ kind: meta.violation }];
}

const NO_VIOLATIONS: readonly BranchViolation[] = Object.freeze([]);

/** Whether a branch's meta names an effect. */
export function hasEffect(meta: BranchMeta, effect: string): boolean {
  return meta.effects !== undefined && meta.effects.includes(effect);
}

/** One guarded branch of a transition, flattened to leaf states. */
export interface Branch {
  /** Dotted path of the source leaf state. */
  readonly source: string;
  /** Dotted path of the target leaf state (the source itself for a targetless branch). */
  readonly target: string;
  /** Name of the guard, if any. */
  readonly guard: string | undefined;
  /** Dotted path of the state node whose `on` authors this branch (an ancestor of `source`). */
  readonly definedIn: string;
  /** Position of the branch in its event's list: with `definedIn` and the event, its identity. */
  readonly index: number;
  readonly description: string;
  readonly meta: BranchMeta;
}

/**
 * A statechart compiled to a lookup table: for every leaf state and event type, the ordered
 * branches. Used on the hot path instead of interpreting the machine; a test proves that the table
 * and xstate's own `transition()` agree on every (state, event).
 */
export interface MachineTable {
  readonly id: string;
  /** Dotted paths of all leaf states, in document order. */
  readonly states: readonly string[];
  /** Every event type the machine knows. */
  readonly events: readonly string[];
  /** Final states. */
  readonly finals: ReadonlySet<string>;
  /** The initial leaf state. */
  readonly initial: string;
  readonly branches: ReadonlyMap<string, ReadonlyMap<string, readonly Branch[]>>;
  /** Guard implementations by name, from the machine's `setup()`. */
  readonly guards: { readonly [name: string]: (args: { context: unknown; event: unknown }) => boolean };
}

function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function initialLeaf(node: AnyStateNode): AnyStateNode {
  let n = node;
  while (n.type === 'compound') {
    const first = n.initial.target[0];
    if (first === undefined) break;
    n = first;
  }
  return n;
}

function leaves(node: AnyStateNode): AnyStateNode[] {
  const kids = Object.values(node.states) as AnyStateNode[];
  if (kids.length === 0) return [node];
  return kids.flatMap(leaves);
}

function guardName(g: unknown): string | undefined {
  if (g === undefined) return undefined;
  if (typeof g === 'string') return g;
  if (typeof g === 'object' && g !== null && 'type' in g) return String((g as { type: unknown }).type);
  throw new Error(`machine guards must be named; found ${String(g)}`);
}

/**
 * Compiles a machine to a {@link MachineTable}: for every leaf state, the branches of every event,
 * looked up from the leaf towards the root as xstate does.
 */
export function compileMachine(machine: AnyStateMachine): MachineTable {
  const all = leaves(machine.root);
  const events = new Set<string>();
  const collect = (n: AnyStateNode): void => {
    for (const e of Object.keys(n.on)) events.add(e);
    for (const k of Object.values(n.states) as AnyStateNode[]) collect(k);
  };
  collect(machine.root);
  const branches = new Map<string, Map<string, Branch[]>>();
  for (const leaf of all) {
    const byEvent = new Map<string, Branch[]>();
    for (const e of events) {
      for (let n: AnyStateNode | undefined = leaf; n !== undefined; n = n.parent) {
        const defs = (n.on as Record<string, readonly unknown[]>)[e];
        if (defs === undefined) continue;
        byEvent.set(
          e,
          defs.map((d, index) => {
            const t = d as {
              target?: readonly AnyStateNode[];
              guard?: unknown;
              description?: string;
              meta?: BranchMeta;
            };
            const tgt = t.target?.[0];
            return {
              source: pathOf(leaf),
              target: tgt === undefined ? pathOf(leaf) : pathOf(initialLeaf(tgt)),
              guard: guardName(t.guard),
              definedIn: pathOf(n as AnyStateNode),
              index,
              description: t.description ?? '',
              meta: t.meta ?? {},
            };
          }),
        );
        break;
      }
    }
    branches.set(pathOf(leaf), byEvent);
  }
  const guards = (machine.implementations.guards ?? {}) as MachineTable['guards'];
  return {
    id: machine.id,
    states: all.map(pathOf),
    events: [...events],
    finals: new Set(all.filter((n) => n.type === 'final').map(pathOf)),
    initial: pathOf(initialLeaf(machine.root)),
    branches,
    guards,
  };
}

/** The identity of an authored transition branch: `state:event:index`. */
export function branchId(b: Pick<Branch, 'definedIn' | 'index'>, eventType: string): string {
  return `${b.definedIn}:${eventType}:${b.index}`;
}

/** Every authored branch of a machine, by {@link branchId}, with its description. */
export function authoredBranches(table: MachineTable): Map<string, Branch & { readonly event: string }> {
  const out = new Map<string, Branch & { readonly event: string }>();
  for (const byEvent of table.branches.values())
    for (const [event, list] of byEvent) for (const b of list) out.set(branchId(b, event), { ...b, event });
  return out;
}

/**
 * An observer of the branches `apply` takes, passed explicitly (never module state): tests use it
 * to list, per machine, the branches that apply reached.
 */
export interface BranchTrace {
  /** Called once per machine decision with the machine id and the branch's {@link branchId}. */
  reach(machineId: string, branch: string, eventType: string): void;
}

/**
 * The one step function: picks the branch a call takes from a state, the first whose guard holds,
 * in the order the C function checks. The branch's {@link BranchMeta} carries everything the kernel
 * decides there. `context` and `event` are the guard inputs (the machine's context and the event
 * with any facts its guards read).
 *
 * Returns undefined only in a final state (a released object answers no call: the protocol finds
 * that before it asks). A non-final state that does not answer the event — a machine that is not
 * total — throws, in every wrapper alike: it is a bug in the model, which the totality test of
 * `test/machines/index.test.ts` rules out, never a kernel answer to keep the state silently.
 * When `trace` is given, the branch taken is reported to it.
 */
export function decide(
  table: MachineTable,
  state: string,
  eventType: string,
  context: unknown,
  event: unknown = { type: eventType },
  trace?: BranchTrace,
): Branch | undefined {
  const list = table.branches.get(state)?.get(eventType);
  if (list !== undefined) {
    for (const b of list) {
      if (b.guard !== undefined) {
        const g = table.guards[b.guard];
        if (g === undefined) throw new Error(`machine ${table.id}: guard ${b.guard} has no implementation`);
        if (!g({ context, event })) continue;
      }
      if (trace !== undefined) trace.reach(table.id, branchId(b, eventType), eventType);
      return b;
    }
  }
  if (table.finals.has(state)) return undefined;
  throw new Error(`machine ${table.id}: state ${state} has no branch for ${eventType} (every non-final state must answer every event)`);
}
