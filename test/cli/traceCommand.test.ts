import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/checker/model.js';
import { svgGeometry, textProblems } from '../viz/svgGeometry.js';
import { cli, tempDir, writeLines } from './helpers.js';

const MODELS = 'models';
/** Every bundled model whose expect is a finding. */
const buggy = readdirSync(MODELS)
  .filter((f) => f.endsWith('.model.json'))
  .sort()
  .map((f) => loadModel(join(MODELS, f)))
  .filter((m) => m.expect !== undefined && m.expect.result !== 'ok');

describe('drmstate trace', () => {
  const dir = tempDir();
  beforeAll(async () => {
    const r = await cli('check', ...buggy.map((m) => join(MODELS, `${m.model}.model.json`)), '--trace', dir, '--json', '--workers', '1');
    expect(r.code).toBe(0);
  });

  it('has bundled buggy models to draw, drm_mm ones among them', () => {
    expect(buggy.length).toBeGreaterThanOrEqual(4);
    expect(buggy.some((m) => m.model.startsWith('drm-mm'))).toBe(true);
  });

  for (const model of buggy) {
    describe(model.model, () => {
      const file = (): string => join(dir, `${model.model}.trace.ndjson`);
      const lines = (): { event: { type: string }; task?: string }[] =>
        readFileSync(file(), 'utf8').trim().split('\n').map((l) => {
          const v = JSON.parse(l) as { event?: { type: string }; task?: string; type?: string };
          return v.event !== undefined ? (v as { event: { type: string }; task?: string }) : { event: v as { type: string } };
        });

      it('draws an SVG sequence diagram: a lifeline per task and the kernel, a row per step, the finding marked', async () => {
        const r = await cli('trace', file(), '--format', 'svg');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const svg = r.out;
        expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" class="trace"')).toBe(true);
        const ls = lines();
        expect(svg.match(/<g class="step /g)).toHaveLength(ls.length);
        const tasks = [...new Set(ls.map((l) => l.task ?? 'main'))];
        expect(svg.match(/<line class="lifeline"/g)).toHaveLength(tasks.length + 1);
        for (const t of tasks) expect(svg).toContain(`data-task="${t}"`);
        if (model.expect!.result === 'violation') {
          expect(svg).toContain('class="violation-mark"');
          // The finding's kind is among the violations the title names (a call may record several).
          expect(svg).toMatch(new RegExp(`: (?:[a-z_]+, )*${model.expect!.kind}(?:, [a-z_]+)*</title>`));
        }
        expect(textProblems(svgGeometry(svg))).toEqual([]);
      });

      it('draws the same trace as a mermaid sequenceDiagram, one participant per task', async () => {
        const r = await cli('trace', file(), '--format', 'mermaid');
        expect(r.code).toBe(0);
        expect(r.out.startsWith('sequenceDiagram\n')).toBe(true);
        for (const t of new Set(lines().map((l) => l.task ?? 'main'))) expect(r.out).toContain(`  participant ${t}\n`);
        expect(r.out.match(/->>kernel: /g)).toHaveLength(lines().length);
      });

      it('is what drmstate check --trace writes beside the trace', async () => {
        expect(readFileSync(join(dir, `${model.model}.svg`), 'utf8')).toBe((await cli('trace', file())).out);
        expect(readFileSync(join(dir, `${model.model}.mmd`), 'utf8')).toBe((await cli('trace', file(), '--format', 'mermaid')).out);
      });

      if (model.model.startsWith('drm-mm'))
        it('draws the memory map of the allocator at each drm_mm step, the node placed highlighted', async () => {
          const svg = (await cli('trace', file())).out;
          const mmSteps = lines().filter((l) => l.event.type.startsWith('drm_mm_')).length;
          expect(svg.match(/<g class="memory-map"/g)?.length).toBe(mmSteps);
          expect(svg).toMatch(/<rect class="node placed" data-node="[^"]+"/);
          expect(svg).toContain('class="hole"');
        });
    });
  }

  it('writes the drawing to --out', async () => {
    const out = join(tempDir(), 'x.svg');
    const file = join(dir, `${buggy[0]!.model}.trace.ndjson`);
    expect(await cli('trace', file, '--out', out)).toEqual({ code: 0, out: '', err: '' });
    expect(readFileSync(out, 'utf8')).toBe((await cli('trace', file)).out);
  });

  it('draws a plain scenario: calls without a task on the lifeline "main", else on their task field', async () => {
    const d = tempDir();
    const f = writeLines(d, 's.ndjson', [
      { type: 'dma_fence_context_alloc', ctx: 'c' },
      { comment: 'a fence' },
      { event: { type: 'dma_fence_init', fence: 'f', ctx: 'c' }, expect: { ok: true } },
      { type: 'dma_fence_begin_signalling', task: 'job' },
    ]);
    const r = await cli('trace', f, '--format', 'mermaid');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  title s: no violation\n  participant main\n  participant job\n  participant kernel\n');
    expect(r.out).toContain('  job->>kernel: 3. dma_fence_begin_signalling\n');
  });

  describe('bad input: exit 2, one line naming the file and the line', () => {
    it('a missing file', async () => {
      const f = join(tempDir(), 'none.trace.ndjson');
      expect(await cli('trace', f)).toEqual({ code: 2, out: '', err: `drmstate trace: cannot read ${f}: no such file or directory\n` });
    });

    it('a line that is not JSON', async () => {
      const f = writeLines(tempDir(), 't.trace.ndjson', [{ type: 'dma_fence_context_alloc', ctx: 'c' }, '{"event": ']);
      expect(await cli('trace', f)).toEqual({ code: 2, out: '', err: `drmstate trace: ${f}, line 2: not valid JSON\n` });
    });

    it('a line with an unknown member, a task that is not a name, an event that is not a call', async () => {
      const d = tempDir();
      const a = writeLines(d, 'a.ndjson', [{ event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true }, who: 'x' }]);
      const ra = await cli('trace', a);
      expect(ra.code).toBe(2);
      expect(ra.err).toMatch(new RegExp(`^drmstate trace: ${a}, line 1, field "who": unknown member[^\\n]*\\n$`));
      const b = writeLines(d, 'b.ndjson', [{ event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true }, task: 3 }]);
      expect((await cli('trace', b)).err).toBe(`drmstate trace: ${b}, line 1, field "task": expected a task name, got 3\n`);
      const c = writeLines(d, 'c.ndjson', [{ event: [1], outcome: { ok: true } }]);
      expect((await cli('trace', c)).err).toBe(`drmstate trace: ${c}, line 1, field "event": expected a kernel call {"type": …}\n`);
    });

    it('an object that does not exist, named before the last line', async () => {
      const f = writeLines(tempDir(), 'u.ndjson', [{ type: 'dma_fence_put', fence: 'ghost' }, { type: 'dma_fence_context_alloc', ctx: 'c' }]);
      const r = await cli('trace', f);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')).toHaveLength(2);
      expect(r.err).toMatch(new RegExp(`^drmstate trace: ${f}, line 1: unknown object: .*ghost.*only a trace's last line may name an object that does not exist\\n$`));
    });

    it('an unknown format, no file, or an empty trace', async () => {
      const f = writeLines(tempDir(), 'e.ndjson', [{ comment: 'nothing' }]);
      expect(await cli('trace', f, '--format', 'png')).toEqual({ code: 2, out: '', err: 'drmstate trace: unknown format "png" (formats: svg, mermaid)\n' });
      expect((await cli('trace')).code).toBe(2);
      expect(await cli('trace', f)).toEqual({ code: 2, out: '', err: `drmstate trace: ${f}: no call to draw\n` });
    });
  });

  it('exits 1 naming the line when a recorded outcome is not what the kernel answers', async () => {
    const f = writeLines(tempDir(), 'm.ndjson', [{ event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true, context: '7' } }]);
    const r = await cli('trace', f);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`drmstate trace: ${f}, line 1: the line recorded {"ok":true,"context":"7"}, the kernel answers {"ok":true,"context":"1"}\n`);
  });

  it('draws an unknown object on the last line as the finding', async () => {
    const d = tempDir();
    const f = join(d, 'k.trace.ndjson');
    writeFileSync(f, JSON.stringify({ event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true, context: '1' }, task: 'setup' }) + '\n' + JSON.stringify({ type: 'dma_fence_put', fence: 'ghost' }) + '\n');
    const r = await cli('trace', f);
    expect(r.code).toBe(0);
    expect(r.out).toContain('<title>k: unknown object</title>');
    expect(r.out).toContain('class="step unknown"');
  });

  it('is listed in drmstate --help', async () => {
    expect((await cli('--help')).out).toMatch(/^ {2}trace FILE {2,}draw a trace/m);
  });
});
