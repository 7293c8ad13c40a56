import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { dmaFenceMachine } from '../../machines/dmaFence.machine.js';
import { type BranchTrace, authoredBranches, branchViolations, compileMachine, decide, hasEffect } from '../../machines/machineTable.js';

const FENCE = compileMachine(dmaFenceMachine);

/** A machine that is not total: `b` does not answer `go`. */
const partial = setup({ types: { events: {} as { type: 'go' } | { type: 'stop' } } }).createMachine({
  id: 'partial',
  initial: 'a',
  states: {
    a: { on: { go: { target: 'b', description: 'goes' }, stop: { target: 'done', description: 'stops' } } },
    b: { on: { stop: { target: 'done', description: 'stops' } } },
    done: { type: 'final' },
  },
});

function recorder(): { trace: BranchTrace; seen: string[] } {
  const seen: string[] = [];
  return { seen, trace: { reach: (machine, branch, event) => seen.push(`${machine} ${branch} ${event}`) } };
}

describe('compileMachine', () => {
  it('gives a leaf the branches its ancestor authors, naming where they are authored', () => {
    const [b] = FENCE.branches.get('unsignaled.signalingDisabled')?.get('dma_fence_get') ?? [];
    expect(b?.definedIn).toBe('unsignaled');
    expect(b?.source).toBe('unsignaled.signalingDisabled');
    expect(b?.target).toBe('unsignaled.signalingDisabled');
    expect(b?.meta.effects).toEqual(['krefGet']);
  });

  it('lists every authored branch once, by state:event:index', () => {
    const all = authoredBranches(FENCE);
    expect(all.has('unsignaled:dma_fence_put:0')).toBe(true);
    expect(all.has('signaled:dma_fence_set_error:1')).toBe(true);
    expect(all.has('unsignaled.signalingDisabled:dma_fence_put:0')).toBe(false);
  });
});

describe('decide', () => {
  it('takes the first branch whose guard holds, in the order the C function checks', () => {
    const ctx = { refcount: 1, pending: 2 };
    expect(decide(FENCE, 'unsignaled.signalingEnabled', 'dma_fence_put', ctx)?.index).toBe(0);
    expect(decide(FENCE, 'unsignaled.signalingEnabled', 'dma_fence_put', { refcount: 1, pending: 0 })?.index).toBe(1);
    expect(decide(FENCE, 'unsignaled.signalingEnabled', 'dma_fence_put', { refcount: 2, pending: 2 })?.index).toBe(2);
  });

  it('reads guard inputs from the event', () => {
    const ctx = { refcount: 1, pending: 0 };
    const out = decide(FENCE, 'signaled', 'dma_fence_set_error', ctx, { type: 'dma_fence_set_error', fence: 'f', error: 1 });
    const inRange = decide(FENCE, 'signaled', 'dma_fence_set_error', ctx, { type: 'dma_fence_set_error', fence: 'f', error: -5 });
    expect(branchViolations(out?.meta ?? {}).map((v) => v.check)).toEqual(['signaled', 'outOfRange']);
    expect(branchViolations(inRange?.meta ?? {}).map((v) => v.check)).toEqual(['signaled']);
  });

  it('reports the branch taken to the trace, once', () => {
    const { trace, seen } = recorder();
    decide(FENCE, 'signaled', 'dma_fence_signal', { refcount: 1, pending: 0 }, undefined, trace);
    expect(seen).toEqual(['dma_fence signaled:dma_fence_signal:0 dma_fence_signal']);
  });

  it('answers a final state only with the branches it authors, and undefined otherwise', () => {
    const { trace, seen } = recorder();
    expect(decide(FENCE, 'freed', 'dma_fence_get', { refcount: 0, pending: 0 }, undefined, trace)?.meta.violation).toBe('use_after_free');
    expect(seen).toEqual(['dma_fence freed:dma_fence_get:0 dma_fence_get']);
    expect(decide(compileMachine(partial), 'done', 'go', {}, undefined, trace)).toBeUndefined();
    expect(seen.length).toBe(1);
  });

  it('throws for a non-final state that does not answer the event, rather than keeping the state', () => {
    const table = compileMachine(partial);
    expect(decide(table, 'a', 'go', {})?.target).toBe('b');
    expect(() => decide(table, 'b', 'go', {})).toThrow(/state b has no branch for go/);
    expect(decide(table, 'done', 'go', {})).toBeUndefined();
  });
});

describe('branchViolations and hasEffect', () => {
  it('read the single violation kind when no list is given', () => {
    expect(branchViolations({ violation: 'bug_on', refused: true })).toEqual([{ kind: 'bug_on' }]);
    expect(branchViolations({})).toEqual([]);
    expect(branchViolations({ violation: 'warn_on', violations: [{ kind: 'warn_on', check: 'x' }] })).toEqual([{ kind: 'warn_on', check: 'x' }]);
  });

  it('says whether a branch names an effect', () => {
    expect(hasEffect({ effects: ['runCallbacks', 'release'] }, 'release')).toBe(true);
    expect(hasEffect({ effects: ['runCallbacks'] }, 'release')).toBe(false);
    expect(hasEffect({}, 'release')).toBe(false);
  });
});
