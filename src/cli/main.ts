import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DrmstateError } from '../errors.js';
import type { Command, CommandArgs } from './Command.js';
import { COMMANDS } from './commands.js';
import { EXIT, type CliIo } from './io.js';
import { drmstateVersion } from './version.js';

/** `drmstate --help`. */
export function mainHelp(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.synopsis}`.trimEnd().length)) + 2;
  const list = commands.map((c) => `  ${`${c.name} ${c.synopsis}`.trimEnd().padEnd(width)} ${c.summary}`).join('\n');
  return `drmstate: an executable, model-checked model of the Linux GPU-driver protocols
(drm_mm, dma_fence, …). Every kernel call is an event; the log rebuilds the world.

Usage: drmstate COMMAND [options]
       drmstate --version

Commands:
${list}

drmstate COMMAND --help tells more.
`;
}

/** A `parseArgs` failure in one line: `unknown option --jsn`, `--log needs a value`. */
function optionError(e: unknown): string | undefined {
  if (!(e instanceof TypeError)) return undefined;
  const code = (e as { code?: unknown }).code;
  const msg = e.message;
  const name = /option '(-{1,2}[^' =]+)/i.exec(msg)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${name ?? msg}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return /does not take an argument/.test(msg) ? `${name} takes no value` : `${name ?? 'an option'} needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${/'([^']*)'/.exec(msg)?.[1] ?? ''}`.trimEnd();
  return undefined;
}

function readArgs(c: Command, argv: readonly string[]): CommandArgs | string {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(c.options)) options[name] = o.multiple ? { type: o.type, multiple: true } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    const line = optionError(e);
    if (line === undefined) throw e;
    return line;
  }
  for (const [name, v] of Object.entries(parsed.values))
    if (v === '' || (Array.isArray(v) && v.includes(''))) return `--${name} needs a value`;
  return { positionals: parsed.positionals, values: parsed.values as CommandArgs['values'] };
}

/**
 * The command line: runs one command and returns its exit code (0 ok, 1 mismatch, 2 bad input).
 * Nothing it reports is a stack trace: bad input is one line naming what is wrong, and an internal
 * failure is one line too (exit 3).
 *
 * @example
 *   process.exitCode = await main(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd === undefined ? io.stderr : io.stdout)(mainHelp());
    return cmd === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.stdout(`drmstate ${drmstateVersion()}\n`);
    return EXIT.ok;
  }
  const c = COMMANDS.find((x) => x.name === cmd);
  if (c === undefined) {
    io.stderr(`drmstate: unknown command "${cmd}" (commands: ${COMMANDS.map((x) => x.name).join(', ')}; drmstate --help tells more)\n`);
    return EXIT.badInput;
  }
  try {
    const args = readArgs(c, rest);
    if (typeof args === 'string') {
      io.stderr(`drmstate ${c.name}: ${args} (drmstate ${c.name} --help lists the options)\n`);
      return EXIT.badInput;
    }
    if (args.values.help === true) {
      io.stdout(c.help);
      return EXIT.ok;
    }
    return await c.run(args, io);
  } catch (e) {
    if (e instanceof DrmstateError) {
      io.stderr(`drmstate ${c.name}: ${e.message}\n`);
      return EXIT.badInput;
    }
    io.stderr(`drmstate ${c.name}: internal error: ${e instanceof Error ? e.message : String(e)} (a bug in drmstate: please report it)\n`);
    return EXIT.internal;
  }
}
