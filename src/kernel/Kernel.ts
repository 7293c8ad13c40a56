import { readFileSync } from 'node:fs';
import { DrmstateError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { type LogEntry, eventToJson, outcomeToJson, parseLog } from '../world/logFormat.js';
import type { Outcome } from '../world/Outcome.js';
import type { World } from '../world/World.js';
import { apply, initialWorld } from './apply.js';
import { fingerprint } from './fingerprint.js';
import { LogWriter } from './LogWriter.js';
import { replay } from './replay.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';

/**
 * A handle on a simulated kernel: the current world and the log of every call made through it.
 * Every call becomes one log entry; a call rejected as library misuse leaves world and log exactly
 * as they were.
 *
 * @example
 *   const k = new Kernel();
 *   k.call({ type: 'dma_fence_context_alloc', ctx: 'c' }).context; // 1n
 */
export class Kernel {
  private current: World;
  private readonly log: LogEntry[] = [];
  private writer: LogWriter | undefined;
  /** The fingerprint version of the log being appended to (a resumed version-1 log keeps its own). */
  private fingerprintVersion: 1 | 2 = 2;

  constructor(options: { world?: World; logFile?: string } = {}) {
    this.current = options.world ?? initialWorld();
    if (options.logFile !== undefined) this.writer = new LogWriter(options.logFile);
  }

  /**
   * Opens an existing log file, replays and verifies it, and continues appending to it.
   *
   * @throws {DrmstateError} `TORN_LOG` when its last line is torn and `repair` is not set;
   *   `BAD_LOG_LINE` for a bad line; `BAD_LOG_LINE` when replay disagrees with the log.
   */
  static resume(path: string, options: { repair?: boolean } = {}): Kernel {
    const text = readFileSync(path, 'utf8');
    const parsed = parseLog(text, { repair: options.repair, file: path });
    const r = replay(parsed.entries, { fingerprintVersion: parsed.header.version });
    if (!r.ok)
      throw new DrmstateError('BAD_LOG_LINE', `replay disagrees with the log: ${r.mismatch.field} of seq ${r.mismatch.seq}`, {
        file: path,
        line: r.mismatch.seq + 1,
        field: r.mismatch.field,
      });
    const k = new Kernel({ world: r.world });
    k.fingerprintVersion = parsed.header.version;
    k.log.push(...parsed.entries);
    const keep = parsed.torn ? Buffer.byteLength(text.split('\n').slice(0, parsed.torn.line - 1).join('\n') + '\n') : undefined;
    k.writer = new LogWriter(path, { append: true, truncateTo: keep });
    return k;
  }

  /** The current world. */
  get world(): World {
    return this.current;
  }

  /** The number of calls made (the seq of the last entry). */
  get seq(): number {
    return this.log.length;
  }

  /** The log so far. */
  get entries(): readonly LogEntry[] {
    return this.log;
  }

  /** The fingerprint of the current world. */
  get fingerprint(): string {
    return fingerprint(this.current, { version: this.fingerprintVersion });
  }

  /**
   * Makes one kernel call: applies it, logs it, and returns its outcome.
   *
   * @throws {DrmstateError} for a malformed event or an unknown name; nothing changes.
   */
  call(event: Event): Outcome {
    const r = apply(this.current, event);
    const entry: LogEntry = {
      seq: this.log.length + 1,
      event: eventToJson(event),
      outcome: outcomeToJson(r.outcome),
      fingerprint: fingerprint(r.world, { version: this.fingerprintVersion }),
    };
    this.current = r.world;
    this.log.push(entry);
    this.writer?.append(entry);
    return r.outcome;
  }

  /**
   * A new kernel on the same world with an empty log: a probe. Calls on the fork never touch this
   * kernel (the world is immutable), so a test can ask "what would happen if…" and throw it away.
   */
  fork(): Kernel {
    return new Kernel({ world: this.current });
  }

  /** Serialises the current world. */
  snapshot(): Snapshot {
    return takeSnapshot(this.current, this.log.length);
  }

  /** Makes every logged entry durable (fsync). */
  flush(): void {
    this.writer?.flush();
  }

  /** Flushes and closes the log file. */
  close(): void {
    this.writer?.close();
    this.writer = undefined;
  }
}
