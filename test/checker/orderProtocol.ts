import type { AnyProtocol } from '../../src/kernel/composeKernel.js';
import { HashedMap } from '../../src/world/HashedMap.js';
import { ok } from '../../src/world/Outcome.js';
import type { Uptime } from '../../src/world/Protocol.js';
import { type Violation, violation } from '../../src/world/Violation.js';
import type { World } from '../../src/world/World.js';

/**
 * A test-only lock-order protocol with a lockdep-like graph the kernel accumulates over an uptime:
 * `order_take (lock, task)` records an edge from each lock the task holds to `lock` and reports a
 * cycle as `lockdep` (its message lists the edges); `order_drop` releases; `order_wait (lock,
 * task)` records the same edges and then sleeps (blocked, not queued), as a fence wait does.
 */
interface OrderState {
  /** Held locks per task, in order. */
  readonly held: HashedMap<readonly string[]>;
  /** Edges `from -> to`, the accumulated part. */
  readonly edges: HashedMap<true>;
}

const slice = (w: World): OrderState => (w as unknown as { order: OrderState }).order;
const withOrder = (w: World, s: OrderState): World => Object.freeze({ ...w, order: Object.freeze(s) }) as unknown as World;
const emptyEdges = (): HashedMap<true> => HashedMap.empty<true>('order.edge', () => '1');

/** A path of edges from `a` to `b`, or undefined. */
function path(edges: HashedMap<true>, a: string, b: string, seen = new Set<string>()): string[] | undefined {
  if (a === b) return [];
  seen.add(a);
  for (const k of edges.keys()) {
    const [from, to] = k.split(' -> ') as [string, string];
    if (from !== a || seen.has(to)) continue;
    const rest = path(edges, to, b, seen);
    if (rest !== undefined) return [k, ...rest];
  }
  return undefined;
}

/** Records held -> lock for every held lock; the first cycle found is a lockdep violation. */
function record(s: OrderState, task: string, lock: string): { edges: HashedMap<true>; v?: Violation } {
  let edges = s.edges;
  for (const h of s.held.get(task) ?? []) {
    const back = path(edges, lock, h);
    if (back !== undefined) return { edges, v: violation('lockdep', `circular dependency: ${[`${h} -> ${lock}`, ...back].join(', ')}`, [lock]) };
    if (!edges.has(`${h} -> ${lock}`)) edges = edges.set(`${h} -> ${lock}`, true);
  }
  return { edges };
}

const uptime: Uptime<OrderState> = {
  get: (s) => s.edges,
  set: (s, facts) => (s.edges === facts ? s : Object.freeze({ ...s, edges: facts as HashedMap<true> })),
  empty: emptyEdges,
  factsOf: (v) => (v.kind === 'lockdep' ? (/: (.*)$/.exec(v.message)?.[1] ?? '').split(', ').filter((e) => e !== '') : []),
};

const def = (summary: string) => ({ kernel: 'none (test-only)', summary, fields: { lock: { kind: 'name' }, task: { kind: 'name' } }, returns: [], errnos: [], violations: ['lockdep'] }) as const;

export function orderProtocol(options: { accumulate: boolean }): AnyProtocol {
  return {
    key: 'order' as never,
    events: { order_take: def('Takes a lock.'), order_drop: def('Drops a lock.'), order_wait: def('Records the edges of a wait, then sleeps.') },
    initial: () => Object.freeze({ held: HashedMap.empty<readonly string[]>('order.held', (l: readonly string[]) => l.join(',')), edges: emptyEdges() }) as never,
    decode: (e) => e,
    apply(world, event) {
      const e = event as { type: string; lock: string; task: string };
      const s = slice(world);
      const held = s.held.get(e.task) ?? [];
      if (e.type === 'order_drop') {
        const rest = held.filter((l) => l !== e.lock);
        return { world: withOrder(world, { ...s, held: rest.length === 0 ? s.held.delete(e.task) : s.held.set(e.task, rest) }), outcome: ok() };
      }
      const r = record(s, e.task, e.lock);
      const vs = r.v === undefined ? [] : [r.v];
      if (e.type === 'order_wait') return { world: withOrder(world, { ...s, edges: r.edges }), outcome: { ok: false, blocked: true, violations: vs } };
      return { world: withOrder(world, { held: s.held.set(e.task, [...held, e.lock]), edges: r.edges }), outcome: ok({}, vs) };
    },
    hash: (s) => {
      const o = s as unknown as OrderState;
      return { lo: (o.held.hash.lo + o.edges.hash.lo) >>> 0, hi: (o.held.hash.hi + o.edges.hash.hi) >>> 0 };
    },
    toSnapshot: (s) => ({ held: (s as unknown as OrderState).held.sortedEntries(), edges: [...(s as unknown as OrderState).edges.keys()].sort() }),
    fromSnapshot: (d) => {
      const data = d as { held: [string, string[]][]; edges: string[] };
      return Object.freeze({
        held: HashedMap.from<readonly string[]>('order.held', (l: readonly string[]) => l.join(','), data.held),
        edges: HashedMap.from<true>('order.edge', () => '1', data.edges.map((k) => [k, true] as const)),
      }) as never;
    },
    invariants: [],
    machines: [],
    docs: 'none',
    fixtures: 'none',
    ...(options.accumulate ? { uptime: uptime as never } : {}),
  };
}
