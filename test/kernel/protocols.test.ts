import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINES } from '../../src/kernel/machines.js';
import { KERNEL, PROTOCOLS } from '../../src/kernel/protocols.js';
import { ADAPTERS } from '../../src/testgen/adapters/index.js';
import { FIXTURES } from '../conformance/conformance.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('PROTOCOLS (the one registration point)', () => {
  for (const p of PROTOCOLS) {
    describe(`protocol ${String(p.key)}`, () => {
      it('declares its machines, each with a testgen adapter', () => {
        expect(p.machines.length).toBeGreaterThan(0);
        for (const m of p.machines) {
          expect(ADAPTERS[m.id], `no adapter for machine ${m.id} in src/testgen/adapters/ (a module there exporting it)`).toBeDefined();
          expect(ADAPTERS[m.id]?.machine).toBe(m);
          expect(MACHINES[m.id]).toBe(m);
        }
      });

      it('has its docs page, which names its machines', () => {
        const path = join(ROOT, p.docs);
        expect(existsSync(path), p.docs).toBe(true);
        const text = readFileSync(path, 'utf8');
        for (const m of p.machines) expect(text, `${p.docs} never names ${m.id}`).toContain(m.id);
      });

      it('has its conformance fixtures', () => {
        expect(readdirSync(join(FIXTURES, p.fixtures)).filter((f) => f.endsWith('.ndjson')).length).toBeGreaterThan(0);
      });

      it('documents every event it answers', () => {
        expect(Object.keys(p.events).length).toBeGreaterThan(0);
        for (const [type, def] of Object.entries(p.events)) {
          expect(KERNEL.protocolOf(type)).toBe(p);
          expect(def.summary.length, type).toBeGreaterThan(0);
        }
      });
    });
  }

  it('derives the machine registry from the protocols, and the adapters cover exactly those machines', () => {
    const ids = PROTOCOLS.flatMap((p) => p.machines.map((m) => m.id));
    expect(Object.keys(MACHINES)).toEqual(ids);
    expect(Object.keys(ADAPTERS).sort()).toEqual([...ids].sort());
  });
});
