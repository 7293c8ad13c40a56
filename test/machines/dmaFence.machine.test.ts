import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dmaFenceMachine } from '../../machines/dmaFence.machine.js';
import { dmaFenceCbMachine } from '../../machines/dmaFenceCb.machine.js';
import { authoredBranches, branchViolations, compileMachine, decide } from '../../machines/machineTable.js';
import { dmaFenceInvariants } from '../../src/dma-fence/invariants.js';

const FENCE = compileMachine(dmaFenceMachine);
const CB = compileMachine(dmaFenceCbMachine);

/** The predicate names a machine file's header lists after `Invariants:`. */
function headerInvariants(file: string): string[] {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'machines', file), 'utf8');
  const m = /\* Invariants:([\s\S]*?)\n \*\n/.exec(text);
  if (m === null) throw new Error(`${file} has no Invariants: paragraph`);
  return [...(m[1] as string).replace(/\([^)]*\)/g, '').matchAll(/[a-z][A-Za-z]+/g)].map((x) => x[0]);
}

describe('the dma_fence and dma_fence_cb machine headers', () => {
  for (const file of ['dmaFence.machine.ts', 'dmaFenceCb.machine.ts']) {
    it(`${file} names only invariants that exist in src/dma-fence/invariants.ts`, () => {
      const names = headerInvariants(file);
      expect(names.length).toBeGreaterThan(0);
      const known = dmaFenceInvariants.map((i) => i.name);
      for (const n of names) expect(known, n).toContain(n);
    });
  }
});

describe('dmaFenceMachine (struct dma_fence lifecycle)', () => {
  const live = { refcount: 2, pending: 0 };

  it('answers a second signal with EINVAL and no effect', () => {
    const b = decide(FENCE, 'signaled', 'dma_fence_signal', live);
    expect(b?.meta).toEqual({ errno: 'EINVAL' });
  });

  it('runs the callbacks on the first signal only', () => {
    for (const state of ['unsignaled.signalingDisabled', 'unsignaled.signalingEnabled'])
      expect(decide(FENCE, state, 'dma_fence_signal', live)?.meta.effects).toEqual(['runCallbacks']);
    expect(decide(FENCE, 'signaled', 'dma_fence_check_and_signal', live)?.meta.returns).toEqual({ was_signaled: true });
    expect(decide(FENCE, 'unsignaled.signalingDisabled', 'dma_fence_check_and_signal', live)?.meta.returns).toEqual({ was_signaled: false });
  });

  it('releases with pending callbacks: WARN, -EDEADLK, run the callbacks, free — in that order', () => {
    const b = decide(FENCE, 'unsignaled.signalingEnabled', 'dma_fence_put', { refcount: 1, pending: 1 });
    expect(b?.target).toBe('freed');
    expect(b?.meta.effects).toEqual(['krefPut', 'setErrorDeadlock', 'runCallbacks', 'release']);
    expect(branchViolations(b?.meta ?? {})).toEqual([{ kind: 'warn_on', check: 'releasedWithPendingSignals' }]);
  });

  it('checks a negative timeout before anything else, in every live state', () => {
    for (const state of FENCE.states.filter((s) => !FENCE.finals.has(s))) {
      const b = decide(FENCE, state, 'dma_fence_wait_timeout', live, { type: 'dma_fence_wait_timeout', fence: 'f', task: 't', timeout: -1 });
      expect(b?.meta.errno, state).toBe('EINVAL');
      expect(b?.target, state).toBe(state);
    }
  });

  it('records the two set_error WARNs as two violations', () => {
    const both = [...authoredBranches(FENCE).values()].find((b) => b.definedIn === 'signaled' && b.event === 'dma_fence_set_error' && b.index === 0);
    expect(branchViolations(both?.meta ?? {}).map((v) => v.check)).toEqual(['signaled', 'outOfRange']);
  });
});

describe('dmaFenceCbMachine (struct dma_fence_cb lifecycle)', () => {
  it('answers remove_callback with removed true only while registered', () => {
    for (const state of CB.states) {
      const b = decide(CB, state, 'dma_fence_remove_callback', {});
      expect(b?.meta.returns?.removed, state).toBe(state === 'registered');
    }
  });

  it('refuses a second add while queued, and answers ENOENT for a signaled fence otherwise', () => {
    const add = (state: string, fenceSignaled: boolean) =>
      decide(CB, state, 'dma_fence_add_callback', {}, { type: 'dma_fence_add_callback', fence: 'f', cb: 'c', fenceSignaled });
    expect(add('registered', false)?.meta).toMatchObject({ violation: 'bug_on', refused: true });
    for (const state of ['unqueued', 'invoked', 'removed']) {
      expect(add(state, true)?.meta.errno, state).toBe('ENOENT');
      expect(add(state, false)?.target, state).toBe('registered');
    }
  });
});
