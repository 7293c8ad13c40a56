import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { mainHelp } from '../../src/cli/main.js';
import { cli } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('main', () => {
  it('prints the version of package.json with --version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`drmstate ${pkg.version}\n`);
  });

  it('lists every registered command with --help, each with its summary', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toBe(mainHelp());
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`\\n  ${c.name} .*${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  });

  it('exits 2 with the help on stderr when no command is given', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(mainHelp());
  });

  it('exits 2 in one line for an unknown command, naming the commands', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`drmstate: unknown command "frobnicate" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; drmstate --help tells more)\n`);
    expect((await cli('constructor')).code).toBe(2);
  });

  it("prints every command's help with --help and -h", async () => {
    for (const c of COMMANDS) {
      for (const h of ['--help', '-h']) {
        const r = await cli(c.name, h);
        expect(r.code).toBe(0);
        expect(r.out).toBe(c.help);
      }
    }
  });

  it('answers a bad option of any command with one line and exit 2', async () => {
    const cases: [string[], string][] = [
      [['run', 'x', '--jsn'], 'drmstate run: unknown option --jsn (drmstate run --help lists the options)\n'],
      [['run', 'x', '-q'], 'drmstate run: unknown option -q (drmstate run --help lists the options)\n'],
      [['run', 'x', '--log'], 'drmstate run: --log needs a value (drmstate run --help lists the options)\n'],
      [['run', 'x', '--log', '--json'], 'drmstate run: --log needs a value (drmstate run --help lists the options)\n'],
      [['run', 'x', '--log='], 'drmstate run: --log needs a value (drmstate run --help lists the options)\n'],
      [['run', 'x', '--json=yes'], 'drmstate run: --json takes no value (drmstate run --help lists the options)\n'],
      [['replay', 'x', '--repiar'], 'drmstate replay: unknown option --repiar (drmstate replay --help lists the options)\n'],
      [['viz', '--machine', 'dma_fence', '--format'], 'drmstate viz: --format needs a value (drmstate viz --help lists the options)\n'],
      [['paths', '--coverag'], 'drmstate paths: unknown option --coverag (drmstate paths --help lists the options)\n'],
    ];
    for (const [argv, err] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toBe(err);
      expect(r.out).toBe('');
    }
  });
});
