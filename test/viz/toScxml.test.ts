import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { diagramOf, diagramStates, type DiagramState, type DiagramTransition } from '../../src/viz/diagramOf.js';
import { answerText, keepsState } from '../../src/viz/selfLoops.js';
import { toScxml } from '../../src/viz/toScxml.js';

interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

/** A tiny well-formedness check: balanced tags, quoted attributes, comments, no stray text. Returns the root element. */
function parseXml(text: string): XmlElement {
  const body = text.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: XmlElement[] = [{ name: '#document', attrs: {}, children: [] }];
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const ws = /\s*/y;
    ws.lastIndex = i;
    ws.exec(body);
    i = ws.lastIndex;
    if (i >= body.length) break;
    if (body.startsWith('<!--', i)) {
      const end = body.indexOf('-->', i + 4);
      if (end < 0 || body.slice(i + 4, end).includes('--')) throw new Error(`bad comment at offset ${i}`);
      i = end + 3;
      continue;
    }
    tag.lastIndex = i;
    const m = tag.exec(body);
    if (m === null) throw new Error(`not well-formed at offset ${i}: ${body.slice(i, i + 40)}`);
    i = tag.lastIndex;
    const [, close, name, attrText, selfClose] = m as unknown as [string, string, string, string, string];
    if (close === '/') {
      const top = stack.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = a[2]!;
    }
    const el: XmlElement = { name, attrs, children: [] };
    stack.at(-1)!.children.push(el);
    if (selfClose !== '/') stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  const roots = stack[0]!.children;
  if (roots.length !== 1) throw new Error(`${roots.length} root elements`);
  return roots[0]!;
}

function all(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

describe('toScxml', () => {
  for (const [id, machine] of Object.entries(MACHINES)) {
    describe(id, () => {
      const text = toScxml(machine);
      const d = diagramOf(machine);
      const root = parseXml(text);
      const states = diagramStates(d);

      it('is a well-formed <scxml> document with the machine\'s initial state', () => {
        expect(root.name).toBe('scxml');
        expect(root.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2005/07/scxml', version: '1.0', name: id, initial: d.initial });
      });

      it('has one <state> or <final> per state, nested as in the machine', () => {
        const finals = states.filter((s) => s.type === 'final');
        expect(all(root, 'final').map((e) => e.attrs['id'])).toEqual(finals.map((s) => s.id));
        expect(all(root, 'state').map((e) => e.attrs['id'])).toEqual(states.filter((s) => s.type !== 'final').map((s) => s.id));
        for (const s of states.filter((x) => x.children.length > 0)) {
          const el = all(root, 'state').find((e) => e.attrs['id'] === s.id)!;
          expect(el.attrs['initial']).toBe(s.initial);
          expect(el.children.filter((c) => c.name !== 'transition').map((c) => c.attrs['id'])).toEqual(s.children.map((c) => c.id));
        }
      });

      const row = (t: XmlElement): (string | undefined)[] => [t.attrs['event'], t.attrs['cond'], t.attrs['target'], t.attrs['drm:errno'], t.attrs['drm:violation']];
      const want = (t: DiagramTransition): (string | undefined)[] => [t.event, t.guard, t.target, t.meta.errno, t.meta.violation];
      const ownOf = (doc: XmlElement, s: DiagramState): XmlElement[] =>
        [...all(doc, 'state'), ...all(doc, 'final')].find((e) => e.attrs['id'] === s.id)!.children.filter((c) => c.name === 'transition');

      it('has one <transition> per authored branch, on its state, guards as cond', () => {
        const ts = all(root, 'transition');
        expect(ts).toHaveLength(d.transitions.length);
        expect(ts.filter((t) => 'cond' in t.attrs)).toHaveLength(d.transitions.filter((t) => t.guard !== undefined).length);
        for (const s of states) {
          const own = ownOf(root, s);
          const expected = d.transitions.filter((t) => t.source === s.id);
          // Folding moves whole events: each event's branches keep the order in which C checks.
          for (const event of new Set(expected.map((t) => t.event)))
            expect(own.filter((t) => t.attrs['event'] === event).map(row)).toEqual(expected.filter((t) => t.event === event).map(want));
          expect(own.map(row)).toHaveLength(expected.length);
        }
      });

      it('lists the events that keep the state after those that can change it, each branch that keeps it with its answer', () => {
        for (const s of states) {
          const own = ownOf(root, s);
          const keeps = (t: XmlElement): boolean => d.transitions.filter((x) => x.source === s.id && x.event === t.attrs['event']).every((x) => keepsState(d, x));
          const firstKept = own.findIndex(keeps);
          if (firstKept >= 0) expect(own.slice(firstKept).every(keeps)).toBe(true);
          for (const t of d.transitions.filter((x) => x.source === s.id)) {
            const el = own.filter((e) => e.attrs['event'] === t.event)[d.transitions.filter((x) => x.source === s.id && x.event === t.event).indexOf(t)]!;
            expect(el.attrs['drm:answer']).toBe(keepsState(d, t) ? answerText(t.meta) : undefined);
          }
        }
      });

      it('under --self-loops draw, keeps every branch in document order; under hide, leaves out those that keep the state', () => {
        const drawn = parseXml(toScxml(machine, { selfLoops: 'draw' }));
        const hidden = parseXml(toScxml(machine, { selfLoops: 'hide' }));
        for (const s of states) {
          const expected = d.transitions.filter((t) => t.source === s.id);
          expect(ownOf(drawn, s).map(row)).toEqual(expected.map(want));
          expect(ownOf(hidden, s).map(row)).toEqual(expected.filter((t) => !keepsState(d, t)).map(want));
        }
        expect(all(drawn, 'transition').filter((t) => 'drm:answer' in t.attrs)).toEqual([]);
      });

      it('targets only states it declares', () => {
        const ids = new Set(states.map((s) => s.id));
        for (const t of all(root, 'transition')) if (t.attrs['target'] !== undefined) expect(ids).toContain(t.attrs['target']);
      });
    });
  }

  it('makes a branch from a compound state into its child internal', () => {
    expect(toScxml(MACHINES['dma_fence']!)).toContain(
      '<transition event="dma_fence_enable_sw_signaling" target="signalingEnabled" type="internal"/>',
    );
  });
});
