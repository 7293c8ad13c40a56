import { describe, expect, it } from 'vitest';
import { BusDevice, Device, Devres, ObjectRef, Registration, UniqueObjectRef } from '../../src/api/drm.js';
import { Kernel } from '../../src/kernel/Kernel.js';

function probe(): { k: Kernel; pdev: BusDevice; drm: Device } {
  const k = new Kernel();
  const pdev = BusDevice.add(k, 'pdev0');
  expect(pdev.bind().ok).toBe(true);
  return { k, pdev, drm: Device.new(k, pdev, 'drm0') };
}

describe('Registration.newForeignOwned', () => {
  it('unregisters at unbind but an open file keeps dispatching ioctls', () => {
    const { pdev, drm } = probe();
    expect(Registration.newForeignOwned(drm, pdev).ok).toBe(true);
    const file = drm.open();
    expect(file.ok).toBe(true);
    expect(pdev.unbind().ok).toBe(true);
    if (!file.ok) throw new Error('unreachable');
    expect(file.value.ioctl('t').ok).toBe(true);
    expect(drm.open()).toMatchObject({ ok: false, errno: 'ENODEV' });
  });

  it('answers EINVAL for another parent', () => {
    const { k, drm } = probe();
    const other = BusDevice.add(k, 'other');
    other.bind();
    expect(Registration.newForeignOwned(drm, other)).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
});

describe('Devres', () => {
  it('tryAccess gives a guard while bound and null after unbind', () => {
    const { pdev } = probe();
    const res = Devres.new(pdev, 'bar');
    if (!res.ok) throw new Error('Devres::new failed');
    const g = res.value.tryAccess('t');
    expect(g.ok && g.value !== null).toBe(true);
    if (g.ok && g.value !== null) expect(g.value.drop()).toEqual({ ok: true, value: [], violations: [] });
    pdev.unbind();
    expect(res.value.tryAccess('t')).toEqual({ ok: true, value: null, violations: [] });
    expect(res.value.access(pdev).violations[0]?.kind).toBe('use_after_free');
  });
});

describe('UniqueObjectRef and ObjectRef', () => {
  it('creates handles and offsets, and lookupHandle answers ENOENT for a deleted handle', () => {
    const { drm } = probe();
    drm.register();
    const f = drm.open();
    if (!f.ok) throw new Error('open failed');
    const u = UniqueObjectRef.create(drm, 8192n, 'o');
    if (!u.ok) throw new Error('create failed');
    const obj = u.value.intoRef();
    expect(obj.createHandle(f.value)).toEqual({ ok: true, value: 1, violations: [] });
    expect(obj.createMmapOffset()).toEqual({ ok: true, value: 0x100000000n, violations: [] });
    const found = ObjectRef.lookupHandle(f.value, 1);
    expect(found.ok && found.value.name).toBe('o');
    if (found.ok) found.value.drop();
    expect(ObjectRef.lookupHandle(f.value, 2)).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(obj.drop().ok).toBe(true);
    expect(f.value.release().ok).toBe(true);
    expect(obj.clone().violations[0]?.kind).toBe('use_after_free');
  });
});
