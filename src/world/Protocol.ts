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
 * A named invariant: a predicate true of every good world.
 *
 * Predicates are pure and total and never throw.
 */
export interface Invariant {
  /** camelCase statement of the invariant (`everyCallbackRunsOnce`). */
  readonly name: string;
  /** The invariant in words: a "for every…" sentence. */
  readonly statement: string;
  readonly holds: (world: World) => boolean;
}

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
 * One protocol's semantics, as the kernel layer composes them.
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
   * Applies a decoded event. `trace`, when given, is told every machine branch the call takes.
   * @throws {DrmstateError} `UNKNOWN_OBJECT`.
   */
  apply(world: World, event: E, trace?: BranchTrace): ApplyResult;
  /** The incremental, order-independent hash of the slice. */
  hash(slice: WorldSlices[K]): Hash64;
  /** Serialises the slice to JSON-able data that {@link Protocol.fromSnapshot} reads back exactly. */
  toSnapshot(slice: WorldSlices[K]): unknown;
  /** Reads a slice back from {@link Protocol.toSnapshot}'s data. @throws {DrmstateError} `BAD_SNAPSHOT`. */
  fromSnapshot(data: unknown): WorldSlices[K];
  /** The protocol's invariants, type invariant first. */
  readonly invariants: readonly Invariant[];
  /**
   * What the slice still holds alive, as `leak` violations naming the objects: the kernel's view at
   * teardown. Not a finding unless the caller asks (`drmstate run --leaks`). Pure; never throws.
   */
  readonly leaks?: (world: World) => readonly Violation[];
}
