/**
 * Codes of {@link DrmstateError}: each names one way the library itself was misused.
 *
 * - `MALFORMED_EVENT`: an event is not an object, has an unknown `type`, or a field is missing or of
 *   the wrong type.
 * - `UNKNOWN_OBJECT`: an event names an object that was never created.
 * - `BAD_LOG_LINE`: a log or scenario line is not valid JSON or not of the log format.
 * - `TORN_LOG`: a log's last line is incomplete (no newline or bad JSON) and `repair` was not asked.
 * - `BAD_SNAPSHOT`: a snapshot cannot be read back.
 * - `BAD_ARGUMENT`: a function or command was called with an argument it cannot take (a file that
 *   cannot be read or written, a flag without its value).
 * - `CLOSED`: a call on a `Kernel` after its `close()`.
 * - `BAD_MODEL`: a model file (`*.model.json`) is not JSON, not of the model format, or names an
 *   unknown event, field or variable.
 */
export type DrmstateErrorCode =
  | 'MALFORMED_EVENT'
  | 'UNKNOWN_OBJECT'
  | 'BAD_LOG_LINE'
  | 'TORN_LOG'
  | 'BAD_SNAPSHOT'
  | 'BAD_ARGUMENT'
  | 'CLOSED'
  | 'BAD_MODEL';

/** Where in a file a problem was found. */
export interface ErrorLocation {
  /** 1-based line number in the file. */
  readonly line?: number;
  /** The event or log field at fault. */
  readonly field?: string;
  /** The file. */
  readonly file?: string;
}

/**
 * The one error class drmstate throws: misuse of the library (never a kernel finding).
 *
 * Kernel problems (WARN, BUG, use-after-free, …) are never thrown; they are `violations` on an
 * outcome. A rejected call leaves the world and the log exactly as they were.
 *
 * @example
 *   try {
 *     kernel.callJson({ type: 'dma_fence_signal' }); // no "fence": malformed
 *   } catch (e) {
 *     if (e instanceof DrmstateError && e.code === 'MALFORMED_EVENT') console.error(e.message);
 *   }
 */
export class DrmstateError extends Error {
  override readonly name = 'DrmstateError';
  readonly code: DrmstateErrorCode;
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly file: string | undefined;
  /** The message without its location prefix. */
  readonly detail: string;

  constructor(code: DrmstateErrorCode, message: string, where: ErrorLocation = {}) {
    const prefix = [
      where.file,
      where.line !== undefined ? `line ${where.line}` : undefined,
      where.field !== undefined ? `field "${where.field}"` : undefined,
    ]
      .filter((p) => p !== undefined)
      .join(', ');
    super(prefix ? `${prefix}: ${message}` : message);
    this.detail = message;
    this.code = code;
    this.line = where.line;
    this.field = where.field;
    this.file = where.file;
  }

  /** Returns a copy of this error located at a line (and file) of an input. */
  at(where: ErrorLocation): DrmstateError {
    return new DrmstateError(this.code, this.detail, {
      file: where.file ?? this.file,
      line: where.line ?? this.line,
      field: where.field ?? this.field,
    });
  }
}

/**
 * The error for a file that cannot be opened, read or written: `BAD_ARGUMENT`, one sentence naming
 * the path and why in words (`no such file or directory`, `it is a directory`, `permission denied`).
 *
 * @param what What was being done, as a verb phrase (`read`, `create the log file`).
 * @param cause The Node.js error (its `code` picks the words).
 * @example
 *   fileError('read', 'a.ndjson', { code: 'ENOENT' }).message; // 'cannot read a.ndjson: no such file or directory'
 */
export function fileError(what: string, path: string, cause: unknown): DrmstateError {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const why =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : code === 'EROFS'
              ? 'the file system is read-only'
              : cause instanceof Error
                ? cause.message
                : String(code ?? cause);
  return new DrmstateError('BAD_ARGUMENT', `cannot ${what} ${path}: ${why}`);
}
