import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRMSTATE_VERSION } from '../../src/version.js';
import { cli, tempDir, writeLines } from './helpers.js';

const SCENARIO = [
  { type: 'dma_fence_context_alloc', ctx: 'c' },
  { type: 'dma_fence_init', fence: '__proto__', ctx: 'c' },
  { type: 'dma_fence_add_callback', fence: '__proto__', cb: 'constructor' },
  { type: 'dma_fence_add_callback', fence: '__proto__', cb: 'toString' },
  { type: 'dma_fence_signal', fence: '__proto__' },
  { type: 'dma_fence_signal', fence: '__proto__' },
];

describe('drmstate run', () => {
  it('prints exactly one JSON outcome per event line, in order, with --json', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', SCENARIO);
    const r = await cli('run', file, '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { ok: true, context: '1' },
      { ok: true, context: '1', seqno: '1' },
      { ok: true },
      { ok: true },
      { ok: true, callbacks: ['constructor', 'toString'] },
      { ok: false, errno: 'EINVAL' },
    ]);
  });

  it('skips blank lines and checks the expected outcomes of {event, outcome} lines', async () => {
    const dir = tempDir();
    const good = writeLines(dir, 'good.ndjson', [{ event: SCENARIO[0], outcome: { ok: true, context: '1' } }, '']);
    expect((await cli('run', good, '--json')).code).toBe(0);
    const bad = writeLines(dir, 'bad.ndjson', [{ event: SCENARIO[0], outcome: { ok: true, context: '7' } }]);
    const r = await cli('run', bad, '--json');
    expect(r.code).toBe(1);
    expect(r.err).toContain('line 1: outcome differs');
  });

  it('exits 2 naming the line and the field of a malformed event, after the intact lines ran', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', [SCENARIO[0] as object, { type: 'dma_fence_init', fence: 'f', ctx: 'c', seqno: -1 }]);
    const r = await cli('run', file, '--json');
    expect(r.code).toBe(2);
    expect(r.out.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain('line 2');
    expect(r.err).toContain('field "seqno"');
  });

  it('exits 2 naming the line of invalid JSON and of a name never created', async () => {
    const dir = tempDir();
    const a = writeLines(dir, 'a.ndjson', ['{"type": "dma_fence_context_alloc", "ctx": "c"}', '{oops']);
    const ra = await cli('run', a);
    expect(ra.code).toBe(2);
    expect(ra.err).toContain('line 2');
    const b = writeLines(dir, 'b.ndjson', [{ type: 'dma_fence_signal', fence: 'nobody' }]);
    const rb = await cli('run', b);
    expect(rb.code).toBe(2);
    expect(rb.err).toMatch(/line 1, field "fence": no fence named "nobody"/);
  });

  it('records a log with --log that replay accepts', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', SCENARIO);
    const log = join(dir, 'out.log.ndjson');
    expect((await cli('run', file, '--log', log)).code).toBe(0);
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0] as string)).toEqual({ format: 'drmstate-log', version: 2, drmstate: DRMSTATE_VERSION });
    expect(lines).toHaveLength(SCENARIO.length + 1);
    const r = await cli('replay', log);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`replayed ${SCENARIO.length} calls`);
  });

  it('prints its help with --help and rejects unknown options', async () => {
    expect((await cli('run', '--help')).out).toContain('Usage: drmstate run');
    const r = await cli('run', 'x', '--jsn');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --jsn');
  });
});

describe('drmstate', () => {
  it('lists its commands with --help and rejects an unknown command', async () => {
    const h = await cli('--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('replay LOG');
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
  });
});
