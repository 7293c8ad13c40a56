/**
 * The driver of `test/bench/c/drmMmPort.c`, the C port of the mutable drm_mm allocator
 * (test/drm-mm/mutableDrmMm.ts): writes calls in the text format it reads, compiles it with `cc`
 * into a temporary directory, runs it and reads its answers and its CPU time per call.
 *
 * Used by the seeded-workload benchmark (its C baseline) and by test/drm-mm/cPort.test.ts (which
 * checks that it answers as the mutable port does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MutableCall } from '../drm-mm/mutableDrmMm.js';
import { onPath } from './native.js';

/** The flags the port is compiled with. */
export const DRM_MM_PORT_CFLAGS: readonly string[] = ['-O2', '-std=c11', '-Wall', '-Wextra'];

/**
 * The path of `test/bench/c/drmMmPort.c`, found from this module as vitest runs it
 * (`test/bench/`) or as the compiled bench does (`dist/test/bench/`).
 */
export function drmMmPortSource(): string {
  const candidates = ['./c/drmMmPort.c', '../../../test/bench/c/drmMmPort.c'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`drm_mm C port: test/bench/c/drmMmPort.c not found (looked at ${candidates.join(', ')})`);
  return found;
}

/**
 * The calls in the C port's format, one a line: `i START SIZE`, `a ID SIZE ALIGN COLOR RSTART
 * REND MODE ONCE`, `r ID`. Node names are numbered from 0 in order of first appearance.
 */
export function drmMmPortText(calls: readonly MutableCall[]): string {
  const ids = new Map<string, number>();
  const id = (name: string): number => {
    let n = ids.get(name);
    if (n === undefined) {
      n = ids.size;
      ids.set(name, n);
    }
    return n;
  };
  const lines: string[] = [];
  for (const c of calls) {
    switch (c.op) {
      case 'init':
        lines.push(`i ${c.start} ${c.size}`);
        break;
      case 'insert':
        if (!Number.isInteger(c.mode) || c.mode < 0 || c.mode > 3) throw new Error(`drm_mm C port: insertion mode ${c.mode} is not 0..3`);
        lines.push(`a ${id(c.node)} ${c.size} ${c.alignment} ${c.color} ${c.rangeStart} ${c.rangeEnd} ${c.mode} ${c.once ? 1 : 0}`);
        break;
      case 'remove':
        lines.push(`r ${id(c.node)}`);
        break;
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** One run of the C port: the timed calls' CPU time and their answers. */
export interface DrmMmPortRun {
  /** CPU nanoseconds per timed call (the best repetition). */
  readonly nsPerCall: number;
  /** One answer per timed call, as `MutableDrmMm.call` gives it. */
  readonly answers: Float64Array;
}

/** The C port compiled into a temporary directory; {@link close} removes it. */
export class CompiledDrmMmPort {
  private constructor(
    /** The temporary directory. */
    readonly dir: string,
    /** The executable. */
    readonly exe: string,
    /** What cc wrote to stderr (empty: no warning). */
    readonly warnings: string,
  ) {}

  /** Compiles the port with `cc` and {@link DRM_MM_PORT_CFLAGS}; throws when cc is missing or fails. */
  static compile(): CompiledDrmMmPort {
    if (!onPath('cc')) throw new Error('drm_mm C port: cc is not on the PATH');
    const src = drmMmPortSource();
    const dir = mkdtempSync(join(tmpdir(), 'drmstate-drmmm-'));
    const exe = join(dir, 'drmMmPort');
    const r = spawnSync('cc', [...DRM_MM_PORT_CFLAGS, '-o', exe, src], { encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`drm_mm C port: cc ${DRM_MM_PORT_CFLAGS.join(' ')} ${src} failed: ${r.error?.message ?? r.stderr}`);
    }
    return new CompiledDrmMmPort(dir, exe, r.stderr);
  }

  /** Writes `calls` in the port's format to a file in the temporary directory; returns its path. */
  writeCalls(calls: readonly MutableCall[], name = 'calls.txt'): string {
    const file = join(this.dir, name);
    writeFileSync(file, drmMmPortText(calls));
    return file;
  }

  /**
   * Runs the port on a calls file: the first `build` calls untimed, the others timed, the whole
   * `repeat` times on fresh allocators (best time). `calls` is the file's number of calls.
   */
  runFile(file: string, calls: number, build: number, repeat = 1): DrmMmPortRun {
    const r = spawnSync(this.exe, [file, String(build), String(repeat)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.error !== undefined || r.status !== 0) throw new Error(`drm_mm C port: ${this.exe} ${file} ${build} ${repeat} failed (status ${r.status}): ${r.error?.message ?? r.stderr}`);
    const lines = r.stdout.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const m = /^cpu_ns_per_call (\d+(?:\.\d+)?)$/.exec(lines[0] ?? '');
    if (m === null) throw new Error(`drm_mm C port: expected a first line "cpu_ns_per_call N", got ${JSON.stringify(lines[0])}`);
    const timed = calls - build;
    if (lines.length - 1 !== timed) throw new Error(`drm_mm C port: expected ${timed} answers, got ${lines.length - 1}`);
    const answers = new Float64Array(timed);
    for (let i = 0; i < timed; i++) {
      const line = lines[i + 1] as string;
      if (!/^-?\d+$/.test(line)) throw new Error(`drm_mm C port: answer ${i} is ${JSON.stringify(line)}, not an integer`);
      answers[i] = Number(line);
    }
    return { nsPerCall: Number(m[1]), answers };
  }

  /** Writes `calls` and runs the port on them (see {@link runFile}). */
  run(calls: readonly MutableCall[], build = 0, repeat = 1): DrmMmPortRun {
    return this.runFile(this.writeCalls(calls), calls.length, build, repeat);
  }

  /** Removes the temporary directory. */
  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
