import { describe, expect, it } from 'vitest';
import type { DecodedEvents, EventInput, InputEvents } from '../../src/world/fields.js';

// Compile-time checks (`npm run typecheck` fails when a @ts-expect-error line compiles).
const DEFS = {
  put: { fields: { fence: { kind: 'name' } } },
  init: { fields: { fence: { kind: 'name' }, seqno: { kind: 'u64', optional: true }, mode: { kind: 'enum', values: ['low', 'high'] } } },
} as const;

type In = InputEvents<typeof DEFS>;
type Out = DecodedEvents<typeof DEFS>;

const accepted: In[] = [
  { type: 'put', fence: 'f' },
  { type: 'init', fence: 'f', mode: 'low' },
  { type: 'init', fence: 'f', seqno: '18446744073709551615', mode: 'high' },
  { type: 'init', fence: 'f', seqno: 7n, mode: 'high' },
];

// @ts-expect-error An event type the table does not have.
const misspelt: In = { type: 'putt', fence: 'f' };
// @ts-expect-error A required field missing.
const missing: In = { type: 'init', fence: 'f' };
// @ts-expect-error A value outside the enum.
const badEnum: In = { type: 'init', fence: 'f', mode: 'middle' };
// @ts-expect-error A u64 as a number: typed inputs are decimal strings or bigints.
const numberU64: In = { type: 'init', fence: 'f', mode: 'low', seqno: 7 };
// @ts-expect-error Decoded u64 fields are bigints, never strings.
const decodedString: Out = { type: 'init', fence: 'f', mode: 'low', seqno: '7' };

type FromDecoded = EventInput<{ type: 'a'; size: bigint; name: string } | { type: 'b'; start?: bigint }>;
const fromDecoded: FromDecoded[] = [
  { type: 'a', size: '1', name: 'x' },
  { type: 'a', size: 1n, name: 'x' },
  { type: 'b' },
];
// @ts-expect-error EventInput keeps non-u64 fields as they are.
const wrongName: FromDecoded = { type: 'a', size: 1n, name: 3 };

describe('InputEvents and EventInput', () => {
  it('type events as callers write them (checked by the type checker)', () => {
    expect([accepted, misspelt, missing, badEnum, numberU64, decodedString, fromDecoded, wrongName].length).toBe(8);
  });
});
