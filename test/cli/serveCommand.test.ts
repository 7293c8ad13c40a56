import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, fileUnder, listServedFiles, startServer, webRoot } from '../../src/cli/serve.js';
import { serveWith } from '../../src/cli/serveCommand.js';
import { cli, tempDir } from './helpers.js';

/** A raw GET (or another method) of exactly `path`, not normalised the way `fetch` would. */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', fail);
    req.end();
  });
}

function folder(): { root: string; outside: string } {
  const base = tempDir();
  const root = join(base, 'served');
  mkdirSync(join(root, 'models'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'models', 'a.model.json'), '{"model":"a"}');
  writeFileSync(join(root, 'b.trace.ndjson'), '{"type":"dma_fence_context_alloc","ctx":"c"}\n');
  writeFileSync(join(root, 'notes.txt'), 'not listed');
  writeFileSync(join(root, '.hidden', 'h.ndjson'), '{}');
  writeFileSync(join(base, 'secret.ndjson'), 'outside');
  symlinkSync(join(base, 'secret.ndjson'), join(root, 'link.ndjson'));
  return { root, outside: join(base, 'secret.ndjson') };
}

describe('the simulator server', () => {
  const { root, outside } = folder();
  let s: RunningServer;
  beforeAll(async () => {
    s = await startServer(root, 0);
  });
  afterAll(() => s.close());

  it('binds the loopback interface only', () => {
    const a = s.server.address();
    expect(typeof a === 'object' && a !== null ? a.address : a).toBe('127.0.0.1');
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
  });

  it('serves the built page and its assets', async () => {
    expect(webRoot()).toBeDefined();
    const page = await get(s.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('drmstate simulator');
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset).toBeDefined();
    const js = await get(s.port, `/${asset}`);
    expect(js.status).toBe(200);
    expect(js.type).toContain('javascript');
  });

  it('lists the models, traces and scenarios under the folder, not hidden ones or other files', async () => {
    const r = await get(s.port, '/api/files');
    // link.ndjson is a symlink (out of the folder): not listed.
    expect(JSON.parse(r.body)).toEqual([
      { path: 'b.trace.ndjson', kind: 'trace' },
      { path: 'models/a.model.json', kind: 'model' },
    ]);
  });

  it('serves a file under the folder', async () => {
    const r = await get(s.port, '/files/models/a.model.json');
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"model":"a"}');
  });

  it('answers 404 for traversal, absolute paths, symlinks out of the folder and missing files', async () => {
    for (const p of ['/files/..%2fsecret.ndjson', '/files/%2e%2e/secret.ndjson', '/files/models/..%2f..%2fsecret.ndjson', `/files/${encodeURIComponent(outside)}`, '/files//etc/passwd', '/files/link.ndjson', '/files/nope.ndjson', '/files/models', '/files/%00', '/nothing', '/assets/..%2f..%2f..%2fpackage.json', '/assets/..%2f..%2fsrc%2findex.js']) {
      const r = await get(s.port, p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toContain('outside');
    }
  });

  it('is read-only: other methods answer 405, and the folder is unchanged', async () => {
    const before = readdirSync(root, { recursive: true }).sort();
    for (const m of ['POST', 'PUT', 'DELETE']) expect((await get(s.port, '/files/b.trace.ndjson', m)).status).toBe(405);
    expect(readdirSync(root, { recursive: true }).sort()).toEqual(before);
  });
});

describe('fileUnder and listServedFiles', () => {
  it('resolve only regular files inside the folder', () => {
    const { root } = folder();
    expect(fileUnder(root, 'models/a.model.json')).toMatch(/a\.model\.json$/);
    for (const p of ['../secret.ndjson', '/etc/passwd', 'link.ndjson', 'models', 'x\0y', 'C:/x']) expect(fileUnder(root, p), p).toBeUndefined();
    // The symlink is listed by name only when it is a real file: it is not.
    expect(listServedFiles(root).map((f) => f.path)).toEqual(['b.trace.ndjson', 'models/a.model.json']);
  });
});

describe('drmstate serve', () => {
  it('exits 2 for a folder that does not exist, two folders, or a bad port', async () => {
    expect((await cli('serve', '/no/such/folder')).code).toBe(2);
    expect((await cli('serve', '/no/such/folder')).err).toContain('not a folder');
    expect((await cli('serve', '.', '.')).code).toBe(2);
    const bad = await cli('serve', '.', '--port', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--port');
    expect((await cli('serve', '.', '--port', '70000')).code).toBe(2);
  });

  it('says where it serves, and stops when its server closes', async () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t) };
    const code = await serveWith({ positionals: ['.'], values: { port: '0' } }, io, { onStarted: (r) => void r.close() });
    expect(code).toBe(0);
    expect(out).toMatch(/on http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('exits 2 when the port is in use', async () => {
    const s = await startServer('.', 0);
    try {
      const r = await cli('serve', '.', '--port', String(s.port));
      expect(r.code).toBe(2);
      expect(r.err).toContain('in use');
    } finally {
      await s.close();
    }
  });
});
