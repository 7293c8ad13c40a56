import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DrmstateError } from '../../src/errors.js';
import { Kernel, leaks } from '../../src/kernel/Kernel.js';

function caught(f: () => unknown): DrmstateError {
  try {
    f();
  } catch (e) {
    if (e instanceof DrmstateError) return e;
    throw e;
  }
  throw new Error('expected a DrmstateError');
}

describe('Kernel.call', () => {
  it('throws CLOSED after close() and leaves world, log and log file unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drmstate-'));
    const file = join(dir, 'k.log');
    const k = new Kernel({ logFile: file });
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.close();
    const world = k.world;
    const text = readFileSync(file, 'utf8');
    const e = caught(() => k.call({ type: 'dma_fence_context_alloc', ctx: 'd' }));
    expect(e.code).toBe('CLOSED');
    expect(e.message).toMatch(/closed/);
    expect(k.world).toBe(world);
    expect(k.seq).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('throws CLOSED after close() for a kernel without a log file too', () => {
    const k = new Kernel();
    k.close();
    expect(caught(() => k.callJson({ type: 'dma_fence_context_alloc', ctx: 'c' })).code).toBe('CLOSED');
    k.close();
    expect(k.seq).toBe(0);
  });

  it('keeps taking calls on a fork of a closed kernel', () => {
    const k = new Kernel();
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.close();
    expect(k.fork().call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' })).toMatchObject({ ok: true, seqno: 1n });
  });

  it('takes u64 fields as decimal strings or bigints', () => {
    const k = new Kernel();
    expect(k.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: 4096n }).ok).toBe(true);
    expect(k.call({ type: 'drm_mm_insert_node', mm: 'm', node: 'n', size: '1024' })).toMatchObject({ ok: true, start: 0n });
  });
});

describe('new Kernel({ logFile })', () => {
  it('throws BAD_ARGUMENT naming the path when the log cannot be created', () => {
    const e = caught(() => new Kernel({ logFile: '/no/such/dir/x.log' }));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toBe('cannot create the log file /no/such/dir/x.log: no such file or directory');
  });

  it('throws BAD_ARGUMENT when the log path is a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drmstate-'));
    const e = caught(() => new Kernel({ logFile: dir }));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toContain('it is a directory');
  });
});

describe('Kernel.resume', () => {
  it('throws BAD_ARGUMENT naming a log that does not exist', () => {
    const e = caught(() => Kernel.resume('/no/such/log.ndjson'));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toContain('cannot read the log /no/such/log.ndjson: no such file or directory');
  });
});

describe('leaks', () => {
  it('lists what every protocol still holds alive, dma_fence first', () => {
    const k = new Kernel();
    k.call({ type: 'drm_mm_init', mm: 'vram', start: '0', size: '4096' });
    k.call({ type: 'drm_mm_insert_node', mm: 'vram', node: 'a', size: '1024' });
    k.call({ type: 'dma_fence_context_alloc', ctx: 'c' });
    k.call({ type: 'dma_fence_init', fence: 'f', ctx: 'c' });
    expect(leaks(k.world).map((v) => v.objects)).toEqual([['f'], ['vram', 'a']]);
    expect(k.leaks()).toEqual(leaks(k.world));
  });
});

describe('Kernel.freshName', () => {
  it('counts per prefix on each kernel, a fork starting its own count, and changes neither world nor log', () => {
    const k = new Kernel();
    const world = k.world;
    expect([k.freshName('fence'), k.freshName('fence'), k.freshName('node')]).toEqual(['fence1', 'fence2', 'node1']);
    expect(new Kernel().freshName('fence')).toBe('fence1');
    expect(k.fork().freshName('fence')).toBe('fence1');
    expect(k.world).toBe(world);
    expect(k.seq).toBe(0);
  });
});
