/**
 * What one root-to-leaf descent costs in drm_mm's trees at issue 9's size, against the same tree
 * laid out compactly: the headroom a typed-array allocator core would have.
 *
 * The world is the seeded workload's after its build and mixed phases (10^5 live nodes, about
 * 3·10^4 holes). For node_list and holes_addr, a million lookups of random present keys run
 * `rbFind` on the model's own tree, then a search of the same shape copied into typed arrays
 * (keys as doubles in a Float64Array, children in Int32Arrays, preorder), which is how a C
 * allocator, or a typed-array core, holds it. Both answer every lookup; the ratio is model ÷ arrays.
 *
 * `node dist/test/bench/drmMmDescent.bench.js` runs it alone.
 */
import { pathToFileURL } from 'node:url';
import { ADDR_KIND, type Hole, LIST_KIND, type ListItem } from '../../src/drm-mm/mm.js';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import type { DrmMmState } from '../../src/drm-mm/state.js';
import { type RbKind, type RbNode, rbFind } from '../../src/drm-mm/rbtree.js';
import type { World } from '../../src/world/World.js';
import type { BenchResult } from './drmMm.bench.js';
import { makeWorkload, rng } from './drmMmWorkload.js';

/** A tree's shape in arrays: node i has key `keys[i]` and children `left[i]`, `right[i]` (-1 for none). */
interface ArrayTree {
  readonly keys: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
}

function toArrays<T>(root: RbNode<T> | null, key: (item: T) => bigint): ArrayTree {
  const order: RbNode<T>[] = [];
  const index = new Map<RbNode<T>, number>();
  const todo: (RbNode<T> | null)[] = [root];
  while (todo.length > 0) {
    const n = todo.pop();
    if (n === null || n === undefined) continue;
    index.set(n, order.length);
    order.push(n);
    todo.push(n.right, n.left);
  }
  const t: ArrayTree = { keys: new Float64Array(order.length), left: new Int32Array(order.length), right: new Int32Array(order.length) };
  order.forEach((n, i) => {
    const k = key(n.item);
    if (k > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('drm_mm descent bench: a key above 2^53');
    t.keys[i] = Number(k);
    t.left[i] = n.left === null ? -1 : (index.get(n.left) as number);
    t.right[i] = n.right === null ? -1 : (index.get(n.right) as number);
  });
  return t;
}

function findInArrays(t: ArrayTree, key: number): number {
  const { keys, left, right } = t;
  let i = keys.length > 0 ? 0 : -1;
  while (i >= 0) {
    const k = keys[i] as number;
    if (key === k) return i;
    i = key < k ? (left[i] as number) : (right[i] as number);
  }
  return -1;
}

/** CPU ns per call of `fn(i)` over `n` calls; `fn` must answer true (found) every time. */
function nsPer(n: number, fn: (i: number) => boolean): number {
  const t = process.cpuUsage();
  let found = 0;
  for (let i = 0; i < n; i++) if (fn(i)) found++;
  const d = process.cpuUsage(t);
  if (found !== n) throw new Error(`drm_mm descent bench: ${n - found} of ${n} lookups missed`);
  return ((d.user + d.system) * 1000) / n;
}

interface Side {
  readonly name: string;
  readonly count: number;
  readonly model: number;
  readonly arrays: number;
}

function side<T>(name: string, kind: RbKind<T, bigint>, root: RbNode<T> | null, key: (item: T) => bigint, items: T[], lookups: number, rounds: number): Side {
  const next = rng(90);
  const keys = Array.from({ length: lookups }, () => key(items[Math.floor(next() * items.length)] as T));
  const numbers = keys.map(Number);
  const arrays = toArrays(root, key);
  let model = Infinity;
  let flat = Infinity;
  // Best of the rounds, alternating, so both sides see the same machine.
  for (let r = 0; r < rounds; r++) {
    model = Math.min(model, nsPer(lookups, (i) => rbFind(kind, root, keys[i] as bigint) !== undefined));
    flat = Math.min(flat, nsPer(lookups, (i) => findInArrays(arrays, numbers[i] as number) >= 0));
  }
  return { name, count: items.length, model, arrays: flat };
}

function collect<T>(root: RbNode<T> | null): T[] {
  const out: T[] = [];
  const walk = (n: RbNode<T> | null): void => {
    if (n === null) return;
    walk(n.left);
    out.push(n.item);
    walk(n.right);
  };
  walk(root);
  return out;
}

/** Runs the descent benchmark: one line for node_list, one for holes_addr. */
export function runDrmMmDescentBench(lookups = 1_000_000, rounds = 3): BenchResult[] {
  const w = makeWorkload();
  const p = drmMmProtocol;
  let world = Object.freeze({ [p.key]: p.initial() }) as unknown as World;
  for (const e of [...w.build, ...w.mixed]) {
    const r = p.apply(world, p.decode(e));
    if (!r.outcome.ok) throw new Error(`drm_mm descent bench: ${e.type} failed`);
    world = r.world;
  }
  const mm = (world as unknown as Record<string, DrmMmState>)[p.key]?.mms.get('m');
  if (mm === undefined) throw new Error('drm_mm descent bench: no allocator');
  const sides = [
    side<ListItem>('node_list', LIST_KIND, mm.list, (x) => x.start, collect(mm.list), lookups, rounds),
    side<Hole>('holes_addr', ADDR_KIND, mm.byAddr, (h) => h.addr, collect(mm.byAddr), lookups, rounds),
  ];
  return sides.map((s) => ({
    bench: `drm_mm ${s.name} descent at issue 9's size (${s.count} entries after the seeded workload): CPU ns per rbFind of a random present key on the model's tree (best of ${rounds})`,
    value: s.model,
    unit: 'ns/lookup',
    baseline: `the same tree's shape in typed arrays (Float64Array keys, Int32Array children, preorder), same keys, same run (${s.arrays.toFixed(0)} ns/lookup)`,
    ratio: s.model / s.arrays,
  }));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) for (const r of runDrmMmDescentBench()) console.log(JSON.stringify(r));
