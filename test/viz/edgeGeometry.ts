import type { SvgGeometry } from './svgGeometry.js';

/**
 * The texts an SVG's edges run through (a line drawn through a label, as the stacked loops of the
 * older drawings did): each edge `<path>` of a Graphviz drawing (its `M`/`C`
 * cubic Béziers, inside the graph's translation) sampled at 32 points per segment, and each text box
 * (from {@link SvgGeometry}) that a sample falls inside. Graphviz draws arrowheads as polygons, not
 * paths, so only the lines count.
 */
export function textsCrossedByEdges(svg: string, g: SvgGeometry): string[] {
  const tr = /<g id="graph0" class="graph" transform="[^"]*translate\(([-\d.]+)[ ,]([-\d.]+)\)/.exec(svg);
  if (tr === null) throw new Error('not a Graphviz drawing: no graph0 translation');
  const tx = Number(tr[1]);
  const ty = Number(tr[2]);
  const out: string[] = [];
  for (const edge of svg.split('<g id="edge').slice(1)) {
    // The edge's group ends where Graphviz's comment for the next node, edge or cluster begins.
    const body = edge.split('\n<!--')[0]!;
    for (const p of body.matchAll(/<path [^>]*\bd="([^"]+)"/g)) {
      const d = p[1]!;
      if (!/^M[MC\d.,\se+-]*$/.test(d)) throw new Error(`edge path with commands other than M and C: ${d.slice(0, 40)}`);
      const nums = d.replace(/[MC]/g, ' ').trim().split(/[\s,]+/).map(Number);
      const pts: [number, number][] = [];
      for (let i = 0; i + 1 < nums.length; i += 2) pts.push([nums[i]! + tx, nums[i + 1]! + ty]);
      for (let i = 0; i + 3 < pts.length; i += 3) {
        const [a, b, c, e] = [pts[i]!, pts[i + 1]!, pts[i + 2]!, pts[i + 3]!];
        for (let k = 0; k <= 32; k++) {
          const t = k / 32;
          const u = 1 - t;
          const x = u * u * u * a[0] + 3 * u * u * t * b[0] + 3 * u * t * t * c[0] + t * t * t * e[0];
          const y = u * u * u * a[1] + 3 * u * u * t * b[1] + 3 * u * t * t * c[1] + t * t * t * e[1];
          for (const bx of g.boxes) if (x > bx.x0 && x < bx.x1 && y > bx.y0 && y < bx.y1) out.push(bx.text);
        }
      }
    }
  }
  return [...new Set(out)];
}
