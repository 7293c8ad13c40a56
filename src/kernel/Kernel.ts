import { readFileSync } from 'node:fs';
import type { DMA_FENCE_EVENTS } from '../dma-fence/events.js';
import type { DrmMmEvent } from '../drm-mm/events.js';
import type { LOCKING_EVENTS } from '../locking/events.js';
import type { MM_EVENTS } from '../mm/events.js';
import type { DRM_EVENTS } from '../drm/events.js';
import { DrmstateError, fileError } from '../errors.js';
import type { Event } from '../world/Event.js';
import type { EventInput, InputEvents } from '../world/fields.js';
import { type LogEntry, eventToJson, outcomeToJson, parseLog } from '../world/logFormat.js';
import type { Outcome } from '../world/Outcome.js';
import type { Violation } from '../world/Violation.js';
import type { World } from '../world/World.js';
import { apply, initialWorld } from './apply.js';
import { fingerprint } from './fingerprint.js';
import { LogWriter } from './LogWriter.js';
import { PROTOCOLS } from './protocols.js';
import { replay } from './replay.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';

/**
 * A dma_fence event as a caller writes it (u64 fields as decimal strings or bigints), inferred from
 * the event schemas so that it cannot drift from what the kernel layer accepts.
 */
export type DmaFenceEventInput = InputEvents<typeof DMA_FENCE_EVENTS>;

/**
 * A drm_mm event as a caller writes it (u64 fields as decimal strings or bigints).
 *
 * TODO(#7): infer it from the schemas with `InputEvents<typeof DRM_MM_EVENTS>` once that table keeps
 * its literal types (`as const satisfies`, as dma_fence's does); until then it is the input form of
 * the decoded union.
 */
export type DrmMmEventInput = EventInput<DrmMmEvent>;

/** A locking event as a caller writes it, inferred from the event schemas. */
export type LockingEventInput = InputEvents<typeof LOCKING_EVENTS>;
/** An mm event as a caller writes it (u64 fields as decimal strings or bigints), inferred from the schemas. */
export type MmEventInput = InputEvents<typeof MM_EVENTS>;
/** A drm event (devices, Devres, files, GEM) as a caller writes it, inferred from the schemas. */
export type DrmEventInput = InputEvents<typeof DRM_EVENTS>;

/**
 * Every event {@link Kernel.call} takes, typed: a misspelt `type` or field does not compile.
 * Events read from JSON go through {@link Kernel.callJson}, which checks them at run time.
 */
export type KernelEvent = DmaFenceEventInput | DrmMmEventInput | LockingEventInput | MmEventInput | DrmEventInput | TaskExitEventInput;

/** The kernel's own `task_exit` event, typed. */
export interface TaskExitEventInput {
  readonly type: 'task_exit';
  readonly task: string;
}

/**
 * What a world still holds alive, protocol by protocol (fences with references, open signalling
 * sections, allocators with nodes): the kernel's leak view at teardown, as `leak` violations.
 *
 * @example
 *   leaks(k.world).map((v) => v.objects); // [['f1']]
 */
export function leaks(world: World): readonly Violation[] {
  const out: Violation[] = [];
  for (const p of PROTOCOLS) if (p.leaks !== undefined) out.push(...p.leaks(world));
  return out;
}

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
  private closed = false;
  /** The fingerprint version of the log being appended to (a resumed version-1 log keeps its own). */
  private fingerprintVersion: 1 | 2 = 2;
  /** How many names each prefix has handed out through {@link Kernel.freshName}. */
  private readonly nameCounts = new Map<string, number>();

  /**
   * A kernel on `world` (default: the empty world), logging to `logFile` when given (the file is
   * created or truncated).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` naming the log file when it cannot be created.
   */
  constructor(options: { world?: World; logFile?: string } = {}) {
    this.current = options.world ?? initialWorld();
    if (options.logFile !== undefined) this.writer = openWriter(options.logFile, 'create the log file');
  }

  /**
   * Opens an existing log file, replays and verifies it, and continues appending to it.
   *
   * @throws {DrmstateError} `TORN_LOG` when its last line is torn and `repair` is not set;
   *   `BAD_LOG_LINE` for a bad line; `BAD_LOG_LINE` when replay disagrees with the log.
   */
  static resume(path: string, options: { repair?: boolean } = {}): Kernel {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw fileError('read the log', path, e);
    }
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
    k.writer = openWriter(path, 'append to the log', { append: true, truncateTo: keep });
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

  /** What the current world still holds alive: see {@link leaks}. */
  leaks(): readonly Violation[] {
    return leaks(this.current);
  }

  /** The fingerprint of the current world. */
  get fingerprint(): string {
    return fingerprint(this.current, { version: this.fingerprintVersion });
  }

  /**
   * Makes one kernel call: applies it, logs it, and returns its outcome.
   *
   * @throws {DrmstateError} `MALFORMED_EVENT` or `UNKNOWN_OBJECT` for a bad event or a name never
   *   created, `CLOSED` after {@link Kernel.close}; nothing changes.
   * @example
   *   k.call({ type: 'drm_mm_init', mm: 'vram', start: '0', size: 4096n });
   */
  call(event: KernelEvent): Outcome {
    return this.callJson(event);
  }

  /**
   * Makes one kernel call from an event typed only at run time (one read from JSON): the same
   * checks as {@link Kernel.call}, made when it runs.
   *
   * @throws {DrmstateError} as {@link Kernel.call}.
   */
  callJson(event: unknown): Outcome {
    if (this.closed)
      throw new DrmstateError('CLOSED', 'this Kernel is closed: its log is complete, so it takes no more calls (fork() or a new Kernel does)');
    const r = apply(this.current, event);
    const entry: LogEntry = {
      seq: this.log.length + 1,
      event: eventToJson(event as Event),
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

  /**
   * A fresh name for an object created without one: `fence1`, `fence2`, … per prefix, counted on
   * this kernel (a {@link Kernel.fork} starts its own count). It changes no world and no log.
   *
   * @example
   *   k.freshName('node'); // 'node1'
   */
  freshName(prefix: string): string {
    const n = (this.nameCounts.get(prefix) ?? 0) + 1;
    this.nameCounts.set(prefix, n);
    return `${prefix}${n}`;
  }

  /** Serialises the current world. */
  snapshot(): Snapshot {
    return takeSnapshot(this.current, this.log.length);
  }

  /** Makes every logged entry durable (fsync). */
  flush(): void {
    this.writer?.flush();
  }

  /** Flushes and closes the log file. Later calls throw `CLOSED`; closing again does nothing. */
  close(): void {
    this.closed = true;
    this.writer?.close();
    this.writer = undefined;
  }
}

function openWriter(path: string, what: string, options?: { append?: boolean; truncateTo?: number }): LogWriter {
  try {
    return new LogWriter(path, options);
  } catch (e) {
    throw fileError(what, path, e);
  }
}
