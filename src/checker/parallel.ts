import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { type DrmstateErrorCode, DrmstateError } from '../errors.js';
import type { NotedFinding } from './findings.js';
import type { Model } from './model.js';
import { SharedSeenSet } from './SharedSeenSet.js';

/** Slots of the control array the search and its workers share (an `Int32Array`). */
export const CONTROL = {
  /** The next state id (so: how many states are stored); ids come from `Atomics.add`. */
  nextId: 0,
  /** Why the search stops early: 0 it does not, {@link STOP_STATES}, {@link STOP_SECONDS}. */
  stop: 1,
  /** Workers done with the current level. */
  done: 2,
  /** Workers paused in the middle of the level until the table has grown. */
  paused: 3,
  /** Bumped (and notified) whenever `done` or `paused` changes: what the search waits on. */
  events: 4,
  /** Bumped (and notified) by the search when the grown table is there: what paused workers wait on. */
  epoch: 5,
  /** Workers that have compiled the model. */
  ready: 6,
  /** Bumped by the workers once per state they expand: how the search tells a dead worker from a slow one. */
  beats: 7,
  /** Then one slot per worker: the states it holds for the next level (stealing evens them out). */
  length: 8,
} as const;

/** `owners[id]`: the worker that holds the state, plus this bit once another took it over. */
export const STOLEN = 0x80;

/** `CONTROL.stop`: the `maxStates` bound was reached. */
export const STOP_STATES = 1;
/** `CONTROL.stop`: the `maxSeconds` bound was reached. */
export const STOP_SECONDS = 2;

/** The shared tables, passed to the workers at start and whenever they are grown. */
export interface SharedTables {
  /** The seen-set ({@link SharedSeenSet}). */
  readonly table: SharedArrayBuffer;
  /** Parent state id by state id (`Uint32Array`). */
  readonly parents: SharedArrayBuffer;
  /** The action that led to each state from its parent (`Uint32Array`, see `Explorer.successors`). */
  readonly actions: SharedArrayBuffer;
  /** State id + 1 by slot of the seen-set (`Uint32Array`; 0: not known), to find who holds a state seen again. */
  readonly ids: SharedArrayBuffer;
  /** The worker holding each state of the next level, by id (`Uint8Array`; {@link STOLEN}). */
  readonly owners: SharedArrayBuffer;
  /** A worker pauses between two states once this many states are stored, so that the table can grow. */
  readonly pauseAt: number;
}

/** What a worker is started with. */
export interface WorkerInit {
  readonly model: Model;
  readonly reduce: 'none' | 'por';
  readonly index: number;
  readonly workers: number;
  readonly control: SharedArrayBuffer;
  readonly tables: SharedTables;
  /** Messages both ways: {@link ToWorker} in, {@link FromWorker} out. */
  readonly port: MessagePort;
}

/** A message from the search to a worker. */
export type ToWorker =
  | {
      readonly type: 'level';
      readonly depth: number;
      /**
       * Every worker expands the whole (small) frontier the same way, and only worker 0 stores and
       * reports: ids are then handed out in the same order on every worker without a shared counter.
       */
      readonly replicated: boolean;
      /** The first level after the replicated ones: worker `i` keeps every N-th state of the frontier, from the i-th. */
      readonly split: boolean;
      /** The first id of the level. */
      readonly nextId: number;
      /**
       * Whether a worker that generates a state another worker claimed in this level, while it holds
       * fewer states for the next level than that one, takes the state over (it has the world too).
       */
      readonly steal: boolean;
      readonly keepGoing: boolean;
      readonly maxStates: number;
    }
  | ({ readonly type: 'grow' } & SharedTables)
  | { readonly type: 'exit' };

/** A message from a worker to the search. */
export type FromWorker =
  | {
      readonly type: 'level';
      /** What the worker found in the level, in the order it found them, one per key. */
      readonly findings: NotedFinding[];
      readonly transitions: number;
      /** The states it keeps for the next level. */
      readonly frontier: number;
      /** The states it expanded in the level. */
      readonly expanded: number;
    }
  | { readonly type: 'error'; readonly code?: DrmstateErrorCode; readonly message: string; readonly file?: string; readonly field?: string; readonly stack?: string };

/** Bounds and switches of a parallel search (as {@link CheckOptions} has them). */
export interface ParallelOptions {
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly maxSeconds?: number;
  readonly keepGoing?: boolean;
  readonly reduce?: 'none' | 'por';
  readonly progress?: (p: { states: number; transitions: number; queue: number; depth: number; seconds: number }) => void;
  /**
   * The frontier size from which the workers split it (default: 8 per worker). Below it every
   * worker expands the whole frontier (so that they start from equal shares of the state space,
   * not from worker 0's one initial state).
   */
  readonly splitAt?: number;
  /** The seen-set's first size in slots, a power of two of at least 16 (for tests of its growth). */
  readonly tableSlots?: number;
  /** Whether workers even out their shares of the next level ({@link ToWorker}; default true). */
  readonly steal?: boolean;
}

/** What a parallel search found: the counts, the findings as noted, and the parent links. */
export interface ParallelSearch {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly bound: 'states' | 'depth' | 'seconds' | undefined;
  /** Level by level, worker by worker; each worker reports a key once. */
  readonly findings: readonly NotedFinding[];
  readonly parents: Uint32Array<ArrayBuffer>;
  readonly actions: Uint32Array<ArrayBuffer>;
  /** Bytes of the shared seen-set and parent links. */
  readonly bytes: number;
  /** Bytes of the shared seen-set alone. */
  readonly tableBytes: number;
  /** The states each worker expanded once the frontier was split (how even the shares were). */
  readonly expanded: readonly number[];
  /** How often the tables were doubled at a level's end, and in the middle of a level. */
  readonly grown: { readonly atLevelEnd: number; readonly midLevel: number };
}

/**
 * Whether this module runs compiled, with its worker beside it (from `dist/`, as `drmstate` does),
 * rather than from the TypeScript sources (vitest), where workers would run whatever `dist/` holds.
 */
export function workersBuiltIn(): boolean {
  return existsSync(fileURLToPath(new URL('./checkWorker.js', import.meta.url)));
}

/**
 * Where the compiled worker is: `DRMSTATE_CHECK_WORKER` when set (a path: tests point it at a build
 * of their own, which a concurrent `npm run build` does not rewrite under them); else next to this
 * module in `dist/`, or in `dist/` when this runs from TypeScript sources (vitest).
 */
function workerUrl(): URL {
  const env = process.env.DRMSTATE_CHECK_WORKER;
  if (env !== undefined && env !== '') {
    if (!existsSync(env)) throw new DrmstateError('BAD_ARGUMENT', `workers: DRMSTATE_CHECK_WORKER names ${env}, which does not exist`);
    return pathToFileURL(env);
  }
  const here = new URL('./checkWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const dist = new URL('../../dist/src/checker/checkWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist;
  throw new DrmstateError('BAD_ARGUMENT', `workers: the compiled worker ${fileURLToPath(dist)} is missing; run npm run build (or check with 1 worker)`);
}

function tablesOf(capacity: number): SharedTables {
  let c = 16;
  while (c < capacity) c *= 2;
  return {
    table: SharedSeenSet.bufferFor(c, true) as SharedArrayBuffer,
    parents: new SharedArrayBuffer(4 * c),
    actions: new SharedArrayBuffer(4 * c),
    ids: new SharedArrayBuffer(4 * c),
    owners: new SharedArrayBuffer(c),
    pauseAt: (c * 3) / 4,
  };
}

function rethrow(e: Extract<FromWorker, { type: 'error' }>): never {
  if (e.code !== undefined) throw new DrmstateError(e.code, e.message, { ...(e.file !== undefined ? { file: e.file } : {}), ...(e.field !== undefined ? { field: e.field } : {}) });
  const err = new Error(`checker worker: ${e.message}`);
  if (e.stack !== undefined) err.stack = e.stack;
  throw err;
}

/**
 * Breadth-first search of a model over `workers` worker threads, level-synchronous, with the same
 * states, transitions, depth and findings (kind and depth) as the single-threaded search.
 *
 * Each worker compiles the model itself and keeps the frontier states it discovered (worlds are
 * object graphs that do not move between threads); the first, small levels are expanded by every
 * worker alike until the frontier has {@link ParallelOptions.splitAt} states, which are then dealt
 * out round-robin. The seen-set ({@link SharedSeenSet}), the id counter and the parent links are
 * shared memory; the table starts with room for 2 × `maxStates` (at most 2^24 slots; 2^16 without
 * the bound) and is doubled at a level's end when it is half full, or in the middle of a level when
 * it is 3/4 full (the workers pause between two states while this thread rehashes it). This thread
 * blocks in `Atomics.wait` for the workers, so the search is synchronous like the single-threaded
 * one. A `limit` result (bound reached) counts what was explored when it stopped, which depends on
 * the workers' timing.
 *
 * @param haveFinding whether the caller already holds a finding (an invariant false in the initial
 *   state): then the search stops after level 0 unless `keepGoing`.
 * @throws {DrmstateError} `BAD_MODEL` as the single-threaded search would throw it (a `$x` unbound on
 *   some path); `BAD_ARGUMENT` when the compiled worker is missing.
 */
export function exploreParallel(model: Model, workers: number, options: ParallelOptions, haveFinding: boolean, t0: number): ParallelSearch {
  // ABSTRACTION: at most 127 workers, so that an owner and its STOLEN bit fit in a byte.
  const n = Math.max(1, Math.min(Math.floor(workers), 127));
  const url = workerUrl();
  const control = new SharedArrayBuffer(4 * (CONTROL.length + n));
  const ctrl = new Int32Array(control);
  const maxStates = options.maxStates ?? Infinity;
  const maxDepth = options.maxDepth ?? Infinity;
  const maxMs = (options.maxSeconds ?? Infinity) * 1000;
  const splitAt = options.splitAt ?? 8 * n;
  const keepGoing = options.keepGoing === true;
  let tables = tablesOf(options.tableSlots ?? (Number.isFinite(maxStates) ? Math.min(Math.max(2 * maxStates, 1024), 1 << 24) : 1 << 16));
  const grown = { atLevelEnd: 0, midLevel: 0 };
  Atomics.store(ctrl, CONTROL.nextId, 1);
  const ports: MessagePort[] = [];
  const threads: Worker[] = [];
  const spawned = performance.now();
  try {
    for (let index = 0; index < n; index++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { model, reduce: options.reduce ?? 'none', index, workers: n, control, tables, port: port2 };
      const w = new Worker(url, { workerData: init, transferList: [port2], execArgv: [] });
      // Errors come back as messages; an 'error' event after the search is over must not crash the process.
      w.on('error', () => {});
      w.unref();
      threads.push(w);
      ports.push(port1);
    }

    const grow = (): void => {
      const c = new SharedSeenSet(tables.table).capacity * 2;
      const next = tablesOf(c);
      new SharedSeenSet(tables.table).rehashInto(new SharedSeenSet(next.table), new Uint32Array(tables.ids), new Uint32Array(next.ids));
      new Uint32Array(next.parents).set(new Uint32Array(tables.parents));
      new Uint32Array(next.actions).set(new Uint32Array(tables.actions));
      new Uint8Array(next.owners).set(new Uint8Array(tables.owners));
      tables = next;
      for (const p of ports) p.postMessage({ type: 'grow', ...tables } satisfies ToWorker);
      Atomics.store(ctrl, CONTROL.paused, 0);
      Atomics.add(ctrl, CONTROL.epoch, 1);
      Atomics.notify(ctrl, CONTROL.epoch);
    };

    let transitions = 0;
    let depth = 0;
    let replicated = true;
    let split = false;
    let bound: ParallelSearch['bound'];
    let lastProgress = t0;
    let beats = 0;
    let lastBeat = performance.now();
    const findings: NotedFinding[] = [];
    const expanded = new Array<number>(n).fill(0);
    for (;;) {
      if (depth >= maxDepth) {
        bound = 'depth';
        break;
      }
      const levelStart = Atomics.load(ctrl, CONTROL.nextId);
      Atomics.store(ctrl, CONTROL.done, 0);
      for (let i = 0; i < n; i++) Atomics.store(ctrl, CONTROL.length + i, 0);
      const cmd: ToWorker = { type: 'level', depth, replicated, split, nextId: levelStart, steal: options.steal !== false && !replicated, keepGoing, maxStates };
      for (const p of ports) p.postMessage(cmd);
      lastBeat = performance.now();
      for (;;) {
        const ev = Atomics.load(ctrl, CONTROL.events);
        const done = Atomics.load(ctrl, CONTROL.done);
        const paused = Atomics.load(ctrl, CONTROL.paused);
        if (done + paused === n) {
          if (paused === 0) break;
          grown.midLevel++;
          grow();
          continue;
        }
        Atomics.wait(ctrl, CONTROL.events, ev, 250);
        const now = performance.now();
        if (now - t0 > maxMs) Atomics.compareExchange(ctrl, CONTROL.stop, 0, STOP_SECONDS);
        if (Atomics.load(ctrl, CONTROL.ready) < n && now - spawned > 120_000) throw new Error('checker workers: a worker did not start within 120 s');
        const b = Atomics.load(ctrl, CONTROL.beats);
        if (b !== beats || Atomics.load(ctrl, CONTROL.ready) < n) {
          beats = b;
          lastBeat = now;
        } else if (now - lastBeat > 60_000)
          // No worker has expanded a state for a minute and some have not reported: one has died
          // (out of memory: its 'error' event cannot reach this blocked thread).
          throw new Error(`checker workers: no progress for 60 s at depth ${depth} with ${n - done - paused} worker(s) busy (a worker died? out of memory?)`);
        if (options.progress !== undefined && now - lastProgress > 1000) {
          lastProgress = now;
          const states = Atomics.load(ctrl, CONTROL.nextId);
          options.progress({ states, transitions, queue: states - levelStart, depth: depth + 1, seconds: (now - t0) / 1000 });
        }
      }
      const reports = ports.map((p) => receiveMessageOnPort(p)?.message as FromWorker | undefined);
      for (let i = 0; i < n; i++) {
        const r = reports[i];
        if (r === undefined) throw new Error(`checker worker ${i} finished level ${depth} without a report`);
        if (r.type === 'error') rethrow(r);
        if (r.type !== 'level' || (replicated && i > 0)) continue;
        transitions += r.transitions;
        findings.push(...r.findings);
        if (!replicated) expanded[i] = (expanded[i] as number) + r.expanded;
      }
      const frontier = Atomics.load(ctrl, CONTROL.nextId) - levelStart;
      const stop = Atomics.load(ctrl, CONTROL.stop);
      if (stop !== 0) {
        bound = stop === STOP_STATES ? 'states' : 'seconds';
        break;
      }
      if ((haveFinding || findings.length > 0) && !keepGoing) break;
      if (frontier === 0) break;
      depth++;
      split = replicated && frontier >= splitAt;
      if (split) replicated = false;
      // INVARIANT: at a level's start the table is at most half full (a level may add many times its
      // frontier; the workers pause mid-level at 3/4).
      if (Atomics.load(ctrl, CONTROL.nextId) > new SharedSeenSet(tables.table).capacity / 2) {
        grown.atLevelEnd++;
        grow();
      }
    }
    const states = Atomics.load(ctrl, CONTROL.nextId);
    return {
      states,
      transitions,
      depth,
      bound,
      findings,
      parents: new Uint32Array(tables.parents).slice(0, states),
      actions: new Uint32Array(tables.actions).slice(0, states),
      bytes: tables.table.byteLength + tables.parents.byteLength + tables.actions.byteLength + tables.ids.byteLength + tables.owners.byteLength,
      tableBytes: tables.table.byteLength,
      expanded,
      grown,
    };
  } finally {
    for (const p of ports) {
      p.postMessage({ type: 'exit' } satisfies ToWorker);
      p.close();
    }
    for (const w of threads) void w.terminate().catch(() => {});
  }
}
