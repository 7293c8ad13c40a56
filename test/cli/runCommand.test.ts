import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRMSTATE_VERSION } from '../../src/version.js';
import { cli, cliWithStdin, tempDir, writeLines } from './helpers.js';

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

  it('keeps the objects of each violation in --json outcomes', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', [...SCENARIO.slice(0, 2), { type: 'dma_fence_put', fence: '__proto__' }, { type: 'dma_fence_put', fence: '__proto__' }]);
    const r = await cli('run', file, '--json');
    const last = JSON.parse(r.out.trimEnd().split('\n')[3] as string) as { violations: { kind: string; objects?: string[] }[] };
    expect(last.violations.map((v) => v.kind)).toEqual(['refcount_underflow']);
    expect(last.violations[0]?.objects).toEqual(['__proto__']);
  });
});

describe('drmstate run: u64 fields', () => {
  it('refuses a u64 JSON number of 2^53 or more as out of range, naming the digits written and the value read', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.ndjson');
    writeFileSync(file, '{"type":"drm_mm_init","mm":"m","start":"0","size":18446744073709551615}\n');
    const r = await cli('run', file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `drmstate run: ${file}, line 1, field "size": drm_mm_init: the JSON number 18446744073709551615 (read as 18446744073709551616) is out of range: a JSON number of 2^53 or more loses digits when it is read, so write this u64 as a decimal string (in quotes)\n`,
    );
  });

  it('accepts the same value as a decimal string, and a JSON number below 2^53', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 'ok.ndjson', [
      { type: 'drm_mm_init', mm: 'm', start: '0', size: '18446744073709551615' },
      { type: 'drm_mm_insert_node', mm: 'm', node: 'n', size: 2 ** 53 - 1 },
    ]);
    const r = await cli('run', file, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trimEnd().split('\n')[1] as string)).toEqual({ ok: true, start: '0' });
  });

  it('says "out of range" for a negative u64', async () => {
    const dir = tempDir();
    const r = await cli('run', writeLines(dir, 'neg.ndjson', [{ type: 'drm_mm_init', mm: 'm', start: -1, size: '1' }]));
    expect(r.code).toBe(2);
    expect(r.err).toContain('field "start": drm_mm_init: -1 is out of range for a u64 (0 to 2^64 - 1)');
  });
});

describe('drmstate run: files', () => {
  const one = [SCENARIO[0] as object];

  it('exits 2 in one line naming a log path in a folder that does not exist, or a folder', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', one);
    const r = await cli('run', file, '--log', '/no/such/dir/x.log');
    expect(r.code).toBe(2);
    expect(r.err).toBe('drmstate run: cannot create the log file /no/such/dir/x.log: no such file or directory\n');
    expect(r.out).toBe('');
    const d = await cli('run', file, '--log', dir);
    expect(d.code).toBe(2);
    expect(d.err).toBe(`drmstate run: cannot create the log file ${dir}: it is a directory\n`);
  });

  it('exits 2 in one line naming an input that is missing, a folder, or under a file', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', one);
    const cases: [string, string][] = [
      [join(dir, 'missing.ndjson'), 'no such file or directory'],
      [dir, 'it is a directory'],
      [join(file, 'x'), 'a part of the path is not a directory'],
    ];
    for (const [input, why] of cases) {
      const r = await cli('run', file, input, '--json');
      expect(r.code).toBe(2);
      expect(r.err).toBe(`drmstate run: cannot read ${input}: ${why}\n`);
      // Every input is read before anything runs.
      expect(r.out).toBe('');
    }
  });

  it('refuses a --log that is one of the inputs, however it is spelt, and leaves the input alone', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', one);
    const before = readFileSync(file, 'utf8');
    const link = join(dir, 'link.ndjson');
    symlinkSync(file, link);
    for (const log of [file, relative(process.cwd(), file), join(dir, '.', 's.ndjson'), link]) {
      const r = await cli('run', file, '--log', log);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`drmstate run: --log ${log} would overwrite the input file ${file}: give another path\n`);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('reads standard input for -', async () => {
    const r = await cliWithStdin(JSON.stringify(SCENARIO[0]) + '\n', 'run', '-', '--json');
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"ok":true,"context":"1"}\n');
    const bad = await cliWithStdin('{oops\n', 'run', '-');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('drmstate run: standard input, line 1: not valid JSON\n');
    const twice = await cliWithStdin('', 'run', '-', '-');
    expect(twice.code).toBe(2);
  });

  it('records the log of standard input with --log', async () => {
    const dir = tempDir();
    const log = join(dir, 'out.log');
    const r = await cliWithStdin(JSON.stringify(SCENARIO[0]) + '\n', 'run', '-', '--log', log);
    expect(r.code).toBe(0);
    expect(existsSync(log)).toBe(true);
    expect((await cli('replay', log)).code).toBe(0);
  });
});

describe('drmstate run --strict and the leak view', () => {
  const clean = [
    { type: 'dma_fence_context_alloc', ctx: 'c' },
    { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
    { type: 'dma_fence_signal', fence: 'f' },
    { type: 'dma_fence_put', fence: 'f' },
  ];
  const leaky = [
    { type: 'dma_fence_context_alloc', ctx: 'c' },
    { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
    { type: 'dma_fence_begin_signalling', task: 't' },
    { type: 'drm_mm_init', mm: 'vram', start: '0', size: '4096' },
    { type: 'drm_mm_insert_node', mm: 'vram', node: 'n', size: '1024' },
  ];

  it('exits 1 with --strict when any violation was recorded, and 0 without it', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', SCENARIO);
    expect((await cli('run', file)).code).toBe(0);
    expect((await cli('run', file, '--strict')).code).toBe(0);
    const warned = writeLines(dir, 'w.ndjson', [...clean, { type: 'dma_fence_put', fence: 'f' }]);
    expect((await cli('run', warned)).code).toBe(0);
    expect((await cli('run', warned, '--strict', '--json')).code).toBe(1);
  });

  it('lists what is still alive at the end, without making it a violation', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', leaky);
    const r = await cli('run', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain("still alive at the end (the kernel's leak view; --leaks makes them violations):");
    expect(r.out).toContain('- dma_fence "f" (context 1, seqno 1, unsignaled) still holds 1 reference');
    expect(r.out).toContain('- task "t" is still inside a fence signalling section');
    expect(r.out).toContain('- drm_mm "vram" is not clean: 1 node still allocated (n)');
    expect(r.out).toContain('violations found: none; still alive at the end: 3');
    expect((await cli('run', file, '--strict')).code).toBe(0);
    expect((await cli('run', writeLines(dir, 'c.ndjson', clean))).out).toContain('nothing is left alive');
  });

  it('makes them leak violations with --leaks, which --strict fails on', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', leaky);
    const r = await cli('run', file, '--leaks');
    expect(r.code).toBe(0);
    expect(r.out).toContain('! leak: drm_mm "vram" is not clean');
    expect(r.out).toContain('violations found: leak ×3');
    expect((await cli('run', file, '--leaks', '--strict')).code).toBe(1);
    expect((await cli('run', writeLines(dir, 'c.ndjson', clean), '--leaks', '--strict')).code).toBe(0);
  });

  it('keeps stdout to one outcome per event with --json and prints the leak view on stderr as one JSON line', async () => {
    const dir = tempDir();
    const file = writeLines(dir, 's.ndjson', leaky);
    const r = await cli('run', file, '--json', '--leaks');
    expect(r.out.trimEnd().split('\n')).toHaveLength(leaky.length);
    const view = JSON.parse(r.err) as { file: string; leaks: { kind: string; objects: string[] }[]; violations: boolean };
    expect(view.file).toBe(file);
    expect(view.violations).toBe(true);
    expect(view.leaks.map((l) => [l.kind, l.objects])).toEqual([
      ['leak', ['f']],
      ['leak', ['t']],
      ['leak', ['vram', 'n']],
    ]);
  });
});

describe('drmstate run: scenario line forms', () => {
  const alloc = SCENARIO[0] as object;

  it('exits 2 for an outcome that is not an object, or has no boolean ok', async () => {
    const dir = tempDir();
    for (const outcome of ['ok', 1, null, [], { context: '1' }]) {
      const file = writeLines(dir, 'o.ndjson', [{ event: alloc, outcome }]);
      const r = await cli('run', file);
      expect(r.code, JSON.stringify(outcome)).toBe(2);
      expect(r.err).toContain(`${file}, line 1, field "outcome": expected an outcome object with a boolean "ok"`);
    }
  });

  it('exits 2 for an event with neither outcome nor expect, with both, or with an unknown member', async () => {
    const dir = tempDir();
    const cases: [object, string][] = [
      [{ event: alloc }, 'field "event": a line with "event" needs "outcome" (the whole outcome), "expect" (a subset of it) or "expect_violation"'],
      [{ event: alloc, outcome: { ok: true }, expect: { ok: true } }, 'field "expect": give "outcome" (the whole outcome) or "expect" (a subset), not both'],
      [{ event: alloc, expected: { ok: true } }, 'field "expected": unknown member'],
      [{ outcome: { ok: true } }, 'field "outcome": this member needs an "event" on the same line'],
      [{ event: alloc, expect: 'ok' }, 'field "expect": expected an object of outcome fields'],
      [{ event: alloc, expect: { ok: true }, expect_no_violations: false }, 'field "expect_no_violations": expected true'],
      [{ event: alloc, outcome: { ok: true }, expect_violation: 'bug_on' }, 'field "expect_violation": goes with "expect", not with "outcome"'],
    ];
    for (const [line, err] of cases) {
      const r = await cli('run', writeLines(dir, 'l.ndjson', [line]));
      expect(r.code, JSON.stringify(line)).toBe(2);
      expect(r.err).toContain(err);
    }
  });

  it('runs the {comment}, {event, expect} form: expect is a subset, and violations must be named', async () => {
    const dir = tempDir();
    const good = writeLines(dir, 'g.ndjson', [
      { comment: 'a context, a fence put twice' },
      { event: alloc, expect: { ok: true } },
      { event: { type: 'dma_fence_init', fence: 'f', ctx: 'c' }, expect: { seqno: '1' }, expect_no_violations: true },
      { event: { type: 'dma_fence_put', fence: 'f' }, expect: { ok: true } },
      { event: { type: 'dma_fence_put', fence: 'f' }, expect: { ok: false }, expect_violation: 'refcount_underflow' },
    ]);
    const r = await cli('run', good, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(4);
    const bad = writeLines(dir, 'b.ndjson', [
      { event: alloc, expect: { context: '2' } },
      { event: { type: 'dma_fence_init', fence: 'f', ctx: 'c' }, expect: { ok: true }, expect_violation: 'bug_on' },
      { event: { type: 'dma_fence_put', fence: 'f' }, expect: { ok: true } },
      { event: { type: 'dma_fence_put', fence: 'f' }, expect: { ok: false } },
    ]);
    const b = await cli('run', bad);
    expect(b.code).toBe(1);
    expect(b.err).toContain(`${bad}, line 1: outcome differs: expected context = "2"`);
    expect(b.err).toContain(`${bad}, line 2: outcome differs: expected a bug_on violation, got none`);
    expect(b.err).not.toContain('line 3');
    expect(b.err).toContain(`${bad}, line 4: outcome differs: expected no violations, got refcount_underflow`);
  });
});
