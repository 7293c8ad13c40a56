import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import type { World } from '../../src/world/World.js';
import { emptyWorld, expectedJson, outcomeJson } from './helpers.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance', 'fixtures', 'drm_mm');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.ndjson')).sort();

describe('drm_mm conformance (outcomes produced by the kernel\'s drm_mm.c)', () => {
  it('has sample files to replay', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });
  for (const file of FILES) {
    it(`reproduces every outcome of ${file}`, () => {
      let world: World = emptyWorld();
      const lines = readFileSync(join(DIR, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
      for (let i = 0; i < lines.length; i++) {
        const { event, outcome } = JSON.parse(lines[i] as string) as { event: { type: string }; outcome: Record<string, unknown> };
        const r = drmMmProtocol.apply(world, drmMmProtocol.decode(event));
        world = r.world;
        const got = outcomeJson(r.outcome);
        if (JSON.stringify(got) !== JSON.stringify(expectedJson(outcome))) {
          expect({ line: i + 1, event, outcome: got }).toEqual({ line: i + 1, event, outcome: expectedJson(outcome) });
        }
      }
    });
  }
});
