import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/check.js';
import { loadModel } from '../../src/checker/model.js';
import { renderFinding } from '../../src/checker/trace.js';

const DOC = readFileSync('docs/checker.md', 'utf8');

describe('docs/checker.md', () => {
  it('shows each told trace exactly as drmstate check prints it', () => {
    const blocks = [...DOC.matchAll(/<!-- trace:([\w.-]+) -->\n```\n([\s\S]*?)```\n<!-- \/trace -->/g)];
    expect(blocks.length).toBeGreaterThan(0);
    for (const [, name, text] of blocks) {
      const m = loadModel(`models/${name}.model.json`);
      const r = check(m);
      if (!('finding' in r)) throw new Error(`${name}: no finding`);
      expect(text).toBe(renderFinding(r.finding, m));
    }
  });

  it('lists every bundled model in its table', () => {
    const models = readdirSync('models').filter((f) => f.endsWith('.model.json')).map((f) => f.replace(/\.model\.json$/, ''));
    expect(models.length).toBeGreaterThan(0);
    for (const m of models) expect(DOC).toContain(`\`${m}\``);
  });
});
