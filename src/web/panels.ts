/**
 * What the simulator's panels show, computed from a world and a step: plain data the page turns
 * into DOM, kept apart from the DOM so it is tested in Node. Everything comes from the protocols'
 * own views (`Protocol.view`), so a protocol added later shows up without code here.
 */
import type { AnyStateMachine } from 'xstate';
import { DEFAULT_CHECK_KERNEL } from '../checker/CheckKernel.js';
import { renderAnswer } from '../checker/trace.js';
import { PROTOCOLS } from '../kernel/protocols.js';
import type { World } from '../world/World.js';
import type { Step } from './session.js';

/** One object whose record names its lifecycle state, with the machine that state belongs to. */
export interface LiveObject {
  /** `dmaFence.fences.f1`. */
  readonly path: string;
  readonly name: string;
  readonly state: string;
  readonly machine: string;
}

/** One allocator's memory map: its range and every node and hole along it, in address order. */
export interface MemoryMap {
  readonly mm: string;
  readonly start: bigint;
  readonly size: bigint;
  readonly live: boolean;
  readonly pieces: readonly { readonly kind: 'node' | 'hole'; readonly name: string; readonly start: bigint; readonly size: bigint; readonly touched: boolean }[];
}

/** The view of every slice of the world (each protocol's `view`, or its snapshot as plain data). */
export function worldView(world: World): Record<string, unknown> {
  return DEFAULT_CHECK_KERNEL.view(world) as Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The leaf state names of a machine, as dotted paths below its root (`unsignaled.signalingDisabled`). */
function leafStates(machine: AnyStateMachine): Set<string> {
  const out = new Set<string>();
  const walk = (node: { states: Record<string, unknown>; path: string[] }): void => {
    const kids = Object.values(node.states) as { states: Record<string, unknown>; path: string[] }[];
    if (kids.length === 0) out.add(node.path.join('.'));
    for (const k of kids) walk(k);
  };
  walk(machine.root as unknown as { states: Record<string, unknown>; path: string[] });
  return out;
}

/**
 * The machine a record's state belongs to: among its protocol's machines, the one whose states
 * include it; where several do, the one whose name contains the collection's singular (`cbs` →
 * `dma_fence_cb`).
 */
function machineOf(machines: readonly AnyStateMachine[], collection: string, state: string): string | undefined {
  const candidates = machines.filter((m) => leafStates(m).has(state));
  if (candidates.length <= 1) return candidates[0]?.id;
  const singular = collection.replace(/e?s$/, '');
  return (candidates.find((m) => m.id.endsWith(`_${singular}`) || m.id.includes(singular)) ?? candidates[0])?.id;
}

/** Every object in the world whose record has a lifecycle `state`, with its machine. */
export function liveObjects(world: World): LiveObject[] {
  const view = worldView(world);
  const out: LiveObject[] = [];
  for (const p of PROTOCOLS) {
    const slice = view[p.key];
    if (!isRecord(slice)) continue;
    for (const [collection, objects] of Object.entries(slice)) {
      if (!isRecord(objects)) continue;
      for (const [name, rec] of Object.entries(objects)) {
        if (!isRecord(rec) || typeof rec.state !== 'string') continue;
        const machine = machineOf(p.machines, collection, rec.state);
        if (machine !== undefined) out.push({ path: `${p.key}.${collection}.${name}`, name, state: rec.state, machine });
      }
    }
  }
  return out;
}

/** Names a step's calls mention (every string field but `type` and `task`). */
export function touchedNames(step: Step | undefined): Set<string> {
  const out = new Set<string>();
  for (const c of step?.calls ?? []) for (const [k, v] of Object.entries(c.event)) if (k !== 'type' && k !== 'task' && typeof v === 'string') out.add(v);
  return out;
}

/** The drm_mm allocators as memory maps, from the drm_mm view (`name@start+size` nodes, `[a, b)` holes). */
export function memoryMaps(world: World, step?: Step): MemoryMap[] {
  const view = worldView(world).drmMm;
  if (!isRecord(view) || !isRecord(view.mms)) return [];
  const touched = touchedNames(step);
  const out: MemoryMap[] = [];
  for (const [mm, raw] of Object.entries(view.mms)) {
    if (!isRecord(raw)) continue;
    const pieces: { kind: 'node' | 'hole'; name: string; start: bigint; size: bigint; touched: boolean }[] = [];
    for (const n of (raw.nodes as string[] | undefined) ?? []) {
      const m = /^(.*)@(\d+)\+(\d+)$/.exec(n);
      if (m) pieces.push({ kind: 'node', name: m[1] as string, start: BigInt(m[2] as string), size: BigInt(m[3] as string), touched: touched.has(m[1] as string) });
    }
    for (const h of (raw.holes as string[] | undefined) ?? []) {
      const m = /^\[(\d+), (\d+)\)$/.exec(h);
      if (m) pieces.push({ kind: 'hole', name: h, start: BigInt(m[1] as string), size: BigInt(m[2] as string) - BigInt(m[1] as string), touched: false });
    }
    pieces.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    out.push({ mm, start: BigInt(String(raw.start)), size: BigInt(String(raw.size)), live: raw.live === true, pieces });
  }
  return out;
}

/** One fence for the fences panel. */
export interface FenceRow {
  readonly name: string;
  readonly state: string;
  readonly refcount: number;
  readonly error: number;
  readonly context: string;
  readonly seqno: string;
  readonly callbacks: readonly string[];
}

/** The fences, from the dma_fence view. */
export function fenceRows(world: World): FenceRow[] {
  const view = worldView(world).dmaFence;
  if (!isRecord(view) || !isRecord(view.fences)) return [];
  return Object.entries(view.fences).map(([name, f]) => {
    const r = f as Record<string, unknown>;
    return { name, state: String(r.state), refcount: Number(r.refcount), error: Number(r.error), context: String(r.context), seqno: String(r.seqno), callbacks: (r.cbs as string[]) ?? [] };
  });
}

/** Every protocol's per-task state (its `tasks` table in the view), by task. */
export function taskParts(world: World): { readonly task: string; readonly protocol: string; readonly part: unknown }[] {
  const view = worldView(world);
  const out: { task: string; protocol: string; part: unknown }[] = [];
  for (const [key, slice] of Object.entries(view)) {
    if (!isRecord(slice)) continue;
    const t = slice.tasks;
    if (isRecord(t)) for (const [task, part] of Object.entries(t)) out.push({ task, protocol: key, part });
  }
  return out;
}

/** A step's calls in words: `t1: dma_fence_signal f → ok`, and each violation's kind and message. */
export function outcomeLines(step: Step | undefined): { readonly text: string; readonly violations: readonly string[] }[] {
  return (step?.calls ?? []).map((c) => {
    const args = Object.entries(c.event)
      .filter(([k]) => k !== 'type' && k !== 'task')
      .map(([k, v]) => (typeof v === 'string' ? v : `${k}=${JSON.stringify(v)}`));
    const vs = ((c.outcome.violations as { kind: string; message: string }[] | undefined) ?? []).map((v) => `${v.kind}: ${v.message}`);
    return { text: `${c.task === '' ? '' : `${c.task}: `}${[c.event.type, ...args].join(' ')} → ${renderAnswer(c.outcome)}`, violations: vs };
  });
}

/**
 * Marks a state in a statechart's SVG (as Graphviz draws it: one `<g class="node">` per state with
 * its id in `<title>`): the state's shape gets the class `current`. Returns the SVG unchanged when
 * no node is that state.
 */
export function highlightState(svg: string, machine: string, state: string): string {
  const want = new Set([`${machine}.${state}`, state, state.split('.').pop() as string]);
  return svg.replace(/<g id="([^"]*)" class="node">\s*<title>([^<]*)<\/title>/g, (all, id: string, title: string) => {
    const t = title.replace(/&#45;/g, '-');
    return want.has(t) || want.has(t.split('.').slice(1).join('.')) ? `<g id="${id}" class="node current">\n<title>${title}</title>` : all;
  });
}
