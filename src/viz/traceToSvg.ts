import type { DrawnStep, MemoryBlock, MemoryMap, StepTone, TraceDrawing } from './traceDrawing.js';

/** The colour of each step tone: the call's arrow and its answer. */
const TONE: { readonly [t in StepTone]: string } = {
  ok: '#1e1e1e',
  errno: '#b35900',
  violation: '#b0182b',
  unknown: '#b0182b',
  blocked: '#5b5b5b',
};

/** Paints for drm_mm colours (the allocator's `color` values), in order of first use. */
const PAINTS = ['#9cc9e8', '#f6c667', '#a7d49b', '#d5bfe3', '#f4a988', '#a8dadc'];

const FONT = 'Courier,monospace';
/** Courier advances 0.6 em; the layout reserves a little more so that nothing touches. */
const ADVANCE = 0.62;
const MARGIN = 12;
const CALL = 12;
const SMALL = 11;
const TINY = 9;
const LINE = 16;
const SMALL_LINE = 14;
const MAP_WIDTH = 420;
const BAR = 18;
const WRAP = 64;

const width = (s: string, size: number): number => [...s].length * ADVANCE * size;

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(px: number, py: number, size: number, s: string, attrs = ''): string {
  return `<text x="${px.toFixed(1)}" y="${py.toFixed(1)}" font-family="${FONT}" font-size="${size}"${attrs}>${x(s)}</text>`;
}

/** Splits a message into lines of at most `n` characters, at spaces where it can. */
function wrap(s: string, n: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= n) line += ` ${word}`;
    else {
      out.push(line);
      line = word;
    }
    while (line.length > n) {
      out.push(line.slice(0, n));
      line = line.slice(n);
    }
  }
  if (line !== '') out.push(line);
  return out;
}

/** The lines drawn left of the kernel's lifeline for a step: the call, the answer, each violation. */
function leftLines(s: DrawnStep): { call: string; answer: string; violations: string[] } {
  return { call: s.call, answer: `-> ${s.answer}`, violations: s.violations.flatMap((v) => wrap(`! ${v.kind}: ${v.message}`, WRAP)) };
}

/** The lines drawn right of the kernel's lifeline for a step: each object it touched. */
function objectLines(s: DrawnStep): string[] {
  return s.objects.map((o) => `${o.name} (${o.kind}${o.changed ? '' : ', named'}): ${o.fields.join(' ')}`).flatMap((l) => wrap(l, 80));
}

const MAP_HEIGHT = SMALL_LINE + 4 + BAR + 4 + TINY + 6;

function mapCaption(m: MemoryMap): string {
  const placed = m.blocks.filter((b) => b.highlight === 'placed').map((b) => b.name);
  const removed = m.blocks.filter((b) => b.kind === 'removed').map((b) => b.name);
  let s = `${m.mm} [${m.start}, ${m.end})${m.live ? '' : ' taken down'}`;
  if (placed.length > 0) s += `, placed ${placed.join(', ')}`;
  if (removed.length > 0) s += `, removed ${removed.join(', ')}`;
  return s;
}

function paintOf(paints: Map<string, string>, color: string | undefined): string {
  const c = color ?? '0';
  if (!paints.has(c)) paints.set(c, PAINTS[paints.size % PAINTS.length]!);
  return paints.get(c)!;
}

function drawMap(m: MemoryMap, left: number, top: number, paints: Map<string, string>): string[] {
  const out: string[] = [];
  out.push(`<g class="memory-map" data-mm="${x(m.mm)}">`);
  out.push(text(left, top + SMALL_LINE - 3, SMALL, mapCaption(m)));
  const barTop = top + SMALL_LINE + 4;
  const span = m.end - m.start;
  const at = (a: bigint): number => left + (span === 0n ? 0 : Number(((a - m.start) * 100000n) / span) / 100000) * MAP_WIDTH;
  out.push(`<rect x="${left}" y="${barTop}" width="${MAP_WIDTH}" height="${BAR}" fill="#f2f2f2" stroke="#9a9a9a"${m.live ? '' : ' stroke-dasharray="4,3"'}/>`);
  const labelled = (b: MemoryBlock, x0: number, x1: number): void => {
    if (b.name === undefined) return;
    const label = b.state === 'scanned' ? `${b.name}*` : b.name;
    if (width(label, TINY) + 4 <= x1 - x0) out.push(text((x0 + x1) / 2, barTop + BAR / 2 + TINY * 0.35, TINY, label, ' text-anchor="middle"'));
  };
  for (const b of m.blocks) {
    const x0 = at(b.start);
    const x1 = at(b.end);
    const w = Math.max(x1 - x0, 3);
    const tip = `<title>${x(b.kind === 'hole' ? `hole [${b.start}, ${b.end})` : `${b.name}@${b.start}+${b.end - b.start} color ${b.color ?? '0'} ${b.kind === 'removed' ? 'removed' : (b.state ?? '')}`)}</title>`;
    if (b.kind === 'hole') {
      out.push(`<rect class="hole" x="${x0.toFixed(1)}" y="${barTop}" width="${w.toFixed(1)}" height="${BAR}" fill="#f2f2f2" stroke="#c4c4c4">${tip}</rect>`);
    } else if (b.kind === 'node') {
      const hl = b.highlight === 'placed' ? ' stroke="#1e6b34" stroke-width="3"' : b.highlight === 'named' ? ' stroke="#b35900" stroke-width="2"' : ' stroke="#4a4a4a"';
      const dash = b.state === 'scanned' ? ' stroke-dasharray="3,2"' : '';
      const fill = b.state === 'orphaned' ? '#c9c9c9' : paintOf(paints, b.color);
      out.push(`<rect class="node${b.highlight !== undefined ? ` ${b.highlight}` : ''}" data-node="${x(b.name ?? '')}" x="${x0.toFixed(1)}" y="${barTop}" width="${w.toFixed(1)}" height="${BAR}" fill="${fill}"${hl}${dash}>${tip}</rect>`);
      labelled(b, x0, x1);
    } else {
      out.push(`<rect class="node removed" data-node="${x(b.name ?? '')}" x="${x0.toFixed(1)}" y="${barTop - 2}" width="${w.toFixed(1)}" height="${BAR + 4}" fill="none" stroke="#b0182b" stroke-width="2" stroke-dasharray="4,2">${tip}</rect>`);
    }
  }
  const addrY = barTop + BAR + 4 + TINY * 0.8;
  out.push(text(left, addrY, TINY, String(m.start)));
  out.push(text(left + MAP_WIDTH, addrY, TINY, String(m.end), ' text-anchor="end"'));
  out.push('</g>');
  return out;
}

/**
 * Draws a trace as an SVG sequence diagram, written directly (no layout engine): one lifeline per
 * task and one for the kernel; one row per step with the call on an arrow from its task to the
 * kernel, the answer under it (coloured: errno orange, violation red, blocked grey), each violation
 * marked on the kernel's lifeline and told in words; beside the row, the objects the step changed or
 * named (their fields after it, `old→new` where it changed them) and, for drm_mm, the memory map of
 * each allocator the step touched — nodes in their colour's paint, holes grey, the node placed
 * outlined in green, a removed one's old range dashed in red, a scanned node dashed and starred.
 * Text is Courier, and the layout reserves 0.62 em per character, so no two texts overlap.
 *
 * @example
 *   traceToSvg(drawTrace(calls, 'fence-add-callback.put-before-add')); // '<svg xmlns=… class="trace">…'
 */
export function traceToSvg(d: TraceDrawing): string {
  const numW = width('setup', SMALL) + 8;
  const nameW = (t: string): number => width(t, CALL) + 12;
  const lanes: number[] = [];
  for (const [i, t] of d.tasks.entries()) {
    if (i === 0) lanes.push(MARGIN + numW + Math.max(nameW(t) / 2, 12));
    else lanes.push(lanes[i - 1]! + Math.max(70, nameW(d.tasks[i - 1]!) / 2 + nameW(t) / 2 + 16));
  }
  const laneOf = new Map(d.tasks.map((t, i) => [t, lanes[i]!]));
  let kernelX = (lanes.at(-1) ?? MARGIN + numW) + Math.max(70, nameW(d.tasks.at(-1) ?? '') / 2 + nameW('kernel') / 2 + 16);
  for (const s of d.steps) {
    const l = leftLines(s);
    const widest = Math.max(width(l.call, CALL), width(l.answer, CALL), ...l.violations.map((v) => width(v, SMALL)));
    kernelX = Math.max(kernelX, laneOf.get(s.task)! + 8 + widest + 16);
  }
  const stateX = kernelX + nameW('kernel') / 2 + 14;
  let stateW = width('objects touched', SMALL);
  for (const s of d.steps) {
    for (const o of objectLines(s)) stateW = Math.max(stateW, width(o, SMALL));
    for (const m of s.memory) stateW = Math.max(stateW, MAP_WIDTH, width(mapCaption(m), SMALL));
  }
  const title = `${d.title}: ${d.finding ?? 'no violation'}`;
  const totalW = Math.ceil(Math.max(stateX + stateW + MARGIN, MARGIN * 2 + width(title, 14)));

  const body: string[] = [];
  const headY = MARGIN + 16 + 10;
  const headH = 22;
  let y = headY + headH + 8;
  const paints = new Map<string, string>();
  for (const s of d.steps) {
    const l = leftLines(s);
    const lane = laneOf.get(s.task)!;
    const colour = TONE[s.tone];
    const rows: string[] = [`<g class="step ${s.tone}" id="step-${s.index}" data-task="${x(s.task)}">`];
    const callY = y + LINE - 4;
    const arrowY = y + LINE + 2;
    const answerY = arrowY + LINE - 2;
    rows.push(text(MARGIN, callY, SMALL, stepLabel(d, s), ' fill="#5b5b5b"'));
    rows.push(`<rect x="${(lane + 6).toFixed(1)}" y="${(callY - CALL * 0.85).toFixed(1)}" width="${(width(l.call, CALL) + 4).toFixed(1)}" height="${CALL * 1.15}" fill="white" fill-opacity="0.85"/>`);
    rows.push(text(lane + 8, callY, CALL, l.call, ' class="call"'));
    rows.push(`<line x1="${lane.toFixed(1)}" y1="${arrowY}" x2="${(kernelX - 6).toFixed(1)}" y2="${arrowY}" stroke="${colour}" stroke-width="1.5"${s.tone === 'errno' ? ' stroke-dasharray="5,2"' : ''}/>`);
    rows.push(`<polygon points="${kernelX},${arrowY} ${kernelX - 8},${arrowY - 4} ${kernelX - 8},${arrowY + 4}" fill="${colour}"/>`);
    if (s.tone === 'violation' || s.tone === 'unknown') rows.push(`<circle class="violation-mark" cx="${kernelX}" cy="${arrowY}" r="6" fill="none" stroke="#b0182b" stroke-width="2"/>`);
    rows.push(`<rect x="${(lane + 6).toFixed(1)}" y="${(answerY - CALL * 0.85).toFixed(1)}" width="${(width(l.answer, CALL) + 4).toFixed(1)}" height="${CALL * 1.15}" fill="white" fill-opacity="0.85"/>`);
    rows.push(text(lane + 8, answerY, CALL, l.answer, ` class="answer" fill="${colour}"${s.tone === 'violation' || s.tone === 'unknown' ? ' font-weight="bold"' : ''}`));
    let ly = answerY;
    for (const v of l.violations) {
      ly += SMALL_LINE;
      rows.push(text(lane + 8, ly, SMALL, v, ' class="violation" fill="#b0182b"'));
    }
    let ry = y + LINE - 4;
    for (const o of objectLines(s)) {
      rows.push(text(stateX, ry, SMALL, o, ' class="object"'));
      ry += SMALL_LINE;
    }
    let mapTop = ry - SMALL_LINE + 6;
    for (const m of s.memory) {
      rows.push(...drawMap(m, stateX, mapTop, paints));
      mapTop += MAP_HEIGHT;
    }
    const bottom = Math.max(ly + 8, ry - SMALL_LINE + 8, mapTop);
    rows.push(`<line x1="${MARGIN}" y1="${bottom + 2}" x2="${totalW - MARGIN}" y2="${bottom + 2}" stroke="#e4e4e4"/>`);
    rows.push('</g>');
    body.push(...rows);
    y = bottom + 6;
  }
  const totalH = Math.ceil(y + MARGIN);
  const head: string[] = [];
  head.push(`<rect width="${totalW}" height="${totalH}" fill="white"/>`);
  head.push(text(MARGIN, MARGIN + 14, 14, title, ' font-weight="bold"'));
  const lifeline = (name: string, lx: number, cls: string): void => {
    const w = nameW(name);
    head.push(`<line class="lifeline" x1="${lx.toFixed(1)}" y1="${headY + headH}" x2="${lx.toFixed(1)}" y2="${y}" stroke="#9a9a9a" stroke-dasharray="4,4"/>`);
    head.push(`<rect class="${cls}" x="${(lx - w / 2).toFixed(1)}" y="${headY}" width="${w.toFixed(1)}" height="${headH}" rx="4" fill="#eef3f8" stroke="#4a4a4a"/>`);
    head.push(text(lx, headY + headH / 2 + CALL * 0.35, CALL, name, ' text-anchor="middle"'));
  };
  for (const [i, t] of d.tasks.entries()) lifeline(t, lanes[i]!, 'task');
  lifeline('kernel', kernelX, 'kernel');
  head.push(text(stateX, headY + headH / 2 + SMALL * 0.35, SMALL, 'objects touched', ' fill="#5b5b5b"'));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="trace" width="${totalW}" height="${totalH}" viewBox="0 0 ${totalW} ${totalH}">`,
    `<title>${x(title)}</title>`,
    ...head,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * A step's label as `drmstate check` prints it: `setup`, the step's number, or `+` for the
 * `task_exit` that ends a task (not a step of its own).
 */
export function stepLabel(d: TraceDrawing, s: DrawnStep): string {
  if (s.task === 'setup') return 'setup';
  if (s.event.type === 'task_exit') return '+';
  return `${d.steps.filter((t) => t.task !== 'setup' && t.event.type !== 'task_exit' && t.index <= s.index).length}.`;
}
