import { writeFileSync } from 'node:fs';
import type { AnyStateMachine } from 'xstate';
import { MACHINES } from '../kernel/machines.js';
import { toDot } from '../viz/toDot.js';
import { toMermaid } from '../viz/toMermaid.js';
import { toScxml } from '../viz/toScxml.js';
import { toSvg } from '../viz/toSvg.js';
import { EXIT, type CliIo, parseFlags } from './io.js';

/** The drawing formats of `drmstate viz`, each with its renderer. */
export const VIZ_FORMATS: { readonly [format: string]: (machine: AnyStateMachine) => string | Promise<string> } = {
  mermaid: toMermaid,
  dot: toDot,
  svg: toSvg,
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

/** Runs `drmstate viz`. Resolves to the exit code. */
export async function vizCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ['help'], ['machine', 'format', 'out']);
  if (flags.bool.has('help')) {
    io.stdout(VIZ_HELP);
    return EXIT.ok;
  }
  if (flags.positional.length > 0) {
    io.stderr(`drmstate viz: unexpected argument "${flags.positional[0]}"\n\n${VIZ_HELP}`);
    return EXIT.badInput;
  }
  const id = flags.values.get('machine');
  const format = flags.values.get('format');
  if (id === undefined || format === undefined) {
    io.stderr(`drmstate viz: give --machine NAME and --format FORMAT\n\n${VIZ_HELP}`);
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
  const out = flags.values.get('out');
  if (out === undefined) io.stdout(text);
  else {
    try {
      writeFileSync(out, text);
    } catch (e) {
      io.stderr(`drmstate viz: cannot write ${out}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.badInput;
    }
  }
  return EXIT.ok;
}
