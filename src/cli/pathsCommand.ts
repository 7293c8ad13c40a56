import { MACHINES } from '../../machines/index.js';
import { ADAPTERS } from '../testgen/adapters/index.js';
import type { AnyMachineAdapter } from '../testgen/MachineAdapter.js';
import { generatePaths } from '../testgen/generatePaths.js';
import { runMachinePaths } from '../testgen/runPaths.js';
import { type Command, type CommandArgs, flag, value } from './Command.js';
import { EXIT, type CliIo } from './io.js';

/** `drmstate paths --help`. */
export const PATHS_HELP = `Usage: drmstate paths --machine NAME [--json]
       drmstate paths --coverage [--json]

--machine NAME   print the test paths generated from a statechart (xstate/graph):
                 the shortest path to every state and every transition
--coverage       run every machine's generated paths against the implementation and
                 report states and transitions covered; with --json one line per
                 machine: {"machine","states":{covered,total},"transitions":{covered,total},"failures"}
--json           JSON output
--help           this text

Machines: ${Object.keys(MACHINES).sort().join(', ')}

Exit codes: 0 ok; 1 a path failed or coverage is incomplete; 2 bad input.
`;

/** `drmstate paths`: generated statechart test paths, and their coverage of the implementation. */
export const pathsCommand: Command = {
  name: 'paths',
  synopsis: '',
  summary: 'generate statechart test paths; --coverage runs them all',
  help: PATHS_HELP,
  options: { machine: { type: 'string' }, coverage: { type: 'boolean' }, json: { type: 'boolean' } },
  run: paths,
};

function paths(args: CommandArgs, io: CliIo): number {
  if (args.positionals.length > 0) {
    io.stderr(`drmstate paths: unexpected argument "${args.positionals[0]}" (drmstate paths --help tells more)\n`);
    return EXIT.badInput;
  }
  const json = flag(args, 'json');
  if (flag(args, 'coverage')) {
    let bad = false;
    for (const id of Object.keys(MACHINES).sort()) {
      const adapter = ADAPTERS[id] as AnyMachineAdapter | undefined;
      if (adapter === undefined) {
        bad = true;
        const line = { machine: id, states: { covered: 0, total: 0 }, transitions: { covered: 0, total: 0 }, failures: [{ message: 'no adapter binds this machine to the implementation' }] };
        io.stdout(json ? JSON.stringify(line) + '\n' : `${id}: no adapter binds this machine to the implementation\n`);
        continue;
      }
      const c = runMachinePaths(adapter);
      if (c.failures.length > 0 || c.states.covered < c.states.total || c.transitions.covered < c.transitions.total) bad = true;
      if (json) io.stdout(JSON.stringify({ machine: c.machine, states: c.states, transitions: c.transitions, failures: c.failures }) + '\n');
      else {
        io.stdout(
          `${c.machine}: states ${c.states.covered}/${c.states.total}, transitions ${c.transitions.covered}/${c.transitions.total}, ${c.paths} paths, ${c.failures.length} failures\n`,
        );
        for (const f of c.failures) io.stdout(`  ✗ ${f.path} (step ${f.step}): ${f.message}\n`);
        for (const s of c.uncovered.states) io.stdout(`  uncovered state ${s}\n`);
        for (const t of c.uncovered.transitions) io.stdout(`  uncovered transition ${t}\n`);
      }
    }
    return bad ? EXIT.mismatch : EXIT.ok;
  }
  const id = value(args, 'machine');
  if (id === undefined) {
    io.stderr(`drmstate paths: give --machine NAME or --coverage (drmstate paths --help tells more)\n`);
    return EXIT.badInput;
  }
  const adapter = Object.prototype.hasOwnProperty.call(ADAPTERS, id) ? (ADAPTERS[id] as AnyMachineAdapter | undefined) : undefined;
  if (adapter === undefined || !Object.prototype.hasOwnProperty.call(MACHINES, id)) {
    io.stderr(`drmstate paths: unknown machine "${id}" (machines: ${Object.keys(MACHINES).sort().join(', ')})\n`);
    return EXIT.badInput;
  }
  for (const p of generatePaths(adapter)) {
    if (json) io.stdout(JSON.stringify({ description: p.description, events: p.steps.map((s) => s.event) }) + '\n');
    else io.stdout(`${p.description}\n`);
  }
  return EXIT.ok;
}
