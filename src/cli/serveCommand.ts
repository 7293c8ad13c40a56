import { statSync } from 'node:fs';
import { type Command, type CommandArgs, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';
import { type RunningServer, startServer } from './serve.js';

/** `drmstate serve --help`. */
export const SERVE_HELP = `Usage: drmstate serve [DIR] [--port N]

Serves the web simulator on http://127.0.0.1:N/ (loopback only) until interrupted. The page opens
the models (*.model.json), counterexample traces (*.trace.ndjson), logs (*.log.ndjson) and
scenarios (*.ndjson) under DIR (default: the current folder), steps through them with the
library bundled into the page, and draws the world after each step. The server only reads files
under DIR: paths out of it (.., absolute paths, symlinks leading out) answer 404. It writes nothing.

--port N   the port (default 8765; 0 picks a free one)
--help     this text

Exit codes: 0 stopped by a signal; 2 bad input (DIR not a folder, a bad port, the port taken).
`;

/** `drmstate serve`: the web simulator. */
export const serveCommand: Command = {
  name: 'serve',
  synopsis: '[DIR]',
  summary: 'serve the web simulator for the models, traces and logs under DIR',
  help: SERVE_HELP,
  options: { port: { type: 'string' } },
  run: serve,
};

/**
 * The server of a running `drmstate serve`, handed to `onStarted` (tests stop it through it);
 * without a hook, the command runs until SIGINT or SIGTERM.
 */
export interface ServeHooks {
  readonly onStarted?: (s: RunningServer) => void;
}

async function serve(args: CommandArgs, io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  if (args.positionals.length > 1) {
    io.stderr(`drmstate serve: one folder at most, got ${args.positionals.length} (drmstate serve --help tells more)\n`);
    return EXIT.badInput;
  }
  const dir = args.positionals[0] ?? '.';
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    io.stderr(`drmstate serve: ${dir}: not a folder\n`);
    return EXIT.badInput;
  }
  const portText = value(args, 'port') ?? '8765';
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    io.stderr(`drmstate serve: --port: expected a port number 0-65535, got "${portText}"\n`);
    return EXIT.badInput;
  }
  let running: RunningServer;
  try {
    running = await startServer(dir, port);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.stderr(`drmstate serve: ${code === 'EADDRINUSE' ? `port ${port} is in use` : (e as Error).message}\n`);
    return EXIT.badInput;
  }
  io.stdout(`drmstate simulator on ${running.url} serving ${dir} (Ctrl-C stops it)\n`);
  if (hooks.onStarted !== undefined) {
    hooks.onStarted(running);
    await new Promise<void>((done) => running.server.once('close', () => done()));
    return EXIT.ok;
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.ok;
}

/** Runs `drmstate serve` with hooks (for tests: the running server is handed over, and closing it ends the command). */
export function serveWith(args: CommandArgs, io: CliIo, hooks: ServeHooks): Promise<number> {
  return serve(args, io, hooks);
}
