import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { toMermaid } from '../../src/viz/toMermaid.js';

const VIZ_MD = join(import.meta.dirname, '..', '..', 'docs', 'viz.md');
const BEGIN = '<!-- viz dma_fence_cb mermaid: begin -->\n';
const END = '<!-- viz dma_fence_cb mermaid: end -->';

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

  it('names every machine and every format', () => {
    const doc = readFileSync(VIZ_MD, 'utf8');
    for (const id of Object.keys(MACHINES)) expect(doc).toContain(`\`${id}\``);
    for (const f of ['mermaid', 'dot', 'svg', 'scxml']) expect(doc).toContain(`| \`${f}\` |`);
  });
});
