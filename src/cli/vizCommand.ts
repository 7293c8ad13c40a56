import { writeFileSync } from 'node:fs';
import { fileError } from '../errors.js';
import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../kernel/machines.js';
import { toDot } from '../viz/toDot.js';
import { toMermaid } from '../viz/toMermaid.js';
import { toScxml } from '../viz/toScxml.js';
import { loadViz, toSvg } from '../viz/toSvg.js';
import { type Command, type CommandArgs, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';

/**
 * The drawing formats of `drmstate viz`, each with its renderer. A run draws one machine, so `svg`
 * loads Graphviz once for the run it serves.
 */
export const VIZ_FORMATS: { readonly [format: string]: (machine: AnyStateMachine) => string | Promise<string> } = {
  mermaid: toMermaid,
  dot: toDot,
  svg: async (machine) => toSvg(machine, { viz: await loadViz() }),
  scxml: toScxml,
};

const machineList = (): string => Object.keys(MACHINES).sort().join(', ');
const formatList = (): string => Object.keys(VIZ_FORMATS).join(', ');

/** `drmstate viz --help`. */
export const VIZ_HELP = `Usage: drmstate viz --machine NAME --format mermaid|dot|svg|scxml [--out FILE]

Draws a statechart. Every authored transition is labelled with its kernel function, its guard in
brackets, "/ ERRNO" for the errno it answers and "! kind" for the violation it records.

--machine NAME   the machine to draw
--format FORMAT  mermaid (stateDiagram-v2), dot (Graphviz), svg (laid out by Graphviz in
                 WebAssembly) or scxml (W3C SCXML; guards as cond)
--out FILE       write the drawing to FILE instead of stdout
--help           this text

Machines: ${machineList()}
Formats: ${formatList()}

Exit codes: 0 ok; 2 bad input (an unknown machine or format, a missing flag).
`;

/** `drmstate viz`: draws a statechart. */
export const vizCommand: Command = {
  name: 'viz',
  synopsis: '',
  summary: 'draw a statechart: mermaid, dot, svg or scxml',
  help: VIZ_HELP,
  options: { machine: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  run: viz,
};

async function viz(args: CommandArgs, io: CliIo): Promise<number> {
  if (args.positionals.length > 0) {
    io.stderr(`drmstate viz: unexpected argument "${args.positionals[0]}" (drmstate viz --help tells more)\n`);
    return EXIT.badInput;
  }
  const id = value(args, 'machine');
  const format = value(args, 'format');
  if (id === undefined || format === undefined) {
    io.stderr(`drmstate viz: give --machine NAME and --format FORMAT (drmstate viz --help tells more)\n`);
    return EXIT.badInput;
  }
  const machine = Object.prototype.hasOwnProperty.call(MACHINES, id) ? MACHINES[id] : undefined;
  if (machine === undefined) {
    io.stderr(`drmstate viz: unknown machine "${id}" (machines: ${machineList()})\n`);
    return EXIT.badInput;
  }
  const render = Object.prototype.hasOwnProperty.call(VIZ_FORMATS, format) ? VIZ_FORMATS[format] : undefined;
  if (render === undefined) {
    io.stderr(`drmstate viz: unknown format "${format}" (formats: ${formatList()})\n`);
    return EXIT.badInput;
  }
  const text = await render(machine);
  const out = value(args, 'out');
  if (out === undefined) io.stdout(text);
  else {
    try {
      writeFileSync(out, text);
    } catch (e) {
      io.stderr(`drmstate viz: ${fileError('write', out, e).message}\n`);
      return EXIT.badInput;
    }
  }
  return EXIT.ok;
}
