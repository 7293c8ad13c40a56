import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DrmstateError, fileError } from '../errors.js';
import { Kernel } from '../kernel/Kernel.js';
import type { Event } from '../world/Event.js';
import { expectationFailure } from '../world/expect.js';
import { outcomeToJson, sameOutcomeJson } from '../world/logFormat.js';
import type { Violation } from '../world/Violation.js';
import { type Command, type CommandArgs, flag, value, values } from './Command.js';
import { EXIT, type CliIo, readStdin } from './io.js';
import { outcomeForCli, renderEvent, renderOutcome, violationToJson } from './render.js';
import { worldWithModules } from './requireModules.js';
import { scenarioTextLines } from './scenarioLine.js';

/** `drmstate run --help`. */
export const RUN_HELP = `Usage: drmstate run FILE... [--json] [--log OUT] [--strict] [--leaks] [--lockdep-all] [--require MODULE]

Runs scenarios: one JSON kernel call per line, e.g.
  {"type":"dma_fence_context_alloc","ctx":"c1"}
FILE - reads standard input. Each file starts from an empty world. Blank lines are
skipped. A line may also be
  {"event": {...}, "outcome": {...}}   the whole outcome is checked (violations by kind)
  {"event": {...}, "expect": {...}}    a subset of the outcome is checked; the call must
                                       record no violation, unless the line says
                                       "expect_violation": KIND (one of them is KIND)
  {"comment": "..."}                   no call
A line with "event" may also carry "task": the task that made the call (drmstate check
--trace writes it; run ignores it, drmstate trace draws it).
At the end of each file, run lists what is still alive (fences holding references,
open signalling sections, allocators with nodes): the kernel's leak view.

Options:
  --json       print exactly one JSON outcome per event line, in order, on stdout
               (the leak view goes to stderr as one JSON line per file)
  --log OUT    also record the log (NDJSON, replayable with drmstate replay) to OUT;
               OUT may not be an input file (with several files, only the last
               file's log is kept)
  --strict     exit 1 when any violation was recorded
  --require MODULE
               load MODULE first; its register(registrar) export registers the
               functions the scenario names (registrar.registerColorAdjust(fn, name))
  --leaks      record what is still alive at the end as leak violations
  --lockdep-all
               keep lockdep on after its first report (the kernel turns it off:
               debug_locks_off), to see every report; the run starts with the
               call {"type":"lockdep_prove_all"}, which the log records
  --help       this text

Exit codes: 0 ok; 1 an outcome differs from the one a line expected, or --strict
and a violation was recorded; 2 bad input (the message names the file, the line
and the field).
`;

/** `drmstate run`: runs scenario files and prints their outcomes. */
export const runCommand: Command = {
  name: 'run',
  synopsis: 'FILE...',
  summary: 'run scenarios (one kernel call per line) and print the outcomes',
  help: RUN_HELP,
  options: {
    json: { type: 'boolean' },
    log: { type: 'string' },
    strict: { type: 'boolean' },
    leaks: { type: 'boolean' },
    'lockdep-all': { type: 'boolean' },
    require: { type: 'string', multiple: true },
  },
  run,
};

/** Whether two paths name one file: the same resolved path, or (both existing) the same inode. */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return false;
    }
  }
}

interface Counts {
  events: number;
  readonly errnos: Map<string, number>;
  readonly violations: Map<string, number>;
  mismatches: number;
  alive: number;
}

function count(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** Reads every input before anything runs: a file that cannot be read fails the run at once. */
function readInputs(files: readonly string[], io: CliIo): string[] {
  return files.map((file) => {
    if (file === '-') {
      try {
        return readStdin(io);
      } catch (e) {
        throw fileError('read', 'standard input', e);
      }
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw fileError('read', file, e);
    }
  });
}

function run(args: CommandArgs, io: CliIo): number {
  const files = args.positionals;
  if (files.length === 0) {
    io.stderr(`drmstate run: no scenario file given (FILE, or - for standard input; drmstate run --help tells more)\n`);
    return EXIT.badInput;
  }
  if (files.filter((f) => f === '-').length > 1) {
    io.stderr(`drmstate run: - (standard input) can be given only once\n`);
    return EXIT.badInput;
  }
  const log = value(args, 'log');
  if (log !== undefined) {
    const input = files.find((f) => f !== '-' && sameFile(f, log));
    if (input !== undefined) {
      io.stderr(`drmstate run: --log ${log} would overwrite the input file ${input}: give another path\n`);
      return EXIT.badInput;
    }
  }
  const json = flag(args, 'json');
  const texts = readInputs(files, io);
  const modules = values(args, 'require');
  const world = modules.length === 0 ? undefined : worldWithModules(modules);
  const counts: Counts = { events: 0, errnos: new Map(), violations: new Map(), mismatches: 0, alive: 0 };
  for (let f = 0; f < files.length; f++) {
    const file = files[f] as string;
    const name = file === '-' ? 'standard input' : file;
    const kernel = new Kernel({ ...(log !== undefined ? { logFile: log } : {}), ...(world !== undefined ? { world } : {}) });
    try {
      if (!json && files.length > 1) io.stdout(`== ${name}\n`);
      // --lockdep-all: a call of its own, so that the log replays the same reports.
      if (flag(args, 'lockdep-all')) kernel.callJson({ type: 'lockdep_prove_all' });
      runFile(texts[f] as string, name, kernel, json, counts, io);
      reportAlive(kernel.leaks(), name, flag(args, 'leaks'), json, counts, io);
    } finally {
      kernel.close();
    }
  }
  if (!json) {
    const list = (m: Map<string, number>): string => (m.size === 0 ? 'none' : [...m].map(([k, n]) => `${k} ×${n}`).join(', '));
    io.stdout(
      `\n${counts.events} calls in ${files.length} file(s); errnos: ${list(counts.errnos)}; violations found: ${list(counts.violations)}; still alive at the end: ${counts.alive}` +
        (counts.mismatches > 0 ? `; ${counts.mismatches} outcome(s) differ from the expected ones` : '') +
        '\n',
    );
  }
  if (counts.mismatches > 0) return EXIT.mismatch;
  return flag(args, 'strict') && counts.violations.size > 0 ? EXIT.mismatch : EXIT.ok;
}

/**
 * A u64 refused as a JSON number of 2^53 or more is reported with the digits as they were written
 * in the line, beside the value JSON.parse read (`18446744073709551615 (read as
 * 18446744073709551616)`): the library sees only the value read.
 */
function withWrittenNumber(e: DrmstateError, raw: string): DrmstateError {
  const read = /^(?:.*: )?the JSON number (\d+) is out of range/.exec(e.detail)?.[1];
  if (read === undefined || e.field === undefined) return e;
  // The field at fault, or a nested one the message names (`color_adjust.gap`): its last part is the JSON key.
  const fields = [e.field, ...[...e.detail.matchAll(/field "([^"]+)"/g)].map((m) => m[1] as string)];
  for (const field of fields) {
    const key = (field.split('.').pop() as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const m of raw.matchAll(new RegExp(`"${key}"\\s*:\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)`, 'g'))) {
      const written = m[1] as string;
      const n = Number(written);
      if (Number.isInteger(n) && BigInt(n).toString() === read && written !== read)
        return new DrmstateError(e.code, e.detail.replace(`the JSON number ${read} `, `the JSON number ${written} (read as ${read}) `), {
          file: e.file,
          line: e.line,
          field: e.field,
        });
    }
  }
  return e;
}

/** Runs one file's lines on `kernel`. @throws {DrmstateError} for a bad line, located at it. */
function runFile(text: string, file: string, kernel: Kernel, json: boolean, counts: Counts, io: CliIo): void {
  for (const l of scenarioTextLines(text)) {
    const { raw } = l;
    const where = { file, line: l.line };
    try {
      const line = l.read();
      if (line.kind === 'comment') continue;
      const outcome = kernel.callJson(line.event);
      counts.events++;
      if (typeof outcome.errno === 'string') count(counts.errnos, outcome.errno);
      for (const v of outcome.violations) count(counts.violations, v.kind);
      if (json) io.stdout(JSON.stringify(outcomeForCli(outcome)) + '\n');
      else io.stdout(`${String(kernel.seq).padStart(5)}  ${renderEvent(line.event as Event)}\n       → ${renderOutcome(outcomeForCli(outcome))}\n`);
      const got = outcomeToJson(outcome);
      let differs: string | undefined;
      if (line.kind === 'outcome' && !sameOutcomeJson(got, line.outcome))
        differs = `outcome differs\n  expected ${JSON.stringify(line.outcome)}`;
      if (line.kind === 'expect') {
        const why = expectationFailure(got, line.expectation);
        if (why !== undefined) differs = `outcome differs: ${why}\n  expected ${JSON.stringify(line.expectation.expect)}`;
      }
      if (differs !== undefined) {
        counts.mismatches++;
        io.stderr(`${file}, line ${where.line}: ${differs}\n  got      ${JSON.stringify(got)}\n`);
      }
    } catch (e) {
      throw e instanceof DrmstateError ? withWrittenNumber(e, raw).at(where) : e;
    }
  }
}

/** Prints the leak view of one file; with `--leaks` its entries count as violations. */
function reportAlive(alive: readonly Violation[], file: string, asViolations: boolean, json: boolean, counts: Counts, io: CliIo): void {
  counts.alive += alive.length;
  if (asViolations) for (const v of alive) count(counts.violations, v.kind);
  if (json) {
    if (alive.length > 0) io.stderr(JSON.stringify({ file, leaks: alive.map(violationToJson), violations: asViolations }) + '\n');
    return;
  }
  if (alive.length === 0) {
    io.stdout(`       nothing is left alive\n`);
    return;
  }
  io.stdout(`       still alive at the end${asViolations ? ' (leak violations)' : " (the kernel's leak view; --leaks makes them violations)"}:\n`);
  for (const v of alive) io.stdout(`    ${asViolations ? '! leak:' : '-'} ${v.message}\n`);
}
