import { describe, expect, it } from 'vitest';
import { drawTrace, type TraceCall } from '../../src/viz/traceDrawing.js';
import { memoryMapText, traceDrawingToMermaid } from '../../src/viz/traceToMermaid.js';
import { traceToSvg } from '../../src/viz/traceToSvg.js';
import { svgGeometry, textProblems } from './svgGeometry.js';

const mm = (type: string, fields: Record<string, string>, task = 'gpu'): TraceCall => ({ task, event: { type, ...fields } });

const CALLS: TraceCall[] = [
  mm('drm_mm_init', { mm: 'vram', start: '0', size: '16384' }, 'setup'),
  mm('drm_mm_insert_node', { mm: 'vram', node: 'a', size: '4096' }),
  mm('drm_mm_insert_node_generic', { mm: 'vram', node: 'b', size: '4096', alignment: '0', color: '3', mode: 'best' }),
  mm('drm_mm_remove_node', { node: 'a' }, 'evict'),
  mm('drm_mm_remove_node', { node: 'a' }, 'evict'),
];

describe('drawTrace', () => {
  const d = drawTrace(CALLS, 'mm');

  it('keeps every call on its task, lifelines in order of first call', () => {
    expect(d.tasks).toEqual(['setup', 'gpu', 'evict']);
    expect(d.steps.map((s) => [s.task, s.call, s.answer, s.tone])).toEqual([
      ['setup', 'drm_mm_init vram 0 16384', 'ok', 'ok'],
      ['gpu', 'drm_mm_insert_node vram a 4096', 'ok start=0', 'ok'],
      ['gpu', 'drm_mm_insert_node_generic vram b 4096 0 3 best', 'ok start=4096', 'ok'],
      ['evict', 'drm_mm_remove_node a', 'ok', 'ok'],
      ['evict', 'drm_mm_remove_node a', 'refused: bug_on', 'violation'],
    ]);
    expect(d.finding).toBe('bug_on');
  });

  it('maps the allocator after each step: nodes and holes along the range, the node placed highlighted', () => {
    expect(d.steps[0]!.memory).toEqual([{ mm: 'vram', start: 0n, end: 16384n, live: true, blocks: [expect.objectContaining({ kind: 'hole', start: 0n, end: 16384n })] }]);
    expect(d.steps[2]!.memory[0]!.blocks.map((b) => [b.kind, b.name, b.start, b.end, b.color, b.highlight])).toEqual([
      ['node', 'a', 0n, 4096n, '0', undefined],
      ['node', 'b', 4096n, 8192n, '3', 'placed'],
      ['hole', undefined, 8192n, 16384n, undefined, undefined],
    ]);
  });

  it('shows where a removed node was, over the hole it leaves', () => {
    expect(d.steps[3]!.memory[0]!.blocks.map((b) => [b.kind, b.name, b.start, b.end, b.highlight])).toEqual([
      ['hole', undefined, 0n, 4096n, undefined],
      ['removed', 'a', 0n, 4096n, 'removed'],
      ['node', 'b', 4096n, 8192n, undefined],
      ['hole', undefined, 8192n, 16384n, undefined],
    ]);
    expect(memoryMapText(d.steps[3]!.memory[0]!)).toBe('vram [0, 16384): [hole 0+4096] [b 4096+4096 color 3] [hole 8192+8192] removed a 0+4096');
  });

  it('lists the objects a step changed with old→new, and the ones it only named', () => {
    const removed = d.steps[3]!.objects.find((o) => o.name === 'a')!;
    expect(removed).toMatchObject({ kind: 'nodes', changed: true });
    expect(removed.fields).toContain('state=inserted→removed');
    const refused = d.steps[4]!.objects.find((o) => o.name === 'a')!;
    expect(refused).toMatchObject({ kind: 'nodes', changed: false });
    expect(refused.fields).toContain('state=removed');
    expect(d.steps[4]!.violations.map((v) => v.kind)).toEqual(['bug_on']);
  });

  it('marks an object the step created as new, with its fields', () => {
    expect(d.steps[1]!.objects.find((o) => o.name === 'a')!.fields.slice(0, 2)).toEqual(['(new)', 'state=inserted']);
  });
});

describe('traceToSvg', () => {
  const svg = traceToSvg(drawTrace(CALLS, 'mm'));

  it('draws a row per step, a memory map per drm_mm step, the placed and removed nodes highlighted', () => {
    expect(svg.match(/<g class="step /g)).toHaveLength(5);
    expect(svg.match(/<g class="memory-map"/g)).toHaveLength(5);
    expect(svg).toContain('<rect class="node placed" data-node="b"');
    expect(svg).toContain('<rect class="node removed" data-node="a"');
    expect(svg).toContain('class="violation-mark"');
  });

  it('paints nodes by their drm_mm colour: two colours, two paints', () => {
    const paint = (node: string): string => new RegExp(`<rect class="node[^"]*" data-node="${node}"[^>]* fill="([^"]+)"`).exec(svg)![1]!;
    expect(paint('a')).not.toBe(paint('b'));
  });

  it('has no two texts overlapping and none outside the drawing', () => {
    expect(textProblems(svgGeometry(svg))).toEqual([]);
  });
});

describe('traceDrawingToMermaid', () => {
  it('writes calls, answers, violations and the memory maps as notes', () => {
    const text = traceDrawingToMermaid(drawTrace(CALLS, 'mm'));
    expect(text.split('\n').slice(0, 6)).toEqual(['sequenceDiagram', '  title mm: bug_on', '  participant setup', '  participant gpu', '  participant evict', '  participant kernel']);
    expect(text).toContain('  evict->>kernel: 3. drm_mm_remove_node a\n  kernel-->>evict: ok\n');
    expect(text).toContain('  Note over evict,kernel: ! bug_on: ');
    expect(text).toContain('vram [0, 16384): [a 0+4096] [b 4096+4096 color 3 placed] [hole 8192+8192]');
  });
});
