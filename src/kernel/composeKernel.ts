import type { AnyStateMachine } from 'xstate';
import type { BranchTrace } from '../../machines/machineTable.js';
import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { decodeFields } from '../world/fields.js';
import { type Hash64, hashString, hashToHex } from '../world/hash.js';
import { Misuse } from '../world/Misuse.js';
import { ok } from '../world/Outcome.js';
import type { ApplyResult, EventDef, Invariant, KernelCalls, Protocol } from '../world/Protocol.js';
import type { Violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import { TASK_EXIT, TASK_EXIT_EVENT } from './taskExit.js';

/** A protocol of any slice and event type, as the kernel holds it. */
export type AnyProtocol = Protocol<never, unknown>;

/** What {@link ComposedKernel.tryApply} answers: the call's result, or the misuse as data. */
export type TryApplyResult = (ApplyResult & { readonly misuse?: undefined }) | { readonly misuse: Misuse; readonly world?: undefined; readonly outcome?: undefined };

/** Options of {@link ComposedKernel.apply}. */
export interface ApplyOptions {
  /** Told every machine branch the call takes. */
  readonly trace?: BranchTrace;
}

/** Which fingerprint: the current one, or the one log format version 1 recorded. */
export interface FingerprintOptions {
  /** 1 for logs of format version 1 (before nested signalling begins were counted); default 2. */
  readonly version?: 1 | 2;
}

/**
 * A kernel composed from a list of protocols: everything `apply`, replay and the checker need,
 * with no global state, so tests and the checker can compose their own (a test-only protocol, a
 * subset).
 */
export interface ComposedKernel {
  /** The protocols, in the order of their slices in snapshots. */
  readonly protocols: readonly AnyProtocol[];
  /** Every event type the kernel answers (the protocols' and `task_exit`), sorted. */
  readonly eventTypes: readonly string[];
  /** Every event's definition, by type. */
  readonly events: ReadonlyMap<string, EventDef>;
  /** Every protocol's invariants, in protocol order. */
  readonly invariants: readonly Invariant[];
  /** Every protocol's statecharts, keyed by machine `id` (the CLI's `--machine`). */
  readonly machines: { readonly [id: string]: AnyStateMachine };
  /** The world before any call: every protocol's initial slice. */
  initialWorld(): World;
  /** The protocol that answers an event type (undefined for `task_exit` and unknown types). */
  protocolOf(type: string): AnyProtocol | undefined;
  /** Checks that a value is an event of a known type. @throws {DrmstateError} `MALFORMED_EVENT`. */
  checkEvent(event: unknown): Event;
  /**
   * Applies one call: pure. @throws {DrmstateError} `MALFORMED_EVENT`, `UNKNOWN_OBJECT`; the world
   * is never changed.
   */
  apply(world: World, event: unknown, options?: ApplyOptions): ApplyResult;
  /**
   * {@link ComposedKernel.apply} that answers misuse — a name never created, a malformed event —
   * as data instead of throwing. A never-created name costs no `Error` (no stack capture): the
   * checker meets one in every interleaving that uses an object before creating it.
   */
  tryApply(world: World, event: unknown, options?: ApplyOptions): TryApplyResult;
  /** The world's stable fingerprint: 16 hex digits. */
  fingerprint(world: World, options?: FingerprintOptions): string;
  /** The 64-bit fingerprint as two 32-bit lanes (what the checker's seen-set stores). */
  fingerprintHash(world: World, options?: FingerprintOptions): Hash64;
  /** Whether the 16 hex digits of `text` at `pos` are the world's fingerprint, without rendering it. */
  fingerprintAt(world: World, text: string, pos: number, options?: FingerprintOptions): boolean;
  /**
   * A {@link ComposedKernel.fingerprintHash} of its own (current version) that remembers, per part,
   * the last slice it hashed and reuses that part's hash while the slice is the same object: a
   * checker's states share every slice their steps did not touch. Only for persistent worlds — a
   * world of an open {@link EditSession} changes its slices in place, so replay never uses one.
   */
  fingerprintMemo(): (world: World) => Hash64;
  /**
   * {@link ComposedKernel.tryApply} of one event, routed and decoded once: the function answers
   * what `tryApply(world, event)` answers, for any world. For a caller that applies the same event
   * to many worlds (a model checker's step).
   */
  prepare(event: unknown): (world: World) => TryApplyResult;
}

/**
 * The fingerprint of a world no call has touched: what log format version 1 gave the initial world
 * of the dma_fence and drm_mm protocols. Every part of the fingerprint is counted from its empty
 * value, so a protocol's empty slice (and an empty task table) contributes nothing: a world that
 * never touched a protocol hashes as it did before that protocol existed.
 */
export const EMPTY_WORLD_FINGERPRINT = '3216c948b3d85918';
const BASE: Hash64 = { lo: 0xb3d85918, hi: 0x3216c948 };

/** Every protocol's task table is hashed under this one seed (version 1's world task table). */
const TASKS_SEED = hashString('tasks', 0x5eed);

/** One hashed part of the world: a slice or a task table. */
interface Part {
  /** The slice the part is a function of. */
  readonly key: string;
  readonly hash: (world: World) => Hash64;
  readonly v1?: (world: World) => Hash64;
  readonly seed: Hash64;
  /** The mixed hash of the part's empty value, subtracted so that it contributes nothing. */
  readonly emptyLo: number;
  readonly emptyHi: number;
}

/** The low lane of a part's hash mixed under its seed. */
function mixLo(h: Hash64, seed: Hash64): number {
  const a = Math.imul((h.lo ^ seed.lo) >>> 0, 0x9e3779b1);
  const b = Math.imul((h.hi ^ seed.hi) >>> 0, 0x85ebca77);
  return (a ^ (b >>> 15)) >>> 0;
}

/** The high lane of a part's hash mixed under its seed. */
function mixHi(h: Hash64, seed: Hash64): number {
  const a = Math.imul((h.lo ^ seed.lo) >>> 0, 0x9e3779b1);
  let b = Math.imul((h.hi ^ seed.hi) >>> 0, 0x85ebca77);
  const a2 = a ^ (b >>> 15);
  b ^= a2 >>> 13;
  return b >>> 0;
}

function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/** Whether the 8 lowercase hex digits of `text` at `pos` are `lane`. */
function laneAt(text: string, pos: number, lane: number): boolean {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const d = hexDigit(text.charCodeAt(pos + i));
    if (d < 0) return false;
    v = v * 16 + d;
  }
  return v === lane;
}

function nearTypes(types: readonly string[], type: string): string {
  const near = types.filter((t) => t.startsWith(type.split('_').slice(0, 2).join('_')));
  return near.length ? ` (did you mean one of: ${near.slice(0, 6).join(', ')})` : '';
}

/**
 * Composes a kernel from protocols: routing, the initial world, `task_exit`, fingerprints.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` when two protocols share a slice key, an event type or a
 *   machine id.
 * @example
 *   const k = composeKernel([dmaFenceProtocol]);
 *   const { outcome } = k.apply(k.initialWorld(), { type: 'dma_fence_context_alloc', ctx: 'c' });
 */
export function composeKernel(protocols: readonly AnyProtocol[]): ComposedKernel {
  const byEvent = new Map<string, AnyProtocol>();
  const events = new Map<string, EventDef>();
  const machines: Record<string, AnyStateMachine> = {};
  const keys = new Set<string>();
  for (const p of protocols) {
    if (keys.has(p.key)) throw new DrmstateError('BAD_ARGUMENT', `two protocols own the slice ${JSON.stringify(p.key)}`);
    keys.add(p.key);
    for (const [type, def] of Object.entries(p.events)) {
      if (events.has(type) || type === TASK_EXIT) throw new DrmstateError('BAD_ARGUMENT', `two protocols answer ${type}`);
      byEvent.set(type, p);
      events.set(type, def);
    }
    for (const m of p.machines) {
      if (m.id in machines) throw new DrmstateError('BAD_ARGUMENT', `two machines have the id ${JSON.stringify(m.id)}`);
      machines[m.id] = m;
    }
  }
  events.set(TASK_EXIT, TASK_EXIT_EVENT);
  const eventTypes = [...events.keys()].sort();
  const withTasks = protocols.filter((p) => p.tasks !== undefined);

  const initialWorld = (): World => {
    const w: Record<string, unknown> = {};
    for (const p of protocols) w[p.key] = p.initial();
    return Object.freeze(w) as unknown as World;
  };

  const parts: Part[] = [];
  const empty = initialWorld() as unknown as Record<string, never>;
  const part = (key: string, hash: (world: World) => Hash64, seed: Hash64, v1?: (world: World) => Hash64): Part => {
    const e = hash(empty as unknown as World);
    return { key, hash, v1, seed, emptyLo: mixLo(e, seed), emptyHi: mixHi(e, seed) };
  };
  for (const p of protocols) {
    const key = p.key as string;
    const slice = (w: World): never => (w as unknown as Record<string, never>)[key] as never;
    const v1Slice = p.v1Hash;
    parts.push(part(key, (w) => p.hash(slice(w)), hashString(key, 0x5eed), v1Slice === undefined ? undefined : (w) => v1Slice(slice(w))));
    const t = p.tasks;
    if (t !== undefined) {
      const v1 = t.v1Hash;
      parts.push(part(key, (w) => t.table(slice(w)).hash, TASKS_SEED, v1 === undefined ? undefined : (w) => v1(slice(w))));
    }
  }

  const fingerprintHash = (world: World, options?: FingerprintOptions): Hash64 => {
    const v1 = options?.version === 1;
    let lo = BASE.lo;
    let hi = BASE.hi;
    for (let i = 0; i < parts.length; i++) {
      const pt = parts[i] as Part;
      const h = v1 && pt.v1 !== undefined ? pt.v1(world) : pt.hash(world);
      // The mix of mixLo/mixHi, inline (a replay hot path).
      let a = Math.imul((h.lo ^ pt.seed.lo) >>> 0, 0x9e3779b1);
      let b = Math.imul((h.hi ^ pt.seed.hi) >>> 0, 0x85ebca77);
      a ^= b >>> 15;
      b ^= a >>> 13;
      lo = (lo + (a >>> 0) - pt.emptyLo) >>> 0;
      hi = (hi + (b >>> 0) - pt.emptyHi) >>> 0;
    }
    return { lo, hi };
  };

  const fingerprintMemo = (): ((world: World) => Hash64) => {
    // Per part: the slice last hashed and its mixed contribution (the terms fingerprintHash adds).
    const lastSlice: unknown[] = parts.map(() => undefined);
    const termLo = new Uint32Array(parts.length);
    const termHi = new Uint32Array(parts.length);
    return (world) => {
      let lo = BASE.lo;
      let hi = BASE.hi;
      for (let i = 0; i < parts.length; i++) {
        const pt = parts[i] as Part;
        const slice = (world as unknown as Record<string, unknown>)[pt.key];
        if (slice !== lastSlice[i]) {
          const h = pt.hash(world);
          termLo[i] = (mixLo(h, pt.seed) - pt.emptyLo) >>> 0;
          termHi[i] = (mixHi(h, pt.seed) - pt.emptyHi) >>> 0;
          lastSlice[i] = slice;
        }
        lo = (lo + (termLo[i] as number)) >>> 0;
        hi = (hi + (termHi[i] as number)) >>> 0;
      }
      return { lo, hi };
    };
  };

  /**
   * A thrown misuse as tryApply's answer: a `Misuse`, or a `DrmstateError` of a field check
   * (decodeFields still builds one: malformed events are not on an explorer's hot path, unknown
   * names are). Anything else is rethrown.
   */
  const misuseOf = (err: unknown): { misuse: Misuse } => {
    if (err instanceof Misuse) return { misuse: err };
    if (err instanceof DrmstateError && (err.code === 'MALFORMED_EVENT' || err.code === 'UNKNOWN_OBJECT')) return { misuse: new Misuse(err.code, err.detail, err.field) };
    throw err;
  };

  /** The event and its protocol, or the misuse (built without an Error). */
  const route = (event: unknown): { event: Event; protocol: AnyProtocol | undefined } | Misuse => {
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      return new Misuse('MALFORMED_EVENT', `an event must be an object with a "type", got ${JSON.stringify(event)}`);
    const type = (event as { type?: unknown }).type;
    if (typeof type !== 'string') return new Misuse('MALFORMED_EVENT', 'an event needs a string "type" (the kernel function)', 'type');
    const protocol = byEvent.get(type);
    if (protocol === undefined && type !== TASK_EXIT) return new Misuse('MALFORMED_EVENT', `unknown event type "${type}"${nearTypes(eventTypes, type)}`, 'type');
    return { event: event as Event, protocol };
  };

  const taskExit = (world: World, event: Event, trace: BranchTrace | undefined): ApplyResult => {
    const { task } = decodeFields<{ task: string }>(event, TASK_EXIT_EVENT.fields);
    let w = world;
    const vs: Violation[] = [];
    for (const p of withTasks) {
      const r = (p.tasks as NonNullable<AnyProtocol['tasks']>).exit(w, task, trace);
      w = r.world;
      vs.push(...r.violations);
    }
    return { world: w, outcome: ok({}, vs) };
  };

  /** Applies a routed event; throws a Misuse or a DrmstateError on misuse. */
  const applyRouted = (world: World, r: { event: Event; protocol: AnyProtocol | undefined }, trace: BranchTrace | undefined): ApplyResult =>
    r.protocol === undefined ? taskExit(world, r.event, trace) : r.protocol.apply(world, r.protocol.decode(r.event), trace, calls);
  /** The calls a protocol makes on its caller's behalf: routed like any call, in the caller's task. */
  const calls: KernelCalls = {
    call(world, event, task) {
      const takesTask = events.get(event.type)?.fields.task !== undefined || event.type === 'task_exit';
      const r = route(takesTask && event.task === undefined ? { ...event, task } : event);
      if (r instanceof Misuse) throw r;
      return applyRouted(world, r, undefined);
    },
  };

  return {
    protocols,
    eventTypes,
    events,
    invariants: protocols.flatMap((p) => p.invariants),
    machines: Object.freeze(machines),
    initialWorld,
    protocolOf: (type) => byEvent.get(type),
    checkEvent(event) {
      const r = route(event);
      if (r instanceof Misuse) throw r.toError();
      return r.event;
    },
    apply(world, event, options) {
      const r = route(event);
      if (r instanceof Misuse) throw r.toError();
      try {
        return applyRouted(world, r, options?.trace);
      } catch (err) {
        throw err instanceof Misuse ? err.toError() : err;
      }
    },
    tryApply(world, event, options) {
      const r = route(event);
      if (r instanceof Misuse) return { misuse: r };
      try {
        return applyRouted(world, r, options?.trace);
      } catch (err) {
        return misuseOf(err);
      }
    },
    prepare(event) {
      const r = route(event);
      if (r instanceof Misuse) return () => ({ misuse: r });
      const p = r.protocol;
      let step: (world: World) => ApplyResult;
      if (p === undefined) step = (world) => taskExit(world, r.event, undefined);
      else {
        let decoded: unknown;
        try {
          decoded = p.decode(r.event);
        } catch (err) {
          const m = misuseOf(err);
          return () => m;
        }
        step = (world) => p.apply(world, decoded as never, undefined, calls);
      }
      return (world) => {
        try {
          return step(world);
        } catch (err) {
          return misuseOf(err);
        }
      };
    },
    fingerprint: (world, options) => hashToHex(fingerprintHash(world, options)),
    fingerprintHash,
    fingerprintMemo,
    fingerprintAt(world, text, pos, options) {
      const h = fingerprintHash(world, options);
      return laneAt(text, pos, h.hi) && laneAt(text, pos + 8, h.lo);
    },
  };
}
