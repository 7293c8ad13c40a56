import { jsonEqual } from '../world/logFormat.js';

/**
 * Whether an outcome (in its JSON form) contains every field of `expect` with that value: arrays in
 * full and in order; `violations` compared by kind (`["lockdep"]` or `[{"kind": "lockdep"}]`).
 *
 * @example
 *   outcomeContains({ ok: true, seqno: '1' }, { ok: true }); // true
 */
export function outcomeContains(outcome: { readonly [field: string]: unknown }, expect: { readonly [field: string]: unknown }): boolean {
  for (const [k, want] of Object.entries(expect)) {
    const got = outcome[k];
    if (k === 'violations') {
      const kinds = ((got as { kind: string }[] | undefined) ?? []).map((v) => v.kind);
      const wanted = Array.isArray(want) ? want.map((v) => (typeof v === 'string' ? v : (v as { kind?: unknown }).kind)) : want;
      if (!jsonEqual(kinds, wanted)) return false;
    } else if (!jsonEqual(got, want)) return false;
  }
  return true;
}
