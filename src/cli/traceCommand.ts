import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DrmstateError, fileError } from '../errors.js';
import type { Event } from '../world/Event.js';
import { type OutcomeJson, sameOutcomeJson } from '../world/logFormat.js';
import { type TraceCall, type TraceDrawing, drawTrace } from '../viz/traceDrawing.js';
import { traceDrawingToMermaid } from '../viz/traceToMermaid.js';
import { traceToSvg } from '../viz/traceToSvg.js';
import { type Command, type CommandArgs, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';
import { scenarioTextLines } from './scenarioLine.js';

/** The drawing formats of `drmstate trace`. */
export const TRACE_FORMATS: { readonly [format: string]: (d: TraceDrawing) => string } = {
  svg: traceToSvg,
  mermaid: traceDrawingToMermaid,
};

/** `drmstate trace --help`. */
export const TRACE_HELP = `Usage: drmstate trace FILE.trace.ndjson [--format svg|mermaid] [--out FILE]

Draws a trace (a scenario in drmstate run's line form, as drmstate check --trace writes
it) as a sequence diagram: one lifeline per task and one for the kernel, one row per step
with the call, its answer and any violation marked, and beside it the objects the step
touched; for drm_mm, the memory map of each allocator the step touched (nodes and holes
along the address range, the node placed or removed highlighted). Each line's "task" names
its lifeline (else the event's task field, else "main"). The calls are replayed from an
empty world; a line that recorded an outcome must get the same one.

--format FORMAT  svg (default; written directly, Courier text) or mermaid (sequenceDiagram)
--out FILE       write the drawing to FILE instead of stdout
--help           this text

Exit codes: 0 ok; 1 a recorded outcome differs from the kernel's; 2 bad input (a missing
file, a line that is not JSON or not a scenario line, an unknown object before the last
line; the message names the file, the line and the field).
`;

/** `drmstate trace`: draws a counterexample. */
export const traceCommand: Command = {
  name: 'trace',
  synopsis: 'FILE',
  summary: 'draw a trace as a sequence diagram with objects and memory maps: svg or mermaid',
  help: TRACE_HELP,
  options: { format: { type: 'string' }, out: { type: 'string' } },
  run: trace,
};

/** A trace file read: each call with its task and line, and the outcome the line recorded, if any. */
export interface TraceLine extends TraceCall {
  readonly line: number;
  readonly recorded: OutcomeJson | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the lines of a trace: blank lines and comments skipped; each call's task is the line's
 * `task`, else the event's `task` field, else `main`.
 *
 * @throws {DrmstateError} `BAD_LOG_LINE` located at the file and line: not JSON, not a scenario
 *   line, an event that is not an object with a string `type`.
 */
export function readTraceText(text: string, file: string): TraceLine[] {
  const out: TraceLine[] = [];
  for (const t of scenarioTextLines(text)) {
    const where = { file, line: t.line };
    try {
      const l = t.read();
      if (l.kind === 'comment') continue;
      const event = l.event;
      if (!isObject(event) || typeof event['type'] !== 'string')
        throw new DrmstateError('BAD_LOG_LINE', 'expected a kernel call {"type": …}', { field: l.kind === 'call' ? 'type' : 'event' });
      const own = l.kind !== 'call' ? l.task : undefined;
      const task = own ?? (typeof event['task'] === 'string' ? event['task'] : 'main');
      out.push({ task, event: event as Event, line: t.line, recorded: l.kind === 'outcome' ? l.outcome : undefined });
    } catch (e) {
      throw e instanceof DrmstateError ? e.at(where) : e;
    }
  }
  return out;
}

/** The name a drawing is titled with: the file's name without `.trace.ndjson` or `.ndjson`. */
export function traceTitle(file: string): string {
  return basename(file).replace(/(\.trace)?\.ndjson$/, '');
}

function trace(args: CommandArgs, io: CliIo): number {
  const fail = (message: string, code: number = EXIT.badInput): number => {
    io.stderr(`drmstate trace: ${message}\n`);
    return code;
  };
  if (args.positionals.length !== 1) return fail('give one trace file (drmstate trace --help tells more)');
  const file = args.positionals[0]!;
  const formatName = value(args, 'format') ?? 'svg';
  const render = Object.prototype.hasOwnProperty.call(TRACE_FORMATS, formatName) ? TRACE_FORMATS[formatName] : undefined;
  if (render === undefined) return fail(`unknown format "${formatName}" (formats: ${Object.keys(TRACE_FORMATS).join(', ')})`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return fail(fileError('read', file, e).message);
  }
  const lines = readTraceText(text, file);
  if (lines.length === 0) return fail(`${file}: no call to draw`);
  const drawing = drawTrace(lines, traceTitle(file));
  // A call naming an object that does not exist ends the drawing: only the last line may (the
  // checker's unknown_object finding).
  if (drawing.steps.length < lines.length) {
    const at = lines[drawing.steps.length - 1]!;
    return fail(`${file}, line ${at.line}: ${drawing.steps.at(-1)!.answer}; only a trace's last line may name an object that does not exist`);
  }
  for (const [i, s] of drawing.steps.entries()) {
    const l = lines[i]!;
    if (l.recorded !== undefined && s.outcome !== undefined && !sameOutcomeJson(s.outcome, l.recorded))
      return fail(`${file}, line ${l.line}: the line recorded ${JSON.stringify(l.recorded)}, the kernel answers ${JSON.stringify(s.outcome)}`, EXIT.mismatch);
  }
  const out = render(drawing);
  const target = value(args, 'out');
  if (target === undefined) io.stdout(out);
  else {
    try {
      writeFileSync(target, out);
    } catch (e) {
      return fail(fileError('write', target, e).message);
    }
  }
  return EXIT.ok;
}
