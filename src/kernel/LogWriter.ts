import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { type LogEntry, encodeEntry, encodeHeader } from '../world/logFormat.js';

/**
 * Appends log entries to an NDJSON file. Lines are buffered; they are durable once
 * {@link LogWriter.flush} or {@link LogWriter.close} returns (the file is fsynced).
 */
export class LogWriter {
  private fd: number | undefined;
  private buffer: string[] = [];
  private position: number;

  /**
   * Creates (or truncates) the file and writes the header line; or, with `append`, opens an
   * existing log that the caller has checked, first cutting it to `truncateTo` bytes (the intact
   * prefix, when a torn last line is being repaired).
   */
  constructor(
    readonly path: string,
    options: { append?: boolean; truncateTo?: number } = {},
  ) {
    if (options.append) {
      this.fd = openSync(path, 'r+');
      if (options.truncateTo !== undefined) ftruncateSync(this.fd, options.truncateTo);
      this.position = fstatSync(this.fd).size;
    } else {
      this.fd = openSync(path, 'w');
      this.position = writeSync(this.fd, encodeHeader() + '\n', 0);
      fsyncSync(this.fd);
    }
  }

  /** Queues one entry. Flushes by itself every 4096 entries. */
  append(entry: LogEntry): void {
    this.buffer.push(encodeEntry(entry));
    if (this.buffer.length >= 4096) this.flush();
  }

  /** Writes every queued entry and fsyncs: once this returns, they survive a crash. */
  flush(): void {
    if (this.fd === undefined) return;
    if (this.buffer.length > 0) {
      this.position += writeSync(this.fd, this.buffer.join('\n') + '\n', this.position);
      this.buffer = [];
    }
    fsyncSync(this.fd);
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}
