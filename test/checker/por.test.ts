import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/check.js';
import { loadModel, parseModel } from '../../src/checker/model.js';

function independent(n: number, k: number) {
  const setup: object[] = [{ type: 'dma_fence_context_alloc', ctx: 'c' }];
  const tasks: Record<string, object[]> = {};
  for (let i = 0; i < n; i++) {
    setup.push({ type: 'dma_fence_init', fence: `f${i}`, ctx: 'c' });
    tasks[`t${i}`] = Array.from({ length: k }, (_, j) => ({ type: j % 2 === 0 ? 'dma_fence_get' : 'dma_fence_put', fence: `f${i}` }));
  }
  return parseModel({ model: `independent-${n}x${k}`, setup, tasks });
}

describe('check with reduce: por', () => {
  it('explores one interleaving of tasks that touch disjoint objects: N·k + 1 states instead of (k+1)^N', () => {
    const full = check(independent(4, 3));
    const por = check(independent(4, 3), { reduce: 'por' });
    expect(full.states).toBe(4 ** 4);
    expect(por.states).toBe(4 * 3 + 1);
    expect([por.result, por.depth]).toEqual([full.result, full.depth]);
  });

  it('keeps every interleaving of steps that share an object', () => {
    const m = parseModel({
      model: 'shared',
      setup: [{ type: 'dma_fence_context_alloc', ctx: 'c' }, { type: 'dma_fence_init', fence: 'f', ctx: 'c' }],
      tasks: { a: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }], b: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }] },
    });
    expect(check(m, { reduce: 'por' }).states).toBe(check(m).states);
  });

  const bundled = readdirSync('models').filter((f) => f.endsWith('.model.json'));
  it.each(bundled)('gives %s the same verdict and depth with and without it', (file) => {
    const m = loadModel(join('models', file));
    const full = check(m);
    const por = check(m, { reduce: 'por' });
    expect([por.result, 'finding' in por ? por.finding.kind : undefined, por.depth]).toEqual([full.result, 'finding' in full ? full.finding.kind : undefined, full.depth]);
    // For a model without findings the reduced search is the only one, and never larger.
    if (full.result === 'ok') expect(por.states).toBeLessThanOrEqual(full.states);
  });
});

describe('matchesExpect with reduce: por', () => {
  it('compares an expected state count only with an exact search', async () => {
    const { matchesExpect } = await import('../../src/checker/check.js');
    const m = loadModel('models/independent-4x9.model.json');
    const por = check(m, { reduce: 'por' });
    expect(por.states).toBeLessThan(m.expect?.states ?? 0);
    expect(matchesExpect(por, m.expect)).toBe(true);
    expect(matchesExpect(check(m), { result: 'ok', states: por.states })).toBe(false);
  });
});
