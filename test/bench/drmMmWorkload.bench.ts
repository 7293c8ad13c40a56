/**
 * Benchmark of issue 9's seeded drm_mm workload (see {@link makeWorkload}): µs per call of the
 * persistent protocol (`decode` + `apply`, threading the immutable world) on the mixed phase at
 * 10^5 live nodes, against a test-only mutable port of the same allocator answering the same calls
 * (test/drm-mm/mutableDrmMm.ts), and heap bytes per live node of both.
 *
 * The mutable port is handed the calls already read (numbers, no decimal strings), as the kernel's
 * C is called: the ratio persistent ÷ mutable therefore also charges decoding to the persistent
 * side. Both must return the same start address for every insertion; the bench fails otherwise.
 *
 * When `cc` is on the PATH, the same calls are also answered by a C translation of the mutable
 * port (test/bench/c/drmMmPort.c, compiled with `cc -O2` into a temporary directory, see
 * {@link CompiledDrmMmPort}), timed in its own process CPU time (the best of
 * {@link C_REPEAT} fresh allocators per round, parsing and the build untimed); its answers must
 * equal the mutable port's too, and one more line gives persistent ÷ C (the issue's target: ≤ 5).
 *
 * Run just this one with `npm run build && node --expose-gc dist/test/bench/drmMmWorkload.bench.js`
 * (`DRM_MM_WORKLOAD_ROUNDS` sets the rounds, default 3; the median is reported).
 *
 * Times are process CPU time (all threads), not wall time: see {@link measure}.
 *
 * `--profile=persistent|session|mutable OUT.cpuprofile` instead builds one side and writes a CPU profile of
 * its mixed phase only (read it with `node dist/test/bench/cpuProfileTop.js OUT.cpuprofile`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { findPlacement, linkNode, removeNode } from '../../src/drm-mm/allocator.js';
import type { DrmMmEvent } from '../../src/drm-mm/events.js';
import { type ListItem, type Mm, shared } from '../../src/drm-mm/mm.js';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import { rbItems } from '../../src/drm-mm/rbtree.js';
import type { DrmMmState } from '../../src/drm-mm/state.js';
import type { Event } from '../../src/world/Event.js';
import { EditSession } from '../../src/world/HashedMap.js';
import { type World, editableWorld } from '../../src/world/World.js';
import { MutableDrmMm, type MutableCall, toMutableCall } from '../drm-mm/mutableDrmMm.js';
import type { BenchResult } from './drmMm.bench.js';
import { CompiledDrmMmPort } from './drmMmPort.js';
import { ISSUE_9_SHAPE, type Workload, type WorkloadShape, makeWorkload } from './drmMmWorkload.js';
import { onPath } from './native.js';

/** A result of this bench: as {@link BenchResult}, but a skipped comparison (no `cc`) has no ratio. */
export interface DrmMmWorkloadBenchResult extends Omit<BenchResult, 'ratio'> {
  readonly ratio: number | null;
}

/** Fresh allocators the C port times the mixed phase on per round (the best is kept). */
export const C_REPEAT = 3;

/** The compiled C port and the workload's calls written for it. */
interface CSide {
  readonly port: CompiledDrmMmPort;
  /** The calls file: the build, then the mixed phase. */
  readonly file: string;
  readonly calls: number;
  readonly build: number;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function heap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

function fail(what: string, e: Event, o: unknown): never {
  throw new Error(`drm_mm workload: ${what} ${JSON.stringify(e)} answered ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/** Runs events through decode + apply; returns the world and the start of every insertion (0 for other calls). */
function runPersistent(world: World, events: readonly Event[], starts: Float64Array | null): World {
  const p = drmMmProtocol;
  let w = world;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    const r = p.apply(w, p.decode(e));
    if (!r.outcome.ok) fail('call', e, r.outcome);
    if (starts !== null) {
      const s = r.outcome.start;
      starts[i] = typeof s === 'bigint' ? Number(s) : 0;
    }
    w = r.world;
  }
  return w;
}

/**
 * The allocator layer alone, on calls decoded beforehand, as the mutable port is run: the
 * placement search, the list and hole updates and the trees' hashes (findPlacement, linkNode,
 * removeNode), without decoding, the node machine's verdict, the node records, the maps or the
 * outcome. Nodes are found by name in a native Map, as the port finds them. Returns the allocator.
 */
function runAllocator(mm0: Mm, calls: readonly DrmMmEvent[], starts: Float64Array | null, session?: EditSession): Mm {
  let mm = mm0;
  const items = new Map<string, ListItem>();
  for (const it of rbItems(mm.list)) items.set(it.name, it);
  for (let i = 0; i < calls.length; i++) {
    const e = calls[i] as DrmMmEvent;
    if (e.type === 'drm_mm_insert_node_in_range') {
      const p = findPlacement(mm, e.size, e.alignment, e.color, e.range_start, e.range_end, e.mode, e.once ?? false);
      if (p === undefined) throw new Error(`drm_mm workload: the allocator layer found no room for call ${i}`);
      const item: ListItem = { name: e.node, start: p.start, size: shared(e.size), color: shared(e.color) };
      mm = linkNode(mm, p.hole, item, session);
      items.set(e.node, item);
      if (starts !== null) starts[i] = Number(p.start);
    } else if (e.type === 'drm_mm_remove_node') {
      const item = items.get(e.node);
      if (item === undefined) throw new Error(`drm_mm workload: the allocator layer has no node ${e.node} (call ${i})`);
      mm = removeNode(mm, item, session);
      items.delete(e.node);
      if (starts !== null) starts[i] = 0;
    } else throw new Error(`drm_mm workload: ${e.type} is not a workload call`);
  }
  return mm;
}

function runMutable(mm: MutableDrmMm, calls: readonly MutableCall[], starts: Float64Array | null): void {
  for (let i = 0; i < calls.length; i++) {
    const s = mm.call(calls[i] as MutableCall);
    if (s === -2) throw new Error(`drm_mm workload: mutable port refused call ${i}`);
    if (starts !== null) starts[i] = s;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function emptyWorld(): World {
  return Object.freeze({ [drmMmProtocol.key]: drmMmProtocol.initial() }) as unknown as World;
}

/** One measurement of both sides: µs per mixed call and heap bytes per live node after building. */
interface Round {
  /** CPU µs per call. */
  persistentUs: number;
  mutableUs: number;
  persistentWallUs: number;
  mutableWallUs: number;
  persistentBytes: number;
  mutableBytes: number;
  /** CPU µs per call of the same calls from the same built world, replayed in an edit session. */
  sessionUs: number;
  /** CPU µs per call of the C port (null without cc). */
  cUs: number | null;
  /** CPU µs per call of the allocator layer alone ({@link runAllocator}): persistent, and in an edit session. */
  corePersistentUs: number;
  coreSessionUs: number;
}

function round(w: Workload, check: boolean, c: CSide | null): Round {
  const mixedCalls = w.mixed.map(toMutableCall);
  const buildCalls = w.build.map(toMutableCall);

  // Mutable port first, so that its starts are the expectation.
  const h0 = heap();
  const mm = new MutableDrmMm();
  runMutable(mm, buildCalls, null);
  const mutableBytes = (heap() - h0) / w.shape.live;
  const mStarts = check ? new Float64Array(w.mixed.length) : null;
  const m = measure(() => runMutable(mm, mixedCalls, mStarts), w.mixed.length);

  // The C port, in its own process (its CPU time is not the Node process's).
  let cUs: number | null = null;
  if (c !== null) {
    const r = c.port.runFile(c.file, c.calls, c.build, C_REPEAT);
    sameStarts('C port', mStarts, r.answers, w);
    cUs = r.nsPerCall / 1000;
  }

  const h1 = heap();
  const built = runPersistent(emptyWorld(), w.build, null);
  const persistentBytes = (heap() - h1) / w.shape.live;
  const pStarts = check ? new Float64Array(w.mixed.length) : null;
  let world = built;
  const p = measure(() => {
    world = runPersistent(built, w.mixed, pStarts);
  }, w.mixed.length);
  sameStarts('persistent', mStarts, pStarts, w);

  // The same calls from the same built world as a replay makes them: in an edit session, which
  // keeps only the last world (copying the node maps into the session is not timed).
  const session = new EditSession();
  const editable = editableWorld(built, session);
  const sStarts = check ? new Float64Array(w.mixed.length) : null;
  let last = editable;
  const s = measure(() => {
    last = runPersistent(editable, w.mixed, sStarts);
  }, w.mixed.length);
  session.close();
  sameStarts('edit session', mStarts, sStarts, w);

  // The allocator layer alone, from the same built allocator: persistently, then in a session.
  const builtMm = (built as unknown as Record<string, DrmMmState>)[drmMmProtocol.key]?.mms.get('m') as Mm;
  const decoded = w.mixed.map((e) => drmMmProtocol.decode(e) as DrmMmEvent);
  const cpStarts = check ? new Float64Array(w.mixed.length) : null;
  let coreMm = builtMm;
  const cp = measure(() => {
    coreMm = runAllocator(builtMm, decoded, cpStarts);
  }, w.mixed.length);
  sameStarts('allocator layer', mStarts, cpStarts, w);
  const coreSession = new EditSession();
  const csStarts = check ? new Float64Array(w.mixed.length) : null;
  let coreLast = builtMm;
  const cs = measure(() => {
    coreLast = runAllocator(builtMm, decoded, csStarts, coreSession);
  }, w.mixed.length);
  coreSession.close();
  sameStarts('allocator layer in an edit session', mStarts, csStarts, w);

  if (check) {
    const a = drmMmProtocol.hash(world[drmMmProtocol.key]);
    const b = drmMmProtocol.hash(last[drmMmProtocol.key]);
    if (a.lo !== b.lo || a.hi !== b.hi) throw new Error('drm_mm workload: the edit session ended in another world than the persistent calls');
    const end = (world as unknown as Record<string, DrmMmState>)[drmMmProtocol.key]?.mms.get('m') as Mm;
    for (const [side, x] of [['allocator layer', coreMm], ['allocator layer in an edit session', coreLast]] as const)
      if (x.hash.lo !== end.hash.lo || x.hash.hi !== end.hash.hi) throw new Error(`drm_mm workload: the ${side} ended in another allocator than the persistent calls`);
  }
  // Keep every side alive until all were measured.
  if (world === undefined || last === undefined || mm === undefined || coreMm === undefined || coreLast === undefined) throw new Error('unreachable');
  return {
    persistentUs: p.cpu,
    mutableUs: m.cpu,
    persistentWallUs: p.wall,
    mutableWallUs: m.wall,
    persistentBytes,
    mutableBytes,
    sessionUs: s.cpu,
    cUs,
    corePersistentUs: cp.cpu,
    coreSessionUs: cs.cpu,
  };
}

/** Fails the bench unless `side` placed every insertion where the mutable port did. */
function sameStarts(side: string, expected: Float64Array | null, actual: Float64Array | null, w: Workload): void {
  if (expected === null || actual === null) return;
  for (let i = 0; i < expected.length; i++)
    if (expected[i] !== actual[i]) throw new Error(`drm_mm workload: call ${i} (${JSON.stringify(w.mixed[i])}): ${side} start ${actual[i]}, mutable ${expected[i]}`);
}

/**
 * µs per call of `fn` over `calls` calls: process CPU time (user + system, all threads: the
 * collector's helpers included) and wall time. CPU time is what the bench reports: on two cores
 * shared with other work, wall time mostly measures the wait for a core.
 */
function measure(fn: () => void, calls: number): { cpu: number; wall: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / calls;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / calls, wall };
}

/** `10^5` for powers of ten, else the number. */
function sizeName(n: number): string {
  const e = Math.log10(n);
  return Number.isInteger(e) ? `10^${e}` : String(n);
}

/**
 * Runs the workload benchmark: one warm-up round, then `rounds` measured rounds (median), each
 * building both allocators afresh.
 */
export async function runDrmMmWorkloadBench(shape: WorkloadShape = ISSUE_9_SHAPE, rounds = Number(process.env.DRM_MM_WORKLOAD_ROUNDS ?? 3)): Promise<DrmMmWorkloadBenchResult[]> {
  const w = makeWorkload(shape);
  const c = w.counts;
  process.stderr.write(
    `drm_mm workload: range 2^${Math.log2(Number(shape.rangeSize))}, build ${shape.live} best-fit inserts (4 KiB–1 MiB, aligned 4096), ` +
      `then ${shape.mixed} mixed calls: ${c.remove} removes, inserts best ${c.best} low ${c.low} high ${c.high} evict ${c.evict}, ` +
      `alignment 0/4096/65536: ${c['align=0']}/${c['align=4096']}/${c['align=65536']}; ${c.liveAfter} live after; seed ${shape.seed}\n`,
  );
  let cSide: CSide | null = null;
  if (onPath('cc')) {
    const port = CompiledDrmMmPort.compile();
    if (port.warnings !== '') process.stderr.write(`drm_mm workload: cc warned on the C port:\n${port.warnings}`);
    const calls = [...w.build, ...w.mixed].map(toMutableCall);
    cSide = { port, file: port.writeCalls(calls), calls: calls.length, build: w.build.length };
  }
  const rs: Round[] = [];
  try {
    round(w, true, cSide);
    for (let i = 0; i < rounds; i++) {
      const r = round(w, i === 0, cSide);
      const cPart = r.cUs === null ? 'C skipped (no cc)' : `C ${r.cUs.toFixed(3)} us/call, persistent/C ${(r.persistentUs / r.cUs).toFixed(1)}`;
      process.stderr.write(
        `  round ${i + 1}: CPU persistent ${r.persistentUs.toFixed(2)} us/call, mutable ${r.mutableUs.toFixed(2)} us/call, ratio ${(r.persistentUs / r.mutableUs).toFixed(2)}; ${cPart}; ` +
          `wall ${r.persistentWallUs.toFixed(2)} / ${r.mutableWallUs.toFixed(2)} us/call; edit session ${r.sessionUs.toFixed(2)} us/call CPU; ` +
          `allocator layer alone ${r.corePersistentUs.toFixed(2)} persistent, ${r.coreSessionUs.toFixed(2)} in a session; ` +
          `${Math.round(r.persistentBytes)} vs ${Math.round(r.mutableBytes)} B/node\n`,
      );
      rs.push(r);
    }
  } finally {
    cSide?.port.close();
  }
  const ratios = rs.map((r) => r.persistentUs / r.mutableUs);
  const pUs = median(rs.map((r) => r.persistentUs));
  const mUs = median(rs.map((r) => r.mutableUs));
  const sUs = median(rs.map((r) => r.sessionUs));
  const pB = median(rs.map((r) => r.persistentBytes));
  const mB = median(rs.map((r) => r.mutableBytes));
  const live = sizeName(shape.live);
  const cLabel = `drm_mm seeded workload: persistent decode+apply over the C port, CPU time per mixed call at ${live} live nodes (target ≤ 5; median of ${rounds}, C the best of ${C_REPEAT} per round)`;
  const cLine: DrmMmWorkloadBenchResult =
    cSide === null
      ? { bench: cLabel, value: pUs, unit: 'us/call', baseline: 'skipped: cc is not on the PATH (C port of the mutable allocator, test/bench/c/drmMmPort.c)', ratio: null }
      : {
          bench: cLabel,
          value: pUs,
          unit: 'us/call',
          baseline: `C port of the mutable allocator (test/bench/c/drmMmPort.c, cc -O2), same calls, same run (${median(rs.map((r) => r.cUs as number)).toFixed(3)} us/call CPU)`,
          ratio: median(rs.map((r) => r.persistentUs / (r.cUs as number))),
        };
  return [
    {
      bench: `drm_mm seeded workload: persistent decode+apply, CPU time per mixed call at ${live} live nodes (median of ${rounds})`,
      value: pUs,
      unit: 'us/call',
      baseline: `mutable port (test/drm-mm/mutableDrmMm.ts), same calls pre-decoded, same run (${mUs.toFixed(2)} us/call CPU)`,
      ratio: median(ratios),
    },
    {
      bench: `drm_mm seeded workload replayed in an edit session (as drmstate replay does; only the last world kept): CPU time per mixed call at ${live} live nodes (median of ${rounds})`,
      value: sUs,
      unit: 'us/call',
      baseline: `mutable port (test/drm-mm/mutableDrmMm.ts), same calls pre-decoded, same run (${mUs.toFixed(2)} us/call CPU)`,
      ratio: median(rs.map((r) => r.sessionUs / r.mutableUs)),
    },
    {
      bench: `drm_mm seeded workload, the allocator layer alone (findPlacement, linkNode, removeNode on calls decoded beforehand: no decoding, machine verdict, node records, maps or outcome), persistent: CPU time per mixed call at ${live} live nodes (median of ${rounds})`,
      value: median(rs.map((r) => r.corePersistentUs)),
      unit: 'us/call',
      baseline: `mutable port (test/drm-mm/mutableDrmMm.ts), same calls pre-decoded, same run (${mUs.toFixed(2)} us/call CPU)`,
      ratio: median(rs.map((r) => r.corePersistentUs / r.mutableUs)),
    },
    {
      bench: `drm_mm seeded workload, the allocator layer alone, in an edit session: CPU time per mixed call at ${live} live nodes (median of ${rounds})`,
      value: median(rs.map((r) => r.coreSessionUs)),
      unit: 'us/call',
      baseline: `mutable port (test/drm-mm/mutableDrmMm.ts), same calls pre-decoded, same run (${mUs.toFixed(2)} us/call CPU)`,
      ratio: median(rs.map((r) => r.coreSessionUs / r.mutableUs)),
    },
    {
      bench: `drm_mm seeded workload: persistent heap bytes per live node at ${live} live nodes`,
      value: Math.round(pB),
      unit: 'B/node',
      baseline: `mutable port bytes per live node (${Math.round(mB)} B/node)${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'}`,
      ratio: pB / mB,
    },
    cLine,
  ];
}

/** Builds one side, then profiles its mixed phase (after one unprofiled warm-up run of it). */
async function profile(side: string, out: string): Promise<void> {
  const w = makeWorkload();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  let run: () => void;
  if (side === 'mutable') {
    const build = w.build.map(toMutableCall);
    const mixed = w.mixed.map(toMutableCall);
    const warm = new MutableDrmMm();
    runMutable(warm, build, null);
    runMutable(warm, mixed, null);
    const mm = new MutableDrmMm();
    runMutable(mm, build, null);
    run = () => runMutable(mm, mixed, null);
  } else if (side === 'session') {
    const built = runPersistent(emptyWorld(), w.build, null);
    const warm = new EditSession();
    runPersistent(editableWorld(built, warm), w.mixed, null);
    warm.close();
    const editable = editableWorld(built, new EditSession());
    run = () => void runPersistent(editable, w.mixed, null);
  } else {
    const built = runPersistent(emptyWorld(), w.build, null);
    runPersistent(built, w.mixed, null);
    run = () => void runPersistent(built, w.mixed, null);
  }
  gc();
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const t = process.hrtime.bigint();
  run();
  const us = Number(process.hrtime.bigint() - t) / 1000 / w.mixed.length;
  const { profile: p } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(p));
  process.stderr.write(`${side}: ${us.toFixed(2)} us/call while profiled; profile in ${out}\n`);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const flag = process.argv.find((a) => a.startsWith('--profile='));
  if (flag !== undefined) await profile(flag.slice('--profile='.length), process.argv[process.argv.indexOf(flag) + 1] ?? 'drm-mm-workload.cpuprofile');
  else for (const r of await runDrmMmWorkloadBench()) console.log(JSON.stringify(r));
}
