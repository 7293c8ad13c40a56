import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../src/kernel/protocols.js';
import { FIXTURES, fixtureFiles, runFixture } from './conformance.js';

// Every registered protocol's folder of kernel-produced outcomes the model must reproduce exactly.
const SUITES = PROTOCOLS.map((p) => p.fixtures);

for (const suite of SUITES) {
  describe(`conformance: ${suite}`, () => {
    it('has scenarios to check', () => {
      expect(fixtureFiles(suite).length).toBeGreaterThan(0);
    });
    for (const file of fixtureFiles(suite)) {
      it(`reproduces every kernel outcome of ${file}`, () => {
        const r = runFixture(join(FIXTURES, suite, file));
        expect(r.mismatch).toBeUndefined();
        expect(r.lines).toBeGreaterThan(0);
      });
    }
  });
}
