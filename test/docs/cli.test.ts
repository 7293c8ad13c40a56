import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';

const DOC = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

describe('docs/cli.md', () => {
  it('documents every command and every option, as each command help does', () => {
    for (const c of COMMANDS) {
      expect(DOC, c.name).toContain(`drmstate ${c.name}`);
      for (const name of Object.keys(c.options)) {
        expect(DOC, `${c.name} --${name}`).toContain(`--${name}`);
        expect(c.help, `${c.name} --help: --${name}`).toContain(`--${name}`);
      }
    }
    for (const top of ['--version', '--help']) expect(DOC).toContain(top);
  });
});
