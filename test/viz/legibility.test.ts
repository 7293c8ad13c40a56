import { beforeAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates } from '../../src/viz/diagramOf.js';
import { type Graphviz, loadViz, toSvg } from '../../src/viz/toSvg.js';
import { textsCrossedByEdges } from './edgeGeometry.js';
import { svgGeometry, textProblems } from './svgGeometry.js';

describe('svgGeometry and textProblems', () => {
  const svg = (body: string): string => `<svg viewBox="0 0 200 100"><g transform="translate(10 90)">${body}</g></svg>`;
  const t = (x: number, y: number, s: string, extra = ''): string => `<text x="${x}" y="${y}" font-family="Courier,monospace" font-size="10"${extra}>${s}</text>`;

  it('measures a monospace text from its length, its font size, its anchor and the groups around it', () => {
    const g = svgGeometry(svg(t(0, -10, 'abcdefghij') + t(100, -50, 'ab', ' text-anchor="middle"')));
    expect(g.viewBox).toEqual({ x: 0, y: 0, width: 200, height: 100 });
    expect(g.boxes[0]).toMatchObject({ text: 'abcdefghij', x0: 10, y0: 72 });
    expect(g.boxes[0]!.x1).toBeCloseTo(71);
    expect(g.boxes[0]!.y1).toBeCloseTo(82.5);
    expect(g.boxes[1]!.x0).toBeCloseTo(103.9);
  });

  it('finds two texts that overlap, and none when they are apart', () => {
    expect(textProblems(svgGeometry(svg(t(0, -10, 'abcdefghij') + t(50, -12, 'xyz'))))).toEqual([expect.stringContaining('"abcdefghij" [10.0, 72.0, 71.0, 82.5] overlaps "xyz"')]);
    expect(textProblems(svgGeometry(svg(t(0, -10, 'abcdefghij') + t(0, -30, 'xyz'))))).toEqual([]);
  });

  it('finds a text that runs out of the drawing', () => {
    expect(textProblems(svgGeometry(svg(t(150, -10, 'abcdefghij'))))).toEqual([expect.stringContaining('lies outside the drawing [0, 0, 200, 100]')]);
  });

  it('refuses a text in a proportional font, which it cannot measure', () => {
    expect(() => svgGeometry(svg('<text x="0" y="0" font-family="Times" font-size="10">a</text>'))).toThrow(/cannot be measured/);
  });
});

describe('every statechart drawn to SVG', () => {
  let viz: Graphviz;
  beforeAll(async () => {
    viz = await loadViz();
  });

  for (const [id, machine] of Object.entries(MACHINES)) {
    it(`${id}: no two text boxes overlap and every text box lies inside the drawing`, async () => {
      const g = svgGeometry(await toSvg(machine, { viz }));
      const texts = g.boxes.map((b) => b.text);
      for (const s of diagramStates(diagramOf(machine))) expect(texts).toContain(s.id);
      expect(textProblems(g)).toEqual([]);
    });

    it(`${id}: no edge runs through a text`, async () => {
      const svg = await toSvg(machine, { viz });
      expect(textsCrossedByEdges(svg, svgGeometry(svg))).toEqual([]);
    });
  }

  it('finds the colliding labels of the loops that --self-loops draw stacks on drm_mm_node, and the lines through them', async () => {
    const svg = await toSvg(MACHINES['drm_mm_node']!, { viz, selfLoops: 'draw' });
    const problems = textProblems(svgGeometry(svg));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.includes(' overlaps '))).toBe(true);
    expect(textsCrossedByEdges(svg, svgGeometry(svg)).length).toBeGreaterThan(0);
  });
});

describe('textsCrossedByEdges', () => {
  const page = (edge: string, text: string): string =>
    `<svg viewBox="0 0 200 100"><g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(0 100)">\n<!-- e -->\n<g id="edge1" class="edge">\n<path fill="none" stroke="black" d="${edge}"/>\n</g>\n<!-- n -->\n${text}</g></svg>`;
  const label = '<text x="50" y="-50" font-family="Courier,monospace" font-size="10">label</text>';

  it('finds a text that an edge runs through, and none when it runs past', () => {
    const through = page('M0,-48C30,-48 60,-48 100,-48', label);
    expect(textsCrossedByEdges(through, svgGeometry(through))).toEqual(['label']);
    const past = page('M0,-20C30,-20 60,-20 100,-20', label);
    expect(textsCrossedByEdges(past, svgGeometry(past))).toEqual([]);
  });
});
