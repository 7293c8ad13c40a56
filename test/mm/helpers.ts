import { expect } from 'vitest';
import { Kernel } from '../../src/kernel/Kernel.js';
import type { Event } from '../../src/world/Event.js';
import { type OutcomeJson, outcomeToJson } from '../../src/world/logFormat.js';

/** Makes one call and returns its outcome as JSON (u64 values as decimal strings). */
export function call(k: Kernel, event: Event): OutcomeJson {
  return outcomeToJson(k.callJson(event));
}

/** The violation kinds of an outcome. */
export function kinds(o: OutcomeJson): string[] {
  return ((o.violations as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
}

/** The violation messages of an outcome. */
export function messages(o: OutcomeJson): string[] {
  return ((o.violations as { message: string }[] | undefined) ?? []).map((v) => v.message);
}

/** A kernel with mm `m`, the current->mm of task `t` (mmap_base given or the default). */
export function withMm(mmapBase?: string): Kernel {
  const k = new Kernel();
  k.callJson({ type: 'mm_alloc', mm: 'm', task: 't', ...(mmapBase === undefined ? {} : { mmap_base: mmapBase }) });
  return k;
}

/** Makes a call that must be refused: ok false, one violation of `kind`, and the world unchanged. */
export function expectRefused(k: Kernel, event: Event, kind: string): OutcomeJson {
  const before = k.fingerprint;
  const o = call(k, event);
  expect(o.ok).toBe(false);
  expect(o.errno).toBeUndefined();
  expect(kinds(o)).toEqual([kind]);
  expect(k.fingerprint).toBe(before);
  return o;
}

/** `vm_mmap` of an anonymous private mapping. */
export function mmap(k: Kernel, vma: string, len: number | string, extra: { addr?: string | number; flags?: string; mm?: string } = {}): OutcomeJson {
  return call(k, {
    type: 'vm_mmap',
    mm: extra.mm ?? 'm',
    task: 't',
    vma,
    len: String(len),
    flags: extra.flags ?? 'MAP_PRIVATE|MAP_ANONYMOUS',
    ...(extra.addr === undefined ? {} : { addr: String(extra.addr) }),
  });
}
