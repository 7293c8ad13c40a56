import { describe, expect, it } from 'vitest';
import { type CheckResult, check, matchesExpect } from '../../src/checker/check.js';
import { DEFAULT_CHECK_KERNEL } from '../../src/checker/CheckKernel.js';
import { parseModel } from '../../src/checker/model.js';
import { DrmstateError } from '../../src/errors.js';
import { semKernel } from './semaphore.js';

const CTX = [
  { type: 'dma_fence_context_alloc', ctx: 'c' },
  { type: 'dma_fence_init', fence: 'f', ctx: 'c' },
];

function model(tasks: Record<string, unknown[]>, extra: Record<string, unknown> = {}) {
  return parseModel({ model: 'm', setup: CTX, tasks, ...extra });
}

function finding(r: CheckResult) {
  if (!('finding' in r)) throw new Error(`expected a finding, got ${r.result}`);
  return r.finding;
}

describe('check', () => {
  it('returns ok with the exact number of states of two independent two-step tasks: (2+1)^2', () => {
    const r = check(
      parseModel({
        model: 'indep',
        setup: [
          { type: 'dma_fence_context_alloc', ctx: 'c' },
          { type: 'dma_fence_init', fence: 'a', ctx: 'c' },
          { type: 'dma_fence_init', fence: 'b', ctx: 'c' },
        ],
        tasks: {
          t1: [{ type: 'dma_fence_get', fence: 'a' }, { type: 'dma_fence_put', fence: 'a' }],
          t2: [{ type: 'dma_fence_get', fence: 'b' }, { type: 'dma_fence_put', fence: 'b' }],
        },
      }),
    );
    expect(r.result).toBe('ok');
    expect(r.states).toBe(9);
    expect(r.transitions).toBe(12);
    expect(r.depth).toBe(4);
  });

  it('finds a use after free at the shortest depth and names the task', () => {
    const r = check(model({ irq: [{ type: 'dma_fence_signal', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }], user: [{ type: 'dma_fence_add_callback', fence: 'f', cb: 'w' }] }));
    expect(r.result).toBe('violation');
    const f = finding(r);
    expect(f.kind).toBe('use_after_free');
    expect(f.depth).toBe(3);
    expect(f.task).toBe('user');
    expect(f.trace.filter((s) => s.task !== 'setup').map((s) => `${s.task}:${s.event.type}`)).toEqual([
      'irq:dma_fence_signal',
      'irq:dma_fence_put',
      'user:dma_fence_add_callback',
    ]);
  });

  it('reports an assertion when an outcome lacks an expected field value', () => {
    const r = check(model({ t: [{ event: { type: 'dma_fence_get_status', fence: 'f' }, expect: { status: 1 } }] }));
    expect(r.result).toBe('assertion');
    expect(finding(r).message).toMatch(/task "t", step 1: expected the outcome to contain \{"status":1\}/);
  });

  it('reports a deadlock when every unfinished task sleeps, naming each waiting step', () => {
    const r = check(model({ t: [{ type: 'dma_fence_wait_timeout', fence: 'f', timeout: 5 }] }));
    expect(r.result).toBe('deadlock');
    expect(finding(r).depth).toBe(0);
    expect(finding(r).message).toMatch(/t sleeps in dma_fence_wait_timeout f timeout=5 \(step 1\)/);
  });

  it('takes a sleeping step later, once another task made it runnable', () => {
    const r = check(model({ waiter: [{ event: { type: 'dma_fence_wait_timeout', fence: 'f', timeout: 5 }, expect: { ret: 5 } }], irq: [{ type: 'dma_fence_signal', fence: 'f' }] }));
    expect(r.result).toBe('ok');
    // initial, signalled, then the wait: the wait is never enabled before the signal.
    expect(r.states).toBe(3);
  });

  it('reports unknown_object when a step names an object another task has not created yet', () => {
    const r = check(
      parseModel({
        model: 'm',
        setup: [{ type: 'dma_fence_context_alloc', ctx: 'c' }],
        tasks: { maker: [{ type: 'dma_fence_init', fence: 'g', ctx: 'c' }], user: [{ type: 'dma_fence_get', fence: 'g' }] },
      }),
    );
    expect(r.result).toBe('unknown_object');
    expect(finding(r).depth).toBe(1);
    expect(finding(r).message).toMatch(/"g"/);
  });

  it('reports an invariant false in a reached world, with its name and statement', () => {
    const r = check(
      parseModel({ model: 'm', setup: [{ type: 'test_sem_init', sem: 's', count: 1 }], tasks: { a: [{ type: 'test_sem_up', sem: 's' }], b: [{ type: 'test_sem_up', sem: 's' }] } }),
      { kernel: semKernel(2) },
    );
    expect(r.result).toBe('invariant');
    const f = finding(r);
    expect(f.invariant).toBe('everySemaphoreCountsAtMostMax');
    expect(f.statement).toMatch(/at most 2/);
    expect(f.depth).toBe(2);
  });

  it('returns limit when a bound is reached first, with the counts so far', () => {
    const r = check(model({ a: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }], b: [{ type: 'dma_fence_get', fence: 'f' }] }), { maxStates: 2 });
    expect(r.result).toBe('limit');
    expect(r.result === 'limit' && r.bound).toBe('states');
    const d = check(model({ a: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }] }), { maxDepth: 1 });
    expect(d.result === 'limit' && d.bound).toBe('depth');
  });

  it('with keepGoing, collects one shortest finding per kind', () => {
    const r = check(
      model({
        a: [{ event: { type: 'dma_fence_get_status', fence: 'f' }, expect: { status: 1 } }],
        b: [{ type: 'dma_fence_signal', fence: 'f' }, { type: 'dma_fence_signal', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }],
      }),
      { keepGoing: true },
    );
    // a's query before the signal fails its expect; after b's last-but-one put frees the fence, a's
    // query is a use after free and b's last put an underflow: all three at their shortest depth.
    expect('finding' in r && r.findings.map((f) => `${f.kind}@${f.depth}`).sort()).toEqual(['assertion@1', 'refcount_underflow@4', 'use_after_free@4']);
  });
});

describe('wait queues', () => {
  const sem = (tasks: Record<string, unknown[]>, count = 0) =>
    parseModel({ model: 'sem', setup: [{ type: 'test_sem_init', sem: 's', count }], tasks });

  it('a queued call is a transition; the task waits until the call that grants it lists it in woke', () => {
    const r = check(sem({ waiter: [{ type: 'test_sem_down', sem: 's' }, { type: 'test_sem_up', sem: 's' }], poster: [{ type: 'test_sem_up', sem: 's' }] }), { kernel: semKernel() });
    expect(r.result).toBe('ok');
    // The initial state; the down queued; the poster's up first (count 1); the hand-over, which is
    // the same state as a down that found the count at 1; the waiter's own up.
    expect(r.states).toBe(5);
  });

  it('a task still queued when nothing can wake it is a deadlock naming the queued step', () => {
    const r = check(sem({ a: [{ type: 'test_sem_down', sem: 's' }] }), { kernel: semKernel() });
    expect(r.result).toBe('deadlock');
    expect(finding(r).message).toMatch(/a waits in test_sem_down s \(step 1, queued\)/);
    expect(finding(r).depth).toBe(1);
  });

  it('a woken call completes with a plain success: its expect is checked against {ok: true}', () => {
    const good = check(sem({ w: [{ event: { type: 'test_sem_down', sem: 's' }, expect: { ok: true } }], p: [{ type: 'test_sem_up', sem: 's' }] }), { kernel: semKernel() });
    expect(good.result).toBe('ok');
    const bad = check(sem({ w: [{ event: { type: 'test_sem_down', sem: 's' }, expect: { ok: false } }], p: [{ type: 'test_sem_up', sem: 's' }] }), { kernel: semKernel() });
    expect(bad.result).toBe('assertion');
    expect(finding(bad).message).toMatch(/of the woken call/);
  });
});

describe('steps', () => {
  it('either: each branch first step is a successor of the state before it; choosing is not a step', () => {
    const r = check(model({ t: [{ either: [[{ type: 'dma_fence_get', fence: 'f' }], [{ type: 'dma_fence_signal', fence: 'f' }]] }] }));
    expect(r.result).toBe('ok');
    expect(r.states).toBe(3);
    expect(r.depth).toBe(1);
  });

  it('atomic: the steps run as one, nothing interleaves inside', () => {
    const atomic = check(model({ a: [{ atomic: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }] }], b: [{ type: 'dma_fence_signal', fence: 'f' }] }));
    const plain = check(model({ a: [{ type: 'dma_fence_get', fence: 'f' }, { type: 'dma_fence_put', fence: 'f' }], b: [{ type: 'dma_fence_signal', fence: 'f' }] }));
    expect(atomic.states).toBe(4);
    expect(plain.states).toBe(6);
    expect(atomic.depth).toBe(2);
  });

  it('bind and $variables: a kernel-assigned value flows to a later step of the same task', () => {
    const r = check(
      parseModel({
        model: 'm',
        setup: [],
        tasks: { t: [{ event: { type: 'dma_fence_begin_signalling' }, bind: { c: 'cookie' } }, { event: { type: 'dma_fence_end_signalling', cookie: '$c' }, expect: { ok: true } }] },
      }),
    );
    expect(r.result).toBe('ok');
  });

  it('if branches on a bound variable without taking a step', () => {
    const r = check(
      model({
        t: [
          { event: { type: 'dma_fence_get_status', fence: 'f' }, bind: { s: 'status' } },
          { if: { s: 0 }, then: [{ type: 'dma_fence_signal', fence: 'f' }], else: [{ event: { type: 'dma_fence_get', fence: 'f' }, expect: { ok: false } }] },
        ],
      }),
    );
    expect(r.result).toBe('ok');
    expect(r.depth).toBe(2);
  });

  it('repeat unrolls its steps', () => {
    const r = check(model({ t: [{ repeat: 3, steps: [{ type: 'dma_fence_get', fence: 'f' }] }, { repeat: 3, steps: [{ type: 'dma_fence_put', fence: 'f' }] }] }));
    expect(r.result).toBe('ok');
    expect(r.depth).toBe(6);
    expect(r.states).toBe(7);
  });

  it('fills in the task field of events that take one and name none', () => {
    const r = check(
      parseModel({
        model: 'm',
        tasks: { worker: [{ type: 'dma_fence_begin_signalling' }, { type: 'dma_fence_end_signalling', cookie: false }, { type: 'dma_fence_end_signalling', cookie: false }] },
      }),
    );
    expect(r.result).toBe('violation');
    expect(finding(r).trace.map((s) => s.event.task)).toEqual(['worker', 'worker', 'worker']);
  });
});

describe('malformed models', () => {
  const bad = (m: unknown): DrmstateError => {
    try {
      check(parseModel(m, 'bad.model.json'));
    } catch (e) {
      if (e instanceof DrmstateError) return e;
      throw e;
    }
    throw new Error('expected BAD_MODEL');
  };

  it('names the task, the step and the field of an unknown event type', () => {
    const e = bad({ model: 'm', tasks: { irq: [{ type: 'dma_fence_signal', fence: 'f' }, { type: 'dma_fence_sigal', fence: 'f' }] } });
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toBe('bad.model.json: task "irq", step 2, field "type": unknown event type "dma_fence_sigal"');
  });

  it('names a field of the wrong type', () => {
    const e = bad({ model: 'm', tasks: { t: [{ type: 'dma_fence_wait_timeout', fence: 'f', timeout: 'soon' }] } });
    expect(e.message).toMatch(/task "t", step 1, field "timeout"/);
  });

  it('names a $variable that no earlier step binds', () => {
    const e = bad({ model: 'm', tasks: { t: [{ type: 'dma_fence_end_signalling', cookie: '$c' }] } });
    expect(e.message).toMatch(/task "t", step 1, field "cookie": "\$c" is never bound/);
  });

  it('names a nested step by its path', () => {
    const e = bad({ model: 'm', tasks: { t: [{ either: [[{ type: 'dma_fence_get', fence: 'f' }], [{ type: 'nope' }]] }] } });
    expect(e.message).toMatch(/task "t", step 1\.either\[1\]\.1, field "type"/);
  });

  it('rejects a setup whose calls find something, naming the setup step', () => {
    const e = bad({ model: 'm', setup: [{ type: 'dma_fence_context_alloc', ctx: 'c', num: 0 }], tasks: { t: [] } });
    expect(e.message).toMatch(/setup, step 1: setup must run clean/);
  });

  it('rejects unknown keys, bad expects and steps of no known form', () => {
    expect(bad({ model: 'm', tasks: { t: [] }, expct: {} }).message).toMatch(/unknown key "expct"/);
    expect(bad({ model: 'm', tasks: { t: [] }, expect: { result: 'fine' } }).message).toMatch(/expect.result must be one of/);
    expect(bad({ model: 'm', tasks: { t: [{ evnt: {} }] } }).message).toMatch(/task "t", step 1: not a step/);
  });
});

describe('matchesExpect', () => {
  it('compares result, kind, depth and states', () => {
    const r = check(model({ t: [{ type: 'dma_fence_get', fence: 'f' }] }));
    expect(matchesExpect(r, { result: 'ok' })).toBe(true);
    expect(matchesExpect(r, { result: 'ok', states: 2 })).toBe(true);
    expect(matchesExpect(r, { result: 'ok', states: 3 })).toBe(false);
    expect(matchesExpect(r, { result: 'violation' })).toBe(false);
    expect(matchesExpect(r, undefined)).toBe(true);
  });
});

describe('DEFAULT_CHECK_KERNEL', () => {
  it('answers a never-created name as data, not by throwing', () => {
    const r = DEFAULT_CHECK_KERNEL.tryApply(DEFAULT_CHECK_KERNEL.initialWorld(), { type: 'dma_fence_get', fence: 'nope' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.misuse.code).toBe('UNKNOWN_OBJECT');
  });
});

describe('assertModel', () => {
  it('passes for a model whose result matches its expect and throws with the numbered trace otherwise', async () => {
    const { assertModel } = await import('../../src/checker/assertModel.js');
    expect(() => assertModel('models/fence-add-callback.put-before-add.model.json')).not.toThrow();
    const m = parseModel({ model: 'uaf', setup: CTX, tasks: { irq: [{ type: 'dma_fence_put', fence: 'f' }], user: [{ type: 'dma_fence_get', fence: 'f' }] } });
    expect(() => assertModel(m)).toThrow(/model uaf: expected ok, got violation \(use_after_free\) at depth 2[\s\S]* {2}2\. \[user\] dma_fence_get f → refused: use_after_free/);
  });
});
