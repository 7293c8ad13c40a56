import { DrmstateError } from '../errors.js';
import { EditSession } from '../world/HashedMap.js';
import type { LogEntry, ParsedLog } from '../world/logFormat.js';
import { LogLines, jsonEqual, outcomeMatches, outcomeToJson, parseLog } from '../world/logFormat.js';
import type { ApplyResult } from '../world/Protocol.js';
import { type World, editableWorld } from '../world/World.js';
import type { ComposedKernel } from './composeKernel.js';
import { KERNEL } from './protocols.js';
import { type Snapshot, readSnapshot } from './snapshot.js';

/** Where a replay first disagreed with the log. */
export interface ReplayMismatch {
  readonly seq: number;
  /** What differed: the outcome, or the fingerprint after the call. */
  readonly field: 'outcome' | 'fingerprint';
  readonly expected: unknown;
  readonly actual: unknown;
}

/** How a replay runs beside its entries. */
export interface ReplayOptions {
  /** Start from this snapshot instead of the initial world; entries up to its `seq` are skipped. */
  readonly from?: Snapshot;
  /** `false` rebuilds without checking (for time travel over a trusted log). */
  readonly verify?: boolean;
  /** Stop after this seq. */
  readonly upTo?: number;
  /** The log format version the entries' fingerprints are of (default: the current one). */
  readonly fingerprintVersion?: 1 | 2;
  /** The kernel to replay on (default: the one composed from every registered protocol). */
  readonly kernel?: ComposedKernel;
  /**
   * Start from this world instead of the initial one (one that registered the functions the log
   * names, such as colour-adjust functions); ignored with `from`.
   */
  readonly world?: World;
}

/** The result of a replay: the rebuilt world, or the first mismatch (with the world before it). */
export type ReplayResult =
  | { readonly ok: true; readonly world: World; readonly seq: number }
  | { readonly ok: false; readonly world: World; readonly seq: number; readonly mismatch: ReplayMismatch };

/**
 * Re-applies logged events and checks every recorded outcome and fingerprint.
 *
 * @param options See {@link ReplayOptions}.
 * @throws {DrmstateError} when a logged event is itself malformed (`MALFORMED_EVENT`,
 *   `UNKNOWN_OBJECT`), located at its seq.
 * @example
 *   const r = replay(parseLog(text).entries);
 *   if (!r.ok) console.log(r.mismatch);
 */
export function replay(entries: Iterable<LogEntry>, options: ReplayOptions = {}): ReplayResult {
  // Intermediate worlds are never seen by anyone: rebuild with transient (in-place) edits, as
  // immutable.js's withMutations does, and keep only the last world.
  const session = new EditSession();
  let r: ReplayResult;
  try {
    r = replayPersistent(entries, options, session);
  } finally {
    session.close();
  }
  if (r.ok) return r;
  // The failing call may have edited the world before it in place: rebuild that one persistently.
  return { ...r, world: replayPersistent(entries, { ...options, upTo: r.seq, verify: false }).world };
}

/**
 * Replays entries from the initial world (or a snapshot); with `session`, the replay owns its
 * worlds and edits them in place (only the last one is kept).
 */
function replayPersistent(entries: Iterable<LogEntry>, options: ReplayOptions, session?: EditSession): ReplayResult {
  const kernel = options.kernel ?? KERNEL;
  const fp = { version: options.fingerprintVersion ?? 2 } as const;
  let world = startWorld(options, session);
  const start = options.from ? options.from.seq : 0;
  const upTo = options.upTo ?? Infinity;
  const verify = options.verify !== false;
  let seq = start;
  for (const e of entries) {
    if (e.seq <= start) continue;
    if (e.seq > upTo) break;
    let r;
    try {
      r = kernel.apply(world, e.event);
    } catch (err) {
      throw err instanceof DrmstateError ? err.at({ line: e.seq + 1 }) : err;
    }
    if (verify) {
      const mismatch = mismatchOf(r, e, kernel.fingerprint(r.world, fp));
      if (mismatch !== undefined) return { ok: false, world, seq, mismatch };
    }
    world = r.world;
    seq = e.seq;
  }
  return { ok: true, world, seq };
}

/** The world a replay starts from; owned by `session` when one is given. */
function startWorld(options: ReplayOptions, session: EditSession | undefined): World {
  const kernel = options.kernel ?? KERNEL;
  const world = options.from ? readSnapshot(options.from, kernel) : (options.world ?? kernel.initialWorld());
  return session === undefined ? world : editableWorld(world, session);
}

/** Where a call's result disagrees with its recorded entry, if it does. */
function mismatchOf(r: ApplyResult, e: LogEntry, fp: string): ReplayMismatch | undefined {
  if (!outcomeMatches(r.outcome, e.outcome)) return { seq: e.seq, field: 'outcome', expected: e.outcome, actual: outcomeToJson(r.outcome) };
  if (fp !== e.fingerprint) return { seq: e.seq, field: 'fingerprint', expected: e.fingerprint, actual: fp };
  return undefined;
}

/** The result of {@link replayLog}: a replay's, with how many entries were read and any torn line dropped. */
export type LogReplayResult = ReplayResult & {
  /** Entry lines read (with a mismatch: up to and including the one that differs). */
  readonly entries: number;
  /** The torn last line that `repair` dropped, if any. */
  readonly torn?: ParsedLog['torn'];
};

/**
 * Replays a log straight from its text: {@link readLog} and {@link replay} in one pass, with the
 * same checks, errors and result, and faster.
 *
 * The fast path: a line as this library writes it (`{"seq":N,"event":{…},"outcome":…}`) has only
 * its event parsed; the rest of the line must then be, character for character, the outcome and
 * fingerprint the replay computed, rendered as the writer renders them. Any other line (hand
 * edited, reordered keys, a difference) is read and compared in full, so the answer never depends
 * on which path a line took.
 *
 * @throws {DrmstateError} as {@link parseLog} does for a bad or torn line, and as {@link replay}
 *   does for a malformed event, located at the line.
 * @example
 *   const r = replayLog(readFileSync('run.ndjson', 'utf8'), { repair: true });
 *   if (r.ok) console.log(`${r.entries} calls, fingerprint ${fingerprint(r.world)}`);
 */
export function replayLog(
  text: string,
  options: { repair?: boolean; file?: string; from?: Snapshot; kernel?: ComposedKernel; world?: World } = {},
): LogReplayResult {
  let r: LogReplayResult;
  try {
    const session = new EditSession();
    try {
      r = replayLines(new LogLines(text, options), options, session);
    } finally {
      session.close();
    }
  } catch (err) {
    if (err !== REREAD) throw err;
    // A line the fast path misread: answer as the full read does, whatever it is.
    const parsed = parseLog(text, options);
    const full = replay(parsed.entries, { from: options.from, kernel: options.kernel, world: options.world, fingerprintVersion: parsed.header.version });
    const entries = full.ok ? parsed.entries.length : full.mismatch.seq;
    return parsed.torn ? { ...full, entries, torn: parsed.torn } : { ...full, entries };
  }
  if (r.ok) return r;
  return { ...r, world: replayLines(new LogLines(text, options), { ...options, upTo: r.seq, verify: false }).world };
}

function replayLines(lines: LogLines, options: ReplayOptions & { file?: string }, session?: EditSession): LogReplayResult {
  const kernel = options.kernel ?? KERNEL;
  const fp = { version: lines.header.version } as const;
  let world = startWorld(options, session);
  const start = options.from ? options.from.seq : 0;
  const upTo = options.upTo ?? Infinity;
  const verify = options.verify !== false;
  let seq = start;
  for (let raw = lines.nextLine(); raw !== undefined; raw = lines.nextLine()) {
    const n = lines.count + 1;
    if (n > upTo) break;
    let entry: LogEntry | undefined;
    // A rebuild that does not verify still checks every line in full.
    let event = verify && n > start ? lines.canonicalEvent(raw) : undefined;
    if (event === undefined) {
      entry = lines.entry(raw);
      if (entry === undefined) break;
      if (n <= start) continue;
      event = entry.event;
    }
    let r: ApplyResult;
    try {
      r = kernel.apply(world, event);
    } catch (err) {
      // As with a full read, a bad line — this one or any later one — is reported before a bad event.
      const line = lines.line;
      if (entry === undefined) lines.check(raw, n);
      readRest(lines);
      throw err instanceof DrmstateError ? err.at({ file: options.file, line }) : err;
    }
    if (verify) {
      const w = r.world;
      if (entry !== undefined || !lines.tailIs(raw, r.outcome, (text, pos) => kernel.fingerprintAt(w, text, pos, fp))) {
        entry ??= fullEntry(lines, raw, n, event);
        const mismatch = mismatchOf(r, entry, kernel.fingerprint(w, fp));
        if (mismatch !== undefined) {
          const entries = lines.count;
          readRest(lines);
          return lines.torn ? { ok: false, world, seq, mismatch, entries, torn: lines.torn } : { ok: false, world, seq, mismatch, entries };
        }
      }
    }
    world = r.world;
    seq = n;
  }
  return lines.torn ? { ok: true, world, seq, entries: lines.count, torn: lines.torn } : { ok: true, world, seq, entries: lines.count };
}

/**
 * Reads every remaining line in full, as {@link parseLog} would before any replay: a bad or torn
 * line later in the log is reported before a difference or a bad event earlier in it.
 */
function readRest(lines: LogLines): void {
  for (let raw = lines.nextLine(); raw !== undefined; raw = lines.nextLine()) if (lines.entry(raw) === undefined) return;
}

/** Thrown when the fast path applied another event than a full read of the line finds. */
const REREAD: unique symbol = Symbol('reread the log in full');

/**
 * Reads in full a line whose event the fast path applied. When the full read finds another event
 * (a line with two "event" keys, the last one after the outcome), the whole log is read again the
 * full way (see {@link replayLog}).
 */
function fullEntry(lines: LogLines, raw: string, seq: number, applied: unknown): LogEntry {
  // Never undefined: the fast path does not take a last line, the only one that can be torn.
  const e = lines.check(raw, seq) as LogEntry;
  if (!jsonEqual(e.event, applied)) throw REREAD;
  return e;
}

/**
 * The world right after call `seq` of a log (0: before the first call): time travel.
 *
 * @throws {DrmstateError} `BAD_ARGUMENT` when `seq` is beyond the log.
 */
export function worldAt(entries: readonly LogEntry[], seq: number, options: { kernel?: ComposedKernel } = {}): World {
  if (!Number.isInteger(seq) || seq < 0 || seq > entries.length)
    throw new DrmstateError('BAD_ARGUMENT', `seq ${seq} is outside the log (0..${entries.length})`);
  return replay(entries, { upTo: seq, verify: false, kernel: options.kernel }).world;
}
