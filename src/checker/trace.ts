import type { Patch } from 'immer';
import { Kernel } from '../kernel/Kernel.js';
import { encodeEntry, encodeHeader, jsonEqual } from '../world/logFormat.js';
import type { World } from '../world/World.js';
import type { CheckKernel } from './CheckKernel.js';
import { DEFAULT_CHECK_KERNEL } from './CheckKernel.js';
import { type Finding, type TraceStep, renderCallText as renderCall } from './Explorer.js';

/** A patch with the value it replaced: immer's `{op, path, value}` plus `old`. */
export type ChangePatch = Patch & { readonly old?: unknown };

/**
 * The changes from one plain JSON view to another, as immer patches (`replace`, `add`, `remove`),
 * each with the value it replaced.
 *
 * @example
 *   diffViews({ f: { refcount: 1 } }, { f: { refcount: 0 } }); // [{ op: 'replace', path: ['f', 'refcount'], value: 0, old: 1 }]
 */
export function diffViews(a: unknown, b: unknown, path: (string | number)[] = []): ChangePatch[] {
  if (jsonEqual(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const out: ChangePatch[] = [];
    for (const k of Object.keys(a)) {
      if (!(k in b)) out.push({ op: 'remove', path: [...path, k], old: a[k] });
      else out.push(...diffViews(a[k], b[k], [...path, k]));
    }
    for (const k of Object.keys(b)) if (!(k in a)) out.push({ op: 'add', path: [...path, k], value: b[k] });
    return out;
  }
  return [{ op: 'replace', path, value: b, old: a }];
}

function short(v: unknown): string {
  if (v === undefined) return '∅';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** One patch as `path: old → new`. */
export function renderPatch(p: ChangePatch): string {
  const path = p.path.join('.');
  if (p.op === 'add') return `${path}: ∅ → ${short(p.value)}`;
  if (p.op === 'remove') return `${path}: ${short(p.old)} → ∅`;
  return `${path}: ${short(p.old)} → ${short(p.value)}`;
}

/** The answer as `ok`, `ok seqno=1`, `EINVAL`, `blocked`, `refused: use_after_free`. */
export function renderAnswer(o: TraceStep['outcome']): string {
  if ('misuse' in o) return `unknown object: ${String(o.misuse)}`;
  const vs = (o.violations as { kind: string }[] | undefined) ?? [];
  const values = Object.entries(o)
    .filter(([k]) => !['ok', 'errno', 'violations', 'blocked', 'queued'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  let head: string;
  if (o.ok) head = ['ok', ...values].join(' ');
  else if (typeof o.errno === 'string') head = [o.errno, ...values].join(' ');
  else if (o.blocked === true) head = o.queued === true ? 'queued (waits)' : 'blocked';
  else head = 'refused';
  return vs.length > 0 ? `${head}: ${vs.map((v) => v.kind).join(', ')}` : head;
}

/** Each trace line with the world view before and after it. */
function views(kernel: CheckKernel, trace: readonly TraceStep[]): { step: TraceStep; before: unknown; after: unknown }[] {
  let w: World = kernel.initialWorld();
  const out: { step: TraceStep; before: unknown; after: unknown }[] = [];
  for (const step of trace) {
    const before = kernel.view(w);
    const r = kernel.tryApply(w, step.event);
    if (r.ok) w = r.world;
    out.push({ step, before, after: kernel.view(w) });
  }
  return out;
}

/**
 * A finding told as numbered steps: a header (the invariant or kind and its sentence, the model, the
 * bounds, "shortest: N steps"), then each step's call, answer, what changed (`path: old → new`)
 * and violations, and last the command that replays the trace.
 */
export function renderFinding(
  finding: Finding,
  model: { readonly model: string; readonly file?: string },
  options: { readonly bounds?: string; readonly traceFile?: string; readonly kernel?: CheckKernel } = {},
): string {
  const kernel = options.kernel ?? DEFAULT_CHECK_KERNEL;
  const lines: string[] = [];
  const what = finding.result === 'invariant' ? `invariant ${finding.invariant}: ${finding.statement}` : `${finding.result}${finding.kind !== finding.result ? ` (${finding.kind})` : ''}`;
  lines.push(`${model.model}: ${what}`);
  lines.push(`  ${finding.message}`);
  lines.push(`  model ${model.file ?? model.model}${options.bounds ? `, bounds ${options.bounds}` : ''}; shortest: ${finding.depth} step${finding.depth === 1 ? '' : 's'}`);
  let n = 0;
  let lastDepth = -1;
  for (const { step, before, after } of views(kernel, finding.trace)) {
    let label: string;
    if (step.task === 'setup') label = '   setup';
    else if (step.depth !== lastDepth) {
      n++;
      label = `${String(n).padStart(3)}.`;
    } else label = '    +';
    lastDepth = step.depth;
    lines.push(`${label} [${step.task}] ${renderCall(step.event)} → ${renderAnswer(step.outcome)}`);
    for (const v of (step.outcome.violations as { kind: string; message: string }[] | undefined) ?? []) lines.push(`        ! ${v.kind}: ${v.message}`);
    if (step.task !== 'setup') for (const p of diffViews(before, after)) lines.push(`        ${renderPatch(p)}`);
  }
  for (const f of finding.facts ?? []) {
    if (f.trace === finding.trace) {
      lines.push(`  ${f.label}: made by the step above`);
      continue;
    }
    // A fact another interleaving recorded (lockdep accumulates over the whole search).
    lines.push(`  ${f.label}: first made at depth ${f.depth}, by`);
    for (const step of f.trace) if (step.task !== 'setup') lines.push(`       [${step.task}] ${renderCall(step.event)} → ${renderAnswer(step.outcome)}`);
  }
  if (options.traceFile !== undefined) lines.push(`  replay: drmstate run ${options.traceFile}`);
  else lines.push(`  replay: drmstate check ${model.file ?? `${model.model}.model.json`} --trace DIR, then drmstate run DIR/${model.model}.trace.ndjson`);
  return lines.join('\n') + '\n';
}

/**
 * The trace in `drmstate run`'s `{"event","outcome"}` line form, setup included, so that `drmstate
 * run` on it exits 0 and its last outcome carries the finding; each line also names the task that
 * made the call (`"task"`, `setup` for setup lines), which `run` ignores and `drmstate trace` draws.
 * For `unknown_object` the last line is the bare event, on which `run` stops with exit 2 naming the
 * object: that is the finding.
 */
export function traceToNdjson(finding: Finding): string {
  return (
    finding.trace
      .map((s) => ('misuse' in s.outcome ? JSON.stringify(s.event) : JSON.stringify({ event: s.event, outcome: s.outcome, task: s.task })))
      .join('\n') + '\n'
  );
}

/** The trace as a log (header, then one entry per call with its fingerprint) that `drmstate replay` verifies. */
export function traceToLog(finding: Finding): string {
  const k = new Kernel();
  for (const s of finding.trace) if (!('misuse' in s.outcome)) k.callJson(s.event);
  return [encodeHeader(), ...k.entries.map(encodeEntry)].join('\n') + '\n';
}

function mermaidText(s: string): string {
  return s.replace(/[;#]/g, ' ').replace(/"/g, "'");
}

/** The trace as a Mermaid `sequenceDiagram`: one participant per task and the kernel. */
export function traceToMermaid(finding: Finding, model: string): string {
  const tasks = [...new Set(finding.trace.map((s) => s.task))];
  const out = ['sequenceDiagram', `  title ${mermaidText(model)}: ${mermaidText(finding.kind)} in ${finding.depth} steps`];
  for (const t of tasks) out.push(`  participant ${t}`);
  out.push('  participant kernel');
  for (const s of finding.trace) {
    out.push(`  ${s.task}->>kernel: ${mermaidText(renderCall(s.event))}`);
    out.push(`  kernel-->>${s.task}: ${mermaidText(renderAnswer(s.outcome))}`);
    for (const v of (s.outcome.violations as { kind: string; message: string }[] | undefined) ?? [])
      out.push(`  Note over ${s.task}: ${mermaidText(`${v.kind}: ${v.message}`)}`);
    if ('misuse' in s.outcome) out.push(`  Note over ${s.task}: unknown object`);
  }
  return out.join('\n') + '\n';
}
