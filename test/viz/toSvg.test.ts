import { beforeAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { type Graphviz, loadViz, toSvg } from '../../src/viz/toSvg.js';

describe('toSvg', () => {
  let viz: Graphviz;
  beforeAll(async () => {
    viz = await loadViz();
  });

  for (const [id, machine] of Object.entries(MACHINES)) {
    it(`lays out ${id} with Graphviz and names every state`, async () => {
      const svg = await toSvg(machine, { viz });
      expect(svg.startsWith('<?xml') || svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<svg');
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const s of diagramStates(diagramOf(machine))) expect(svg).toMatch(new RegExp(`>${s.id}</text>`));
    });
  }

  it('carries transition labels and descriptions (as tooltips)', async () => {
    const svg = await toSvg(MACHINES['dma_fence_cb']!, { viz });
    expect(svg).toContain('dma_fence_add_callback [isFenceSignaled] / ENOENT');
    expect(svg).toContain('Queued at the tail');
  });

  it('loads its own Graphviz when given none, drawing the same SVG', async () => {
    const m = MACHINES['dma_fence_cb']!;
    expect(await toSvg(m)).toBe(await toSvg(m, { viz }));
  });
});
