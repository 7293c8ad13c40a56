import { DrmstateError } from '../errors.js';
import { DRMSTATE_VERSION } from '../version.js';
import type { Event } from './Event.js';
import { toJsonValue } from './fields.js';
import { jsonTextAt, membersAt, sameAt } from './jsonText.js';
import type { Outcome } from './Outcome.js';

/** The format name in a log's header line. */
export const LOG_FORMAT = 'drmstate-log';
/**
 * The log format version this library writes. Version 2 fingerprints count the nested signalling
 * begins of each task; version 1 logs (which did not) are still read and replayed with the
 * version-1 fingerprint.
 */
export const LOG_VERSION = 2;

/** The log format versions this library reads. */
export const LOG_VERSIONS_READ: readonly number[] = [1, 2];

/** A log's first line. */
export interface LogHeader {
  readonly format: typeof LOG_FORMAT;
  /** The format version (1 or 2): which fingerprint the entries carry. */
  readonly version: 1 | 2;
  /** The drmstate version that wrote the log (absent in version 1). */
  readonly drmstate?: string;
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
  return JSON.stringify({ format: LOG_FORMAT, version: LOG_VERSION, drmstate: DRMSTATE_VERSION });
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
      // Violations match by kind, in order: messages are the model's own prose and may be reworded
      // (naming more objects) without changing what the kernel answered.
      const rv = recorded.violations;
      if (!Array.isArray(rv) || rv.length !== vs.length) return false;
      for (let i = 0; i < vs.length; i++) if ((rv[i] as { kind?: unknown } | null)?.kind !== (vs[i] as Outcome['violations'][number]).kind) return false;
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

/**
 * Where an outcome's text ends if it stands in `text` at `pos` exactly as {@link encodeEntry}
 * writes it (`JSON.stringify(outcomeToJson(outcome))`), else -1; nothing is rendered.
 */
export function outcomeTextAt(text: string, pos: number, outcome: Outcome): number {
  return membersAt(text, pos, outcome, outcomeMemberAt, leftOutOfOutcome);
}

function leftOutOfOutcome(v: unknown, k: string): boolean {
  return v === undefined || (k === 'violations' && (v as Outcome['violations']).length === 0);
}

function outcomeMemberAt(text: string, pos: number, v: unknown, k: string): number {
  if (k !== 'violations') return jsonTextAt(text, pos, v);
  return jsonTextAt(text, pos, (v as Outcome['violations']).map((x) => ({ kind: x.kind, message: x.message })));
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
  if (!LOG_VERSIONS_READ.includes(header.version as number))
    throw new DrmstateError('BAD_LOG_LINE', `unsupported log version ${JSON.stringify(header.version)} (this drmstate reads ${LOG_VERSIONS_READ.join(' and ')})`, {
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

const OUTCOME_KEY = ',"outcome":';
const FINGERPRINT_KEY = ',"fingerprint":"';

/**
 * A cursor over the entry lines of a log's text: it hands out one raw line at a time and reads it
 * fully ({@link LogLines.entry}, the rules of {@link parseLog}) or, for a replay, only its event
 * ({@link LogLines.canonicalEvent}). Not exported from the package: {@link readLog} and
 * `replayLog` are its users.
 */
export class LogLines {
  readonly header: LogHeader;
  /** The line number of the line last handed out (the header is line 1). */
  line = 1;
  /** Whether the line last handed out is the text's last line. */
  last = false;
  /** The entries read so far (the seq the next entry must carry, less one). */
  count = 0;
  /** The torn last line that `repair` dropped, once reached. */
  torn: ParsedLog['torn'];
  /** After {@link LogLines.canonicalEvent}: where `,"outcome":` starts in the line. */
  outcomeAt = 0;
  private pos: number;
  private readonly endsWithNewline: boolean;

  /** @throws {DrmstateError} `BAD_LOG_LINE` for a bad header. */
  constructor(
    private readonly text: string,
    private readonly options: { repair?: boolean; file?: string } = {},
  ) {
    this.endsWithNewline = text.endsWith('\n');
    const firstEnd = text.indexOf('\n');
    this.header = readHeader(firstEnd < 0 ? text : text.slice(0, firstEnd), options.file);
    this.pos = firstEnd < 0 ? text.length : firstEnd + 1;
  }

  /** The next line's raw text, or undefined at the end of the text (or after a torn line). */
  nextLine(): string | undefined {
    const text = this.text;
    if (this.pos >= text.length || this.torn !== undefined) return undefined;
    this.line++;
    let end = text.indexOf('\n', this.pos);
    this.last = end < 0 || end === text.length - 1;
    if (end < 0) end = text.length;
    const raw = text.slice(this.pos, end);
    this.pos = end + 1;
    return raw;
  }

  /**
   * Reads the current line as an entry, checking every field, and counts it.
   *
   * @returns undefined when it is a torn last line that `repair` drops (see {@link LogLines.torn}).
   * @throws {DrmstateError} `BAD_LOG_LINE` or `TORN_LOG`, naming the line.
   */
  entry(raw: string): LogEntry | undefined {
    const e = this.check(raw, this.count + 1);
    if (e !== undefined) this.count++;
    return e;
  }

  /**
   * Checks the current line as the entry of `seq` without counting it (a replay whose fast path
   * already counted it calls this when the line's tail is not what it expected).
   */
  check(raw: string, seq: number): LogEntry | undefined {
    const { file, repair } = this.options;
    let v: unknown;
    let reason: string | undefined;
    try {
      v = JSON.parse(raw);
    } catch {
      reason = 'bad JSON';
    }
    if (this.last && !this.endsWithNewline) reason = reason ? `${reason}, no newline` : 'no newline';
    if (reason !== undefined) {
      if (!this.last) throw new DrmstateError('BAD_LOG_LINE', reason, { line: this.line, file });
      if (!repair)
        throw new DrmstateError(
          'TORN_LOG',
          `the last line is torn (${reason}); ${seq - 1} intact entries precede it — rerun with --repair to keep them`,
          { line: this.line, file },
        );
      this.torn = { line: this.line, reason };
      return undefined;
    }
    try {
      return readEntry(v, this.line, seq);
    } catch (err) {
      throw err instanceof DrmstateError ? err.at({ file, line: this.line }) : err;
    }
  }

  /**
   * The event of the current line, parsed alone, when the line is not the last one and starts as
   * this library writes entries: `{"seq":N,"event":{…},"outcome":…` with N the next seq. Counts the
   * line and sets {@link LogLines.outcomeAt}. Otherwise undefined, and nothing is counted: read the
   * line with {@link LogLines.entry}.
   *
   * Sound because a proper prefix of a JSON object is never a whole JSON object: when the text up to
   * the first `,"outcome":` parses as an object, it is the event.
   */
  canonicalEvent(raw: string): unknown {
    if (this.last || !sameAt(raw, 0, '{"seq":')) return undefined;
    const seq = this.count + 1;
    let p = 7;
    let n = 0;
    for (let c = raw.charCodeAt(p); c >= 48 && c <= 57 && p < 24; c = raw.charCodeAt(++p)) n = n * 10 + (c - 48);
    if (n !== seq || raw.charCodeAt(7) === 48 || !sameAt(raw, p, ',"event":{')) return undefined;
    const at = raw.indexOf(OUTCOME_KEY, p + 9);
    if (at < 0) return undefined;
    let event: unknown;
    try {
      event = JSON.parse(raw.slice(p + 9, at));
    } catch {
      return undefined;
    }
    this.outcomeAt = at;
    this.count = seq;
    return event;
  }

  /**
   * Whether the current line, after the event {@link LogLines.canonicalEvent} read, is exactly
   * `,"outcome":OUTCOME,"fingerprint":"FP"}` with OUTCOME the text of `outcome` and FP digits
   * that `fingerprintAt` accepts.
   */
  tailIs(raw: string, outcome: Outcome, fingerprintAt: (raw: string, pos: number) => boolean): boolean {
    const f = outcomeTextAt(raw, this.outcomeAt + OUTCOME_KEY.length, outcome);
    const d = f + FINGERPRINT_KEY.length;
    return f >= 0 && raw.length === d + 18 && sameAt(raw, f, FINGERPRINT_KEY) && fingerprintAt(raw, d) && sameAt(raw, d + 16, '"}');
  }
}

/**
 * Reads a log file's text lazily: entries are parsed while they are iterated, so a replay never
 * holds the whole parsed log (see {@link parseLog} for the rules).
 *
 * @throws {DrmstateError} `BAD_LOG_LINE` for a bad header at once; the other errors while iterating.
 */
export function readLog(text: string, options: { repair?: boolean; file?: string } = {}): LogReader {
  const lines = new LogLines(text, options);
  function* entries(): Generator<LogEntry> {
    for (let raw = lines.nextLine(); raw !== undefined; raw = lines.nextLine()) {
      const e = lines.entry(raw);
      if (e === undefined) return;
      yield e;
    }
  }
  return { header: lines.header, entries: { [Symbol.iterator]: entries }, torn: () => lines.torn };
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
/**
 * Whether two outcomes in JSON form are the same answer: fields deeply equal, violations compared
 * by kind only (their messages are the model's own prose), as replay and the conformance samples
 * compare them.
 */
export function sameOutcomeJson(a: OutcomeJson, b: OutcomeJson): boolean {
  const byKind = (o: OutcomeJson): OutcomeJson => {
    const vs = o.violations as { kind: string }[] | undefined;
    return vs === undefined ? o : { ...o, violations: vs.map((v) => v.kind) };
  };
  return jsonEqual(byKind(a), byKind(b));
}

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
