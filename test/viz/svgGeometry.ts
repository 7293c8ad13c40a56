/**
 * Text boxes measured from an SVG's own geometry, for the legibility tests: each `<text>` element's
 * position (with the translations and scales of the groups around it), its font size and its
 * length give a box; two boxes must not overlap and every box must lie inside the `viewBox`.
 *
 * The estimate is conservative for a monospace font, the only kind the drawings use: every character
 * is taken as 0.61 em wide (Courier and its metric clones advance 0.600 em, DejaVu Sans Mono 0.602), the
 * box reaches 0.8 em above the baseline (ascent) and 0.25 em below it (descent). A text in any other
 * font cannot be measured this way and is reported as a problem.
 */

/** One text's estimated box, in the SVG's user units. */
export interface TextBox {
  readonly text: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The drawing's extent and every text box in it. */
export interface SvgGeometry {
  readonly viewBox: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly boxes: readonly TextBox[];
}

/** Em fractions of the estimate. */
const ADVANCE = 0.61;
const ASCENT = 0.8;
const DESCENT = 0.25;

interface Frame {
  readonly tx: number;
  readonly ty: number;
  readonly s: number;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1];
}

function unescapeXml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, d: string) => String.fromCodePoint(parseInt(d, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The frame a `transform` attribute makes inside `outer`: `translate`, `scale` and `rotate(0)` only. */
function compose(outer: Frame, transform: string | undefined): Frame {
  if (transform === undefined) return outer;
  let f: Frame = { tx: 0, ty: 0, s: 1 };
  // Applied right to left onto a point: collect, then fold from the innermost.
  const ops = [...transform.matchAll(/(\w+)\(([^)]*)\)/g)].map((m) => ({ op: m[1]!, args: m[2]!.split(/[\s,]+/).filter((x) => x !== '').map(Number) }));
  for (const { op, args } of ops.reverse()) {
    if (op === 'translate') f = { tx: f.tx + (args[0] ?? 0), ty: f.ty + (args[1] ?? 0), s: f.s };
    else if (op === 'scale') {
      const k = args[0] ?? 1;
      if ((args[1] ?? k) !== k) throw new Error(`unsupported non-uniform scale in transform "${transform}"`);
      f = { tx: f.tx * k, ty: f.ty * k, s: f.s * k };
    } else if (op === 'rotate') {
      if ((args[0] ?? 0) !== 0) throw new Error(`unsupported rotation in transform "${transform}"`);
    } else throw new Error(`unsupported transform "${op}"`);
  }
  return { tx: outer.tx + outer.s * f.tx, ty: outer.ty + outer.s * f.ty, s: outer.s * f.s };
}

/**
 * Reads the `viewBox` and the text boxes of an SVG document.
 *
 * @throws {Error} for a text without a position or a font size, a font that is not monospace, or a
 *   transform other than translate, uniform scale and `rotate(0)`.
 */
export function svgGeometry(svg: string): SvgGeometry {
  const vb = /<svg\b[^>]*\sviewBox="([^"]*)"/.exec(svg);
  if (vb === null) throw new Error('the SVG has no viewBox');
  const [vx, vy, vw, vh] = vb[1]!.trim().split(/[\s,]+/).map(Number) as [number, number, number, number];
  const boxes: TextBox[] = [];
  const stack: Frame[] = [{ tx: 0, ty: 0, s: 1 }];
  const token = /<(\/?)(g|text)\b([^>]*?)(\/?)>/g;
  for (let m = token.exec(svg); m !== null; m = token.exec(svg)) {
    const [, close, name, rest, selfClose] = m as unknown as [string, string, string, string, string];
    if (name === 'g') {
      if (close === '/') stack.pop();
      else if (selfClose !== '/') stack.push(compose(stack.at(-1)!, attr(rest, 'transform')));
      continue;
    }
    if (close === '/' || selfClose === '/') continue;
    const end = svg.indexOf('</text>', token.lastIndex);
    const content = unescapeXml(svg.slice(token.lastIndex, end).replace(/<[^>]*>/g, ''));
    token.lastIndex = end + '</text>'.length;
    if (content.trim() === '') continue;
    const family = attr(rest, 'font-family') ?? '';
    if (!/courier|mono/i.test(family)) throw new Error(`text "${content}" is set in "${family}", which cannot be measured (use a monospace font)`);
    const x = Number(attr(rest, 'x'));
    const y = Number(attr(rest, 'y'));
    const size = Number(attr(rest, 'font-size'));
    if (!Number.isFinite(x) || !Number.isFinite(y) || !(size > 0)) throw new Error(`text "${content}" has no x, y or font-size`);
    const frame = compose(stack.at(-1)!, attr(rest, 'transform'));
    const width = [...content].length * ADVANCE * size;
    const anchor = attr(rest, 'text-anchor') ?? 'start';
    const left = anchor === 'middle' ? x - width / 2 : anchor === 'end' ? x - width : x;
    const at = (px: number, py: number): [number, number] => [frame.tx + frame.s * px, frame.ty + frame.s * py];
    const [x0, y0] = at(left, y - ASCENT * size);
    const [x1, y1] = at(left + width, y + DESCENT * size);
    boxes.push({ text: content, x0, y0, x1, y1 });
  }
  return { viewBox: { x: vx, y: vy, width: vw, height: vh }, boxes };
}

/** Every problem with a drawing's text: each pair of boxes that overlap, each box not inside the drawing. */
export function textProblems(g: SvgGeometry): string[] {
  const out: string[] = [];
  const eps = 0.01;
  const { x, y, width, height } = g.viewBox;
  const where = (b: TextBox): string => `"${b.text}" [${b.x0.toFixed(1)}, ${b.y0.toFixed(1)}, ${b.x1.toFixed(1)}, ${b.y1.toFixed(1)}]`;
  for (const b of g.boxes)
    if (b.x0 < x - eps || b.y0 < y - eps || b.x1 > x + width + eps || b.y1 > y + height + eps) out.push(`${where(b)} lies outside the drawing [${x}, ${y}, ${x + width}, ${y + height}]`);
  for (let i = 0; i < g.boxes.length; i++)
    for (let j = i + 1; j < g.boxes.length; j++) {
      const a = g.boxes[i]!;
      const b = g.boxes[j]!;
      if (Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > eps && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > eps) out.push(`${where(a)} overlaps ${where(b)}`);
    }
  return out;
}
