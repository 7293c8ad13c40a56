import { type CheckKernel, DEFAULT_CHECK_KERNEL, type TryResult } from '../../src/checker/CheckKernel.js';
import type { Event } from '../../src/world/Event.js';
import { hashString } from '../../src/world/hash.js';
import { ok } from '../../src/world/Outcome.js';
import type { World } from '../../src/world/World.js';

/**
 * A test-only protocol with a queueing call, to test the checker's wait queues before a kernel
 * protocol has one: a counting semaphore whose `test_sem_down` joins a FIFO wait queue when the
 * count is zero (`{ok: false, blocked: true, queued: true}`) and whose `test_sem_up` hands the count
 * to the first waiter (`woke: [task]`).
 */
interface Sem {
  readonly count: number;
  readonly waiters: readonly string[];
}

type SemSlice = { readonly [name: string]: Sem };

const KEY = 'testSem';

function slice(w: World): SemSlice {
  return ((w as unknown as Record<string, unknown>)[KEY] as SemSlice | undefined) ?? {};
}

function withSem(w: World, name: string, s: Sem): World {
  return Object.freeze({ ...w, [KEY]: Object.freeze({ ...slice(w), [name]: Object.freeze(s) }) }) as unknown as World;
}

function semApply(w: World, e: Event): TryResult {
  const name = e.sem as string;
  const s = slice(w)[name];
  if (e.type === 'test_sem_init') return { ok: true, world: withSem(w, name, { count: e.count as number, waiters: [] }), outcome: ok() };
  if (s === undefined) return { ok: false, misuse: { code: 'UNKNOWN_OBJECT', message: `no semaphore named ${JSON.stringify(name)} was ever created`, field: 'sem' } };
  if (e.type === 'test_sem_down') {
    if (s.count > 0) return { ok: true, world: withSem(w, name, { count: s.count - 1, waiters: s.waiters }), outcome: ok() };
    return {
      ok: true,
      world: withSem(w, name, { count: 0, waiters: [...s.waiters, e.task as string] }),
      outcome: { ok: false, blocked: true, queued: true, violations: [] },
    };
  }
  if (e.type === 'test_sem_up') {
    const [first, ...rest] = s.waiters;
    if (first !== undefined) return { ok: true, world: withSem(w, name, { count: 0, waiters: rest }), outcome: ok({ woke: [first] }) };
    return { ok: true, world: withSem(w, name, { count: s.count + 1, waiters: [] }), outcome: ok() };
  }
  return { ok: false, misuse: { code: 'MALFORMED_EVENT', message: `unknown event type "${e.type}"`, field: 'type' } };
}

const FIELDS: { readonly [type: string]: readonly string[] } = {
  test_sem_init: ['sem', 'count'],
  test_sem_down: ['sem', 'task'],
  test_sem_up: ['sem'],
};

/** drmstate's kernel plus the test semaphore; its invariant: no semaphore counts above `max`. */
export function semKernel(max = Infinity): CheckKernel {
  const base = DEFAULT_CHECK_KERNEL;
  return {
    initialWorld: () => base.initialWorld(),
    tryApply: (w, e) => (e.type in FIELDS ? semApply(w, e) : base.tryApply(w, e)),
    uptimes: base.uptimes,
    fingerprintHash(w) {
      const h = base.fingerprintHash(w);
      const entries = Object.entries(slice(w)).sort(([a], [b]) => (a < b ? -1 : 1));
      if (entries.length === 0) return h;
      const s = hashString(JSON.stringify(entries));
      return { lo: (h.lo + s.lo) >>> 0, hi: (h.hi + s.hi) >>> 0 };
    },
    invariants: [
      ...base.invariants,
      {
        name: 'everySemaphoreCountsAtMostMax',
        statement: `for every semaphore, its count is at most ${max}`,
        holds: (w) => Object.values(slice(w)).every((s) => s.count <= max),
      },
    ],
    invariantsToCheck(before, after) {
      return before === undefined || slice(before) !== slice(after) ? this.invariants : base.invariantsToCheck(before, after);
    },
    knows: (t) => t in FIELDS || base.knows(t),
    takesTask: (t) => (t in FIELDS ? (FIELDS[t] as readonly string[]).includes('task') : base.takesTask(t)),
    check: (e) => (e.type in FIELDS ? undefined : base.check(e)),
    checkFields: (e) => (e.type in FIELDS ? undefined : base.checkFields(e)),
    view: (w) => ({ ...(base.view(w) as object), [KEY]: slice(w) }),
    footprint: (e) => (e.type in FIELDS ? [`sem:${String(e.sem)}`] : base.footprint(e)),
  };
}
