import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/checker/model.js';
import { cli, tempDir } from './helpers.js';

const MODELS = 'models';
const bundled = readdirSync(MODELS)
  .filter((f) => f.endsWith('.model.json'))
  .sort();
const buggy = bundled.filter((f) => loadModel(join(MODELS, f)).expect?.result !== 'ok');

describe('drmstate check', () => {
  it('checks every bundled model and each result matches its expect (npm start)', async () => {
    const r = await cli('check', '--json');
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => `${String(l.model)}.model.json`)).toEqual(bundled);
    for (const l of lines) expect({ model: l.model, matchesExpect: l.matchesExpect }).toEqual({ model: l.model, matchesExpect: true });
    expect(r.code).toBe(0);
  });

  it('prints one JSON line per model with the fields of the contract', async () => {
    const r = await cli('check', join(MODELS, 'fence-add-callback.put-before-add.model.json'), '--json');
    const l = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(l)).toEqual(
      expect.arrayContaining(['model', 'result', 'states', 'transitions', 'depth', 'seconds', 'statesPerSecond', 'matchesExpect', 'finding']),
    );
    const f = l.finding as { kind: string; task: string; depth: number; trace: { task: string; event: { type: string } }[] };
    expect([l.result, f.kind, f.task, f.depth]).toEqual(['violation', 'use_after_free', 'user', 3]);
    expect(f.trace.at(-1)?.event.type).toBe('dma_fence_add_callback');
  });

  it.each(buggy)('writes a trace of %s that drmstate run reproduces to the finding and a log that replay verifies', async (file) => {
    const dir = tempDir();
    const model = loadModel(join(MODELS, file));
    const r = await cli('check', join(MODELS, file), '--trace', dir, '--json');
    expect(r.code).toBe(0);
    const finding = (JSON.parse(r.out) as { finding: { kind: string } }).finding;
    const trace = join(dir, `${model.model}.trace.ndjson`);
    const run = await cli('run', trace, '--json');
    if (model.expect?.result === 'unknown_object') {
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/UNKNOWN|never created|no /i);
    } else {
      expect(run.code).toBe(0);
      const outcomes = run.out.trim().split('\n').map((l) => JSON.parse(l) as { violations?: { kind: string }[] });
      if (model.expect?.result === 'violation') expect(outcomes.at(-1)?.violations?.map((v) => v.kind)).toContain(finding.kind);
    }
    const replay = await cli('replay', join(dir, `${model.model}.log.ndjson`));
    expect(replay.code).toBe(0);
    expect(readFileSync(join(dir, `${model.model}.mmd`), 'utf8')).toMatch(/^sequenceDiagram\n/);
  });

  it('tells a finding as numbered steps with what changed, and the replay command', async () => {
    const dir = tempDir();
    const r = await cli('check', join(MODELS, 'fence-add-callback.put-before-add.model.json'), '--trace', dir);
    expect(r.out).toMatch(/shortest: 3 steps/);
    expect(r.out).toMatch(/ {2}2\. \[irq\] dma_fence_put f → ok\n {8}dmaFence\.fences\.f\.state: "signaled" → "freed"/);
    expect(r.out).toMatch(/ {2}3\. \[user\] dma_fence_add_callback f wake → refused: use_after_free/);
    expect(r.out).toContain(`replay: drmstate run ${join(dir, 'fence-add-callback.put-before-add.trace.ndjson')}`);
  });

  it("shows drm_mm changes over the protocol's plain view: nodes and holes in address order", async () => {
    const r = await cli('check', join(MODELS, 'drm-mm-eviction-scan.raced-insert.model.json'));
    expect(r.out).toContain('drmMm.mms.vram.nodes: ["a@0+8192","b@8192+8192"] → ["b@8192+8192"]');
    expect(r.out).toContain('drmMm.nodes.a.state: "inserted" → "scanned"');
  });

  it('exits 1 when a result differs from the expect', async () => {
    const dir = tempDir();
    const m = JSON.parse(readFileSync(join(MODELS, 'fence-add-callback.put-before-add.model.json'), 'utf8')) as Record<string, unknown>;
    const p = join(dir, 'x.model.json');
    writeFileSync(p, JSON.stringify({ ...m, expect: { result: 'ok' } }));
    const r = await cli('check', p, '--json');
    expect(r.code).toBe(1);
    expect((JSON.parse(r.out) as { matchesExpect: boolean }).matchesExpect).toBe(false);
  });

  it('exits 2 on a malformed model, naming the file, the task, the step and the field', async () => {
    const dir = tempDir();
    const p = join(dir, 'bad.model.json');
    writeFileSync(p, JSON.stringify({ model: 'bad', tasks: { irq: [{ type: 'dma_fence_signal', fence: 'f', when: 1 }] } }));
    const r = await cli('check', p);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.model\.json: task "irq", step 1, field "when": dma_fence_signal: unknown field/);
    const notJson = join(dir, 'broken.model.json');
    writeFileSync(notJson, '{"model": ');
    expect((await cli('check', notJson)).err).toMatch(/broken\.model\.json: not JSON/);
  });

  it('exits 2 for a missing file, a bad bound or an unknown flag', async () => {
    expect((await cli('check', 'no/such.model.json')).code).toBe(2);
    const bound = await cli('check', '--max-states', 'many');
    expect([bound.code, bound.err]).toEqual([2, expect.stringMatching(/--max-states takes a positive integer/)]);
    const flag = await cli('check', '--fast');
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/--fast/);
  });

  it('stops at a bound with limit', async () => {
    const r = await cli('check', join(MODELS, 'fence-callback-order.model.json'), '--max-states', '2', '--json');
    const l = JSON.parse(r.out) as { result: string; bound: string };
    expect([l.result, l.bound]).toEqual(['limit', 'states']);
    expect(r.code).toBe(1);
  });
});
