import { DEFAULT_CHECK_KERNEL, type CheckKernel } from '../checker/CheckKernel.js';
import { renderCallText } from '../checker/Explorer.js';
import { diffViews, renderAnswer } from '../checker/trace.js';
import type { Event } from '../world/Event.js';
import { type OutcomeJson, outcomeToJson } from '../world/logFormat.js';
import type { World } from '../world/World.js';

/** One call of a trace to draw: who made it and what it was. */
export interface TraceCall {
  /** The task that made the call (`setup` for the model's setup). */
  readonly task: string;
  /** The kernel call. */
  readonly event: Event;
}

/** How a step's answer is drawn: a violation, a misuse (the object does not exist), an errno, a call that blocks, a success. */
export type StepTone = 'violation' | 'unknown' | 'errno' | 'blocked' | 'ok';

/** One object a step touched, as it is after the step. */
export interface TouchedObject {
  /** The object's name (`f`, `vram`, `wake`). */
  readonly name: string;
  /** The collection it lives in (`fences`, `mms`, `nodes`, `cbs`, `tasks`, …). */
  readonly kind: string;
  /** Its fields after the step as `key=value`, a changed field as `key=old→new`. */
  readonly fields: readonly string[];
  /** Whether the step changed it (else it was only named by the call). */
  readonly changed: boolean;
}

/** One node or hole of a memory map. */
export interface MemoryBlock {
  /** `node` (allocated, or held by a scan), `hole` (free) or `removed` (where a node was before this step). */
  readonly kind: 'node' | 'hole' | 'removed';
  /** The node's name; undefined for a hole. */
  readonly name: string | undefined;
  readonly start: bigint;
  readonly end: bigint;
  /** The node's `color` (drm_mm's colour, not a paint). */
  readonly color: string | undefined;
  /** The node's state (`inserted`, `scanned`, `orphaned`). */
  readonly state: string | undefined;
  /** Whether this step placed, removed or named this node. */
  readonly highlight: 'placed' | 'removed' | 'named' | undefined;
}

/** A drm_mm allocator after one step: its range and the nodes and holes along it, in address order. */
export interface MemoryMap {
  readonly mm: string;
  readonly start: bigint;
  readonly end: bigint;
  /** Whether the allocator is initialised and not taken down. */
  readonly live: boolean;
  readonly blocks: readonly MemoryBlock[];
}

/** One step of a drawn trace. */
export interface DrawnStep {
  /** Position in the trace, from 0. */
  readonly index: number;
  readonly task: string;
  readonly event: Event;
  /** The call as `type arg arg` (as `drmstate check` prints it). */
  readonly call: string;
  /** The answer as `ok start=0`, `ENOSPC`, `refused: use_after_free`, `unknown object: x`. */
  readonly answer: string;
  readonly tone: StepTone;
  /** The outcome the kernel answered, in JSON form; undefined for a misuse. */
  readonly outcome: OutcomeJson | undefined;
  /** The violations the call recorded. */
  readonly violations: readonly { readonly kind: string; readonly message: string }[];
  /** The objects the call changed or named, after it. */
  readonly objects: readonly TouchedObject[];
  /** The drm_mm allocators the call touched, after it. */
  readonly memory: readonly MemoryMap[];
}

/** A trace ready to draw: the lifelines (tasks, in order of first call) and the steps. */
export interface TraceDrawing {
  readonly title: string;
  readonly tasks: readonly string[];
  readonly steps: readonly DrawnStep[];
  /** What the trace ends on: the last step's violation kinds, `unknown object`, or undefined. */
  readonly finding: string | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function short(v: unknown): string {
  if (v === undefined) return '-';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The objects of a view: protocol → collection → name → fields. */
function objectsOf(view: unknown): Map<string, { kind: string; value: unknown }> {
  const out = new Map<string, { kind: string; value: unknown }>();
  if (!isObj(view)) return out;
  for (const [p, slice] of Object.entries(view)) {
    if (!isObj(slice)) continue;
    for (const [kind, coll] of Object.entries(slice)) {
      if (!isObj(coll)) continue;
      for (const [name, value] of Object.entries(coll)) out.set(`${p}/${kind}/${name}`, { kind, value });
    }
  }
  return out;
}

function touched(before: unknown, after: unknown, event: Event): TouchedObject[] {
  const b = objectsOf(before);
  const a = objectsOf(after);
  const changedKeys = new Map<string, Map<string, [unknown, unknown]>>();
  for (const p of diffViews(before, after)) {
    if (p.path.length < 3) continue;
    const key = p.path.slice(0, 3).join('/');
    const field = p.path.length > 3 ? String(p.path[3]) : '';
    const m = changedKeys.get(key) ?? new Map<string, [unknown, unknown]>();
    const was = b.get(key)?.value;
    const now = a.get(key)?.value;
    m.set(field, [field === '' ? was : isObj(was) ? was[field] : undefined, field === '' ? now : isObj(now) ? now[field] : undefined]);
    changedKeys.set(key, m);
  }
  // Objects the call names: any string field that is an object's name in some collection.
  const named = new Set<string>();
  for (const [k, v] of Object.entries(event)) {
    if (k === 'type' || typeof v !== 'string') continue;
    for (const key of new Set([...a.keys(), ...b.keys()])) if (key.endsWith(`/${v}`) && key.split('/')[2] === v) named.add(key);
  }
  const keys = [...new Set([...changedKeys.keys(), ...named])];
  return keys.map((key) => {
    const [, kind, name] = key.split('/') as [string, string, string];
    const now = a.get(key)?.value;
    const changes = changedKeys.get(key);
    const fields: string[] = [];
    const whole = changes?.get('');
    if (whole !== undefined && isObj(whole[1]) && whole[0] === undefined) {
      // Created by this step: every field, and a mark.
      fields.push('(new)');
      for (const [f, v] of Object.entries(whole[1])) fields.push(`${f}=${short(v)}`);
    } else if (whole !== undefined && whole[1] === undefined) fields.push('(gone)');
    else if (whole !== undefined || !isObj(now)) {
      const [was, is] = whole ?? [undefined, now];
      fields.push(whole === undefined ? short(is) : `${short(was)}→${short(is)}`);
    } else {
      for (const [f, v] of Object.entries(now)) {
        const c = changes?.get(f);
        fields.push(c !== undefined ? `${f}=${short(c[0])}→${short(c[1])}` : `${f}=${short(v)}`);
      }
      for (const [f, c] of changes ?? []) if (f !== '' && !(f in now)) fields.push(`${f}=${short(c[0])}→-`);
    }
    return { name, kind, fields, changed: changes !== undefined };
  });
}

interface MmView {
  readonly start: string;
  readonly size: string;
  readonly live: boolean;
}
interface NodeView {
  readonly state: string;
  readonly mm: string;
  readonly start: string;
  readonly size: string;
  readonly color: string;
}

/** States of a drm_mm node that occupy its range in the allocator. */
const OCCUPYING = new Set(['inserted', 'scanned', 'orphaned']);

function mmSlice(view: unknown): { mms: Record<string, MmView>; nodes: Record<string, NodeView> } | undefined {
  if (!isObj(view) || !isObj(view['drmMm'])) return undefined;
  const s = view['drmMm'];
  return isObj(s['mms']) && isObj(s['nodes']) ? { mms: s['mms'] as Record<string, MmView>, nodes: s['nodes'] as Record<string, NodeView> } : undefined;
}

function occupying(nodes: Record<string, NodeView>, mm: string): Map<string, NodeView> {
  return new Map(Object.entries(nodes).filter(([, n]) => n.mm === mm && OCCUPYING.has(n.state)));
}

function memoryMaps(before: unknown, after: unknown, event: Event): MemoryMap[] {
  const a = mmSlice(after);
  if (a === undefined) return [];
  const b = mmSlice(before);
  const names = Object.values(event).filter((v): v is string => typeof v === 'string');
  // The allocators the call touched: named by it, or holding a node it names.
  const mms = new Set<string>();
  for (const v of names) {
    if (a.mms[v] !== undefined) mms.add(v);
    const n = a.nodes[v] ?? b?.nodes[v];
    if (n !== undefined && a.mms[n.mm] !== undefined) mms.add(n.mm);
  }
  return [...mms].sort().map((mm) => {
    const m = a.mms[mm]!;
    const start = BigInt(m.start);
    const end = start + BigInt(m.size);
    const now = occupying(a.nodes, mm);
    const was = b !== undefined && b.mms[mm] !== undefined ? occupying(b.nodes, mm) : new Map<string, NodeView>();
    const highlight = (name: string): MemoryBlock['highlight'] =>
      !was.has(name) ? 'placed' : names.includes(name) ? 'named' : undefined;
    const blocks: MemoryBlock[] = [];
    for (const [name, n] of now) {
      const s = BigInt(n.start);
      blocks.push({ kind: 'node', name, start: s, end: s + BigInt(n.size), color: n.color, state: n.state, highlight: highlight(name) });
    }
    for (const [name, n] of was)
      if (!now.has(name)) {
        const s = BigInt(n.start);
        blocks.push({ kind: 'removed', name, start: s, end: s + BigInt(n.size), color: n.color, state: a.nodes[name]?.state, highlight: 'removed' });
      }
    // Holes: what no node occupies, in address order.
    const taken = blocks.filter((x) => x.kind === 'node').sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
    let at = start;
    for (const x of taken) {
      if (x.start > at) blocks.push({ kind: 'hole', name: undefined, start: at, end: x.start, color: undefined, state: undefined, highlight: undefined });
      if (x.end > at) at = x.end;
    }
    if (at < end) blocks.push({ kind: 'hole', name: undefined, start: at, end, color: undefined, state: undefined, highlight: undefined });
    blocks.sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : x.kind === 'removed' ? 1 : -1));
    return { mm, start, end, live: m.live, blocks };
  });
}

/** An allocator drawn as a memory map needs no list of its nodes and holes in words. */
function withoutMappedLists(objects: TouchedObject[], maps: readonly MemoryMap[]): TouchedObject[] {
  const mapped = new Set(maps.map((m) => m.mm));
  return objects.map((o) => (o.kind === 'mms' && mapped.has(o.name) ? { ...o, fields: o.fields.filter((f) => !/^(nodes|holes)=/.test(f)) } : o));
}

function toneOf(outcome: Obj): StepTone {
  if ('misuse' in outcome) return 'unknown';
  if (((outcome['violations'] as unknown[] | undefined) ?? []).length > 0) return 'violation';
  if (outcome['ok'] === true) return 'ok';
  if (typeof outcome['errno'] === 'string') return 'errno';
  if (outcome['blocked'] === true) return 'blocked';
  return 'violation';
}

/**
 * Replays a trace's calls from an empty world and gathers what a drawing shows of each step: the
 * call and its answer, the violations, the objects it changed or named (from the protocols' `view`,
 * after the step, with what changed), and for drm_mm the memory map of each allocator it touched.
 * A call that names an object that does not exist is answered `unknown object` and ends the trace
 * (the checker's `unknown_object` finding); a later call is not drawn.
 *
 * @example
 *   drawTrace([{ task: 'setup', event: { type: 'drm_mm_init', mm: 'vram', start: '0', size: '4096' } }], 'x').steps[0].memory[0].blocks;
 *   // [{ kind: 'hole', start: 0n, end: 4096n, … }]
 */
export function drawTrace(calls: readonly TraceCall[], title: string, options: { readonly kernel?: CheckKernel } = {}): TraceDrawing {
  const kernel = options.kernel ?? DEFAULT_CHECK_KERNEL;
  let world: World = kernel.initialWorld();
  let view = kernel.view(world);
  const steps: DrawnStep[] = [];
  for (const [index, { task, event }] of calls.entries()) {
    const r = kernel.tryApply(world, event);
    const json: OutcomeJson | undefined = r.ok ? outcomeToJson(r.outcome) : undefined;
    const outcome: Obj = json !== undefined ? (json as Obj) : { ok: false, misuse: r.ok ? '' : r.misuse.message };
    if (r.ok) world = r.world;
    const after = kernel.view(world);
    const memory = memoryMaps(view, after, event);
    const violations = ((outcome['violations'] as { kind: string; message: string }[] | undefined) ?? []).map((v) => ({ kind: v.kind, message: v.message }));
    steps.push({
      index,
      task,
      event,
      call: renderCallText(event),
      answer: json !== undefined ? renderAnswer(json) : `unknown object: ${String(outcome['misuse'])}`,
      outcome: json,
      tone: toneOf(outcome),
      violations,
      objects: withoutMappedLists(touched(view, after, event), memory),
      memory,
    });
    view = after;
    if (!r.ok) break;
  }
  const last = steps.at(-1);
  const finding =
    last === undefined ? undefined : last.tone === 'unknown' ? 'unknown object' : last.violations.length > 0 ? last.violations.map((v) => v.kind).join(', ') : undefined;
  const tasks = [...new Set(steps.map((s) => s.task))];
  return { title, tasks, steps, finding };
}
