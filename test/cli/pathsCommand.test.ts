import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import type { AnyMachineAdapter } from '../../src/testgen/MachineAdapter.js';
import { generatePaths } from '../../src/testgen/generatePaths.js';
import { cli } from './helpers.js';

describe('drmstate paths --coverage', () => {
  it('prints one JSON line per machine, in name order, each fully covered without failures', async () => {
    const r = await cli('paths', '--coverage', '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.machine)).toEqual(Object.keys(MACHINES).sort());
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['machine', 'states', 'transitions', 'failures']);
      const s = l.states as { covered: number; total: number };
      const t = l.transitions as { covered: number; total: number };
      expect(s.total).toBeGreaterThan(0);
      expect(s.covered).toBe(s.total);
      expect(t.covered).toBe(t.total);
      expect(l.failures).toEqual([]);
    }
  });

  it('says the same in text, one line per machine', async () => {
    const r = await cli('paths', '--coverage');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(Object.keys(MACHINES).sort());
    for (const l of lines) expect(l).toMatch(/: states (\d+)\/\1, transitions (\d+)\/\2, \d+ paths, 0 failures$/);
  });
});

describe('drmstate paths --machine', () => {
  it('prints the generated paths of the machine, one JSON line each, with their events', async () => {
    const id = 'dma_fence_cb';
    const paths = generatePaths(ADAPTERS[id] as AnyMachineAdapter);
    const r = await cli('paths', '--machine', id, '--json');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { description: string; events: unknown[] });
    expect(lines.map((l) => l.description)).toEqual(paths.map((p) => p.description));
    expect(lines.map((l) => l.events.length)).toEqual(paths.map((p) => p.steps.length));
    expect(lines[0]?.events).toEqual([]);
    expect(lines.some((l) => l.events.some((e) => (e as { type: string }).type === 'dma_fence_remove_callback'))).toBe(true);
  });

  it('prints one description per line without --json', async () => {
    const r = await cli('paths', '--machine', 'dma_fence');
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual(generatePaths(ADAPTERS.dma_fence as AnyMachineAdapter).map((p) => p.description));
  });

  it('exits 2 naming the machines for an unknown one, and for a name of Object.prototype', async () => {
    for (const id of ['no_such_machine', 'constructor']) {
      const r = await cli('paths', '--machine', id);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`drmstate paths: unknown machine "${id}" (machines: ${Object.keys(MACHINES).sort().join(', ')})\n`);
    }
  });

  it('exits 2 in one line without --machine or --coverage, with an argument, or with --machine and no value', async () => {
    const none = await cli('paths');
    expect(none.code).toBe(2);
    expect(none.err).toBe('drmstate paths: give --machine NAME or --coverage (drmstate paths --help tells more)\n');
    const extra = await cli('paths', 'dma_fence');
    expect(extra.code).toBe(2);
    expect(extra.err).toContain('unexpected argument "dma_fence"');
    const missing = await cli('paths', '--machine');
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('drmstate paths: --machine needs a value (drmstate paths --help lists the options)\n');
  });

  it('prints its help with --help', async () => {
    const r = await cli('paths', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: drmstate paths --machine NAME [--json]');
  });
});
