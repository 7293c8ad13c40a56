/**
 * The simulator page: opens a model, scenario, log or counterexample trace from the server's
 * folder (or a local file), offers the next steps as buttons, and draws the world after the
 * selected step. Every world is computed here, in the browser, by the bundled library.
 */
import { MACHINES } from '../kernel/machines.js';
import { type Graphviz, loadViz, toSvg } from '../viz/toSvg.js';
import { fenceRows, highlightState, liveObjects, memoryMaps, outcomeLines, taskParts, worldView } from './panels.js';
import { Session } from './session.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

/** The page: the open session, the step shown, and the drawings made so far. */
class Simulator {
  private session: Session | undefined;
  /** The step the panels show (the slider's position). */
  private shown = 0;
  private playing: ReturnType<typeof setInterval> | undefined;
  private viz: Promise<Graphviz> | undefined;
  private readonly svgCache = new Map<string, Promise<string>>();

  status(text: string, bad = false): void {
    const s = $('status');
    s.textContent = text;
    s.className = bad ? 'bad' : '';
  }

  async listFiles(): Promise<void> {
    const r = await fetch('api/files');
    const files = (await r.json()) as { path: string; kind: string }[];
    const list = $('files');
    list.replaceChildren();
    for (const f of files) {
      const b = el('button', { class: 'file', 'data-file': f.path, title: f.kind, text: f.path });
      b.addEventListener('click', () => void this.openRemote(f.path));
      list.append(el('li', {}, b));
    }
  }

  async openRemote(path: string): Promise<void> {
    const r = await fetch(`files/${path.split('/').map(encodeURIComponent).join('/')}`);
    if (!r.ok) return this.status(`cannot read ${path}: ${r.status}`, true);
    this.openText(path.split('/').pop() as string, await r.text());
  }

  openText(name: string, text: string): void {
    this.stop();
    try {
      this.session = Session.open(name, text);
    } catch (e) {
      this.session = undefined;
      this.status((e as Error).message, true);
      this.render();
      return;
    }
    this.shown = 0;
    this.status(`opened ${name} (${this.session.kind})`);
    this.render();
  }

  /** Cuts the history back to the this.shown step, so that the next step goes on from what is on screen. */
  rewindToShown(s: Session): void {
    while (s.steps.length - 1 > this.shown) s.undo();
  }

  take(id: number): void {
    const s = this.session;
    if (s === undefined) return;
    this.rewindToShown(s);
    try {
      const step = s.take(id);
      this.shown = s.steps.length - 1;
      this.status(step.problem ?? `step ${this.shown}: ${step.label}`, step.problem !== undefined);
    } catch (e) {
      this.status((e as Error).message, true);
    }
    this.render();
  }

  stop(): void {
    if (this.playing !== undefined) clearInterval(this.playing);
    this.playing = undefined;
  }

  /** Plays a file (a scenario, log or trace) to its end, one line at a time; stops at a problem. */
  play(): void {
    this.stop();
    this.playing = setInterval(() => {
      const s = this.session;
      const c = s?.choices()[0];
      if (s === undefined || c === undefined || !c.enabled || s.kind === 'model') return this.stop();
      this.take(c.id);
      if (s.steps[s.steps.length - 1]?.problem !== undefined) this.stop();
    }, 250);
  }

  saveLog(): void {
    if (this.session === undefined) return;
    const blob = new Blob([this.session.toLog()], { type: 'application/x-ndjson' });
    const a = el('a', { href: URL.createObjectURL(blob), download: `${this.session.name.replace(/\.(model\.json|ndjson)$/, '')}.log.ndjson` });
    a.click();
    URL.revokeObjectURL(a.href);
  }

  renderControls(s: Session): void {
    const choices = $('choices');
    choices.replaceChildren();
    const atEnd = this.shown === s.steps.length - 1;
    for (const c of s.choices()) {
      const b = el('button', { class: 'choice', 'data-task': c.task, text: c.label });
      if (!c.enabled) {
        b.setAttribute('disabled', '');
        b.title = c.why ?? '';
      }
      if (!atEnd) b.title = 'steps on from the step this.shown (the later steps are dropped)';
      b.addEventListener('click', () => this.take(c.id));
      choices.append(b);
    }
    if (s.finished) choices.append(el('p', { class: 'note', text: 'finished: every task is done' }));
    else if (s.deadlocked) choices.append(el('p', { class: 'bad', text: 'deadlock: no task can move on' }));
    const slider = $<HTMLInputElement>('slider');
    slider.max = String(s.steps.length - 1);
    slider.value = String(this.shown);
    const step = s.steps[this.shown];
    $('step-label').textContent = `step ${this.shown} of ${s.steps.length - 1}: ${step?.label ?? ''}`;
    $<HTMLButtonElement>('undo').disabled = s.steps.length <= 1;
    $<HTMLButtonElement>('play').disabled = s.kind === 'model' || s.finished;
  }

  renderOutcome(s: Session): void {
    const p = $('outcome');
    p.replaceChildren();
    const step = s.steps[this.shown];
    for (const l of outcomeLines(step)) {
      p.append(el('div', { class: l.violations.length > 0 ? 'call bad' : 'call', text: l.text }));
      for (const v of l.violations) p.append(el('div', { class: 'violation', text: v }));
    }
    if (step?.problem !== undefined) p.append(el('div', { class: 'problem bad', text: step.problem }));
    if (p.childElementCount === 0) p.append(el('div', { class: 'note', text: 'no calls at this step' }));
  }

  renderTasks(s: Session): void {
    const p = $('tasks');
    p.replaceChildren();
    const world = s.worldAt(this.shown);
    for (const t of s.taskPositions(this.shown)) p.append(el('div', { class: 'task', 'data-task': t.task, text: `${t.task}: ${t.at}` }));
    for (const t of taskParts(world)) p.append(el('div', { class: 'task-part', text: `${t.task} (${t.protocol}): ${JSON.stringify(t.part)}` }));
    if (p.childElementCount === 0) p.append(el('div', { class: 'note', text: 'no tasks' }));
  }

  renderFences(s: Session): void {
    const body = $('fences');
    body.replaceChildren();
    for (const f of fenceRows(s.worldAt(this.shown)))
      body.append(
        el(
          'tr',
          { 'data-fence': f.name },
          el('td', { text: f.name }),
          el('td', { text: f.state }),
          el('td', { text: String(f.refcount) }),
          el('td', { text: String(f.error) }),
          el('td', { text: `${f.context}:${f.seqno}` }),
          el('td', { text: f.callbacks.join(', ') }),
        ),
      );
  }

  renderMemory(s: Session): void {
    const p = $('memory');
    p.replaceChildren();
    for (const m of memoryMaps(s.worldAt(this.shown), s.steps[this.shown])) {
      const svg = document.createElementNS(SVG_NS, 'svg');
      svg.setAttribute('viewBox', '0 0 1000 40');
      svg.setAttribute('class', 'memmap');
      svg.setAttribute('data-mm', m.mm);
      const total = m.size === 0n ? 1 : Number(m.size);
      for (const piece of m.pieces) {
        const r = document.createElementNS(SVG_NS, 'rect');
        const x = (Number(piece.start - m.start) / total) * 1000;
        r.setAttribute('x', String(x));
        r.setAttribute('y', '4');
        r.setAttribute('width', String(Math.max(1, (Number(piece.size) / total) * 1000)));
        r.setAttribute('height', '32');
        r.setAttribute('class', `${piece.kind}${piece.touched ? ' touched' : ''}`);
        const title = document.createElementNS(SVG_NS, 'title');
        title.textContent = piece.kind === 'node' ? `${piece.name} @ ${piece.start} + ${piece.size}` : `hole ${piece.name}`;
        r.append(title);
        svg.append(r);
      }
      p.append(el('div', { class: 'mm-name', text: `${m.mm}: [${m.start}, ${m.start + m.size})${m.live ? '' : ' (taken down)'}` }), svg);
      const legend = m.pieces.filter((x) => x.kind === 'node').map((x) => `${x.name}@${x.start}+${x.size}${x.touched ? ' ◀' : ''}`);
      p.append(el('div', { class: 'mm-nodes', text: legend.length > 0 ? legend.join('  ') : 'no nodes' }));
    }
    if (p.childElementCount === 0) p.append(el('div', { class: 'note', text: 'no drm_mm allocator' }));
  }

  async renderStatechart(s: Session): Promise<void> {
    const select = $<HTMLSelectElement>('object');
    const objects = liveObjects(s.worldAt(this.shown));
    const was = select.value;
    select.replaceChildren(...objects.map((o) => el('option', { value: o.path, text: `${o.path} (${o.machine}: ${o.state})` })));
    if (objects.some((o) => o.path === was)) select.value = was;
    const o = objects.find((x) => x.path === select.value);
    const out = $('statechart');
    const label = $('statechart-state');
    if (o === undefined) {
      out.replaceChildren(el('div', { class: 'note', text: 'no object with a lifecycle yet' }));
      label.textContent = '';
      return;
    }
    label.textContent = `${o.name} is ${o.state} (${o.machine})`;
    const machine = MACHINES[o.machine];
    if (machine === undefined) return;
    this.viz ??= loadViz();
    let svg = this.svgCache.get(o.machine);
    if (svg === undefined) {
      svg = this.viz.then((v) => toSvg(machine, { viz: v }));
      this.svgCache.set(o.machine, svg);
    }
    const text = highlightState(await svg, o.machine, o.state);
    // The drawing may be for an older step by now: only the latest render writes.
    if (select.value === o.path) out.innerHTML = text.slice(text.indexOf('<svg'));
  }

  render(): void {
    const s = this.session;
    $('main').hidden = s === undefined;
    if (s === undefined) return;
    $('title').textContent = `${s.name} (${s.kind})`;
    $('description').textContent = s.description;
    this.renderControls(s);
    this.renderOutcome(s);
    this.renderTasks(s);
    this.renderFences(s);
    this.renderMemory(s);
    $('world').textContent = JSON.stringify(worldView(s.worldAt(this.shown)), null, 2);
    void this.renderStatechart(s);
  }

  wire(): void {
    $('undo').addEventListener('click', () => {
      this.stop();
      if (this.session === undefined) return;
      this.rewindToShown(this.session);
      this.session.undo();
      this.shown = this.session.steps.length - 1;
      this.status(`back at step ${this.shown}`);
      this.render();
    });
    $('play').addEventListener('click', () => this.play());
    $('save').addEventListener('click', () => this.saveLog());
    $<HTMLInputElement>('slider').addEventListener('input', (e) => {
      this.shown = Number((e.target as HTMLInputElement).value);
      this.render();
    });
    $('object').addEventListener('change', () => this.session !== undefined && void this.renderStatechart(this.session));
    $<HTMLInputElement>('local').addEventListener('change', async (e) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f !== undefined) this.openText(f.name, await f.text());
    });
  }

  start(): void {
    this.wire();
    this.render();
    void this.listFiles().catch((e: unknown) => this.status(`cannot list files: ${String(e)}`, true));
  }
}

new Simulator().start();
