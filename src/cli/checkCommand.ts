import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type CheckOptions, type CheckResult, check, matchesExpect } from '../checker/check.js';
import { type Model, loadModel } from '../checker/model.js';
import { workersBuiltIn } from '../checker/parallel.js';
import { renderFinding, traceToLog, traceToNdjson } from '../checker/trace.js';
import { drawTrace } from '../viz/traceDrawing.js';
import { traceDrawingToMermaid } from '../viz/traceToMermaid.js';
import { traceToSvg } from '../viz/traceToSvg.js';
import { DrmstateError } from '../errors.js';
import { type Command, type CommandArgs, flag, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';

/** `drmstate check --help`. */
export const CHECK_HELP = `Usage: drmstate check [FILE|DIR...] [options]

Model-checks bounded models (*.model.json; default: the models/ folder): explores every
interleaving of the tasks' steps breadth-first and reports, per model, ok or the shortest
finding (violation, assertion, invariant, deadlock, unknown_object), or limit when a bound
came first. See docs/checker.md for the model format.

Options:
  --json             one JSON line per model
  --trace DIR        write <model>.trace.ndjson (drmstate run reproduces it),
                     <model>.log.ndjson (drmstate replay verifies it), and the trace
                     drawn as drmstate trace draws it: <model>.svg and <model>.mmd
                     (a Mermaid sequence diagram) for each finding
  --max-states N     stop with limit after N distinct states
  --max-depth N      explore no deeper than N steps
  --max-seconds S    stop with limit after S seconds (per model)
  --reduce none|por  por: partial-order reduction of steps of different tasks that touch
                     disjoint objects (same verdicts and depths, fewer states); none
                     (default): every interleaving, exact state counts
  --keep-going       one shortest trace per distinct finding kind, not just the first
  --workers N        search with N threads (default: the cores; 1 when run from the
                     TypeScript sources); the result, states, transitions and depth
                     do not depend on N (models under 20000 states stay on one thread)
  --help             this text

Exit codes: 0 every model's result matches its expect (ok where it has none); 1 one
differs; 2 a malformed model or bad arguments (the message names the file, the task,
the step and the field).
`;

function modelFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new DrmstateError('BAD_ARGUMENT', `${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => f.endsWith('.model.json'))
        .sort()
        .map((f) => join(p, f));
      if (files.length === 0) throw new DrmstateError('BAD_ARGUMENT', `${p}: no *.model.json files in this folder`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}

function positiveNumber(name: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new DrmstateError('BAD_ARGUMENT', `--${name} takes a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
  return n;
}

function jsonLine(r: CheckResult, matches: boolean): string {
  const base: Record<string, unknown> = {
    model: r.model,
    result: r.result,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds: Number(r.seconds.toFixed(3)),
    statesPerSecond: r.statesPerSecond,
    matchesExpect: matches,
    collisionProbability: r.collisionProbability,
  };
  if (r.result === 'limit') base.bound = r.bound;
  if ('finding' in r) {
    const f = r.finding;
    base.finding = {
      kind: f.kind,
      ...(f.invariant !== undefined ? { invariant: f.invariant } : {}),
      message: f.message,
      task: f.task,
      depth: f.depth,
      trace: f.trace.map((s) => ({ task: s.task, event: s.event, outcome: s.outcome })),
    };
    if (r.findings.length > 1) base.findings = r.findings.map((x) => ({ kind: x.kind, ...(x.invariant ? { invariant: x.invariant } : {}), depth: x.depth }));
  }
  return JSON.stringify(base) + '\n';
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd() + '\n';
}

/** `drmstate check`: model-checks bounded models. */
export const checkCommand: Command = {
  name: 'check',
  synopsis: '[FILE|DIR...]',
  summary: 'model-check bounded models (models/ by default): every interleaving, shortest findings',
  help: CHECK_HELP,
  options: {
    json: { type: 'boolean' },
    trace: { type: 'string' },
    'max-states': { type: 'string' },
    'max-depth': { type: 'string' },
    'max-seconds': { type: 'string' },
    reduce: { type: 'string' },
    'keep-going': { type: 'boolean' },
    workers: { type: 'string' },
  },
  run: checkModels,
};

function checkModels(args: CommandArgs, io: CliIo): number {
  const positionals = args.positionals;
  const values = {
    json: flag(args, 'json'),
    trace: value(args, 'trace'),
    'max-states': value(args, 'max-states'),
    'max-depth': value(args, 'max-depth'),
    'max-seconds': value(args, 'max-seconds'),
    reduce: value(args, 'reduce'),
    'keep-going': flag(args, 'keep-going'),
    workers: value(args, 'workers'),
  };
  const bounds = {
    maxStates: positiveNumber('max-states', values['max-states'], true),
    maxDepth: positiveNumber('max-depth', values['max-depth'], true),
    maxSeconds: positiveNumber('max-seconds', values['max-seconds'], false),
  };
  const reduce = values.reduce ?? 'none';
  if (reduce !== 'none' && reduce !== 'por') throw new DrmstateError('BAD_ARGUMENT', `--reduce takes none or por, got ${JSON.stringify(reduce)}`);
  const workers = positiveNumber('workers', values.workers, true) ?? (workersBuiltIn() ? availableParallelism() : 1);
  const files = modelFiles(positionals.length > 0 ? positionals : ['models']);
  // Every model is read and checked for form before anything runs: a malformed one is exit 2.
  const models: Model[] = files.map(loadModel);
  if (values.trace !== undefined) {
    try {
      mkdirSync(values.trace, { recursive: true });
    } catch (e) {
      throw new DrmstateError('BAD_ARGUMENT', `--trace ${values.trace}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const tty = (process.stderr as { isTTY?: boolean }).isTTY === true && !values.json;
  const results: { model: Model; r: CheckResult; matches: boolean }[] = [];
  for (const model of models) {
    const options: CheckOptions = {
      ...(bounds.maxStates !== undefined ? { maxStates: bounds.maxStates } : {}),
      ...(bounds.maxDepth !== undefined ? { maxDepth: bounds.maxDepth } : {}),
      ...(bounds.maxSeconds !== undefined ? { maxSeconds: bounds.maxSeconds } : {}),
      keepGoing: values['keep-going'] === true,
      reduce,
      workers,
      ...(tty
        ? {
            progress: (p) =>
              io.stderr(`\r${model.model}: ${p.states} states, ${Math.round(p.states / p.seconds)}/s, queue ${p.queue}, depth ${p.depth}   `),
          }
        : {}),
    };
    const r = check(model, options);
    if (tty) io.stderr('\r\x1b[K');
    const matches = matchesExpect(r, model.expect);
    results.push({ model, r, matches });
    if (values.json) io.stdout(jsonLine(r, matches));
    if (values.trace !== undefined && 'finding' in r) {
      for (const f of r.findings) {
        const name = r.findings.length > 1 && f !== r.finding ? `${model.model}.${f.invariant ?? f.kind}` : model.model;
        const base = join(values.trace, name);
        writeOut(`${base}.trace.ndjson`, traceToNdjson(f));
        writeOut(`${base}.log.ndjson`, traceToLog(f));
        // The drawing drmstate trace makes of the trace file: the same calls, on the same lifelines.
        const drawing = drawTrace(
          f.trace.map((s) => ({ task: s.task, event: s.event })),
          name,
        );
        writeOut(`${base}.mmd`, traceDrawingToMermaid(drawing));
        writeOut(`${base}.svg`, traceToSvg(drawing));
      }
    }
  }
  if (!values.json) {
    const header = ['model', 'result', 'states', 'depth', 'time', 'expected?'];
    const cells = results.map(({ r, model, matches }) => [
      r.model,
      r.result === 'violation' ? `violation (${r.finding.kind})` : r.result === 'invariant' ? `invariant (${r.finding.invariant})` : r.result === 'limit' ? `limit (${r.bound})` : r.result,
      String(r.states),
      String(r.depth),
      `${r.seconds.toFixed(2)} s`,
      matches ? 'yes' : model.expect === undefined ? 'no (no expect: ok wanted)' : `NO: expected ${JSON.stringify(model.expect)}`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
    io.stdout(row(header, widths));
    for (const c of cells) io.stdout(row(c, widths));
    for (const { model, r } of results) {
      if (!('finding' in r)) continue;
      for (const f of r.findings) {
        const traceFile = values.trace !== undefined ? join(values.trace, `${r.findings.length > 1 && f !== r.finding ? `${model.model}.${f.invariant ?? f.kind}` : model.model}.trace.ndjson`) : undefined;
        io.stdout('\n' + renderFinding(f, model, { ...(traceFile ? { traceFile } : {}) }));
      }
    }
  }
  return results.every((x) => x.matches) ? EXIT.ok : EXIT.mismatch;
}

function writeOut(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new DrmstateError('BAD_ARGUMENT', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
