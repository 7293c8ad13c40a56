import { DrmstateError } from '../errors.js';
import type { Event } from './Event.js';

/** Largest u64. */
export const U64_MAX = (1n << 64n) - 1n;

/** One shared bigint per small value (bigints are values: sharing them is unobservable). */
const SMALL_U64: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/**
 * Whether `s` is a decimal number without leading zeros (`0`, `17`), as the model writes u64
 * values it keeps as strings. A loop, not a regular expression: invariants check it on every world.
 */
export function isDecimal(s: string): boolean {
  const n = s.length;
  if (n === 0 || (n > 1 && s.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** One shared bigint per power of two below 2^53 (alignments, range ends and sizes repeat them). */
const POW2_U64: readonly bigint[] = Array.from({ length: 53 }, (_, i) => 1n << BigInt(i));

/** `BigInt(x)` for a safe non-negative integer: the shared one for a power of two. */
function sharedU64(x: number): bigint {
  const l = Math.log2(x);
  // log2 rounds (2^50 - 1 gives 50): the power itself must be x.
  return Number.isInteger(l) && l < POW2_U64.length && 2 ** l === x ? (POW2_U64[l] as bigint) : BigInt(x);
}

/**
 * How one event field is read.
 *
 * - `name`: an object name, any non-empty string (`__proto__` included);
 * - `u64`: a decimal string, a bigint, or a non-negative JSON number below 2^53, read as a bigint;
 * - `int`: an integer of magnitude below 2^53 (`error`, `timeout`);
 * - `bool`: true or false;
 * - `enum`: one of `values`;
 * - `json`: any value, checked by `check` (which returns an error sentence or undefined).
 */
export type FieldSpec =
  | { readonly kind: 'name' | 'u64' | 'int' | 'bool'; readonly optional?: boolean; readonly doc?: string }
  | { readonly kind: 'enum'; readonly values: readonly string[]; readonly optional?: boolean; readonly doc?: string }
  | {
      readonly kind: 'json';
      readonly check: (v: unknown) => string | undefined;
      readonly optional?: boolean;
      readonly doc?: string;
    };

/** The fields of one event type, in the order of the C parameters. */
export type EventSchema = { readonly [field: string]: FieldSpec };

function malformed(type: string, field: string, what: string): DrmstateError {
  return new DrmstateError('MALFORMED_EVENT', `${type}: ${what}`, { field });
}

/**
 * Reads a u64 from a decimal string, a bigint, or a JSON number below 2^53.
 *
 * JSON numbers of 2^53 and above are refused: `JSON.parse` rounds them before drmstate sees them
 * (18446744073709551615 reads as 18446744073709552000), so the value written is lost. Write such
 * values as decimal strings.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT`: "out of range" for an integer outside 0 ..= 2^64 - 1
 *   (or a JSON number of 2^53 or more), "expected a u64" for anything that is not an integer.
 */
export function readU64(type: string, field: string, v: unknown): bigint {
  let b: bigint;
  if (typeof v === 'string') {
    // Hot path (every u64 of every logged call): up to 15 decimal digits is below 2^53, so the
    // digits are read as a double exactly, and small values share one bigint.
    const n = v.length;
    if (n > 0 && n <= 15) {
      let x = 0;
      let i = 0;
      for (; i < n; i++) {
        const d = v.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        x = x * 10 + d;
      }
      if (i === n) return x < SMALL_U64.length ? (SMALL_U64[x] as bigint) : sharedU64(x);
    }
  }
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) b = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) {
    if (Number.isSafeInteger(v)) b = BigInt(v);
    else if (v < 0) throw malformed(type, field, `${v} is out of range for a u64 (0 to 2^64 - 1)`);
    else
      throw malformed(
        type,
        field,
        `the JSON number ${BigInt(v)} is out of range: a JSON number of 2^53 or more loses digits when it is read, so write this u64 as a decimal string (in quotes)`,
      );
  } else throw malformed(type, field, `expected a u64 (a decimal string such as "4096"), got ${JSON.stringify(describe(v))}`);
  if (b < 0n || b > U64_MAX) throw malformed(type, field, `${b} is out of range for a u64 (0 to 2^64 - 1)`);
  return b;
}

function describe(v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v === undefined ? 'nothing' : v;
}

/**
 * Checks an event against its schema and returns its fields read: u64 fields as bigints. The
 * result may be the event itself (when it has no u64 field): callers never change it.
 *
 * @throws {DrmstateError} `MALFORMED_EVENT` naming the field that is missing, unknown or of the
 *   wrong type.
 */
export function decodeFields<T>(event: Event, schema: EventSchema): T {
  let present = 0;
  // The copy that carries the u64 fields as bigints, made at the first u64 field (with the fields
  // before it): an event without one reads as itself.
  let out: Record<string, unknown> | undefined;
  for (const field in schema) {
    const spec = schema[field] as FieldSpec;
    // Schema fields are never Object.prototype's names, so a plain read finds only own fields.
    const v = (event as Record<string, unknown>)[field];
    if (v === undefined) {
      if (spec.optional) continue;
      throw malformed(event.type, field, 'missing field');
    }
    present++;
    switch (spec.kind) {
      case 'name':
        if (typeof v !== 'string' || v.length === 0)
          throw malformed(event.type, field, `expected an object name (a non-empty string), got ${JSON.stringify(describe(v))}`);
        break;
      case 'u64': {
        const b = readU64(event.type, field, v);
        if (out === undefined) out = copyBefore(event, schema, field);
        out[field] = b;
        continue;
      }
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v))
          throw malformed(event.type, field, `expected an integer, got ${JSON.stringify(describe(v))}`);
        if (!Number.isSafeInteger(v)) throw malformed(event.type, field, `${v} is out of range (integers must be of magnitude below 2^53)`);
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw malformed(event.type, field, `expected true or false, got ${JSON.stringify(describe(v))}`);
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v))
          throw malformed(event.type, field, `expected one of ${spec.values.join(', ')}, got ${JSON.stringify(describe(v))}`);
        break;
      case 'json': {
        const err = spec.check(v);
        if (err !== undefined) throw malformed(event.type, field, err);
        break;
      }
    }
    if (out !== undefined) out[field] = v;
  }
  // Only when the event has more own fields than the schema matched is there an unknown one to name.
  if (Object.keys(event).length !== present + 1) {
    for (const key of Object.keys(event)) {
      if (key !== 'type' && !Object.prototype.hasOwnProperty.call(schema, key)) {
        const known = Object.keys(schema).join(', ');
        throw malformed(event.type, key, `unknown field (${event.type} takes: ${known || 'no fields'})`);
      }
    }
  }
  // Every field checked: an event with no u64 reads as itself (a replay hot path); otherwise the
  // copy carries the u64s as bigints, its fields in schema order.
  return (out ?? event) as T;
}

/** `{ type }` and the event's fields that the schema lists before `field`, in schema order. */
function copyBefore(event: Event, schema: EventSchema, field: string): Record<string, unknown> {
  const out: Record<string, unknown> = { type: event.type };
  for (const f in schema) {
    if (f === field) break;
    const v = (event as Record<string, unknown>)[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** Converts a value for JSON: bigints become decimal strings. */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined) continue;
      // An own "__proto__" member stays a member (an assignment would set the copy's prototype).
      if (k === '__proto__') Object.defineProperty(o, k, { value: toJsonValue(x), enumerable: true, writable: true, configurable: true });
      else o[k] = toJsonValue(x);
    }
    return o;
  }
  return v;
}

/** The TypeScript type of a field read by {@link decodeFields} (u64 fields are bigints once read). */
export type FieldValue<S extends FieldSpec> = S extends { readonly kind: 'u64' }
  ? bigint
  : S extends { readonly kind: 'int' }
    ? number
    : S extends { readonly kind: 'bool' }
      ? boolean
      : S extends { readonly kind: 'enum'; readonly values: readonly (infer V)[] }
        ? V
        : S extends { readonly kind: 'name' }
          ? string
          : unknown;

type OptionalKeys<S extends EventSchema> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends EventSchema> = Exclude<keyof S, OptionalKeys<S>>;

/**
 * The decoded event type of one schema, inferred so that types and schemas cannot drift:
 * `DecodedEvent<'dma_fence_put', { fence: { kind: 'name' } }>` is `{ type: 'dma_fence_put'; fence: string }`.
 */
export type DecodedEvent<T extends string, S extends EventSchema> = { readonly type: T } & {
  readonly [K in RequiredKeys<S>]: FieldValue<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: FieldValue<S[K]> };

/** Every decoded event of a table of event definitions (`{ [type]: { fields } }`), as a union. */
export type DecodedEvents<D extends { readonly [type: string]: { readonly fields: EventSchema } }> = {
  [T in keyof D & string]: DecodedEvent<T, D[T]['fields']>;
}[keyof D & string];

/**
 * How a caller writes a u64 field: a decimal string (as JSON has it) or a bigint. (Events read from
 * JSON may also give a number below 2^53; typed callers use a string or a bigint.)
 */
export type U64Input = string | bigint;

/** The TypeScript type a caller gives for a field (u64 fields as {@link U64Input}). */
export type FieldInput<S extends FieldSpec> = S extends { readonly kind: 'u64' } ? U64Input : FieldValue<S>;

/**
 * The event a caller writes for one schema, inferred from it: like {@link DecodedEvent} but with
 * u64 fields as {@link U64Input}.
 */
export type InputEvent<T extends string, S extends EventSchema> = { readonly type: T } & {
  readonly [K in RequiredKeys<S>]: FieldInput<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: FieldInput<S[K]> };

/** Every input event of a table of event definitions (`{ [type]: { fields } }`), as a union. */
export type InputEvents<D extends { readonly [type: string]: { readonly fields: EventSchema } }> = {
  [T in keyof D & string]: InputEvent<T, D[T]['fields']>;
}[keyof D & string];

/**
 * The input form of a decoded event union: every bigint field becomes a {@link U64Input}, the
 * rest is unchanged. `EventInput<DmaFenceEvent>` is what `Kernel.call` takes for dma_fence.
 */
export type EventInput<E> = E extends unknown
  ? { readonly [K in keyof E]: [Exclude<E[K], undefined>] extends [bigint] ? U64Input | Extract<E[K], undefined> : E[K] }
  : never;
