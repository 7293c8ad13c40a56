import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFixture } from './conformance.js';

function scenario(lines: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'drmstate-conformance-'));
  const path = join(dir, 'case.ndjson');
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

const alloc = { type: 'dma_fence_context_alloc', ctx: 'c' };
const init = { type: 'dma_fence_init', fence: 'f', ctx: 'c' };

describe('runFixture reads both conformance line forms', () => {
  it('passes a file of comment, expect and outcome lines the model meets', () => {
    const r = runFixture(
      scenario([
        { comment: 'why' },
        { event: alloc, expect: { ok: true }, expect_no_violations: true },
        { event: init, outcome: { ok: true, context: '1', seqno: '1' } },
        { event: { type: 'dma_fence_put', fence: 'f' }, expect: { ok: true } },
        { event: { type: 'dma_fence_put', fence: 'f' }, expect_violation: 'refcount_underflow' },
      ]),
    );
    expect(r.mismatch).toBeUndefined();
    expect(r.lines).toBe(5);
  });

  it('names the first line whose expect the outcome misses', () => {
    const r = runFixture(scenario([{ event: alloc, expect: { ok: true } }, { event: init, expect: { ok: true, seqno: '2' } }]));
    expect(r.mismatch?.line).toBe(2);
  });

  it('names a line whose expected violation is missing, and one with a violation it did not expect', () => {
    expect(runFixture(scenario([{ event: alloc, expect_violation: 'warn_on' }])).mismatch?.line).toBe(1);
    const put2 = [{ event: alloc, expect: {} }, { event: init, expect: {} }, { event: { type: 'dma_fence_put', fence: 'f' }, expect: {} }];
    expect(runFixture(scenario([...put2, { event: { type: 'dma_fence_put', fence: 'f' }, expect: {} }])).mismatch?.line).toBe(4);
  });
});
