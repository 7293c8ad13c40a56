import { readFileSync } from 'node:fs';
import { DrmstateError, fileError } from '../errors.js';
import { fingerprint } from '../kernel/fingerprint.js';
import { LogWriter } from '../kernel/LogWriter.js';
import { replayLog } from '../kernel/replay.js';
import { type Command, type CommandArgs, flag } from './Command.js';
import { EXIT, type CliIo } from './io.js';

/** `drmstate replay --help`. */
export const REPLAY_HELP = `Usage: drmstate replay LOG [--repair] [--json]

Re-applies every call of a log written by drmstate run --log (or the Kernel API) and
checks each recorded outcome and the fingerprint after each call.

Options:
  --repair     when the last line is torn (no newline, or bad JSON: an append cut
               short), keep the intact prefix: the file is cut back to it
  --json       print the result as one JSON object
  --help       this text

Exit codes: 0 every outcome and fingerprint matched; 1 a mismatch (the first one is
printed); 2 bad input: a torn last line without --repair, or a malformed line (the
message names the line and the field).
`;

/** `drmstate replay`: re-applies a recorded log and checks every outcome and fingerprint. */
export const replayCommand: Command = {
  name: 'replay',
  synopsis: 'LOG',
  summary: 're-apply a recorded log and check every outcome and fingerprint',
  help: REPLAY_HELP,
  options: { repair: { type: 'boolean' }, json: { type: 'boolean' } },
  run: replay,
};

function replay(args: CommandArgs, io: CliIo): number {
  const file = args.positionals[0];
  if (file === undefined || args.positionals.length > 1) {
    io.stderr(`drmstate replay: give exactly one log file (drmstate replay --help tells more)\n`);
    return EXIT.badInput;
  }
  const json = flag(args, 'json');
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw fileError('read', file, e);
    }
    const r = replayLog(text, { repair: flag(args, 'repair'), file });
    if (r.torn) {
      const keep = Buffer.byteLength(text.split('\n').slice(0, r.torn.line - 1).join('\n') + '\n');
      try {
        new LogWriter(file, { append: true, truncateTo: keep }).close();
      } catch (e) {
        throw fileError('repair', file, e);
      }
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
