import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ownObjects } from './models.js';
import { describe, expect, it } from 'vitest';
import { check, matchesExpect } from '../../src/checker/check.js';
import { type ModelStep, loadModel, parseModel } from '../../src/checker/model.js';
import { apply, initialWorld } from '../../src/kernel/apply.js';
import { fingerprint } from '../../src/kernel/fingerprint.js';
import type { Event } from '../../src/world/Event.js';
import type { World } from '../../src/world/World.js';

/** N tasks, each `k` steps of `dma_fence_get` on a fence of its own (set up before exploring). */
function getsModel(n: number, k: number): unknown {
  const setup: Event[] = [];
  const tasks: Record<string, ModelStep[]> = {};
  for (let i = 1; i <= n; i++) {
    setup.push({ type: 'dma_fence_context_alloc', ctx: `c${i}` }, { type: 'dma_fence_init', fence: `f${i}`, ctx: `c${i}` });
    tasks[`t${i}`] = [{ repeat: k, steps: [{ type: 'dma_fence_get', fence: `f${i}` }] }];
  }
  return { model: `gets-${n}x${k}`, description: 'counted', setup, tasks, finally: [] };
}

/** N tasks, each the first `k` steps of {@link ownObjects}: the objects are created inside the tasks, in every order. */
function objectsModel(n: number, k: number): unknown {
  const setup: Event[] = [];
  const tasks: Record<string, ModelStep[]> = {};
  for (let i = 1; i <= n; i++) {
    setup.push({ type: 'dma_fence_context_alloc', ctx: `c${i}` });
    tasks[`t${i}`] = ownObjects(i).slice(0, k);
  }
  return { model: `objects-${n}x${k}`, description: 'counted', setup, tasks, finally: [] };
}

function statesOf(model: unknown): number {
  const r = check(parseModel(model));
  expect(r.result).toBe('ok');
  return r.states;
}

function fold(events: readonly Event[]): World {
  let w = initialWorld();
  for (const e of events) {
    const r = apply(w, e);
    expect(r.outcome.violations).toEqual([]);
    w = r.world;
  }
  return w;
}

describe('check', () => {
  it.each([
    [1, 1],
    [1, 9],
    [2, 3],
    [3, 4],
    [4, 2],
    [5, 1],
    [4, 5],
  ])('finds exactly (k+1)^N states for N = %i independent tasks of k = %i steps', (n, k) => {
    expect(statesOf(getsModel(n, k))).toBe((k + 1) ** n);
  });

  it.each([
    [1, 10],
    [2, 10],
    [3, 5],
    [4, 6],
    [5, 2],
  ])('finds exactly (k+1)^N states when N = %i tasks create their own objects in k = %i steps, in every order', (n, k) => {
    expect(statesOf(objectsModel(n, k))).toBe((k + 1) ** n);
  });

  it('finds a task that ends inside its signalling section (k = 3 stops after the begin): lockdep at task_exit', () => {
    const r = check(parseModel(objectsModel(2, 3)));
    expect(r.result).toBe('violation');
    expect('finding' in r && [r.finding.kind, r.finding.trace.at(-1)?.event.type]).toEqual(['lockdep', 'task_exit']);
  });

  it('counts every depth of independent tasks: the deepest level is N × k', () => {
    const r = check(parseModel(getsModel(3, 4)));
    expect(r.depth).toBe(12);
    // Each of the (k+1)^N states has one successor per unfinished task.
    expect(r.transitions).toBe(3 * 4 * 5 ** 2);
  });

  it('tells states apart by the kernel-assigned context ids, which come from one global counter', () => {
    // KERNEL: dma_fence_context_alloc() hands out ids from dma_fence_context_counter, so which task
    // allocates first is visible in the world: {t1: 1, t2: 2} and {t1: 2, t2: 1} are two states.
    const model = {
      model: 'contexts-in-tasks',
      description: 'counted',
      setup: [],
      tasks: { t1: [{ type: 'dma_fence_context_alloc', ctx: 'c1' }], t2: [{ type: 'dma_fence_context_alloc', ctx: 'c2' }] },
      finally: [],
    };
    expect(statesOf(model)).toBe(5);
  });

  it('matches the expect of every bundled independent model', () => {
    const files = readdirSync('models').filter((f) => f.startsWith('independent-') && f.endsWith('.model.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const m = loadModel(join('models', f));
      expect(m.expect?.result).toBe('ok');
      expect(m.expect?.states).toBeTypeOf('number');
      const r = check(m);
      expect(matchesExpect(r, m.expect), `${f}: ${r.result}, ${r.states} states`).toBe(true);
    }
  });

  it('expects (k+1)^N states of the 10^6-state bench model, whose count the bench checks', () => {
    // Checking it takes half a minute, so the bench (which fails on a wrong count) does it, not this test.
    const m = loadModel('test/bench/spin/independent-6x9.model.json');
    expect(Object.keys(m.tasks)).toHaveLength(6);
    expect(m.expect).toEqual({ result: 'ok', states: 10 ** 6 });
  });
});

describe('fingerprint', () => {
  it('does not depend on the order independent objects were created in', () => {
    const setup: Event[] = [
      { type: 'dma_fence_context_alloc', ctx: 'c1' },
      { type: 'dma_fence_context_alloc', ctx: 'c2' },
    ];
    const a = [...ownObjects(1).slice(0, 2), ...ownObjects(2).slice(0, 2)] as Event[];
    const b = [...ownObjects(2).slice(0, 2), ...ownObjects(1).slice(0, 2)] as Event[];
    const interleaved = [a[0], b[0], b[1], a[1]] as Event[];
    const mm = (i: number): Event[] => ownObjects(i).slice(6, 8) as Event[];
    const fa = fingerprint(fold([...setup, ...a, ...mm(1), ...mm(2)]));
    expect(fingerprint(fold([...setup, ...b, ...mm(2), ...mm(1)]))).toBe(fa);
    expect(fingerprint(fold([...setup, ...interleaved, ...mm(2), ...mm(1)]))).toBe(fa);
  });

  it('still tells apart worlds that differ', () => {
    const setup: Event[] = [{ type: 'dma_fence_context_alloc', ctx: 'c1' }, { type: 'dma_fence_init', fence: 'f1', ctx: 'c1' }];
    expect(fingerprint(fold([...setup, { type: 'dma_fence_get', fence: 'f1' }]))).not.toBe(fingerprint(fold(setup)));
  });
});
