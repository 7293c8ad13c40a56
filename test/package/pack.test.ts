import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package as a user installs it: `npm pack` (its `prepare` builds dist/), unpacked into a
// scratch project's node_modules, compiled by the project's own TypeScript with strict and
// skipLibCheck false. No network: the package's dependencies are linked from this checkout.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_ENV = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

let scratch: string;
let consumer: string;
let packed: string[];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'drmstate-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: ROOT, env: NPM_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const tarball = join(scratch, (info[0] as { filename: string }).filename);
  packed = (info[0] as { files: { path: string }[] }).files.map((f) => f.path);
  consumer = join(scratch, 'consumer');
  const pkgDir = join(consumer, 'node_modules', 'drmstate');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  for (const dep of ['xstate', 'immer', 'immutable', '@viz-js', '@types']) symlinkSync(join(ROOT, 'node_modules', dep), join(consumer, 'node_modules', dep));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, 180_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** A strict consumer that uses the package as documented: it must compile without an error. */
const GOOD = `import { Kernel, outcomeContains, outcomeToJson, type DmaFenceEvent, type DrmMmEvent, type KernelEvent, type World } from 'drmstate';
const k = new Kernel();
const calls: KernelEvent[] = [
  { type: 'dma_fence_context_alloc', ctx: 'c' },
  { type: 'dma_fence_init', fence: 'f', ctx: 'c', seqno: 3n },
  { type: 'drm_mm_init', mm: 'vram', start: '0', size: 4096n },
];
for (const e of calls) k.call(e);
const fences: World['dmaFence']['fences'] = k.world.dmaFence.fences;
const mms: World['drmMm']['mms'] = k.world.drmMm.mms;
const decoded: DmaFenceEvent['type'] | DrmMmEvent['type'] = 'drm_mm_takedown';
const o = k.call({ type: 'drm_mm_insert_node', mm: 'vram', node: 'n', size: '1024' });
console.log(fences.size, mms.size, decoded, outcomeContains(outcomeToJson(o), { ok: true }));
`;

/** A consumer with a misspelt event type on line 2: it must not compile. */
const BAD = `import { Kernel } from 'drmstate';\nnew Kernel().call({ type: 'dma_fence_contxt_alloc', ctx: 'c' });\n`;

let tsc: { code: number; lines: string[] } | undefined;

/** Compiles both consumer files in one tsc run (strict, skipLibCheck false). */
function compileConsumer(): { code: number; lines: string[] } {
  writeFileSync(join(consumer, 'good.ts'), GOOD);
  writeFileSync(join(consumer, 'bad.ts'), BAD);
  const config = {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
    files: ['good.ts', 'bad.ts'],
  };
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(config));
  const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer, encoding: 'utf8' });
  return { code: r.status ?? -1, lines: (r.stdout + r.stderr).split('\n').filter((l) => /^\S.*\(\d+,\d+\): error/.test(l)) };
}

describe('the packed package', () => {
  it('carries the built library, the CLI, LICENSE, README and docs', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/drmstate.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'docs/cli.md', 'docs/architecture.md'])
      expect(packed, f).toContain(f);
    expect(packed.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false);
  });

  it('type-checks a strict consumer with skipLibCheck false: World slices, typed calls, event unions', () => {
    tsc ??= compileConsumer();
    expect(tsc.lines.filter((l) => !l.startsWith('bad.ts('))).toEqual([]);
  }, 60_000);

  it('refuses a misspelt event type at compile time, in the consumer and not in the package', () => {
    tsc ??= compileConsumer();
    expect(tsc.code).not.toBe(0);
    expect(tsc.lines).toHaveLength(1);
    expect(tsc.lines[0]).toMatch(/^bad\.ts\(2,\d+\): error TS\d+: Type '"dma_fence_contxt_alloc"' is not assignable/);
  }, 60_000);

  it('runs its command from the unpacked package, outside the checkout: --version and an example', () => {
    const bin = join(consumer, 'node_modules', 'drmstate', 'bin', 'drmstate.js');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = spawnSync(process.execPath, [bin, '--version'], { cwd: consumer, encoding: 'utf8' });
    expect(v.stdout).toBe(`drmstate ${pkg.version}\n`);
    const example = join(consumer, 'node_modules', 'drmstate', 'examples', 'drm-mm-placement.ndjson');
    const r = spawnSync(process.execPath, [bin, 'run', example, '--json'], { cwd: consumer, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(readFileSync(example, 'utf8').split('\n').filter((l) => l.trim() !== '').length);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ ok: true });
  }, 60_000);
});
