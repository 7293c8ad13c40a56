import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckResult, check } from '../../src/checker/check.js';
import { DEFAULT_CHECK_KERNEL } from '../../src/checker/CheckKernel.js';
import type { Finding } from '../../src/checker/Explorer.js';
import { type Model, type ModelStep, loadModel, parseModel } from '../../src/checker/model.js';
import { exploreParallel } from '../../src/checker/parallel.js';
import { ownObjects } from './models.js';
import { SharedSeenSet } from '../../src/checker/SharedSeenSet.js';
import { outcomeToJson } from '../../src/world/logFormat.js';
import type { Event } from '../../src/world/Event.js';
import type { World } from '../../src/world/World.js';
import { cli, tempDir } from '../cli/helpers.js';

// The workers run the compiled checker (worker_threads cannot load the TypeScript sources vitest
// runs), so build the sources under test first: into a folder of this test's own (the gitignored
// tmp/, under the checkout so that the build finds node_modules), not dist/, which another test's
// `npm pack` rebuilds meanwhile. DRMSTATE_CHECK_WORKER points the searches at its worker.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD = join(ROOT, 'tmp', `parallel-test-${process.pid}`);
beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(BUILD, 'dist')], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(join(BUILD, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'drmstate.js'), join(BUILD, 'bin', 'drmstate.js'));
  copyFileSync(join(ROOT, 'package.json'), join(BUILD, 'package.json'));
  process.env.DRMSTATE_CHECK_WORKER = join(BUILD, 'dist', 'src', 'checker', 'checkWorker.js');
}, 300_000);
afterAll(() => {
  delete process.env.DRMSTATE_CHECK_WORKER;
  rmSync(BUILD, { recursive: true, force: true });
});

/** Setup for task `i`'s own fence. */
function fenceSetup(i: number | string): Event[] {
  return [
    { type: 'dma_fence_context_alloc', ctx: `c${i}` },
    { type: 'dma_fence_init', fence: `f${i}`, ctx: `c${i}` },
  ];
}

/** `n` tasks, each `k` steps of `dma_fence_get` on a fence of its own: exactly (k+1)^n states. */
function independent(n: number, k: number, prefix = ''): Model {
  const setup: Event[] = [];
  const tasks: Record<string, ModelStep[]> = {};
  for (let i = 1; i <= n; i++) {
    setup.push(...fenceSetup(`${prefix}${i}`));
    tasks[`${prefix}t${i}`] = [{ repeat: k, steps: [{ type: 'dma_fence_get', fence: `f${prefix}${i}` }] }];
  }
  return parseModel({ model: `independent-${n}x${k}`, description: 'counted', setup, tasks, finally: [] });
}

/** A model with `n` independent tasks of `k` steps added beside its own tasks (a bigger state space to split). */
function padded(m: Model, n: number, k: number): Model {
  const pad = independent(n, k, 'pad');
  const { model, description, setup, tasks } = m;
  return parseModel({ model: `${model}+${n}x${k}`, description, setup: [...setup, ...pad.setup], tasks: { ...tasks, ...pad.tasks }, finally: m.finally });
}

/** Two tasks each wait (with a timeout) on the fence the other signals afterwards. */
const deadlock = parseModel({
  model: 'wait-for-each-other',
  description: 'deadlock',
  setup: [...fenceSetup('a'), ...fenceSetup('b')],
  tasks: {
    a: [{ type: 'dma_fence_get', fence: 'fa' }, { type: 'dma_fence_wait_timeout', fence: 'fb', timeout: 10 }, { type: 'dma_fence_signal', fence: 'fa' }],
    b: [{ type: 'dma_fence_get', fence: 'fb' }, { type: 'dma_fence_wait_timeout', fence: 'fa', timeout: 10 }, { type: 'dma_fence_signal', fence: 'fb' }],
  },
  finally: [],
});

/** One task uses a fence that another creates: in some orders, before it exists. */
const useBeforeInit = parseModel({
  model: 'use-before-init',
  description: 'unknown_object',
  setup: [{ type: 'dma_fence_context_alloc', ctx: 'c' }],
  tasks: {
    maker: [{ type: 'dma_fence_get_stub', fence: 's' }, { type: 'dma_fence_init', fence: 'f', ctx: 'c' }],
    user: [{ type: 'dma_fence_get_stub', fence: 't' }, { type: 'dma_fence_get', fence: 'f' }],
  },
  finally: [],
});

/** Tasks with variables (a cookie bound and used), callbacks, sections and an allocator. */
const objects = parseModel({
  model: 'objects',
  description: 'bind and substitute, several protocols',
  setup: [
    { type: 'dma_fence_context_alloc', ctx: 'c1' },
    { type: 'dma_fence_context_alloc', ctx: 'c2' },
  ],
  tasks: Object.fromEntries(
    [1, 2].map((i) => [
      `t${i}`,
      ownObjects(i),
    ]),
  ),
  finally: [],
});

const bundled = readdirSync('models')
  .filter((f) => f.endsWith('.model.json'))
  .sort()
  .map((f) => loadModel(join('models', f)));

const violation = bundled.find((m) => m.expect?.result === 'violation');

const models: Model[] = [
  ...bundled,
  independent(3, 4),
  independent(4, 4),
  deadlock,
  padded(deadlock, 3, 3),
  useBeforeInit,
  padded(useBeforeInit, 3, 3),
  objects,
  ...(violation !== undefined ? [padded(violation, 3, 3)] : []),
];

/** What must not depend on the number of workers. */
function verdict(r: CheckResult): unknown {
  return {
    result: r.result,
    kind: 'finding' in r ? r.finding.kind : undefined,
    findingDepth: 'finding' in r ? r.finding.depth : undefined,
    findings: 'finding' in r ? r.findings.map((f) => `${f.result}:${f.kind}@${f.depth}`) : [],
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
  };
}

/** Runs a finding's trace through the kernel and returns the last outcome (or the misuse that stopped it). */
function replayTrace(f: Finding): unknown {
  let w: World = DEFAULT_CHECK_KERNEL.initialWorld();
  let last: unknown;
  for (const step of f.trace) {
    const r = DEFAULT_CHECK_KERNEL.tryApply(w, step.event);
    if (!r.ok) return { ok: false, misuse: r.misuse.message };
    w = r.world;
    last = outcomeToJson(r.outcome);
  }
  return last;
}

describe('check with workers', () => {
  it.each(models.map((m) => [m.model, m] as const))('%s: the same verdict, states, transitions and depth for 1, 2 and 3 workers', (_, m) => {
    const one = check(m);
    for (const workers of [2, 3]) expect(verdict(check(m, { workers, parallelFrom: 0 })), `${workers} workers`).toEqual(verdict(one));
  });

  it.each(bundled.map((m) => [m.model, m] as const))('%s: the same with --reduce por for 1 and 2 workers', (_, m) => {
    expect(verdict(check(m, { reduce: 'por', workers: 2, parallelFrom: 0 }))).toEqual(verdict(check(m, { reduce: 'por' })));
  });

  it('finds (k+1)^N states of N independent tasks of k steps with 2 workers', () => {
    expect(check(independent(4, 5), { workers: 2, parallelFrom: 0 })).toMatchObject({ result: 'ok', states: 6 ** 4, depth: 20 });
  });

  const findingCases: [string, Model, string][] = [
    ['deadlock', padded(deadlock, 3, 3), 'deadlock'],
    ['unknown_object', padded(useBeforeInit, 3, 3), 'unknown_object'],
    ...(violation !== undefined ? [['violation', padded(violation, 3, 3), violation.expect?.kind ?? ''] as [string, Model, string]] : []),
  ];
  it.each(findingCases)('gives a %s whose trace replays to the same last outcome', (_, m, kind) => {
    for (const workers of [2, 3]) {
      const r = check(m, { workers, parallelFrom: 0 });
      expect('finding' in r && r.finding.kind).toBe(kind);
      if (!('finding' in r)) continue;
      const f = r.finding;
      expect(f.trace.filter((s) => s.task !== 'setup' && s.exit !== true).length).toBe(f.depth);
      expect(replayTrace(f)).toEqual(f.trace.at(-1)?.outcome);
    }
  });

  it('keeps the same findings with --keep-going', () => {
    const m = padded(deadlock, 2, 2);
    expect(verdict(check(m, { workers: 2, keepGoing: true, parallelFrom: 0 }))).toEqual(verdict(check(m, { keepGoing: true })));
  });

  it('stops at --max-depth with the same counts', () => {
    const m = independent(4, 4);
    const one = check(m, { maxDepth: 5 });
    expect(one).toMatchObject({ result: 'limit', bound: 'depth', depth: 5 });
    expect(verdict(check(m, { maxDepth: 5, workers: 2, parallelFrom: 0 }))).toEqual(verdict(one));
  });

  it('stops at --max-states with a limit', () => {
    expect(check(independent(4, 4), { maxStates: 100, workers: 2, parallelFrom: 0 })).toMatchObject({ result: 'limit', bound: 'states' });
  });

  it('moves to the workers once the search passes parallelFrom states, with the same answer', () => {
    const m = independent(4, 4);
    const one = verdict(check(m));
    for (const parallelFrom of [100, 10_000]) expect(verdict(check(m, { workers: 2, parallelFrom }))).toEqual(one);
  });

  it('searches with one thread for a custom kernel', () => {
    const r = check(independent(2, 2), { workers: 3, kernel: DEFAULT_CHECK_KERNEL });
    expect(r).toMatchObject({ result: 'ok', states: 9 });
  });

  it('reports a malformed model found during the search as the single-threaded search does', () => {
    const m = parseModel({
      model: 'unbound',
      description: 'x',
      setup: fenceSetup(1),
      tasks: {
        t: [{ either: [[{ event: { type: 'dma_fence_begin_signalling' }, bind: { cookie: 'cookie' } }], [{ type: 'dma_fence_get', fence: 'f1' }]] }, { type: 'dma_fence_end_signalling', cookie: '$cookie' }],
      },
      finally: [],
    });
    let one: unknown;
    try {
      check(m);
    } catch (e) {
      one = e;
    }
    expect(one).toBeInstanceOf(Error);
    expect(() => check(m, { workers: 2, parallelFrom: 0 })).toThrow((one as Error).message);
  });
});

describe('drmstate check --workers', () => {
  /** Runs the built CLI (bin/drmstate.js on its dist/, as users run it; this test's build). */
  function built(...argv: string[]): { code: number | null; out: string; err: string } {
    const r = spawnSync(process.execPath, [join(BUILD, 'bin', 'drmstate.js'), ...argv], { cwd: ROOT, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
  const counted = (r: { out: string }): unknown => {
    const j = JSON.parse(r.out) as Record<string, unknown>;
    return [j.result, j.states, j.transitions, j.depth, j.matchesExpect];
  };

  it('gives the same JSON line for 1 and 2 workers from the built CLI, past the one-thread start', () => {
    const dir = tempDir();
    const file = join(dir, 'independent-4x12.model.json');
    writeFileSync(file, JSON.stringify({ ...independent(4, 12), expect: { result: 'ok', states: 13 ** 4 } }));
    const one = built('check', file, '--json', '--workers', '1');
    const two = built('check', file, '--json', '--workers', '2');
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(counted(two)).toEqual(['ok', 13 ** 4, 4 * 12 * 13 ** 3, 48, true]);
    expect(counted(two)).toEqual(counted(one));
  });

  it('checks the bundled models with the default workers', () => {
    const r = built('check', '--json');
    expect(r.code).toBe(0);
  });

  it('takes --workers in the sources too, and refuses a count that is not a positive integer', async () => {
    const dir = tempDir();
    const file = join(dir, 'independent-3x3.model.json');
    writeFileSync(file, JSON.stringify({ ...independent(3, 3), expect: { result: 'ok', states: 64 } }));
    expect((await cli('check', file, '--workers', '2', '--json')).code).toBe(0);
    const bad = await cli('check', file, '--workers', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--workers takes a positive integer');
  });

  it('lists --workers in its help', async () => {
    expect((await cli('check', '--help')).out).toContain('--workers N');
  });
});

describe('exploreParallel', () => {
  it('gives the same counts when the frontier is split from the initial state on', () => {
    const m = independent(4, 4);
    for (const workers of [2, 3]) {
      const r = exploreParallel(m, workers, { splitAt: 1 }, false, performance.now());
      expect([r.states, r.transitions, r.depth]).toEqual([625, 2000, 16]);
    }
  });

  it('expands every state once whether or not workers take states over from each other', () => {
    const m = independent(5, 3);
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    const plain = exploreParallel(m, 3, { steal: false, splitAt: 1 }, false, performance.now());
    const stealing = exploreParallel(m, 3, { splitAt: 1 }, false, performance.now());
    expect([stealing.states, stealing.transitions, stealing.depth]).toEqual([1024, 3840, 15]);
    expect([plain.states, plain.transitions, plain.depth]).toEqual([1024, 3840, 15]);
    // Every state but s0 (expanded before the split by worker 0) is expanded once, by one worker.
    expect(sum(stealing.expanded)).toBe(1023);
    expect(sum(plain.expanded)).toBe(1023);
  });

  it('grows the shared tables at a level end and in the middle of a level', () => {
    const m = independent(10, 1);
    for (const workers of [2, 3]) {
      const r = exploreParallel(m, workers, { tableSlots: 128, splitAt: 4 }, false, performance.now());
      expect([r.states, r.transitions, r.depth]).toEqual([1024, 5120, 10]);
      expect(r.grown.atLevelEnd).toBeGreaterThan(0);
      expect(r.grown.midLevel).toBeGreaterThan(0);
    }
  });
});

describe('SharedSeenSet', () => {
  it('tells new fingerprints from seen ones, zero lanes included', () => {
    const s = new SharedSeenSet(SharedSeenSet.bufferFor(1024, true));
    expect(s.add(5, 7)).toBe(true);
    expect(s.add(5, 7)).toBe(false);
    expect(s.add(5, 8)).toBe(true);
    expect(s.add(0, 0)).toBe(true);
    expect(s.add(0, 0)).toBe(false);
    expect(s.add(0xffffffff, 1)).toBe(true);
    expect(s.add(-1, 1)).toBe(false);
  });

  it('keeps every key when rehashed into a bigger table', () => {
    const s = new SharedSeenSet(SharedSeenSet.bufferFor(1024, false));
    for (let i = 1; i <= 700; i++) s.add(Math.imul(i, 0x9e3779b1), i);
    const t = s.rehashInto(new SharedSeenSet(SharedSeenSet.bufferFor(2048, true)));
    for (let i = 1; i <= 700; i++) expect(t.add(Math.imul(i, 0x9e3779b1), i)).toBe(false);
    expect(t.add(1, 701)).toBe(true);
  });
});
