import { describe, expect, it } from 'vitest';
import { mapsExistOnlyWithUsers, mmInvariants, mmRecordsAreWellFormed, usersHoldOneCount } from '../../src/mm/invariants.js';
import { mmLeaks } from '../../src/mm/leaks.js';
import type { MmRecord } from '../../src/mm/state.js';
import type { World } from '../../src/world/World.js';
import { call, mmap, withMm } from './helpers.js';

/** The world with mm `m`'s record replaced. */
function withRecord(world: World, patch: Partial<MmRecord>): World {
  const m = world.mm.mms.get('m') as MmRecord;
  return { ...world, mm: { ...world.mm, mms: world.mm.mms.set('m', { ...m, ...patch }) } } as World;
}

describe('mm invariants', () => {
  it('hold on every world the calls reach, misuse included', () => {
    const k = withMm();
    mmap(k, 'a', 8192);
    call(k, { type: 'mmgrab', mm: 'm' });
    call(k, { type: 'vm_munmap', mm: 'm', task: 't', addr: String(0x7ffff7ffd000), len: '4096' });
    call(k, { type: 'mmdrop', mm: 'm' });
    call(k, { type: 'mmdrop', mm: 'm' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    for (const inv of mmInvariants) expect(inv.holds(k.world), inv.name).toBe(true);
  });

  it('each fails on a world that breaks it', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    expect(mmRecordsAreWellFormed.holds(withRecord(k.world, { state: 'usersGone' }))).toBe(false);
    expect(mmRecordsAreWellFormed.holds(withRecord(k.world, { map: [{ start: '4097', end: '8192', vma: 'a' }] }))).toBe(false);
    expect(usersHoldOneCount.holds(withRecord(k.world, { count: 0 }))).toBe(false);
    expect(mapsExistOnlyWithUsers.holds(withRecord(k.world, { users: 0 }))).toBe(false);
    expect(mapsExistOnlyWithUsers.holds(withRecord(k.world, { map: [] }))).toBe(false);
  });
});

describe('mmLeaks', () => {
  it('names every mm not freed, with its VMAs, and nothing once it is freed', () => {
    const k = withMm();
    mmap(k, 'a', 4096);
    expect(mmLeaks(k.world).map((v) => v.objects)).toEqual([['m', 'a']]);
    call(k, { type: 'mmput', mm: 'm', task: 't' });
    expect(mmLeaks(k.world)).toEqual([]);
  });
});
