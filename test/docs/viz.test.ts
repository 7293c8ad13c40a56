import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { toMermaid } from '../../src/viz/toMermaid.js';
import { type Graphviz, loadViz, toSvg } from '../../src/viz/toSvg.js';
import { cli, tempDir } from '../cli/helpers.js';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const VIZ_MD = join(DOCS, 'viz.md');
const DIAGRAMS = join(DOCS, 'diagrams');
const BEGIN = '<!-- viz dma_fence_cb mermaid: begin -->\n';
const END = '<!-- viz dma_fence_cb mermaid: end -->';
const TRACES = join(DOCS, 'traces');
/** The counterexamples docs/viz.md shows drawn. */
const SHOWN = ['drm-mm-eviction-scan.raced-insert', 'fence-add-callback.put-before-add'];
const REGENERATE = 'npm run build && node bin/drmstate.js viz --all --format svg --out docs/diagrams';

describe('docs/viz.md', () => {
  it('embeds the mermaid drawing of dma_fence_cb that toMermaid renders', () => {
    const doc = readFileSync(VIZ_MD, 'utf8');
    const from = doc.indexOf(BEGIN);
    const to = doc.indexOf(END);
    expect(from, 'docs/viz.md lost its begin marker').toBeGreaterThanOrEqual(0);
    expect(to, 'docs/viz.md lost its end marker').toBeGreaterThan(from);
    const rendered = '```mermaid\n' + toMermaid(MACHINES['dma_fence_cb']!) + '```\n';
    if (process.env.UPDATE_DOCS === '1') writeFileSync(VIZ_MD, doc.slice(0, from + BEGIN.length) + rendered + doc.slice(to));
    const committed = readFileSync(VIZ_MD, 'utf8');
    expect(committed.slice(from + BEGIN.length, committed.indexOf(END)), 'docs/viz.md is out of date: run `UPDATE_DOCS=1 npx vitest run test/docs/viz.test.ts`').toBe(rendered);
  });

  it('names every machine and every format, and the --self-loops modes', () => {
    const doc = readFileSync(VIZ_MD, 'utf8');
    for (const id of Object.keys(MACHINES)) expect(doc).toContain(`\`${id}\``);
    for (const f of ['mermaid', 'dot', 'svg', 'scxml']) expect(doc).toContain(`| \`${f}\` |`);
    for (const m of ['fold', 'draw', 'hide']) expect(doc).toContain(`\`${m}\``);
  });

  it('shows every machine\'s diagram from docs/diagrams/', () => {
    const doc = readFileSync(VIZ_MD, 'utf8');
    for (const id of Object.keys(MACHINES)) expect(doc).toContain(`(diagrams/${id}.svg)`);
  });
});

describe('docs/diagrams/', () => {
  let viz: Graphviz;
  beforeAll(async () => {
    viz = await loadViz();
    if (process.env.UPDATE_DOCS === '1') {
      if (existsSync(DIAGRAMS)) for (const f of readdirSync(DIAGRAMS)) if (f.endsWith('.svg')) rmSync(join(DIAGRAMS, f));
      // The same command the failure message names.
      expect(await cli('viz', '--all', '--format', 'svg', '--out', DIAGRAMS)).toEqual({ code: 0, out: '', err: '' });
    }
  });

  it('holds one SVG per machine and no other', () => {
    const files = existsSync(DIAGRAMS) ? readdirSync(DIAGRAMS).filter((f) => f.endsWith('.svg')).sort() : [];
    expect(files, `docs/diagrams/ is out of date: run \`${REGENERATE}\` (or UPDATE_DOCS=1 npx vitest run test/docs/viz.test.ts)`).toEqual(
      Object.keys(MACHINES).map((id) => `${id}.svg`).sort(),
    );
  });

  for (const [id, machine] of Object.entries(MACHINES)) {
    it(`has ${id}.svg as drmstate viz draws it now`, async () => {
      const path = join(DIAGRAMS, `${id}.svg`);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '';
      expect(committed === (await toSvg(machine, { viz })), `docs/diagrams/${id}.svg is out of date: run \`${REGENERATE}\``).toBe(true);
    });
  }
});

describe('docs/traces/', () => {
  for (const model of SHOWN) {
    it(`has ${model}.svg as drmstate check --trace draws it now, shown in docs/viz.md`, async () => {
      const dir = tempDir();
      expect((await cli('check', join('models', `${model}.model.json`), '--trace', dir, '--workers', '1')).code).toBe(0);
      const drawn = readFileSync(join(dir, `${model}.svg`), 'utf8');
      const path = join(TRACES, `${model}.svg`);
      if (process.env.UPDATE_DOCS === '1') writeFileSync(path, drawn);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '';
      expect(committed === drawn, `docs/traces/${model}.svg is out of date: run \`UPDATE_DOCS=1 npx vitest run test/docs/viz.test.ts\``).toBe(true);
      expect(readFileSync(VIZ_MD, 'utf8')).toContain(`(traces/${model}.svg)`);
    });
  }
});
