import { expect } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { Kernel } from '../../src/kernel/Kernel.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import type { Event } from '../../src/world/Event.js';
import { type OutcomeJson, outcomeToJson } from '../../src/world/logFormat.js';

/** Makes one call and returns its outcome as JSON (u64 values as decimal strings). */
export function call(k: Kernel, event: Event): OutcomeJson {
  return outcomeToJson(k.callJson(event));
}

/** Makes several calls and returns the last outcome as JSON. */
export function calls(k: Kernel, events: readonly Event[]): OutcomeJson | undefined {
  let last: OutcomeJson | undefined;
  for (const e of events) last = call(k, e);
  return last;
}

/** A kernel with one context `c` and one fence `f` (context 1, seqno 1). */
export function withFence(fence = 'f'): Kernel {
  const k = new Kernel();
  k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
  k.call({ type: 'dma_fence_init', fence, ctx: 'c' });
  return k;
}

/** Makes a call that must be refused: ok false, one violation of `kind`, and the world unchanged. */
export function expectRefused(k: Kernel, event: Event, kind: string): OutcomeJson {
  const before = k.fingerprint;
  const world = k.world;
  const o = call(k, event);
  expect(o.ok).toBe(false);
  expect(o.errno).toBeUndefined();
  expect((o.violations as { kind: string }[]).map((v) => v.kind)).toEqual([kind]);
  expect(k.fingerprint).toBe(before);
  expect(fingerprint(k.world)).toBe(fingerprint(world));
  return o;
}

/**
 * Makes a call that is library misuse: it must throw a `DrmstateError` with `code` naming `field`, and
 * leave the world and the log byte-identical.
 */
export function expectMisuse(k: Kernel, event: unknown, code: DrmstateError['code'], field: string | undefined): DrmstateError {
  const world = k.world;
  const log = JSON.stringify(k.entries);
  const seq = k.seq;
  const fp = k.fingerprint;
  let caught: unknown;
  try {
    k.callJson(event);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DrmstateError);
  const err = caught as DrmstateError;
  expect(err.code).toBe(code);
  expect(err.field).toBe(field);
  if (field !== undefined) expect(err.message).toContain(`"${field}"`);
  expect(k.world).toBe(world);
  expect(k.seq).toBe(seq);
  expect(JSON.stringify(k.entries)).toBe(log);
  expect(k.fingerprint).toBe(fp);
  return err;
}

/** The kinds of an outcome's violations, in order. */
export function kinds(o: OutcomeJson): string[] {
  return ((o.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
}
