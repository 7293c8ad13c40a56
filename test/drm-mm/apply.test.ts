import { describe, expect, it } from 'vitest';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import { DrmstateError } from '../../src/errors.js';
import { Misuse } from '../../src/world/Misuse.js';
import { EditSession } from '../../src/world/HashedMap.js';
import { type World, editableWorld } from '../../src/world/World.js';
import type { InvariantMemo } from '../../src/world/Protocol.js';
import { InvariantSummaries } from '../../src/drm-mm/invariantSummaries.js';
import { registerColorAdjust } from '../../src/drm-mm/colorAdjust.js';
import { Driver, U64_MAX_S } from './helpers.js';

function ranged(mm: string, node: string, size: string, o: Record<string, unknown> = {}) {
  return {
    type: 'drm_mm_insert_node_in_range',
    mm,
    node,
    size,
    alignment: '0',
    color: '0',
    range_start: '0',
    range_end: U64_MAX_S,
    mode: 'best',
    once: false,
    ...o,
  };
}

function init(d: Driver, mm = 'm', start = '0', size = '4096', extra: Record<string, unknown> = {}) {
  return d.call({ type: 'drm_mm_init', mm, start, size, ...extra });
}

describe('drm_mm_init', () => {
  it('creates one hole spanning the whole range', () => {
    const d = new Driver();
    expect(init(d, 'm', '4096', '8192')).toEqual({ ok: true });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['4096', '12288']] });
    expect(d.call({ type: 'drm_mm_clean', mm: 'm' })).toEqual({ ok: true, clean: true });
  });

  it('refuses an empty range with bug_on (start + size <= start)', () => {
    const d = new Driver();
    expect(init(d, 'm', '5', '0')).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
  });

  it('refuses a range that wraps past 2^64 with bug_on', () => {
    const d = new Driver();
    expect(init(d, 'm', '1', U64_MAX_S)).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
  });

  it('refuses to re-initialise a live allocator and changes nothing', () => {
    const d = new Driver();
    init(d);
    d.call(ranged('m', 'n1', '16'));
    const before = d.world;
    expect(init(d)).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });

  it('may initialise a name again after takedown', () => {
    const d = new Driver();
    init(d);
    d.call({ type: 'drm_mm_takedown', mm: 'm' });
    expect(init(d, 'm', '0', '64')).toEqual({ ok: true });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['0', '64']] });
  });

  it('rejects a malformed color_adjust as library misuse', () => {
    expect(() => drmMmProtocol.decode({ type: 'drm_mm_init', mm: 'm', start: '0', size: '1', color_adjust: { gap: -1 } })).toThrow(
      DrmstateError,
    );
  });
});

describe('drm_mm_insert_node_in_range', () => {
  it('answers ENOSPC for size 0', () => {
    const d = new Driver();
    init(d);
    expect(d.call(ranged('m', 'n', '0'))).toEqual({ ok: false, errno: 'ENOSPC' });
  });

  it('answers ENOSPC when range_start == range_end', () => {
    const d = new Driver();
    init(d);
    expect(d.call(ranged('m', 'n', '1', { range_start: '10', range_end: '10' }))).toEqual({ ok: false, errno: 'ENOSPC' });
  });

  it('refuses range_start > range_end with bug_on and creates nothing', () => {
    const d = new Driver();
    init(d);
    const before = d.world;
    expect(d.call(ranged('m', 'n', '1', { range_start: '11', range_end: '10' }))).toEqual({
      ok: false,
      violations: [{ kind: 'bug_on' }],
    });
    expect(d.world).toBe(before);
  });

  it('refuses to insert a node that is already allocated', () => {
    const d = new Driver();
    init(d);
    d.call(ranged('m', 'n', '8'));
    const before = d.world;
    expect(d.call(ranged('m', 'n', '8'))).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });

  it('places best-fit in the smallest hole that fits, latest equal hole first', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    for (const [n, s] of [['a', '10'], ['b', '10'], ['c', '10'], ['d', '10'], ['e', '10']] as const) d.call(ranged('m', n, s));
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    d.call({ type: 'drm_mm_remove_node', node: 'd' });
    // Two holes of 10 at 10 and 30; the one at 30 was added last.
    expect(d.call(ranged('m', 'x', '5'))).toEqual({ ok: true, start: '30' });
  });

  it('places high at the top of the range and aligns the start down', () => {
    const d = new Driver();
    init(d, 'm', '0', '1000');
    expect(d.call(ranged('m', 'n', '10', { mode: 'high', alignment: '64' }))).toEqual({ ok: true, start: '960' });
  });

  it('supports non-power-of-two alignment', () => {
    const d = new Driver();
    init(d, 'm', '1', '1000');
    expect(d.call(ranged('m', 'n', '10', { alignment: '7' }))).toEqual({ ok: true, start: '7' });
    expect(d.call(ranged('m', 'h', '10', { alignment: '7', mode: 'high' }))).toEqual({ ok: true, start: '987' });
  });

  it('clips the hole to the range', () => {
    const d = new Driver();
    init(d, 'm', '0', '1000');
    expect(d.call(ranged('m', 'n', '10', { range_start: '100', range_end: '200', mode: 'low' }))).toEqual({ ok: true, start: '100' });
    expect(d.call(ranged('m', 'h', '10', { range_start: '100', range_end: '200', mode: 'high' }))).toEqual({ ok: true, start: '190' });
  });

  it('with evict mode takes the most recently created hole', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    for (const n of ['a', 'b', 'c', 'd']) d.call(ranged('m', n, '20'));
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    expect(d.call(ranged('m', 'x', '5', { mode: 'evict' }))).toEqual({ ok: true, start: '20' });
  });

  it('keeps start, size and colour exact at the top of the u64 space', () => {
    const d = new Driver();
    init(d, 'm', '18446744073709547520', '4095');
    // The range ends at 2^64 - 1: high takes [end - 16, end) and aligns down to 2^64 - 4096.
    expect(d.call(ranged('m', 'a', '16', { mode: 'high', alignment: '4096' }))).toEqual({ ok: true, start: '18446744073709547520' });
    expect(d.call(ranged('m', 'n', '16', { mode: 'high', color: U64_MAX_S }))).toEqual({ ok: true, start: '18446744073709551599' });
    expect(d.call(ranged('m', 'x', '16', { mode: 'low', alignment: '4096' }))).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(d.call({ type: 'drm_mm_nodes', mm: 'm' })).toEqual({
      ok: true,
      nodes: [
        ['a', '18446744073709547520', '16', '0'],
        ['n', '18446744073709551599', '16', U64_MAX_S],
      ],
    });
  });

  it('answers ENOSPC and leaves the world unchanged apart from naming the node', () => {
    const d = new Driver();
    init(d, 'm', '0', '10');
    expect(d.call(ranged('m', 'n', '11'))).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(d.call({ type: 'drm_mm_node_allocated', node: 'n' })).toEqual({ ok: true, allocated: false });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['0', '10']] });
  });

  it('throws UNKNOWN_OBJECT for an allocator never initialised', () => {
    const d = new Driver();
    expect(() => d.call(ranged('nope', 'n', '1'))).toThrow(/"nope"/);
  });
});

describe('drm_mm_insert_node_generic / drm_mm_insert_node', () => {
  it('search the whole range', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    expect(d.call({ type: 'drm_mm_insert_node_generic', mm: 'm', node: 'a', size: '10', alignment: '0', color: '3', mode: 'high' })).toEqual({
      ok: true,
      start: '90',
    });
    expect(d.call({ type: 'drm_mm_insert_node', mm: 'm', node: 'b', size: '10' })).toEqual({ ok: true, start: '0' });
    expect(d.call({ type: 'drm_mm_nodes', mm: 'm' })).toEqual({
      ok: true,
      nodes: [
        ['b', '0', '10', '0'],
        ['a', '90', '10', '3'],
      ],
    });
  });
});

describe('drm_mm_reserve_node', () => {
  it('reserves exactly the asked range and splits the hole', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    expect(d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'r', start: '40', size: '10', color: '0' })).toEqual({ ok: true });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({
      ok: true,
      holes: [
        ['50', '100'],
        ['0', '40'],
      ],
    });
  });

  it('answers ENOSPC on overlap, outside the range, size 0 and wrap-around', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'r', start: '40', size: '10', color: '0' });
    const r = (node: string, start: string, size: string) => d.call({ type: 'drm_mm_reserve_node', mm: 'm', node, start, size, color: '0' });
    expect(r('a', '45', '10')).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(r('b', '95', '10')).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(r('c', '10', '0')).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(r('e', '18446744073709551610', '10')).toEqual({ ok: false, errno: 'ENOSPC' });
  });

  it('honours the colour gap of the hole it lands in', () => {
    const d = new Driver();
    init(d, 'm', '0', '100', { color_adjust: { gap: '2' } });
    d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'a', start: '10', size: '10', color: '1' });
    const r = (node: string, start: string, color: string) => d.call({ type: 'drm_mm_reserve_node', mm: 'm', node, start, size: '5', color });
    expect(r('b', '21', '2')).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(r('c', '22', '2')).toEqual({ ok: true });
    expect(r('d', '27', '1')).toEqual({ ok: false, errno: 'ENOSPC' });
    expect(r('e', '29', '1')).toEqual({ ok: true });
  });
});

describe('drm_mm_remove_node', () => {
  it('merges the freed range with the holes on both sides', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    for (const n of ['a', 'b', 'c']) d.call(ranged('m', n, '10'));
    d.call({ type: 'drm_mm_remove_node', node: 'a' });
    d.call({ type: 'drm_mm_remove_node', node: 'c' });
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['0', '100']] });
    expect(d.call({ type: 'drm_mm_clean', mm: 'm' })).toEqual({ ok: true, clean: true });
  });

  it('refuses to remove a node that is not allocated', () => {
    const d = new Driver();
    init(d);
    d.call(ranged('m', 'n', '8'));
    d.call({ type: 'drm_mm_remove_node', node: 'n' });
    const before = d.world;
    expect(d.call({ type: 'drm_mm_remove_node', node: 'n' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });

  it('lets a removed node be inserted again', () => {
    const d = new Driver();
    init(d);
    d.call(ranged('m', 'n', '8'));
    d.call({ type: 'drm_mm_remove_node', node: 'n' });
    expect(d.call(ranged('m', 'n', '16', { mode: 'high' }))).toEqual({ ok: true, start: '4080' });
  });

  it('refuses with bug_on a node never named: a cleared struct, not allocated; nothing changes', () => {
    const d = new Driver();
    init(d);
    const before = d.world;
    expect(d.call({ type: 'drm_mm_remove_node', node: 'ghost' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });
});

describe('drm_mm_takedown', () => {
  it('answers clean: true on an empty allocator', () => {
    const d = new Driver();
    init(d);
    expect(d.call({ type: 'drm_mm_takedown', mm: 'm' })).toEqual({ ok: true, clean: true });
  });

  it('answers clean: false and orphans the nodes still inserted', () => {
    const d = new Driver();
    init(d);
    d.call(ranged('m', 'n', '8'));
    expect(d.call({ type: 'drm_mm_takedown', mm: 'm' })).toEqual({ ok: true, clean: false });
    expect(d.call({ type: 'drm_mm_remove_node', node: 'n' })).toEqual({ ok: false, violations: [{ kind: 'use_after_free' }] });
    init(d);
    expect(d.call(ranged('m', 'n', '8'))).toEqual({ ok: false, violations: [{ kind: 'use_after_free' }] });
    expect(d.call({ type: 'drm_mm_node_allocated', node: 'n' })).toEqual({ ok: true, allocated: true });
  });

  it('with several scanned blocks, names the same one whichever order the node map keeps (a replay edits in place, in another order)', () => {
    const d = new Driver();
    init(d);
    for (const n of ['zeta', 'alpha', 'mid', 'beta']) d.call(ranged('m', n, '8'));
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '64', alignment: '0', color: '0', range_start: '0', range_end: '1024', mode: 'best' });
    for (const n of ['zeta', 'mid', 'beta']) d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: n });
    const takedown = drmMmProtocol.decode({ type: 'drm_mm_takedown', mm: 'm' });
    const plain = drmMmProtocol.apply(d.world, takedown).outcome;
    const session = new EditSession();
    const edited = drmMmProtocol.apply(editableWorld(d.world, session), takedown).outcome;
    session.close();
    expect(plain.ok).toBe(false);
    expect(plain.violations[0]?.objects).toContain('beta');
    expect(edited.violations.map((v) => [v.kind, v.message, v.objects])).toEqual(plain.violations.map((v) => [v.kind, v.message, v.objects]));
  });

  it('refuses calls on a taken-down allocator as use_after_free', () => {
    const d = new Driver();
    init(d);
    d.call({ type: 'drm_mm_takedown', mm: 'm' });
    expect(d.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: false, violations: [{ kind: 'use_after_free' }] });
    expect(d.call(ranged('m', 'x', '1'))).toEqual({ ok: false, violations: [{ kind: 'use_after_free' }] });
  });
});

describe('drm_mm_scan_add_block / drm_mm_scan_remove_block', () => {
  function scanned(): Driver {
    const d = new Driver();
    init(d, 'm', '0', '100');
    for (const n of ['a', 'b', 'c', 'd', 'e']) d.call(ranged('m', n, '20'));
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '30', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' });
    return d;
  }

  it('reports found once the unlinked blocks leave a big enough hole, and evicts the overlapping ones', () => {
    const d = scanned();
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' })).toEqual({ ok: true, found: false });
    expect(d.call({ type: 'drm_mm_nodes', mm: 'm' })).toEqual({
      ok: true,
      nodes: [
        ['a', '0', '20', '0'],
        ['c', '40', '20', '0'],
        ['d', '60', '20', '0'],
        ['e', '80', '20', '0'],
      ],
    });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'c' })).toEqual({ ok: true, found: true });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'c' })).toEqual({ ok: true, evict: true });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'b' })).toEqual({ ok: true, evict: true });
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    d.call({ type: 'drm_mm_remove_node', node: 'c' });
    expect(d.call(ranged('m', 'x', '30', { mode: 'evict' }))).toEqual({ ok: true, start: '20' });
  });

  it('refuses removal in an order other than the reverse of adding', () => {
    const d = scanned();
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' });
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'c' });
    const before = d.world;
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'b' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });

  it('refuses every change to the allocator while blocks are scanned', () => {
    const d = scanned();
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' });
    const refusedBug = { ok: false, violations: [{ kind: 'bug_on' }] };
    expect(d.call(ranged('m', 'x', '1'))).toEqual(refusedBug);
    expect(d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'y', start: '25', size: '1', color: '0' })).toEqual(refusedBug);
    expect(d.call({ type: 'drm_mm_remove_node', node: 'a' })).toEqual(refusedBug);
    expect(d.call({ type: 'drm_mm_remove_node', node: 'b' })).toEqual(refusedBug);
    expect(d.call({ type: 'drm_mm_takedown', mm: 'm' })).toEqual(refusedBug);
    expect(
      d.call({ type: 'drm_mm_scan_init_with_range', scan: 't', mm: 'm', size: '1', alignment: '0', color: '0', range_start: '0', range_end: '1', mode: 'best' }),
    ).toEqual(refusedBug);
  });

  it('refuses to add a block twice, or a block that is not allocated', () => {
    const d = scanned();
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'a' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
  });

  it('places the hit at the top for high, but at the bottom for high with once', () => {
    for (const [once, found] of [[false, '30'], [true, '0']] as const) {
      const d = new Driver();
      init(d, 'm', '0', '100');
      d.call(ranged('m', 'a', '100'));
      d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '70', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'high', once });
      expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'a' })).toEqual({ ok: true, found: true });
      expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'a' })).toEqual({ ok: true, evict: true });
      d.call({ type: 'drm_mm_remove_node', node: 'a' });
      d.call(ranged('m', 'x', '70', { mode: 'evict' }));
      // The scan's hit decides where a reservation for it goes.
      const snap = drmMmProtocol.toSnapshot(d.world.drmMm) as { scans: [string, { hitStart: string }][] };
      expect(snap.scans[0]?.[1].hitStart).toBe(found);
    }
  });

  it('refuses a scan whose range is empty or smaller than its size', () => {
    const d = new Driver();
    init(d);
    const s = (size: string, rs: string, re: string) =>
      d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size, alignment: '0', color: '0', range_start: rs, range_end: re, mode: 'best' });
    expect(s('1', '10', '10')).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(s('0', '0', '10')).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(s('11', '0', '10')).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(s('10', '0', '10')).toEqual({ ok: true });
  });
});

describe('drm_mm_scan_color_evict', () => {
  it('returns null without a colour-adjust callback', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' });
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 's' })).toEqual({ ok: true, node: null });
  });

  it('names the neighbour whose colour still conflicts with the hit', () => {
    const d = new Driver();
    init(d, 'm', '0', '100', { color_adjust: { gap: '1' } });
    const r = (node: string, start: string, size: string, color: string) =>
      d.call({ type: 'drm_mm_reserve_node', mm: 'm', node, start, size, color });
    expect(r('a', '0', '10', '0')).toEqual({ ok: true });
    expect(r('b', '11', '9', '1')).toEqual({ ok: true });
    expect(r('c', '20', '10', '1')).toEqual({ ok: true });
    expect(r('d', '30', '70', '1')).toEqual({ ok: true });
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'c' })).toEqual({ ok: true, found: false });
    // With c unlinked, b's hole runs from a's end to d: the hit is [10, 20).
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' })).toEqual({ ok: true, found: true });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'b' })).toEqual({ ok: true, evict: true });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'c' })).toEqual({ ok: true, evict: false });
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    // c (colour 1) still touches the hit's end: it must go too.
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 's' })).toEqual({ ok: true, node: 'c' });
    d.call({ type: 'drm_mm_remove_node', node: 'c' });
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 's' })).toEqual({ ok: true, node: null });
  });

  it('refuses with bug_on when no hole covers the hit', () => {
    const d = new Driver();
    init(d, 'm', '0', '100', { color_adjust: { gap: '1' } });
    d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'a', start: '0', size: '50', color: '0' });
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '60', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'a' })).toEqual({ ok: true, found: true });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'a' })).toEqual({ ok: true, evict: true });
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 's' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
  });
});

/** Applies one raw event and returns the full outcome (messages and objects included). */
function full(d: Driver, event: Record<string, unknown> & { type: string }) {
  const r = drmMmProtocol.apply(d.world, drmMmProtocol.decode(event));
  d.world = r.world;
  return r.outcome;
}

const SCAN = { alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' } as const;

describe('zeroed structs: a node or scan named for the first time', () => {
  it('answers drm_mm_node_allocated with false for a node never named, and records nothing', () => {
    const d = new Driver();
    const before = d.world;
    expect(d.call({ type: 'drm_mm_node_allocated', node: 'fresh' })).toEqual({ ok: true, allocated: false });
    expect(d.world).toBe(before);
  });

  it('refuses scan calls on a scan never initialised with bug_on (scan->mm is NULL), changing nothing', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call(ranged('m', 'a', '10'));
    const before = d.world;
    const bug = { ok: false, violations: [{ kind: 'bug_on' }] };
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 'zero', node: 'a' })).toEqual(bug);
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 'zero', node: 'a' })).toEqual(bug);
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 'zero' })).toEqual(bug);
    expect(d.world).toBe(before);
  });

  it('refuses to scan a node never named with bug_on (not allocated)', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', ...SCAN });
    const before = d.world;
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'fresh' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'fresh' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });

  it('still answers an allocator never initialised as misuse (UNKNOWN_OBJECT)', () => {
    const d = new Driver();
    expect(() => d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'nope', size: '1', ...SCAN })).toThrow(Misuse);
    expect(() => d.call({ type: 'drm_mm_holes', mm: 'nope' })).toThrow(/"nope"/);
  });
});

describe('eviction-scan misuse the kernel cannot see', () => {
  function twoAllocators(): Driver {
    const d = new Driver();
    init(d, 'm', '0', '100');
    init(d, 'o', '0', '100');
    for (const n of ['a', 'b', 'c']) d.call(ranged('m', n, '20'));
    return d;
  }

  it('refuses to initialise a scan that still holds blocks, for another allocator too, changing nothing', () => {
    const d = twoAllocators();
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '30', ...SCAN });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' })).toEqual({ ok: true, found: false });
    const before = d.world;
    const o = full(d, { type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'o', size: '10', ...SCAN });
    expect(o.ok).toBe(false);
    expect(o.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(o.violations[0]?.message).toMatch(/scan "s"/);
    expect(o.violations[0]?.objects).toEqual(['s', 'o']);
    expect(d.world).toBe(before);
    // Once the block is back, the scan may be initialised again.
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'b' })).toEqual({ ok: true, evict: false });
    expect(d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'o', size: '10', ...SCAN })).toEqual({ ok: true });
  });

  it('refuses to take a block back through a scan it was not added to', () => {
    const d = twoAllocators();
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '30', ...SCAN });
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 't', mm: 'm', size: '30', ...SCAN });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'b' })).toEqual({ ok: true, found: false });
    const before = d.world;
    const o = full(d, { type: 'drm_mm_scan_remove_block', scan: 't', node: 'b' });
    expect(o.ok).toBe(false);
    expect(o.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(o.violations[0]?.objects).toEqual(['t', 'b', 'm']);
    expect(d.world).toBe(before);
    expect(d.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: 'b' })).toEqual({ ok: true, evict: false });
  });

  it('refuses drm_mm_scan_color_evict while the scan still holds blocks', () => {
    const d = new Driver();
    init(d, 'm', '0', '100', { color_adjust: { gap: '1' } });
    d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'a', start: '0', size: '50', color: '0' });
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '60', ...SCAN });
    expect(d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'a' })).toEqual({ ok: true, found: true });
    const before = d.world;
    expect(d.call({ type: 'drm_mm_scan_color_evict', scan: 's' })).toEqual({ ok: false, violations: [{ kind: 'bug_on' }] });
    expect(d.world).toBe(before);
  });
});

describe('violation messages', () => {
  it('name the node and the allocator, and list them in objects', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call(ranged('m', 'a', '10'));
    const again = full(d, ranged('m', 'a', '10'));
    expect(again.violations[0]?.message).toMatch(/^drm_mm_insert_node_in_range: node "a", drm_mm "m": /);
    expect(again.violations[0]?.objects).toEqual(['a', 'm']);
    const ghost = full(d, { type: 'drm_mm_remove_node', node: 'ghost' });
    expect(ghost.violations[0]?.message).toMatch(/^drm_mm_remove_node: node "ghost": /);
    expect(ghost.violations[0]?.objects).toEqual(['ghost']);
    d.call({ type: 'drm_mm_takedown', mm: 'm' });
    const orphan = full(d, { type: 'drm_mm_remove_node', node: 'a' });
    expect(orphan.violations[0]).toMatchObject({ kind: 'use_after_free', objects: ['a', 'm'] });
    expect(orphan.violations[0]?.message).toMatch(/node "a", drm_mm "m"/);
  });

  it('name the scanned block that refuses a takedown during a scan', () => {
    const d = new Driver();
    init(d, 'm', '0', '100');
    d.call(ranged('m', 'a', '10'));
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', ...SCAN });
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'a' });
    const o = full(d, { type: 'drm_mm_takedown', mm: 'm' });
    expect(o.violations[0]).toMatchObject({ kind: 'bug_on', objects: ['a', 'm'] });
    expect(o.violations[0]?.message).toMatch(/^drm_mm_takedown: node "a", drm_mm "m": /);
  });
});

describe('calls in an edit session', () => {
  function call(world: World, e: Record<string, unknown>): World {
    const r = drmMmProtocol.apply(world, drmMmProtocol.decode(e as never));
    expect(r.outcome.ok).toBe(true);
    return r.world;
  }
  function snap(w: World): string {
    return JSON.stringify(drmMmProtocol.toSnapshot(w.drmMm));
  }
  function started(): World {
    let w = new Driver().world;
    w = call(w, { type: 'drm_mm_init', mm: 'm0', start: '0', size: '4096' });
    return call(w, { type: 'drm_mm_init', mm: 'm1', start: '0', size: '4096' });
  }

  it('never changes a world copied into another session while the first is still open', () => {
    const a = new EditSession();
    let wa = editableWorld(started(), a);
    for (let i = 0; i < 8; i++) wa = call(wa, ranged('m1', `x${i}`, '64'));
    const b = new EditSession();
    let wb = editableWorld(wa, b);
    wb = call(wb, ranged('m0', 'y', '64'));
    const before = snap(wb);
    // The first session goes on changing the allocator both worlds hold.
    for (let i = 0; i < 8; i++) wa = call(wa, { type: 'drm_mm_remove_node', node: `x${i}` });
    for (let i = 0; i < 8; i++) wa = call(wa, ranged('m1', `z${i}`, '32', { mode: 'high' }));
    expect(snap(wb)).toBe(before);
    // And the second one never changes the first's.
    const first = snap(wa);
    for (let i = 0; i < 4; i++) wb = call(wb, { type: 'drm_mm_remove_node', node: `x${i}` });
    expect(snap(wa)).toBe(first);
    a.close();
    b.close();
  });

  it('decides the invariants of an open session by their walks, not by summaries memoised per tree node', () => {
    const s = new EditSession();
    let w = editableWorld(started(), s);
    for (let i = 0; i < 8; i++) w = call(w, ranged('m0', `x${i}`, '64'));
    const memo: InvariantMemo = new WeakMap();
    expect(drmMmProtocol.invariants.every((inv) => inv.holds(w, memo))).toBe(true);
    expect(memo.has(InvariantSummaries)).toBe(false);
    s.close();
    expect(drmMmProtocol.invariants.every((inv) => inv.holds(w, memo))).toBe(true);
    expect(memo.has(InvariantSummaries)).toBe(true);
  });

  it('runs the colour callback of drm_mm_scan_add_block before changing anything: one that throws leaves the session world whole', () => {
    let throwing = false;
    let w = registerColorAdjust(
      new Driver().world,
      (_before, _after, _color, start, end) => {
        if (throwing) throw new Error('callback failed');
        return [start, end];
      },
      'flaky',
    );
    const s = new EditSession();
    w = editableWorld(call(w, { type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { fn: 'flaky' } }), s);
    for (const n of ['a', 'b', 'c']) w = call(w, ranged('m', n, '64'));
    w = call(w, { type: 'drm_mm_scan_init_with_range', scan: 'sc', mm: 'm', size: '128', alignment: '0', color: '0', range_start: '0', range_end: '4096', mode: 'best' });
    const before = snap(w);
    throwing = true;
    expect(() => drmMmProtocol.apply(w, drmMmProtocol.decode({ type: 'drm_mm_scan_add_block', scan: 'sc', node: 'b' } as never))).toThrow('callback failed');
    expect(snap(w)).toBe(before);
    s.close();
  });
});
