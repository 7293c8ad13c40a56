import type { CliIo } from './io.js';

/** One command-line option of a command, as `node:util` `parseArgs` reads it. */
export interface OptionSpec {
  /** `boolean` for `--name`, `string` for `--name VALUE` or `--name=VALUE`. */
  readonly type: 'boolean' | 'string';
  /** Whether a string option may be given more than once (its values are then a list). */
  readonly multiple?: boolean;
}

/** A command's arguments, read by `parseArgs` against its {@link Command.options}. */
export interface CommandArgs {
  /** The arguments that are not options, in order (`-` included). */
  readonly positionals: readonly string[];
  /** The options given: `true` for booleans, the value (or the list of values) for strings. */
  readonly values: { readonly [name: string]: boolean | string | readonly string[] | undefined };
}

/**
 * One `drmstate` command. Adding a command is one file exporting a `Command` and one line in
 * `COMMANDS` (src/cli/commands.ts): `main` parses its options, prints its help for `--help`, and
 * turns a bad option into one line and exit 2 before `run` is called.
 */
export interface Command {
  /** The word after `drmstate`. */
  readonly name: string;
  /** Its arguments for the command list of `drmstate --help` (`FILE...`, `LOG`). */
  readonly synopsis: string;
  /** One line for the command list of `drmstate --help`. */
  readonly summary: string;
  /** The text of `drmstate NAME --help`. */
  readonly help: string;
  /** Its options (`--help` is every command's and need not be listed). */
  readonly options: { readonly [name: string]: OptionSpec };
  /** Runs the command on its parsed arguments and returns (or resolves to) the exit code. */
  run(args: CommandArgs, io: CliIo): number | Promise<number>;
}

/** Whether the boolean option `name` was given. */
export function flag(args: CommandArgs, name: string): boolean {
  return args.values[name] === true;
}

/** The value of the string option `name` (the last one when it was given several times), or undefined. */
export function value(args: CommandArgs, name: string): string | undefined {
  const v = args.values[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v[v.length - 1] as string | undefined;
  return undefined;
}

/** Every value of the string option `name`, in order. */
export function values(args: CommandArgs, name: string): readonly string[] {
  const v = args.values[name];
  return typeof v === 'string' ? [v] : Array.isArray(v) ? (v as readonly string[]) : [];
}
