import type { MemoryMap, TraceDrawing } from './traceDrawing.js';
import { stepLabel } from './traceToSvg.js';

/** Mermaid reads `;` and `#` as syntax, and `"` ends a label. */
function m(s: string): string {
  return s.replace(/[;#]/g, ' ').replace(/"/g, "'");
}

/** A memory map in one line: `vram [0, 16384): [a 0+8192] [hole 8192+8192]`, the node placed starred. */
export function memoryMapText(map: MemoryMap): string {
  const blocks = map.blocks
    .filter((b) => b.kind !== 'removed')
    .map((b) => {
      const range = `${b.start}+${b.end - b.start}`;
      if (b.kind === 'hole') return `[hole ${range}]`;
      const mark = b.highlight === 'placed' ? ' placed' : b.highlight === 'named' ? ' named' : b.state === 'scanned' ? ' scanned' : '';
      return `[${b.name} ${range}${b.color !== undefined && b.color !== '0' ? ` color ${b.color}` : ''}${mark}]`;
    });
  const removed = map.blocks.filter((b) => b.kind === 'removed').map((b) => `${b.name} ${b.start}+${b.end - b.start}`);
  return `${map.mm} [${map.start}, ${map.end})${map.live ? '' : ' taken down'}: ${blocks.join(' ')}${removed.length > 0 ? ` removed ${removed.join(', ')}` : ''}`;
}

/**
 * Writes a drawn trace as a Mermaid `sequenceDiagram`: one participant per task and the kernel; per
 * step the call (`task->>kernel`), the answer (`kernel-->>task`), each violation as a note over the
 * task and the kernel, and beside the kernel a note with the objects the step touched and, for
 * drm_mm, the memory map of each allocator it touched.
 *
 * @example
 *   traceDrawingToMermaid(drawTrace(calls, 'x')); // "sequenceDiagram\n  title x: use_after_free\n  …"
 */
export function traceDrawingToMermaid(d: TraceDrawing): string {
  const out = ['sequenceDiagram', `  title ${m(`${d.title}: ${d.finding ?? 'no violation'}`)}`];
  for (const t of d.tasks) out.push(`  participant ${m(t)}`);
  out.push('  participant kernel');
  for (const s of d.steps) {
    const task = m(s.task);
    out.push(`  ${task}->>kernel: ${m(`${stepLabel(d, s)} ${s.call}`)}`);
    out.push(`  kernel-->>${task}: ${m(s.answer)}`);
    for (const v of s.violations) out.push(`  Note over ${task},kernel: ${m(`! ${v.kind}: ${v.message}`)}`);
    const notes = [
      ...s.objects.map((o) => `${o.name}: ${o.fields.join(' ')}`),
      ...s.memory.map(memoryMapText),
    ];
    if (notes.length > 0) out.push(`  Note right of kernel: ${notes.map(m).join('<br/>')}`);
  }
  return out.join('\n') + '\n';
}
