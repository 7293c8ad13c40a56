import { DrmstateError } from '../errors.js';
import { withTransientEdits } from '../world/HashedMap.js';
import type { LogEntry } from '../world/logFormat.js';
import { outcomeMatches, outcomeToJson } from '../world/logFormat.js';
import type { World } from '../world/World.js';
import { apply, initialWorld } from './apply.js';
import { fingerprint } from './fingerprint.js';
import { type Snapshot, readSnapshot } from './snapshot.js';

/** Where a replay first disagreed with the log. */
export interface ReplayMismatch {
  readonly seq: number;
  /** What differed: the outcome, or the fingerprint after the call. */
  readonly field: 'outcome' | 'fingerprint';
  readonly expected: unknown;
  readonly actual: unknown;
}

/** The result of a replay: the rebuilt world, or the first mismatch (with the world before it). */
export type ReplayResult =
  | { readonly ok: true; readonly world: World; readonly seq: number }
  | { readonly ok: false; readonly world: World; readonly seq: number; readonly mismatch: ReplayMismatch };

/**
 * Re-applies logged events and checks every recorded outcome and fingerprint.
 *
 * @param from Start from this snapshot instead of the initial world; entries up to its `seq` are
 *   skipped.
 * @param verify `false` rebuilds without checking (for time travel over a trusted log).
 * @throws {DrmstateError} when a logged event is itself malformed (`MALFORMED_EVENT`,
 *   `UNKNOWN_OBJECT`), located at its seq.
 * @example
 *   const r = replay(parseLog(text).entries);
 *   if (!r.ok) console.log(r.mismatch);
 */
export function replay(
  entries: Iterable<LogEntry>,
  options: { from?: Snapshot; verify?: boolean; upTo?: number } = {},
): ReplayResult {
  // Intermediate worlds are never seen by anyone: rebuild with transient (in-place) edits, as
  // immutable.js's withMutations does, and keep only the last world.
  const r = withTransientEdits(() => replayPersistent(entries, options));
  if (r.ok) return r;
  // The failing call may have edited the world before it in place: rebuild that one persistently.
  return { ...r, world: replayPersistent(entries, { ...options, upTo: r.seq, verify: false }).world };
}

function replayPersistent(
  entries: Iterable<LogEntry>,
  options: { from?: Snapshot; verify?: boolean; upTo?: number },
): ReplayResult {
  let world = options.from ? readSnapshot(options.from) : initialWorld();
  const start = options.from ? options.from.seq : 0;
  const upTo = options.upTo ?? Infinity;
  const verify = options.verify !== false;
  let seq = start;
  for (const e of entries) {
    if (e.seq <= start) continue;
    if (e.seq > upTo) break;
    let r;
    try {
      r = apply(world, e.event);
    } catch (err) {
      throw err instanceof DrmstateError ? err.at({ line: e.seq + 1 }) : err;
    }
    if (verify) {
      if (!outcomeMatches(r.outcome, e.outcome))
        return { ok: false, world, seq, mismatch: { seq: e.seq, field: 'outcome', expected: e.outcome, actual: outcomeToJson(r.outcome) } };
      const fp = fingerprint(r.world);
      if (fp !== e.fingerprint)
        return { ok: false, world, seq, mismatch: { seq: e.seq, field: 'fingerprint', expected: e.fingerprint, actual: fp } };
    }
    world = r.world;
    seq = e.seq;
  }
  return { ok: true, world, seq };
}

/**
 * The world right after call `seq` of a log (0: before the first call): time travel.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` when `seq` is beyond the log.
 */
export function worldAt(entries: readonly LogEntry[], seq: number): World {
  if (!Number.isInteger(seq) || seq < 0 || seq > entries.length)
    throw new DrmstateError('BAD_ARGUMENT', `seq ${seq} is outside the log (0..${entries.length})`);
  return replay(entries, { upTo: seq, verify: false }).world;
}
