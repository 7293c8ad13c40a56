import { describe, expect, it } from 'vitest';
import { Scenario, kinds } from './helpers.js';

function withFiles(...files: string[]): Scenario {
  const s = new Scenario().device();
  for (const file of files) s.ok({ type: 'drm_open', file, drm: 'drm0' });
  return s;
}

describe('drm_gem_handle_create', () => {
  it('frees an object with handles in two files only after both files close', () => {
    const s = withFiles('f1', 'f2');
    s.ok({ type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '4096' });
    expect(s.run({ type: 'drm_gem_handle_create', file: 'f1', obj: 'o' })).toEqual({ ok: true, handle: 1 });
    expect(s.run({ type: 'drm_gem_handle_create', file: 'f2', obj: 'o' })).toEqual({ ok: true, handle: 1 });
    // One reference shared by all handles, plus the creator's.
    expect(s.world.drm.objects.get('o')).toMatchObject({ refcount: 2, handleCount: 2 });
    s.ok({ type: 'drm_gem_object_put', obj: 'o' }, { type: 'drm_release', file: 'f1' });
    expect(s.world.drm.objects.get('o')?.state).toBe('alive');
    s.ok({ type: 'drm_release', file: 'f2' });
    expect(s.world.drm.objects.get('o')?.state).toBe('freed');
    expect(kinds(s.run({ type: 'drm_gem_object_put', obj: 'o' }))).toEqual(['refcount_underflow']);
    expect(kinds(s.run({ type: 'drm_gem_object_get', obj: 'o' }))).toEqual(['use_after_free']);
  });

  it('aborts and undoes everything when the driver\'s open callback fails', () => {
    const s = withFiles('f');
    s.ok({ type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '4096', open_fails: 'ENOMEM' });
    const before = s.world;
    expect(s.run({ type: 'drm_gem_handle_create', file: 'f', obj: 'o' })).toEqual({ ok: false, errno: 'ENOMEM' });
    expect(s.world).toBe(before);
  });

  it('refuses a size that is not page-aligned as bug_on', () => {
    const s = withFiles();
    expect(kinds(s.run({ type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '100' }))).toEqual(['bug_on']);
    expect(s.world.drm.objects.has('o')).toBe(false);
  });
});

describe('drm_gem_object_lookup and drm_gem_handle_delete', () => {
  it('answers found false (not an errno) for a deleted handle, EINVAL to deleting it again', () => {
    const s = withFiles('f');
    s.ok({ type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '4096' });
    s.ok({ type: 'drm_gem_handle_create', file: 'f', obj: 'o' });
    expect(s.run({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 })).toEqual({ ok: true, found: true, obj: 'o' });
    s.ok({ type: 'drm_gem_object_put', obj: 'o' }, { type: 'drm_gem_handle_delete', file: 'f', handle: 1 });
    expect(s.run({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 })).toEqual({ ok: true, found: false });
    expect(s.run({ type: 'drm_gem_handle_delete', file: 'f', handle: 1 })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(s.run({ type: 'drm_gem_object_lookup', file: 'f', handle: 0 })).toEqual({ ok: true, found: false });
  });

  it('reports a lookup never put as a leak when the device is released', () => {
    const s = withFiles('f');
    s.ok({ type: 'drm_gem_object_init', obj: 'o', drm: 'drm0', size: '4096' }, { type: 'drm_gem_handle_create', file: 'f', obj: 'o' });
    s.ok({ type: 'drm_gem_object_put', obj: 'o' });
    s.run({ type: 'drm_gem_object_lookup', file: 'f', handle: 1 });
    s.ok({ type: 'drm_release', file: 'f' }, { type: 'drm_dev_unregister', drm: 'drm0' });
    const o = s.run({ type: 'drm_dev_put', drm: 'drm0' });
    expect(kinds(o)).toEqual(['leak']);
    expect((o.violations as { message: string }[])[0]?.message).toContain('GEM object still alive (o)');
    // The object does not hold its device: a handle to it (from a file of another device) and its
    // last put now touch freed memory.
    s.device('drm1', 'pdev1').ok({ type: 'drm_open', file: 'g', drm: 'drm1' });
    expect(kinds(s.run({ type: 'drm_gem_handle_create', file: 'g', obj: 'o' }))).toEqual(['use_after_free']);
    expect(kinds(s.run({ type: 'drm_gem_object_put', obj: 'o' }))).toEqual(['use_after_free']);
  });
});

describe('drm_gem_create_mmap_offset', () => {
  it('gives two objects consecutive page ranges from 4 GiB, idempotently, and reuses a freed range', () => {
    const s = withFiles('f');
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '8192' }, { type: 'drm_gem_object_init', obj: 'b', drm: 'drm0', size: '4096' });
    expect(s.run({ type: 'drm_gem_create_mmap_offset', obj: 'a' })).toEqual({ ok: true, offset: '4294967296' });
    expect(s.run({ type: 'drm_gem_create_mmap_offset', obj: 'b' })).toEqual({ ok: true, offset: '4294975488' });
    expect(s.run({ type: 'drm_gem_create_mmap_offset', obj: 'a' })).toEqual({ ok: true, offset: '4294967296' });
    s.ok({ type: 'drm_gem_object_put', obj: 'a' });
    s.ok({ type: 'drm_gem_object_init', obj: 'c', drm: 'drm0', size: '4096' });
    expect(s.run({ type: 'drm_gem_create_mmap_offset', obj: 'c' })).toEqual({ ok: true, offset: '4294967296' });
  });

  it('answers ENOSPC for a 0-byte object', () => {
    const s = withFiles();
    s.ok({ type: 'drm_gem_object_init', obj: 'z', drm: 'drm0', size: '0' });
    expect(s.run({ type: 'drm_gem_create_mmap_offset', obj: 'z' })).toEqual({ ok: false, errno: 'ENOSPC' });
  });

  it('reports an offset left at device release as the offset manager takedown\'s WARN, beside the object\'s leak', () => {
    const s = withFiles();
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '4096' }, { type: 'drm_gem_create_mmap_offset', obj: 'a' });
    s.ok({ type: 'drm_dev_unregister', drm: 'drm0' });
    const o = s.run({ type: 'drm_dev_put', drm: 'drm0' });
    expect(kinds(o)).toEqual(['leak', 'warn_on']);
    expect((o.violations as { message: string }[])[1]?.message).toMatch(/Memory manager not clean during takedown/);
    // An object without an offset leaves the offset manager clean: the leak alone.
    const t = withFiles();
    t.ok({ type: 'drm_gem_object_init', obj: 'b', drm: 'drm0', size: '4096' }, { type: 'drm_dev_unregister', drm: 'drm0' });
    expect(kinds(t.run({ type: 'drm_dev_put', drm: 'drm0' }))).toEqual(['leak']);
  });
});

describe('drm_gem_mmap', () => {
  it('maps the exact start for a file with a handle; EINVAL inside, EACCES without a handle', () => {
    const s = withFiles('f', 'g');
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '8192' }, { type: 'drm_gem_handle_create', file: 'f', obj: 'a' });
    s.ok({ type: 'drm_gem_create_mmap_offset', obj: 'a' });
    expect(s.run({ type: 'drm_gem_mmap', file: 'f', offset: '4294967296', len: '8192', vma: 'v1' })).toEqual({ ok: true });
    expect(s.run({ type: 'drm_gem_mmap', file: 'f', offset: '4294971392', len: '4096', vma: 'v2' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(s.run({ type: 'drm_gem_mmap', file: 'f', offset: '4294967296', len: '12288', vma: 'v3' })).toEqual({ ok: false, errno: 'EINVAL' });
    expect(s.run({ type: 'drm_gem_mmap', file: 'g', offset: '4294967296', len: '4096', vma: 'v4' })).toEqual({ ok: false, errno: 'EACCES' });
    // The VMA holds a reference: the object outlives its handle and creator until unmapped.
    s.ok({ type: 'drm_gem_object_put', obj: 'a' }, { type: 'drm_gem_handle_delete', file: 'f', handle: 1 });
    expect(s.world.drm.objects.get('a')?.state).toBe('alive');
    s.ok({ type: 'drm_gem_vm_close', vma: 'v1' });
    expect(s.world.drm.objects.get('a')?.state).toBe('freed');
    expect(kinds(s.run({ type: 'drm_gem_vm_close', vma: 'v1' }))).toEqual(['use_after_free']);
  });
});

describe('drm_gem_flink and drm_gem_open_by_name', () => {
  it('names an object once and opens it by name in another file', () => {
    const s = withFiles('f', 'g');
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '4096' }, { type: 'drm_gem_handle_create', file: 'f', obj: 'a' });
    expect(s.run({ type: 'drm_gem_flink', file: 'f', handle: 1 })).toEqual({ ok: true, name: 1 });
    expect(s.run({ type: 'drm_gem_flink', file: 'f', handle: 1 })).toEqual({ ok: true, name: 1 });
    expect(s.run({ type: 'drm_gem_open_by_name', file: 'g', name: 1 })).toEqual({ ok: true, handle: 1, size: '4096' });
    expect(s.run({ type: 'drm_gem_open_by_name', file: 'g', name: 2 })).toEqual({ ok: false, errno: 'ENOENT' });
    expect(s.run({ type: 'drm_gem_flink', file: 'f', handle: 7 })).toEqual({ ok: false, errno: 'ENOENT' });
  });

  it('drops the name with the last handle', () => {
    const s = withFiles('f', 'g');
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '4096' }, { type: 'drm_gem_handle_create', file: 'f', obj: 'a' });
    s.ok({ type: 'drm_gem_flink', file: 'f', handle: 1 }, { type: 'drm_gem_handle_delete', file: 'f', handle: 1 });
    expect(s.run({ type: 'drm_gem_open_by_name', file: 'g', name: 1 })).toEqual({ ok: false, errno: 'ENOENT' });
  });
});

describe('the drm slice', () => {
  it('contributes nothing to the fingerprint of a world that never uses it', async () => {
    const { fingerprint } = await import('../../src/kernel/fingerprint.js');
    const { initialWorld } = await import('../../src/kernel/apply.js');
    const w = initialWorld();
    const { drm: _drm, ...rest } = w as unknown as Record<string, unknown>;
    expect(Object.keys(rest).length).toBeGreaterThan(0);
    expect(fingerprint(w)).toBe(fingerprint({ ...w, drm: (await import('../../src/drm/state.js')).initialDrmState() } as never));
  });

  it('round-trips a busy world through a snapshot', async () => {
    const { takeSnapshot, readSnapshot } = await import('../../src/kernel/snapshot.js');
    const { fingerprint } = await import('../../src/kernel/fingerprint.js');
    const s = withFiles('f');
    s.ok({ type: 'drm_gem_object_init', obj: 'a', drm: 'drm0', size: '4096' }, { type: 'drm_gem_handle_create', file: 'f', obj: 'a' });
    s.ok({ type: 'drm_dev_enter', drm: 'drm0', task: 't' });
    const back = readSnapshot(JSON.parse(JSON.stringify(takeSnapshot(s.world, 1))));
    expect(fingerprint(back)).toBe(fingerprint(s.world));
  });
});

describe('GEM ioctls on a device without the gem feature', () => {
  it('answers EOPNOTSUPP to flink and open by name', () => {
    const s = new Scenario();
    s.ok({ type: 'device_add', dev: 'p' }, { type: 'driver_bind', dev: 'p' }, { type: 'drm_dev_alloc', drm: 'd', parent: 'p', features: ['modeset'] });
    s.ok({ type: 'drm_dev_register', drm: 'd', flags: 0 }, { type: 'drm_open', file: 'f', drm: 'd' });
    expect(s.run({ type: 'drm_gem_flink', file: 'f', handle: 1 })).toEqual({ ok: false, errno: 'EOPNOTSUPP' });
    expect(s.run({ type: 'drm_gem_open_by_name', file: 'f', name: 1 })).toEqual({ ok: false, errno: 'EOPNOTSUPP' });
  });
});
