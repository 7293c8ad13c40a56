import { DrmstateError } from '../errors.js';
import type { Event } from './Event.js';
import { toJsonValue } from './fields.js';
import type { Outcome } from './Outcome.js';

/** The format name in a log's header line. */
export const LOG_FORMAT = 'drmstate-log';
/** The log format version this library writes and reads. */
export const LOG_VERSION = 1;

/** A log's first line. */
export interface LogHeader {
  readonly format: typeof LOG_FORMAT;
  readonly version: number;
}

/** An outcome as it stands in JSON: u64 values as decimal strings, no empty `violations`. */
export type OutcomeJson = { readonly ok: boolean; readonly [field: string]: unknown };

/** One recorded call: its sequence number (from 1), the event, the outcome and the fingerprint after. */
export interface LogEntry {
  readonly seq: number;
  readonly event: Event;
  readonly outcome: OutcomeJson;
  readonly fingerprint: string;
}

/** The header line of a new log (without its newline). */
export function encodeHeader(): string {
  return JSON.stringify({ format: LOG_FORMAT, version: LOG_VERSION });
}

/**
 * Renders an outcome for JSON: bigints become decimal strings, violations keep `kind` and
 * `message`, and an empty `violations` list is left out.
 */
export function outcomeToJson(outcome: Outcome): OutcomeJson {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(outcome)) {
    const v = outcome[k];
    if (v === undefined) continue;
    if (k === 'violations') {
      const vs = v as Outcome['violations'];
      if (vs.length > 0) o[k] = vs.map((x) => ({ kind: x.kind, message: x.message }));
    } else {
      o[k] = toJsonValue(v);
    }
  }
  return o as OutcomeJson;
}

/**
 * Whether a computed outcome renders to a recorded JSON outcome, without rendering it (a replay hot
 * path): bigints equal their decimal strings, an empty `violations` equals its absence.
 */
export function outcomeMatches(outcome: Outcome, recorded: OutcomeJson): boolean {
  let n = 0;
  for (const k in outcome) {
    const v = outcome[k];
    if (v === undefined) continue;
    if (k === 'violations') {
      const vs = v as Outcome['violations'];
      if (vs.length === 0) continue;
      if (!jsonEqual(vs.map((x) => ({ kind: x.kind, message: x.message })), recorded.violations)) return false;
      n++;
      continue;
    }
    n++;
    const r = recorded[k];
    if (typeof v === 'bigint') {
      if (typeof r !== 'string' || r !== v.toString()) return false;
    } else if (typeof v === 'object' && v !== null) {
      if (!jsonEqual(toJsonValue(v), r)) return false;
    } else if (v !== r) return false;
  }
  let m = 0;
  for (const k in recorded) if (recorded[k] !== undefined) m++;
  return n === m;
}

/** Renders an event for JSON (u64 bigints as decimal strings). */
export function eventToJson(event: Event): Event {
  return toJsonValue(event) as Event;
}

/** The line of one log entry (without its newline). */
export function encodeEntry(entry: LogEntry): string {
  return JSON.stringify({ seq: entry.seq, event: entry.event, outcome: entry.outcome, fingerprint: entry.fingerprint });
}

/** A log read from text. */
export interface ParsedLog {
  readonly header: LogHeader;
  readonly entries: readonly LogEntry[];
  /** Set when the last line was torn and `repair` dropped it. */
  readonly torn?: { readonly line: number; readonly reason: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a value is 16 lowercase hex digits (checked by hand: a replay hot path). */
function isFingerprint(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 16) return false;
  for (let i = 0; i < 16; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Checks one parsed log line and returns it as an entry.
 *
 * @throws {DrmstateError} `BAD_LOG_LINE` naming the line and the field.
 */
export function readEntry(v: unknown, line: number, expectedSeq: number): LogEntry {
  if (!isObject(v)) throw new DrmstateError('BAD_LOG_LINE', 'expected a log entry object', { line });
  if (v.seq !== expectedSeq)
    throw new DrmstateError('BAD_LOG_LINE', `expected seq ${expectedSeq}, got ${JSON.stringify(v.seq)}`, { line, field: 'seq' });
  if (!isObject(v.event) || typeof v.event.type !== 'string')
    throw new DrmstateError('BAD_LOG_LINE', 'expected an event object with a string "type"', { line, field: 'event' });
  if (!isObject(v.outcome) || typeof v.outcome.ok !== 'boolean')
    throw new DrmstateError('BAD_LOG_LINE', 'expected an outcome object with a boolean "ok"', { line, field: 'outcome' });
  if (!isFingerprint(v.fingerprint))
    throw new DrmstateError('BAD_LOG_LINE', 'expected a fingerprint of 16 hex digits', { line, field: 'fingerprint' });
  return v as unknown as LogEntry;
}

function readHeader(first: string | undefined, file: string | undefined): LogHeader {
  if (first === undefined || first === '') throw new DrmstateError('BAD_LOG_LINE', 'empty log: expected a header line', { line: 1, file });
  let header: unknown;
  try {
    header = JSON.parse(first);
  } catch {
    throw new DrmstateError('BAD_LOG_LINE', 'the header is not valid JSON', { line: 1, file });
  }
  if (!isObject(header) || header.format !== LOG_FORMAT)
    throw new DrmstateError('BAD_LOG_LINE', `not a drmstate log: the header must have "format": "${LOG_FORMAT}"`, { line: 1, file, field: 'format' });
  if (header.version !== LOG_VERSION)
    throw new DrmstateError('BAD_LOG_LINE', `unsupported log version ${JSON.stringify(header.version)} (this drmstate reads ${LOG_VERSION})`, {
      line: 1,
      file,
      field: 'version',
    });
  return header as unknown as LogHeader;
}

/** A log being read lazily: the header, then its entries one at a time. */
export interface LogReader {
  readonly header: LogHeader;
  /** The entries, parsed as they are iterated (once). Throws as {@link parseLog} does. */
  readonly entries: Iterable<LogEntry>;
  /** After iteration: the torn last line that `repair` dropped, if any. */
  torn(): ParsedLog['torn'];
}

/**
 * Reads a log file's text lazily: entries are parsed while they are iterated, so a replay never
 * holds the whole parsed log (see {@link parseLog} for the rules).
 *
 * @throws {DrmstateError} `BAD_LOG_LINE` for a bad header at once; the other errors while iterating.
 */
export function readLog(text: string, options: { repair?: boolean; file?: string } = {}): LogReader {
  const file = options.file;
  const endsWithNewline = text.endsWith('\n');
  const firstEnd = text.indexOf('\n');
  const header = readHeader(firstEnd < 0 ? text : text.slice(0, firstEnd), file);
  let torn: ParsedLog['torn'];
  function* entries(): Generator<LogEntry> {
    if (firstEnd < 0) return;
    let pos = firstEnd + 1;
    let lineNo = 1;
    let count = 0;
    while (pos < text.length) {
      lineNo++;
      let end = text.indexOf('\n', pos);
      const last = end < 0 || end === text.length - 1;
      if (end < 0) end = text.length;
      const raw = text.slice(pos, end);
      pos = end + 1;
      let v: unknown;
      let reason: string | undefined;
      try {
        v = JSON.parse(raw);
      } catch {
        reason = 'bad JSON';
      }
      if (last && !endsWithNewline) reason = reason ? `${reason}, no newline` : 'no newline';
      if (reason !== undefined) {
        if (!last) throw new DrmstateError('BAD_LOG_LINE', reason, { line: lineNo, file });
        if (!options.repair)
          throw new DrmstateError(
            'TORN_LOG',
            `the last line is torn (${reason}); ${count} intact entries precede it — rerun with --repair to keep them`,
            { line: lineNo, file },
          );
        torn = { line: lineNo, reason };
        return;
      }
      let e: LogEntry;
      try {
        e = readEntry(v, lineNo, ++count);
      } catch (err) {
        throw err instanceof DrmstateError ? err.at({ file, line: lineNo }) : err;
      }
      yield e;
    }
  }
  return { header, entries: { [Symbol.iterator]: entries }, torn: () => torn };
}

/**
 * Reads a log file's text.
 *
 * A last line with no newline or bad JSON is torn (an append cut short): it is reported with its
 * line number, and with `repair` the intact prefix is kept. Any other bad line is an error; nothing
 * before it is lost.
 *
 * @throws {DrmstateError} `TORN_LOG` for a torn last line without `repair`; `BAD_LOG_LINE` for a bad
 *   header or a bad line elsewhere, naming the line and field.
 */
export function parseLog(text: string, options: { repair?: boolean; file?: string } = {}): ParsedLog {
  const r = readLog(text, options);
  const entries = [...r.entries];
  const torn = r.torn();
  return torn ? { header: r.header, entries, torn } : { header: r.header, entries };
}

/**
 * Deep equality of a computed outcome (already rendered to JSON form) and a recorded one.
 * Key order does not matter.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
