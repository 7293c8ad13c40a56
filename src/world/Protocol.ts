import type { AnyStateMachine } from 'xstate';
import type { BranchTrace } from '../../machines/machineTable.js';
import type { Event } from './Event.js';
import type { EventSchema } from './fields.js';
import type { Hash64 } from './hash.js';
import type { Outcome } from './Outcome.js';
import type { Violation } from './Violation.js';
import type { World, WorldSlices } from './World.js';

/** The result of applying one event: the new world and what the call returned. */
export interface ApplyResult {
  readonly world: World;
  readonly outcome: Outcome;
}

/**
 * What a protocol may ask of the kernel composed around it: one call of any protocol, made on its
 * caller's behalf (a fence callback's body runs whatever the driver's callback calls).
 */
export interface KernelCalls {
  /**
   * Applies `event` as the composed kernel would, in `task` (given to events that take a task).
   * @throws {Misuse} or {DrmstateError} as the kernel's apply does.
   */
  call(world: World, event: Event, task: string): ApplyResult;
}

/**
 * A named invariant: a predicate true of every good world.
 *
 * Predicates are pure and total and never throw.
 */
export interface Invariant {
  /** camelCase statement of the invariant (`everyCallbackRunsOnce`). */
  readonly name: string;
  /** The invariant in words: a "for every…" sentence. */
  readonly statement: string;
  /**
   * Whether the invariant is true of `world`. `memo`, when given, is the caller's cache for the
   * worlds it asks about (one search's): an invariant may keep there, under a key of its own, what
   * it computed of a world's immutable parts, and answer the next world from what changed. The
   * answer never depends on it.
   */
  readonly holds: (world: World, memo?: InvariantMemo) => boolean;
}

/**
 * A caller's cache for invariants over many worlds (one search's): each invariant keeps its own
 * entry under a key object of its own. Owned by the caller, so no module holds state.
 */
export type InvariantMemo = WeakMap<object, unknown>;

/** How one event type is documented and read. */
export interface EventDef {
  /** The kernel function (with its file) that the event models. */
  readonly kernel: string;
  /** The Rust abstraction's name, where there is one. */
  readonly rust?: string;
  /** One sentence on what the call does. */
  readonly summary: string;
  /** The fields, in the C parameter order. */
  readonly fields: EventSchema;
  /** Outcome fields on success. */
  readonly returns: readonly string[];
  /** Errnos the call can answer with. */
  readonly errnos: readonly string[];
  /** Violation kinds the call can trigger. */
  readonly violations: readonly string[];
}

/**
 * A protocol's part of every task's state (its held locks, its open sections), kept in the
 * protocol's own slice and composed by the kernel the way slices are.
 *
 * Models the protocol's share of `struct task_struct` (lockdep's `held_locks`, …).
 */
export interface TaskPart<S> {
  /**
   * The protocol's task table in its slice (a `HashedMap`): one entry per task whose part is not idle. The kernel
   * hashes it apart from the slice ({@link Protocol.hash} leaves it out), under the seed every
   * protocol's task table shares, so an empty table contributes nothing to the fingerprint.
   */
  table(slice: S): { readonly hash: Hash64 };
  /**
   * The table's hash as log format version 1 computed it, where it differs (for replaying old
   * logs); absent when the two agree.
   */
  v1Hash?(slice: S): Hash64;
  /**
   * `task_exit`: the task returns to user space. Checks the task's part (a section or lock still
   * held is a finding, recorded, not refused) and clears it. Pure.
   */
  exit(world: World, task: string, trace?: BranchTrace): { readonly world: World; readonly violations: readonly Violation[] };
}

/** Keyed facts, persistent: what a {@link HashedMap} of any value type offers. */
export interface Facts {
  readonly size: number;
  has(key: string): boolean;
  entries(): Iterable<[string, unknown]>;
  set(key: string, value: unknown): Facts;
}

/**
 * What a protocol's slice accumulates over an uptime rather than per state: lockdep's dependency
 * graph, which the kernel keeps from boot on whatever ran before. A run (`drmstate run`) keeps it
 * in the world like any other data. The model checker keeps one copy across every transition it
 * explores and leaves it out of the state: before a step it puts its copy into the world
 * ({@link Uptime.set}), after the step it adds what the step recorded ({@link Uptime.get}: facts
 * only ever grow along a run), and it stores and fingerprints the world with {@link Uptime.empty}.
 * A finding that rests on facts another path recorded names them ({@link Uptime.factsOf}), and
 * the checker reports, for each, the shortest trace that recorded it.
 */
export interface Uptime<S> {
  /** The slice's accumulated facts, keyed (`A -> B`). */
  get(slice: S): Facts;
  /** The slice with `facts` as its accumulated part (everything else as it was). */
  set(slice: S, facts: Facts): S;
  /** The accumulated part of a slice that never ran. */
  empty(): Facts;
  /** The keys of the facts a violation rests on (a lockdep cycle: its edges); empty when it rests on none. */
  factsOf(violation: Violation): readonly string[];
  /** A fact's key as people read it (`A → B`); the key itself when absent. */
  label?(key: string): string;
  /**
   * Calls that record the fact again in a fresh run and leave nothing else behind (lockdep: a task
   * of its own takes and drops the two classes' maps in order). The checker puts them after the
   * setup of a trace whose finding rests on facts other interleavings recorded, so that `drmstate
   * run` reproduces the finding; absent, such a trace replays up to the finding only.
   */
  prime?(key: string): readonly Event[];
}

/**
 * One protocol's semantics, as the kernel layer composes them. It is also the protocol's one
 * registration: the kernel's protocol list (`src/kernel/protocols.ts`) derives the machine
 * registry, the conformance suites, the docs list, the events and the task state from it.
 *
 * `apply` is pure: it returns a new world and never mutates its input. It throws only
 * `DrmstateError` for library misuse (an unknown name), before anything changes.
 */
export interface Protocol<K extends keyof WorldSlices = keyof WorldSlices, E = never> {
  /** The slice of the world this protocol owns. */
  readonly key: K;
  /** The event types this protocol answers, with their documentation and schema. */
  readonly events: { readonly [type: string]: EventDef };
  /** The slice of an empty world. */
  initial(): WorldSlices[K];
  /** Reads and checks a raw event. @throws {DrmstateError} `MALFORMED_EVENT`. */
  decode(event: Event): E;
  /**
   * Applies a decoded event. `trace`, when given, is told every machine branch the call takes;
   * `kernel`, when given, makes calls of other protocols on the caller's behalf (callback bodies).
   * @throws {Misuse} `UNKNOWN_OBJECT` (plain data, not an `Error`: the kernel turns it into a
   *   `DrmstateError` or returns it from `tryApply`).
   */
  apply(world: World, event: E, trace?: BranchTrace, kernel?: KernelCalls): ApplyResult;
  /** The incremental, order-independent hash of the slice. */
  hash(slice: WorldSlices[K]): Hash64;
  /**
   * The slice's hash as log format version 1 computed it, where it differs (for replaying old logs,
   * whose fingerprints are checked against it); absent when the two agree.
   */
  v1Hash?(slice: WorldSlices[K]): Hash64;
  /** Serialises the slice to JSON-able data that {@link Protocol.fromSnapshot} reads back exactly. */
  toSnapshot(slice: WorldSlices[K]): unknown;
  /**
   * The objects a call may read or change, for the model checker's partial-order reduction: names
   * namespaced by kind (`fence:f1`), or null for "anything". Only called for events whose name
   * fields are plain names (no `$variable`). Absent: every object-name field but `task`,
   * namespaced by the field's name. Pure; never throws.
   */
  footprint?(event: Event): readonly string[] | null;
  /**
   * A plain JSON view of the slice for people (objects by name, addresses as decimal strings),
   * which traces diff step by step; the snapshot's data when absent. Pure; never throws.
   */
  view?(world: World): unknown;
  /** Reads a slice back from {@link Protocol.toSnapshot}'s data. @throws {DrmstateError} `BAD_SNAPSHOT`. */
  fromSnapshot(data: unknown): WorldSlices[K];
  /** The protocol's invariants, type invariant first. */
  readonly invariants: readonly Invariant[];
  /**
   * What the slice still holds alive, as `leak` violations naming the objects: the kernel's view at
   * teardown. Not a finding unless the caller asks (`drmstate run --leaks`). Pure; never throws.
   */
  readonly leaks?: (world: World) => readonly Violation[];
  /** The statecharts that decide the protocol's transitions (one per object kind). */
  readonly machines: readonly AnyStateMachine[];
  /** The protocol's docs page, relative to the package root (`docs/dma-fence.md`). */
  readonly docs: string;
  /** Its folder of kernel-produced conformance samples under `test/conformance/fixtures/`. */
  readonly fixtures: string;
  /** Its part of every task's state, if it keeps one. */
  readonly tasks?: TaskPart<WorldSlices[K]>;
  /** What its slice accumulates over an uptime (lockdep's graph), which the checker keeps apart from states. */
  readonly uptime?: Uptime<WorldSlices[K]>;
}
