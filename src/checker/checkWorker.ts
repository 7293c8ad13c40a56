/**
 * A worker thread of the parallel checker ({@link exploreParallel}): compiles the model itself, keeps
 * the frontier states it discovered and expands them level by level on the search's command,
 * storing fingerprints, ids and parent links in the shared tables.
 *
 * Not an entry of the library: `exploreParallel` starts it with its {@link WorkerInit} as
 * `workerData`.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DrmstateError } from '../errors.js';
import { DEFAULT_CHECK_KERNEL } from './CheckKernel.js';
import { Explorer, type RawFinding, type State, initialState } from './Explorer.js';
import { type NotedFinding, NO_ACTION, deadlockFinding, findingKey, invariantFinding } from './findings.js';
import { CONTROL, type FromWorker, STOLEN, STOP_STATES, type SharedTables, type ToWorker, type WorkerInit } from './parallel.js';
import { compileModel } from './program.js';
import { SharedSeenSet } from './SharedSeenSet.js';
import type { InvariantMemo } from '../world/Protocol.js';

/**
 * One worker's state, created when the thread starts: the shared tables it has adopted, its frontier
 * and the finding keys it has reported. The module itself holds nothing.
 */
class CheckWorker {
  private readonly port: WorkerInit['port'];
  private readonly ctrl: Int32Array;
  private readonly me: number;
  private readonly n: number;
  private readonly kernel = DEFAULT_CHECK_KERNEL;
  private readonly myCount: number;

  private table!: SharedSeenSet;
  private parents!: Uint32Array<ArrayBufferLike>;
  private actions!: Uint32Array<ArrayBufferLike>;
  private ids!: Uint32Array<ArrayBufferLike>;
  private owners!: Uint8Array<ArrayBufferLike>;
  private pauseAt!: number;
  /** Worker 0 stores the replicated levels in the shared table; the others dedup them in a private one. */
  private local: SharedSeenSet | undefined;

  private ex: Explorer | undefined;
  private frontier: State[] = [];
  private initError: unknown;
  /** Keys this worker has reported (the search keeps the first finding of each key). */
  private readonly kinds = new Set<string>();
  /** Whether the frontier came from a level where states could be taken over: keep only those still ours. */
  private stolenFrom = false;
  /** This worker's cache for the invariants (see `InvariantMemo`). */
  private readonly memo: InvariantMemo = new WeakMap();

  /** Compiles the model, adopts the tables and seeds the initial state, then tells the search it is ready. */
  constructor(init: WorkerInit) {
    this.port = init.port;
    this.ctrl = new Int32Array(init.control);
    this.me = init.index;
    this.n = init.workers;
    this.myCount = CONTROL.length + this.me;
    const kernel = this.kernel;
    try {
      this.adopt(init.tables);
      const ex = (this.ex = new Explorer(kernel, compileModel(kernel, init.model), init.reduce));
      const s0 = initialState(ex, kernel, ex.compiled).state;
      const h0 = ex.stateHash(s0.world, s0.tasks);
      if (this.me === 0) {
        this.table.add(h0.lo, h0.hi);
        this.actions[0] = NO_ACTION;
      } else {
        this.local = new SharedSeenSet(SharedSeenSet.bufferFor(this.table.capacity, false));
        this.local.add(h0.lo, h0.hi);
      }
      this.frontier = [s0];
    } catch (e) {
      this.initError = e;
    }
    Atomics.add(this.ctrl, CONTROL.ready, 1);
  }

  /** Answers the search's commands on the worker's port. */
  listen(): void {
    this.port.on('message', (m: ToWorker) => this.receive(m));
  }

  private receive(m: ToWorker): void {
    const ctrl = this.ctrl;
    if (m.type === 'grow') return this.adopt(m);
    if (m.type === 'exit') return this.port.close();
    let report: FromWorker;
    try {
      report = this.level(m);
    } catch (e) {
      report = errorMessage(e);
    }
    this.port.postMessage(report);
    Atomics.add(ctrl, CONTROL.done, 1);
    Atomics.add(ctrl, CONTROL.events, 1);
    Atomics.notify(ctrl, CONTROL.events);
  }

  private adopt(t: SharedTables): void {
    this.table = new SharedSeenSet(t.table);
    this.parents = new Uint32Array(t.parents);
    this.actions = new Uint32Array(t.actions);
    this.ids = new Uint32Array(t.ids);
    this.owners = new Uint8Array(t.owners);
    this.pauseAt = t.pauseAt;
    if (this.local !== undefined) this.local = this.local.rehashInto(new SharedSeenSet(SharedSeenSet.bufferFor(this.table.capacity, false)));
  }

  /** Waits between two states until the search has grown the tables. */
  private pause(): void {
    const ctrl = this.ctrl;
    const epoch = Atomics.load(ctrl, CONTROL.epoch);
    Atomics.add(ctrl, CONTROL.paused, 1);
    Atomics.add(ctrl, CONTROL.events, 1);
    Atomics.notify(ctrl, CONTROL.events);
    Atomics.wait(ctrl, CONTROL.epoch, epoch);
    const m = receiveMessageOnPort(this.port)?.message as ToWorker | undefined;
    if (m?.type !== 'grow') throw new Error(`internal: a paused checker worker got ${m?.type ?? 'nothing'}, not the grown table`);
    this.adopt(m);
  }

  private level(m: Extract<ToWorker, { type: 'level' }>): FromWorker {
    if (this.initError !== undefined) throw this.initError;
    const x = this.ex as Explorer;
    const { ctrl, me, n, kernel, kinds, myCount } = this;
    if (m.split) {
      this.frontier = this.frontier.filter((_, i) => i % n === me);
      this.local = undefined;
    }
    // Every worker has finished the level before: nobody takes a state over any more.
    if (this.stolenFrom) this.frontier = this.frontier.filter((s) => (Atomics.load(this.owners, s.id) & ~STOLEN) === me);
    this.stolenFrom = m.steal;
    const levelStart = m.nextId;
    const rep = m.replicated;
    // In a replicated level every worker does the same work; worker 0's is the one that counts.
    const record = !rep || me === 0;
    const depth = m.depth;
    let nextId = m.nextId;
    let transitions = 0;
    let expanded = 0;
    const findings: NotedFinding[] = [];
    const note = (finding: RawFinding, parent: number, action: number, d: number): void => {
      if (!record) return;
      const key = findingKey(finding);
      if (kinds.has(key)) return;
      kinds.add(key);
      findings.push({ finding, parent, action, depth: d, key });
    };
    const next: State[] = [];
    for (const s of this.frontier) {
      if (Atomics.load(ctrl, CONTROL.stop) !== 0) break;
      if ((rep ? nextId : Atomics.load(ctrl, CONTROL.nextId)) > this.pauseAt) this.pause();
      // The tables as adopted now: a pause may just have replaced them.
      const { table, parents, actions, ids, owners } = this;
      const seen = rep && me !== 0 ? (this.local as SharedSeenSet) : table;
      expanded++;
      Atomics.add(ctrl, CONTROL.beats, 1);
      const { enabled, waiting } = x.successors(s, (r, action) => {
        transitions++;
        if (r.finding !== undefined) {
          note(r.finding, s.id, action, depth + 1);
          if (r.finding.result === 'unknown_object' || !m.keepGoing) return;
        }
        const h = x.stateHash(r.world, r.tasks);
        const slot = seen.insert(h.lo, h.hi);
        if (slot < 0) {
          if (m.steal) {
            // A state of the next level that another worker claimed first and holds more of: take it over.
            const v = Atomics.load(ids, -1 - slot);
            if (v === 0 || v - 1 < levelStart) return;
            const owner = Atomics.load(owners, v - 1);
            if (owner === me || (owner & STOLEN) !== 0 || Atomics.load(ctrl, myCount) >= Atomics.load(ctrl, CONTROL.length + owner)) return;
            if (Atomics.compareExchange(owners, v - 1, owner, me | STOLEN) !== owner) return;
            Atomics.sub(ctrl, CONTROL.length + owner, 1);
            Atomics.add(ctrl, myCount, 1);
            next.push({ world: r.world, tasks: r.tasks, id: v - 1 });
          }
          return;
        }
        const id = rep ? nextId++ : Atomics.add(ctrl, CONTROL.nextId, 1);
        if (!rep) {
          Atomics.store(owners, id, me);
          Atomics.store(ids, slot, id + 1);
          Atomics.add(ctrl, myCount, 1);
        }
        // INVARIANT: a slot stays empty, so that probing ends (the search grows the tables long before).
        if (id >= table.capacity - 1) throw new Error(`internal: state id ${id} fills the shared tables (${table.capacity} slots)`);
        if (record) {
          parents[id] = s.id;
          actions[id] = action;
          const bad = invariantFinding(kernel, r.world, x.taskName(Math.floor(action / 65536)), s.world, this.memo);
          if (bad !== undefined) note(bad, s.id, action, depth + 1);
        }
        next.push({ world: r.world, tasks: r.tasks, id });
      });
      if (!enabled && !x.allDone(s)) note(deadlockFinding(waiting), s.id, NO_ACTION, depth);
      if (record && (rep ? nextId : Atomics.load(ctrl, CONTROL.nextId)) >= m.maxStates) Atomics.compareExchange(ctrl, CONTROL.stop, 0, STOP_STATES);
    }
    if (rep && me === 0) Atomics.store(ctrl, CONTROL.nextId, nextId);
    this.frontier = next;
    return { type: 'level', findings, transitions, frontier: next.length, expanded };
  }
}

function errorMessage(e: unknown): FromWorker {
  if (e instanceof DrmstateError)
    return { type: 'error', code: e.code, message: e.detail, ...(e.file !== undefined ? { file: e.file } : {}), ...(e.field !== undefined ? { field: e.field } : {}) };
  return { type: 'error', message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack !== undefined ? { stack: e.stack } : {}) };
}

new CheckWorker(workerData as WorkerInit).listen();
