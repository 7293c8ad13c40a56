import { readFileSync } from 'node:fs';
import { DrmstateError } from '../errors.js';
import { Kernel } from '../kernel/Kernel.js';
import type { Event } from '../world/Event.js';
import { jsonEqual } from '../world/logFormat.js';
import { EXIT, type CliIo, parseFlags } from './io.js';
import { renderEvent, renderOutcome } from './render.js';
import { worldWithModules } from './requireModules.js';

/** `drmstate run --help`. */
export const RUN_HELP = `Usage: drmstate run FILE... [--json] [--log OUT] [--require MODULE]

Runs scenarios: one JSON kernel call per line, e.g.
  {"type":"dma_fence_context_alloc","ctx":"c1"}
A line may also be {"event": {...}, "outcome": {...}} (the conformance format): the
outcome is then checked, violations by kind. Blank lines are skipped. Each file starts
from an empty world.

Options:
  --json       print exactly one JSON outcome per event line, in order
  --log OUT    also record the log (NDJSON, replayable with drmstate replay) to OUT
               (with several files, only the last file's log is kept)
  --require MODULE
               load MODULE first; its register(registrar) export registers the
               functions the scenario names (registrar.registerColorAdjust(fn, name))
  --help       this text

Exit codes: 0 ok; 1 an outcome differs from the one a line expected; 2 bad input
(the message names the file, the line and the field).
`;

function normaliseViolations(o: Record<string, unknown>): Record<string, unknown> {
  const vs = o.violations as { kind: string }[] | undefined;
  return vs === undefined ? o : { ...o, violations: vs.map((v) => v.kind) };
}

/** Runs `drmstate run`. Returns the exit code. */
export function runCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, ['json', 'help'], ['log', 'require']);
  if (flags.bool.has('help')) {
    io.stdout(RUN_HELP);
    return EXIT.ok;
  }
  if (flags.positional.length === 0) {
    io.stderr(`drmstate run: no scenario file given\n\n${RUN_HELP}`);
    return EXIT.badInput;
  }
  const json = flags.bool.has('json');
  const req = flags.values.get('require');
  let world;
  try {
    world = req === undefined ? undefined : worldWithModules([req]);
  } catch (e) {
    if (!(e instanceof DrmstateError)) throw e;
    io.stderr(`drmstate run: ${e.message}\n`);
    return EXIT.badInput;
  }
  const counts = { events: 0, errnos: new Map<string, number>(), violations: new Map<string, number>(), mismatches: 0 };
  for (const file of flags.positional) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      io.stderr(`drmstate run: cannot read ${file}: ${(e as Error).message}\n`);
      return EXIT.badInput;
    }
    const kernel = new Kernel({ ...(flags.values.has('log') ? { logFile: flags.values.get('log') as string } : {}), ...(world === undefined ? {} : { world }) });
    if (!json && flags.positional.length > 1) io.stdout(`== ${file}\n`);
    const lines = text.split('\n');
    try {
      for (let i = 0; i < lines.length; i++) {
        const raw = (lines[i] as string).trim();
        if (raw === '') continue;
        const lineNo = i + 1;
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new DrmstateError('BAD_LOG_LINE', 'not valid JSON', { file, line: lineNo });
        }
        const wrapped = typeof parsed === 'object' && parsed !== null && 'event' in parsed && !('type' in parsed);
        const event = (wrapped ? (parsed as { event: unknown }).event : parsed) as Event;
        const expected = wrapped ? (parsed as { outcome?: Record<string, unknown> }).outcome : undefined;
        let outcome;
        try {
          kernel.call(event);
          outcome = kernel.entries[kernel.entries.length - 1]?.outcome as Record<string, unknown>;
        } catch (e) {
          throw e instanceof DrmstateError ? e.at({ file, line: lineNo }) : e;
        }
        counts.events++;
        if (typeof outcome.errno === 'string') counts.errnos.set(outcome.errno, (counts.errnos.get(outcome.errno) ?? 0) + 1);
        for (const v of (outcome.violations as { kind: string }[] | undefined) ?? []) counts.violations.set(v.kind, (counts.violations.get(v.kind) ?? 0) + 1);
        const differs = expected !== undefined && !jsonEqual(normaliseViolations(outcome), normaliseViolations(expected));
        if (json) io.stdout(JSON.stringify(outcome) + '\n');
        else io.stdout(`${String(kernel.seq).padStart(5)}  ${renderEvent(event)}\n       → ${renderOutcome(outcome as never)}\n`);
        if (differs) {
          counts.mismatches++;
          io.stderr(`${file}, line ${lineNo}: outcome differs\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(outcome)}\n`);
        }
      }
    } catch (e) {
      kernel.close();
      if (e instanceof DrmstateError) {
        io.stderr(`drmstate run: ${e.message}\n`);
        return EXIT.badInput;
      }
      throw e;
    }
    kernel.close();
  }
  if (!json) {
    const list = (m: Map<string, number>): string => (m.size === 0 ? 'none' : [...m].map(([k, n]) => `${k} ×${n}`).join(', '));
    io.stdout(
      `\n${counts.events} calls in ${flags.positional.length} file(s); errnos: ${list(counts.errnos)}; violations found: ${list(counts.violations)}` +
        (counts.mismatches > 0 ? `; ${counts.mismatches} outcome(s) differ from the expected ones` : '') +
        '\n',
    );
  }
  return counts.mismatches > 0 ? EXIT.mismatch : EXIT.ok;
}
