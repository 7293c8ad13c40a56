import { DrmstateError } from '../errors.js';
import type { ComposedKernel, TryApplyResult } from '../kernel/composeKernel.js';
import { KERNEL } from '../kernel/protocols.js';
import type { Event } from '../world/Event.js';
import type { Hash64 } from '../world/hash.js';
import type { Outcome } from '../world/Outcome.js';
import type { Invariant } from '../world/Protocol.js';
import type { Facts, Uptime } from '../world/Protocol.js';
import type { Violation } from '../world/Violation.js';
import { type World, withSlice } from '../world/World.js';

/** A call the kernel would not take: misuse of the library, as data. */
export interface Misuse {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** What one call did: the next world and the outcome, or the misuse that rejected it. */
export type TryResult = { readonly ok: true; readonly world: World; readonly outcome: Outcome } | { readonly ok: false; readonly misuse: Misuse };

/** A problem with an event's fields, found before any world is touched. */
export interface FieldProblem {
  readonly message: string;
  readonly field?: string;
}

/**
 * The kernel as the checker sees it: a pure step function on worlds, their fingerprints, the
 * invariants to check and the event schemas. The default is the composed drmstate kernel; tests
 * pass a kernel with extra protocols.
 */
export interface CheckKernel {
  initialWorld(): World;
  /** Applies one event; never throws for misuse of a name (it is returned as data). */
  tryApply(world: World, event: Event): TryResult;
  fingerprintHash(world: World): Hash64;
  /**
   * A fingerprint function of one search's own that may remember what it hashed (the composed
   * kernel's {@link ComposedKernel.fingerprintMemo}); it must answer as `fingerprintHash` does.
   * Without it the search calls `fingerprintHash`.
   */
  fingerprintMemo?(): (world: World) => Hash64;
  /**
   * `tryApply` of one event made ready once (routed, decoded) for many worlds; it must answer as
   * `tryApply(world, event)` does. Without it the search calls `tryApply`.
   */
  prepare?(event: Event): (world: World) => TryResult;
  readonly invariants: readonly Invariant[];
  /**
   * The invariants worth checking in `after`, reached from `before` in one step: those of the
   * protocols whose slice changed (an unchanged slice keeps the invariants it had). Every
   * invariant when `before` is undefined.
   */
  invariantsToCheck(before: World | undefined, after: World): readonly Invariant[];
  /** Whether an event type exists. */
  knows(type: string): boolean;
  /** Whether an event type takes a `task` field. */
  takesTask(type: string): boolean;
  /** A problem with a complete event (unknown field, wrong type), or undefined. */
  check(event: Event): FieldProblem | undefined;
  /** A problem with a templated event's field names (values are checked when substituted). */
  checkFields(event: Event): FieldProblem | undefined;
  /** A plain JSON view of a world (objects by name), for the trace's diffs. */
  view(world: World): unknown;
  /**
   * The objects a call may read or change, as names (namespaced by kind), for partial-order
   * reduction; `null` when it may touch anything. Per-task state (the `task` field) is not an object:
   * steps of different tasks never share it.
   */
  footprint(event: Event): readonly string[] | null;
  /**
   * The protocols' accumulated parts (`Protocol.uptime`: lockdep's graph), which the search keeps
   * one copy of across every transition and leaves out of the states; empty when none accumulates.
   */
  readonly uptimes: readonly UptimePart[];
}

/**
 * The footprint of a call: what its protocol says (`Protocol.footprint`), else every object-name
 * field but `task`, namespaced by field. A templated (`$v`) or non-string name touches anything.
 */
export function schemaFootprint(event: Event, kernel: ComposedKernel = KERNEL): readonly string[] | null {
  const p = kernel.protocolOf(event.type);
  const schema = p?.events[event.type]?.fields;
  if (p === undefined || schema === undefined) return null;
  const out: string[] = [];
  for (const [field, spec] of Object.entries(schema)) {
    if (spec.kind !== 'name' || field === 'task') continue;
    const v = event[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.startsWith('$')) return null;
    out.push(`${field}:${v}`);
  }
  return p.footprint !== undefined ? p.footprint(event) : out;
}

function problemOf(e: unknown): FieldProblem {
  if (e instanceof DrmstateError) return { message: e.detail, ...(e.field !== undefined ? { field: e.field } : {}) };
  return { message: String(e) };
}

/** Turns `[[name, record], …]` lists (how snapshots keep maps) into objects keyed by name. */
export function plainView(v: unknown): unknown {
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v as [string, unknown][]) o[k] = plainView(x);
      return o;
    }
    return v.map(plainView);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plainView(x);
    return o;
  }
  return v;
}

const NO_INVARIANTS: readonly Invariant[] = Object.freeze([]);

/** One protocol's accumulated part, read and written on whole worlds. */
export interface UptimePart {
  /** The slice's key. */
  readonly key: string;
  get(world: World): Facts;
  set(world: World, facts: Facts): World;
  /** The facts of a slice that never ran (what stored states hold). */
  readonly empty: Facts;
  /** The facts a violation rests on. */
  factsOf(violation: Violation): readonly string[];
  /** A fact's key as people read it. */
  label(key: string): string;
  /** Calls that record the fact again in a fresh run (empty: none). */
  prime(key: string): readonly Event[];
}

/** The uptime parts of a kernel's protocols. */
function uptimesOf(kernel: ComposedKernel): UptimePart[] {
  const out: UptimePart[] = [];
  for (const p of kernel.protocols) {
    const u = p.uptime as Uptime<unknown> | undefined;
    if (u === undefined) continue;
    const key = p.key as string;
    out.push({
      key,
      get: (world) => u.get((world as Record<string, unknown>)[key]),
      set: (world, facts) => {
        const slice = (world as Record<string, unknown>)[key];
        const next = u.set(slice, facts);
        return next === slice ? world : withSlice(world, key as keyof World, next as never);
      },
      empty: u.empty(),
      factsOf: (v) => u.factsOf(v),
      label: (k) => (u.label !== undefined ? u.label(k) : k),
      prime: (k) => (u.prime !== undefined ? u.prime(k) : []),
    });
  }
  return out;
}

/** The checker's form of the composed kernel's answer. */
function tryResult(r: TryApplyResult): TryResult {
  if (r.misuse !== undefined) return { ok: false, misuse: { code: r.misuse.code, message: r.misuse.message, ...(r.misuse.field !== undefined ? { field: r.misuse.field } : {}) } };
  return { ok: true, world: r.world, outcome: r.outcome };
}

/**
 * The checker's view of a composed kernel: its step function answering misuse as data, its
 * fingerprints, invariants (only those of the slices a step changed), schemas and snapshots.
 *
 * @example
 *   check(model, { kernel: checkKernelOf(composeKernel([...PROTOCOLS, myProtocol])) });
 */
export function checkKernelOf(kernel: ComposedKernel): CheckKernel {
  const schemaOf = (type: string) => kernel.events.get(type)?.fields;
  return {
    initialWorld: () => kernel.initialWorld(),
    tryApply: (world: World, event: Event): TryResult => tryResult(kernel.tryApply(world, event)),
    prepare(event: Event): (world: World) => TryResult {
      const f = kernel.prepare(event);
      return (world) => tryResult(f(world));
    },
    fingerprintHash: (world) => kernel.fingerprintHash(world),
    fingerprintMemo: () => kernel.fingerprintMemo(),
    invariants: kernel.invariants,
    invariantsToCheck(before: World | undefined, after: World): readonly Invariant[] {
      if (before === undefined) return kernel.invariants;
      // Most steps change one slice: its protocol's own list, with nothing built.
      let only: readonly Invariant[] | undefined;
      let out: Invariant[] | undefined;
      for (const p of kernel.protocols) {
        if (before[p.key] === after[p.key] || p.invariants.length === 0) continue;
        if (only === undefined) only = p.invariants;
        else (out ??= [...only]).push(...p.invariants);
      }
      return out ?? only ?? NO_INVARIANTS;
    },
    knows: (type) => kernel.events.has(type),
    takesTask: (type) => schemaOf(type)?.task !== undefined,
    check(event: Event): FieldProblem | undefined {
      try {
        const ev = kernel.checkEvent(event);
        kernel.protocolOf(ev.type)?.decode(ev);
        return undefined;
      } catch (e) {
        return problemOf(e);
      }
    },
    checkFields(event: Event): FieldProblem | undefined {
      const schema = schemaOf(event.type);
      if (schema === undefined) return { message: `unknown event type "${event.type}"`, field: 'type' };
      for (const k of Object.keys(event))
        if (k !== 'type' && !(k in schema)) return { message: `unknown field (${event.type} takes: ${Object.keys(schema).join(', ')})`, field: k };
      return undefined;
    },
    view(world: World): unknown {
      const out: Record<string, unknown> = {};
      for (const p of kernel.protocols) out[p.key] = p.view !== undefined ? p.view(world) : plainView(p.toSnapshot(world[p.key] as never));
      return out;
    },
    footprint(event: Event): readonly string[] | null {
      return schemaFootprint(event, kernel);
    },
    uptimes: uptimesOf(kernel),
  };
}

/** The drmstate kernel for the checker: every registered protocol. */
export const DEFAULT_CHECK_KERNEL: CheckKernel = checkKernelOf(KERNEL);
