import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir, writeLines } from './helpers.js';

async function recordedLog(): Promise<string> {
  const dir = tempDir();
  const file = writeLines(dir, 's.ndjson', [
    { type: 'dma_fence_context_alloc', ctx: 'c' },
    { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
    { type: 'dma_fence_signal', fence: 'f' },
  ]);
  const log = join(dir, 'log.ndjson');
  await cli('run', file, '--log', log);
  return log;
}

describe('drmstate replay', () => {
  it('exits 0 when every outcome and fingerprint matches, and says so in JSON', async () => {
    const log = await recordedLog();
    const r = await cli('replay', log, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, events: 3 });
  });

  it('exits 1 at the first recorded outcome the model does not reproduce', async () => {
    const log = await recordedLog();
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('"seqno":"1"', '"seqno":"9"');
    writeFileSync(log, lines.join('\n'));
    const r = await cli('replay', log, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, seq: 2, line: 3, field: 'outcome' });
  });

  it('exits 1 when a recorded fingerprint differs', async () => {
    const log = await recordedLog();
    const text = readFileSync(log, 'utf8').replace(/"fingerprint":"[0-9a-f]{16}"}\n$/, '"fingerprint":"0000000000000000"}\n');
    writeFileSync(log, text);
    const r = await cli('replay', log, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ field: 'fingerprint', seq: 3 });
  });

  it('reports a torn last line with its number, and keeps the intact prefix only with --repair', async () => {
    const log = await recordedLog();
    const before = readFileSync(log, 'utf8');
    appendFileSync(log, '{"seq":4,"event":{"type":"dma_fence_put","fen');
    const torn = await cli('replay', log);
    expect(torn.code).toBe(2);
    expect(torn.err).toContain('line 5');
    expect(torn.err).toContain('--repair');
    expect(readFileSync(log, 'utf8')).toBe(before + '{"seq":4,"event":{"type":"dma_fence_put","fen');
    const fixed = await cli('replay', log, '--repair');
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('replayed 3 calls');
    expect(readFileSync(log, 'utf8')).toBe(before);
  });

  it('treats a complete line with bad JSON in the middle as bad input naming its line', async () => {
    const log = await recordedLog();
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[2] = '{not json';
    writeFileSync(log, lines.join('\n'));
    const r = await cli('replay', log, '--repair');
    expect(r.code).toBe(2);
    expect(r.err).toContain('line 3');
  });

  it('names the field of a malformed entry', async () => {
    const log = await recordedLog();
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[1] = JSON.stringify({ seq: 1, event: { type: 'dma_fence_context_alloc', ctx: 'c' }, outcome: { ok: true, context: '1' }, fingerprint: 'xyz' });
    writeFileSync(log, lines.join('\n'));
    const r = await cli('replay', log);
    expect(r.code).toBe(2);
    expect(r.err).toContain('line 2, field "fingerprint"');
  });

  it('rejects a file that is not a drmstate log', async () => {
    const dir = tempDir();
    const p = writeLines(dir, 'x.ndjson', [{ format: 'something-else', version: 1 }]);
    const r = await cli('replay', p);
    expect(r.code).toBe(2);
    expect(r.err).toContain('line 1, field "format"');
  });

  it('exits 2 in one line naming a log that is missing or a folder', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.ndjson');
    const r = await cli('replay', missing);
    expect(r).toEqual({ code: 2, out: '', err: `drmstate replay: cannot read ${missing}: no such file or directory\n` });
    const d = await cli('replay', dir, '--json');
    expect(d.code).toBe(2);
    expect(d.err).toBe(`drmstate replay: cannot read ${dir}: it is a directory\n`);
    expect(JSON.parse(d.out)).toMatchObject({ ok: false, error: 'BAD_ARGUMENT' });
  });

  it('exits 2 in one line for no log or two', async () => {
    expect(await cli('replay')).toEqual({ code: 2, out: '', err: 'drmstate replay: give exactly one log file (drmstate replay --help tells more)\n' });
    expect((await cli('replay', 'a', 'b')).code).toBe(2);
  });
});
