import { readFileSync } from 'node:fs';
import { DrmstateError } from '../errors.js';
import { fingerprint } from '../kernel/fingerprint.js';
import { LogWriter } from '../kernel/LogWriter.js';
import { replayLog } from '../kernel/replay.js';
import { EXIT, type CliIo, parseFlags } from './io.js';
import { worldWithModules } from './requireModules.js';

/** `drmstate replay --help`. */
export const REPLAY_HELP = `Usage: drmstate replay LOG [--repair] [--json] [--require MODULE]

Re-applies every call of a log written by drmstate run --log (or the Kernel API) and
checks each recorded outcome and the fingerprint after each call.

Options:
  --repair     when the last line is torn (no newline, or bad JSON: an append cut
               short), keep the intact prefix: the file is cut back to it
  --json       print the result as one JSON object
  --require MODULE
               load MODULE first; its register(registrar) export registers the
               functions the log names (registrar.registerColorAdjust(fn, name))
  --help       this text

Exit codes: 0 every outcome and fingerprint matched; 1 a mismatch (the first one is
printed); 2 bad input: a torn last line without --repair, or a malformed line (the
message names the line and the field).
`;

/** Runs `drmstate replay`. Returns the exit code. */
export function replayCommand(argv: readonly string[], io: CliIo): number {
  const flags = parseFlags(argv, ['repair', 'json', 'help'], ['require']);
  if (flags.bool.has('help')) {
    io.stdout(REPLAY_HELP);
    return EXIT.ok;
  }
  const file = flags.positional[0];
  if (file === undefined || flags.positional.length > 1) {
    io.stderr(`drmstate replay: give exactly one log file\n\n${REPLAY_HELP}`);
    return EXIT.badInput;
  }
  const json = flags.bool.has('json');
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new DrmstateError('BAD_ARGUMENT', `cannot read ${file}: ${(e as Error).message}`);
    }
    const req = flags.values.get('require');
    const world = req === undefined ? undefined : worldWithModules([req]);
    const r = replayLog(text, { repair: flags.bool.has('repair'), file, ...(world === undefined ? {} : { world }) });
    if (r.torn) {
      const keep = Buffer.byteLength(text.split('\n').slice(0, r.torn.line - 1).join('\n') + '\n');
      new LogWriter(file, { append: true, truncateTo: keep }).close();
      if (!json) io.stderr(`${file}, line ${r.torn.line}: torn last line (${r.torn.reason}) dropped; ${r.entries} intact entries kept\n`);
    }
    if (!r.ok) {
      const m = r.mismatch;
      if (json) io.stdout(JSON.stringify({ ok: false, seq: m.seq, line: m.seq + 1, field: m.field, expected: m.expected, actual: m.actual }) + '\n');
      else io.stdout(`${file}, line ${m.seq + 1} (seq ${m.seq}): ${m.field} differs\n  recorded ${JSON.stringify(m.expected)}\n  replayed ${JSON.stringify(m.actual)}\n`);
      return EXIT.mismatch;
    }
    const fp = fingerprint(r.world);
    if (json)
      io.stdout(JSON.stringify({ ok: true, events: r.entries, fingerprint: fp, ...(r.torn ? { repaired: r.torn } : {}) }) + '\n');
    else io.stdout(`replayed ${r.entries} calls: every outcome and fingerprint matches; final fingerprint ${fp}\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof DrmstateError) {
      if (json) io.stdout(JSON.stringify({ ok: false, error: e.code, line: e.line, field: e.field, message: e.message }) + '\n');
      io.stderr(`drmstate replay: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
}
