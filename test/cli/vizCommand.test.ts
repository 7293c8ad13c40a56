import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { toDot } from '../../src/viz/toDot.js';
import { toMermaid } from '../../src/viz/toMermaid.js';
import { toScxml } from '../../src/viz/toScxml.js';
import { cli, tempDir } from './helpers.js';

describe('drmstate viz', () => {
  for (const id of Object.keys(MACHINES)) {
    it(`prints ${id} in every format`, async () => {
      const machine = MACHINES[id]!;
      expect(await cli('viz', '--machine', id, '--format', 'mermaid')).toEqual({ code: 0, out: toMermaid(machine), err: '' });
      expect(await cli('viz', '--machine', id, '--format', 'dot')).toEqual({ code: 0, out: toDot(machine), err: '' });
      expect(await cli('viz', '--machine', id, '--format', 'scxml')).toEqual({ code: 0, out: toScxml(machine), err: '' });
      const svg = await cli('viz', `--machine=${id}`, '--format=svg');
      expect(svg.code).toBe(0);
      expect(svg.out).toMatch(/^(<\?xml|<svg)/);
      expect(svg.out).toContain('<svg');
    });
  }

  it('folds the answers that keep the state by default, and draws or hides them under --self-loops', async () => {
    const m = MACHINES['dma_fence_cb']!;
    for (const mode of ['fold', 'draw', 'hide'] as const) {
      for (const [format, render] of [['mermaid', toMermaid], ['dot', toDot], ['scxml', toScxml]] as const)
        expect(await cli('viz', '--machine', 'dma_fence_cb', '--format', format, '--self-loops', mode)).toEqual({ code: 0, out: render(m, { selfLoops: mode }), err: '' });
    }
    expect((await cli('viz', '--machine', 'dma_fence_cb', '--format', 'mermaid')).out).toBe(toMermaid(m, { selfLoops: 'fold' }));
    expect(toMermaid(m, { selfLoops: 'fold' })).not.toBe(toMermaid(m, { selfLoops: 'draw' }));
    const svg = await cli('viz', '--machine', 'dma_fence_cb', '--format', 'svg', '--self-loops', 'draw');
    expect(svg.out).toContain('unqueued&#45;&gt;unqueued');
    expect((await cli('viz', '--machine', 'dma_fence_cb', '--format', 'svg')).out).not.toContain('unqueued&#45;&gt;unqueued');
  });

  it('exits 2 naming the modes for an unknown --self-loops', async () => {
    const r = await cli('viz', '--machine', 'dma_fence', '--format', 'dot', '--self-loops', 'loop');
    expect(r).toEqual({ code: 2, out: '', err: 'drmstate viz: unknown --self-loops "loop" (modes: fold, draw, hide)\n' });
  });

  it('draws every machine into a folder with --all, one file per machine named after it', async () => {
    const dir = join(tempDir(), 'diagrams');
    expect(await cli('viz', '--all', '--format', 'mermaid', '--out', dir)).toEqual({ code: 0, out: '', err: '' });
    expect(readdirSync(dir).sort()).toEqual(Object.keys(MACHINES).map((id) => `${id}.mmd`).sort());
    for (const [id, m] of Object.entries(MACHINES)) expect(readFileSync(join(dir, `${id}.mmd`), 'utf8')).toBe(toMermaid(m));
    expect(await cli('viz', '--all', '--format', 'scxml', '--self-loops', 'hide', '--out', dir)).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'drm_mm.scxml'), 'utf8')).toBe(toScxml(MACHINES['drm_mm']!, { selfLoops: 'hide' }));
  });

  it('exits 2 for --all without --out, or with --machine', async () => {
    expect(await cli('viz', '--all', '--format', 'svg')).toEqual({ code: 2, out: '', err: 'drmstate viz: --all writes one file per machine: give --out DIR\n' });
    const r = await cli('viz', '--all', '--machine', 'dma_fence', '--format', 'svg', '--out', tempDir());
    expect(r.code).toBe(2);
    expect(r.err).toBe('drmstate viz: give --machine NAME (or --all) and --format FORMAT (drmstate viz --help tells more)\n');
  });

  it('writes the drawing to --out instead of stdout', async () => {
    const out = join(tempDir(), 'fence.mmd');
    const r = await cli('viz', '--machine', 'dma_fence', '--format', 'mermaid', '--out', out);
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(readFileSync(out, 'utf8')).toBe(toMermaid(MACHINES['dma_fence']!));
  });

  it('exits 2 naming the machines for an unknown machine', async () => {
    const r = await cli('viz', '--machine', 'no_such_machine', '--format', 'dot');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('unknown machine "no_such_machine"');
    for (const id of Object.keys(MACHINES)) expect(r.err).toContain(id);
  });

  it('exits 2 naming the formats for an unknown format', async () => {
    const r = await cli('viz', '--machine', 'dma_fence', '--format', 'png');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown format "png" (formats: mermaid, dot, svg, scxml)');
  });

  it('exits 2 when --machine or --format is missing, or an option is unknown', async () => {
    expect((await cli('viz', '--machine', 'dma_fence')).code).toBe(2);
    expect((await cli('viz', '--format', 'dot')).code).toBe(2);
    const r = await cli('viz', '--machine', 'dma_fence', '--format', 'dot', '--colour');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --colour');
  });

  it('exits 2 in one line naming an --out that cannot be written: a missing folder, or a folder', async () => {
    const missing = join(tempDir(), 'no', 'such', 'dir.dot');
    const r = await cli('viz', '--machine', 'dma_fence', '--format', 'dot', '--out', missing);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`drmstate viz: cannot write ${missing}: no such file or directory\n`);
    const dir = tempDir();
    const d = await cli('viz', '--machine', 'dma_fence', '--format', 'dot', '--out', dir);
    expect(d.code).toBe(2);
    expect(d.err).toBe(`drmstate viz: cannot write ${dir}: it is a directory\n`);
  });

  it('prints its help with --help, listing machines and formats', async () => {
    const r = await cli('viz', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: drmstate viz --machine NAME --format mermaid|dot|svg|scxml [--self-loops fold|draw|hide] [--out FILE]');
    expect(r.out).toContain(`Machines: ${Object.keys(MACHINES).sort().join(', ')}`);
  });

  it('is listed in drmstate --help', async () => {
    const r = await cli('--help');
    expect(r.out).toMatch(/^ {2}viz {2,}draw a statechart/m);
  });
});
