import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../errors.js';
import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../kernel/machines.js';
import { type DiagramOptions, SELF_LOOPS, type SelfLoops } from '../viz/selfLoops.js';
import { toDot } from '../viz/toDot.js';
import { toMermaid } from '../viz/toMermaid.js';
import { toScxml } from '../viz/toScxml.js';
import { type Graphviz, loadViz, toSvg } from '../viz/toSvg.js';
import { type Command, type CommandArgs, flag, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';

/** One drawing format of `drmstate viz`: its file extension and its renderer. */
export interface VizFormat {
  /** The extension of the files `--all` writes. */
  readonly ext: string;
  /** Draws one machine; `viz` is the run's Graphviz, loaded once when the format needs it. */
  readonly render: (machine: AnyStateMachine, options: DiagramOptions, viz: () => Promise<Graphviz>) => string | Promise<string>;
}

/** The drawing formats of `drmstate viz`, each with its extension and its renderer. */
export const VIZ_FORMATS: { readonly [format: string]: VizFormat } = {
  mermaid: { ext: 'mmd', render: (m, o) => toMermaid(m, o) },
  dot: { ext: 'dot', render: (m, o) => toDot(m, o) },
  svg: { ext: 'svg', render: async (m, o, viz) => toSvg(m, { ...o, viz: await viz() }) },
  scxml: { ext: 'scxml', render: (m, o) => toScxml(m, o) },
};

const machineList = (): string => Object.keys(MACHINES).sort().join(', ');
const formatList = (): string => Object.keys(VIZ_FORMATS).join(', ');

/** `drmstate viz --help`. */
export const VIZ_HELP = `Usage: drmstate viz --machine NAME --format mermaid|dot|svg|scxml [--self-loops fold|draw|hide] [--out FILE]
       drmstate viz --all --format FORMAT --out DIR [--self-loops fold|draw|hide]

Draws a statechart. Every transition that changes the state is labelled with its kernel
function, its guard in brackets, "/ ERRNO" for the errno it answers and "! kind" for the
violation it records; errno answers are drawn dashed and violations bold, each in its colour.

--machine NAME     the machine to draw
--all              draw every machine, into --out DIR as NAME.mmd, .dot, .svg or .scxml
--format FORMAT    mermaid (stateDiagram-v2), dot (Graphviz), svg (laid out by Graphviz in
                   WebAssembly) or scxml (W3C SCXML; guards as cond)
--self-loops MODE  the answers that keep the state (queries, refusals, violations):
                   fold (default) lists them in the state's box as "event [guard] answer",
                   draw draws each as a loop, hide leaves them out
--out FILE         write the drawing to FILE instead of stdout (with --all: a folder)
--help             this text

Machines: ${machineList()}
Formats: ${formatList()}

Exit codes: 0 ok; 2 bad input (an unknown machine, format or mode, a missing flag, an --out
that cannot be written).
`;

/** `drmstate viz`: draws a statechart. */
export const vizCommand: Command = {
  name: 'viz',
  synopsis: '',
  summary: 'draw a statechart: mermaid, dot, svg or scxml',
  help: VIZ_HELP,
  options: {
    machine: { type: 'string' },
    all: { type: 'boolean' },
    format: { type: 'string' },
    'self-loops': { type: 'string' },
    out: { type: 'string' },
  },
  run: viz,
};

function has<T>(table: { readonly [k: string]: T }, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

async function viz(args: CommandArgs, io: CliIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr(`drmstate viz: ${message}\n`);
    return EXIT.badInput;
  };
  if (args.positionals.length > 0) return fail(`unexpected argument "${args.positionals[0]}" (drmstate viz --help tells more)`);
  const id = value(args, 'machine');
  const all = flag(args, 'all');
  const formatName = value(args, 'format');
  if ((id === undefined) === !all || formatName === undefined)
    return fail('give --machine NAME (or --all) and --format FORMAT (drmstate viz --help tells more)');
  const format = has(VIZ_FORMATS, formatName);
  if (format === undefined) return fail(`unknown format "${formatName}" (formats: ${formatList()})`);
  const mode = value(args, 'self-loops') ?? 'fold';
  if (!(SELF_LOOPS as readonly string[]).includes(mode)) return fail(`unknown --self-loops "${mode}" (modes: ${SELF_LOOPS.join(', ')})`);
  const options: DiagramOptions = { selfLoops: mode as SelfLoops };
  let loaded: Promise<Graphviz> | undefined;
  const graphviz = (): Promise<Graphviz> => (loaded ??= loadViz());
  const out = value(args, 'out');
  const write = (path: string, text: string): string | undefined => {
    try {
      writeFileSync(path, text);
      return undefined;
    } catch (e) {
      return fileError('write', path, e).message;
    }
  };
  if (all) {
    if (out === undefined) return fail('--all writes one file per machine: give --out DIR');
    try {
      mkdirSync(out, { recursive: true });
    } catch (e) {
      return fail(fileError('create', out, e).message);
    }
    for (const [name, machine] of Object.entries(MACHINES).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const problem = write(join(out, `${name}.${format.ext}`), await format.render(machine, options, graphviz));
      if (problem !== undefined) return fail(problem);
    }
    return EXIT.ok;
  }
  const machine = has(MACHINES, id!);
  if (machine === undefined) return fail(`unknown machine "${id}" (machines: ${machineList()})`);
  const text = await format.render(machine, options, graphviz);
  if (out === undefined) io.stdout(text);
  else {
    const problem = write(out, text);
    if (problem !== undefined) return fail(problem);
  }
  return EXIT.ok;
}
