/**
 * The simulator's web server: the built page (dist/web) and the files of one folder, read-only,
 * on the loopback interface only.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The address the server binds: loopback only, never a public interface. */
export const SERVE_HOST = '127.0.0.1';

const TYPES: { readonly [ext: string]: string } = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** The folder of the built page: `dist/web` of the package, whether this module runs from `src/` or `dist/src/`. */
export function webRoot(): string | undefined {
  for (const rel of ['../../web/', '../../dist/web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** A file the page can open: its path under the folder (with `/`) and what it holds. */
export interface ServedFile {
  readonly path: string;
  readonly kind: 'model' | 'trace' | 'log' | 'scenario';
}

function kindOf(name: string): ServedFile['kind'] | undefined {
  if (name.endsWith('.model.json')) return 'model';
  if (name.endsWith('.trace.ndjson')) return 'trace';
  if (name.endsWith('.log.ndjson')) return 'log';
  if (name.endsWith('.ndjson')) return 'scenario';
  return undefined;
}

/**
 * The models, traces, logs and scenarios under `root` (four folders deep at most; hidden folders
 * and `node_modules` skipped; symlinks not followed), sorted by path.
 */
export function listServedFiles(root: string): ServedFile[] {
  const out: ServedFile[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && depth < 4) walk(full, depth + 1);
      } else if (e.isFile()) {
        const kind = kindOf(e.name);
        if (kind !== undefined) out.push({ path: relative(root, full).split(sep).join('/'), kind });
      }
    }
  };
  walk(root, 0);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Resolves a request path under `root` to a regular file inside it, or undefined: `..`, absolute
 * paths, NUL bytes and symlinks that lead out of `root` are refused.
 */
export function fileUnder(root: string, requested: string): string | undefined {
  if (requested.includes('\0') || requested.startsWith('/') || requested.startsWith('\\') || /^[A-Za-z]:/.test(requested)) return undefined;
  const base = realpathSync(root);
  const target = resolve(base, requested);
  if (target !== base && !target.startsWith(base + sep)) return undefined;
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return undefined;
  }
  if (!real.startsWith(base + sep)) return undefined;
  try {
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, code: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(head ? undefined : body);
}

function notFound(res: ServerResponse, head: boolean): void {
  send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
}

/** Answers one request: the page, its assets, the file list, or a file of the folder. */
function handle(root: string, web: string, req: IncomingMessage, res: ServerResponse): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('read-only: GET and HEAD only\n');
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return notFound(res, head);
  }
  if (path === '/' || path === '/index.html') return send(res, 200, TYPES['.html'] as string, readFileSync(join(web, 'index.html')), head);
  if (path === '/api/files') return send(res, 200, TYPES['.json'] as string, JSON.stringify(listServedFiles(root)), head);
  if (path.startsWith('/assets/')) {
    const f = fileUnder(web, path.slice(1));
    return f === undefined ? notFound(res, head) : send(res, 200, TYPES[extname(f)] ?? 'application/octet-stream', readFileSync(f), head);
  }
  if (path.startsWith('/files/')) {
    const f = fileUnder(root, path.slice('/files/'.length));
    return f === undefined ? notFound(res, head) : send(res, 200, TYPES[extname(f)] ?? 'text/plain; charset=utf-8', readFileSync(f), head);
  }
  return notFound(res, head);
}

/** A running simulator server. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Starts the simulator server for the files under `dir` on 127.0.0.1 (port 0: any free port).
 *
 * @throws {Error} when the page is not built (`npm run build` builds it) or the port is taken.
 */
export function startServer(dir: string, port: number): Promise<RunningServer> {
  const web = webRoot();
  if (web === undefined) return Promise.reject(new Error('the simulator page is not built (npm run build builds dist/web)'));
  const root = realpathSync(dir);
  const server = createServer((req, res) => {
    try {
      handle(root, web, req, res);
    } catch {
      if (!res.headersSent) notFound(res, req.method === 'HEAD');
      else res.end();
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, SERVE_HOST, () => {
      const a = server.address();
      const p = typeof a === 'object' && a !== null ? a.port : port;
      ok({ url: `http://${SERVE_HOST}:${p}/`, port: p, server, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
