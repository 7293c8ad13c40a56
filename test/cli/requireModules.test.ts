import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldWithModules } from '../../src/cli/requireModules.js';
import { colorAdjustName } from '../../src/drm-mm/colorAdjust.js';
import { DrmstateError } from '../../src/errors.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import { initialWorld } from '../../src/kernel/apply.js';
import { cli, tempDir, writeLines } from './helpers.js';

/** A module registering two colour-adjust functions, both declared as `adjust`. */
const MODULE = `
function make(gap) {
  return function adjust(before, after, color, start, end) {
    return [before.allocated && before.color !== color ? start + gap : start, after !== undefined && after.color !== color ? end - gap : end];
  };
}
export function register(r) {
  r.registerColorAdjust(make(4n));
  r.registerColorAdjust(make(16n));
}
`;

function moduleIn(dir: string, source = MODULE, name = 'adjust.mjs'): string {
  const p = join(dir, name);
  writeFileSync(p, source);
  return p;
}

const SCENARIO = [
  { type: 'drm_mm_init', mm: 'a', start: '0', size: '4096', color_adjust: { fn: 'adjust' } },
  { type: 'drm_mm_init', mm: 'b', start: '0', size: '4096', color_adjust: { fn: 'adjust#2' } },
  ...['a', 'b'].flatMap((mm) =>
    [1, 2].map((c) => ({ type: 'drm_mm_insert_node_generic', mm, node: `${mm}${c}`, size: '100', alignment: '0', color: String(c), mode: 'low' })),
  ),
];

describe('worldWithModules', () => {
  it('registers what each module registers, under unique names, without changing the fingerprint', () => {
    const dir = tempDir();
    const w = worldWithModules([moduleIn(dir)]);
    expect([...w.drmMm.colorAdjust.byName.keys()]).toEqual(['adjust', 'adjust#2']);
    expect(fingerprint(w)).toBe(fingerprint(initialWorld()));
    expect(colorAdjustName(initialWorld(), w.drmMm.colorAdjust.byName.get('adjust')!)).toBeUndefined();
  });

  it('throws BAD_ARGUMENT naming the module when it cannot be loaded or registers nothing usable', () => {
    const dir = tempDir();
    expect(() => worldWithModules([join(dir, 'missing.mjs')])).toThrow(/--require .*missing\.mjs: cannot load it/);
    expect(() => worldWithModules([moduleIn(dir, 'export const x = 1;', 'none.mjs')])).toThrow(/exports no register/);
    expect(() => worldWithModules([moduleIn(dir, 'export function register(r) { r.registerColorAdjust(42); }', 'num.mjs')])).toThrow(DrmstateError);
  });
});

describe('drmstate run / replay --require', () => {
  it('runs and replays a log naming two functions both called adjust, each allocator with its own', async () => {
    const dir = tempDir();
    const mod = moduleIn(dir);
    const scenario = writeLines(dir, 'scenario.ndjson', SCENARIO);
    const log = join(dir, 'run.log');
    const run = await cli('run', scenario, '--json', '--log', log, '--require', mod);
    // Under --json, stderr carries only the leak view: one JSON line per file, no error.
    expect(run.err.trim().split('\n').map((l) => Object.keys(JSON.parse(l) as object))).toEqual([['file', 'leaks', 'violations']]);
    expect(run.code).toBe(0);
    const starts = run.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { start?: string }).start)
      .slice(2);
    // Colour 2 next to colour 1 keeps a gap of 4 on allocator a and 16 on allocator b.
    expect(starts).toEqual(['0', '104', '0', '116']);
    const replay = await cli('replay', log, '--json', '--require', mod);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.out)).toMatchObject({ ok: true, events: SCENARIO.length });
  });

  it('answers bad input (exit 2) naming the field when the log names a function no module registers', async () => {
    const dir = tempDir();
    const mod = moduleIn(dir);
    const log = join(dir, 'run.log');
    await cli('run', writeLines(dir, 'scenario.ndjson', SCENARIO), '--json', '--log', log, '--require', mod);
    const replay = await cli('replay', log);
    expect(replay.code).toBe(2);
    expect(replay.err).toMatch(/color_adjust\.fn/);
    const bad = await cli('run', writeLines(dir, 's2.ndjson', SCENARIO), '--require', join(dir, 'nope.mjs'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--require .*nope\.mjs/);
  });
});
