import { CHECK_HELP, checkCommand } from './checkCommand.js';
import { EXIT, type CliIo } from './io.js';
import { PATHS_HELP, pathsCommand } from './pathsCommand.js';
import { REPLAY_HELP, replayCommand } from './replayCommand.js';
import { RUN_HELP, runCommand } from './runCommand.js';
import { VIZ_HELP, vizCommand } from './vizCommand.js';

/** `drmstate --help`. */
export const MAIN_HELP = `drmstate: an executable, model-checked model of the Linux GPU-driver protocols
(drm_mm, dma_fence, …). Every kernel call is an event; the log rebuilds the world.

Usage: drmstate COMMAND [options]

Commands:
  check [FILE|DIR] model-check bounded models (models/ by default): every interleaving
  run FILE...      run scenarios (one kernel call per line) and print the outcomes
  replay LOG       re-apply a recorded log and check every outcome and fingerprint
  paths            generate statechart test paths; --coverage runs them all
  viz              draw a statechart: mermaid, dot, svg or scxml

drmstate COMMAND --help tells more.
`;

const COMMANDS: { readonly [name: string]: { run: (argv: readonly string[], io: CliIo) => number | Promise<number>; help: string } } = {
  check: { run: checkCommand, help: CHECK_HELP },
  run: { run: runCommand, help: RUN_HELP },
  replay: { run: replayCommand, help: REPLAY_HELP },
  paths: { run: pathsCommand, help: PATHS_HELP },
  viz: { run: vizCommand, help: VIZ_HELP },
};

/**
 * The command line: runs one command and returns its exit code (0 ok, 1 mismatch, 2 bad input).
 *
 * @example
 *   process.exitCode = await main(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(MAIN_HELP);
    return cmd === undefined ? EXIT.badInput : EXIT.ok;
  }
  const c = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (c === undefined) {
    io.stderr(`drmstate: unknown command "${cmd}"\n\n${MAIN_HELP}`);
    return EXIT.badInput;
  }
  try {
    return await c.run(rest, io);
  } catch (e) {
    if (e instanceof Error && /^(unknown option|--\w+ (needs|takes))/.test(e.message)) {
      io.stderr(`drmstate ${cmd}: ${e.message}\n\n${c.help}`);
      return EXIT.badInput;
    }
    throw e;
  }
}
