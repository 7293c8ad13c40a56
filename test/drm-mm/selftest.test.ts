import { describe, expect, it } from 'vitest';
import { drmMmProtocol } from '../../src/drm-mm/protocol.js';
import { Driver, U64_MAX_S } from './helpers.js';

/**
 * The behaviours of the kernel's own drm_mm selftest (drivers/gpu/drm/tests/drm_mm_test.c),
 * retold as scenarios on the model. Every step also checks the protocol's invariants.
 */

class Mm extends Driver {
  constructor(
    start: bigint,
    size: bigint,
    gap?: bigint,
    readonly name = 'm',
  ) {
    super();
    this.call({ type: 'drm_mm_init', mm: name, start: String(start), size: String(size), ...(gap !== undefined ? { color_adjust: { gap: String(gap) } } : {}) });
  }

  override call(event: Record<string, unknown> & { type: string }): Record<string, unknown> {
    const out = super.call(event);
    const broken = drmMmProtocol.invariants.filter((i) => !i.holds(this.world)).map((i) => i.name);
    expect(broken, JSON.stringify(event)).toEqual([]);
    return out;
  }

  insert(
    node: string,
    size: bigint,
    o: { alignment?: bigint; color?: bigint; start?: bigint; end?: bigint; mode?: string; once?: boolean } = {},
  ): bigint | string {
    const r = this.call({
      type: 'drm_mm_insert_node_in_range',
      mm: this.name,
      node,
      size: String(size),
      alignment: String(o.alignment ?? 0n),
      color: String(o.color ?? 0n),
      range_start: String(o.start ?? 0n),
      range_end: o.end === undefined ? U64_MAX_S : String(o.end),
      mode: o.mode ?? 'best',
      once: o.once ?? false,
    });
    return r['ok'] === true ? BigInt(r['start'] as string) : (r['errno'] as string);
  }

  reserve(node: string, start: bigint, size: bigint, color = 0n): boolean {
    return this.call({ type: 'drm_mm_reserve_node', mm: this.name, node, start: String(start), size: String(size), color: String(color) })['ok'] === true;
  }

  remove(node: string): void {
    expect(this.call({ type: 'drm_mm_remove_node', node })).toEqual({ ok: true });
  }

  holes(): [string, string][] {
    return this.call({ type: 'drm_mm_holes', mm: this.name })['holes'] as [string, string][];
  }

  nodes(): [string, string, string, string][] {
    return this.call({ type: 'drm_mm_nodes', mm: this.name })['nodes'] as [string, string, string, string][];
  }
}

describe('drm_mm_insert_node (selftest "insert")', () => {
  it('fills the range exactly, then answers ENOSPC, and fills it again after removing everything', () => {
    const mm = new Mm(0n, 64n * 16n);
    for (let i = 0; i < 64; i++) expect(mm.insert(`n${i}`, 16n)).toBe(BigInt(i * 16));
    expect(mm.insert('extra', 1n)).toBe('ENOSPC');
    expect(mm.holes()).toEqual([]);
    for (let i = 0; i < 64; i += 2) mm.remove(`n${i}`);
    for (let i = 1; i < 64; i += 2) mm.remove(`n${i}`);
    expect(mm.holes()).toEqual([['0', '1024']]);
    for (let i = 0; i < 64; i++) expect(typeof mm.insert(`m${i}`, 16n)).toBe('bigint');
    expect(mm.insert('extra', 1n)).toBe('ENOSPC');
  });

  it('refills single-node holes with best fit exactly where the removed nodes were', () => {
    const mm = new Mm(0n, 640n);
    for (let i = 0; i < 64; i++) mm.insert(`n${i}`, 10n);
    for (const i of [5, 17, 40]) mm.remove(`n${i}`);
    const got = [mm.insert('a', 10n), mm.insert('b', 10n), mm.insert('c', 10n)].sort();
    expect(got).toEqual([50n, 170n, 400n].sort());
  });
});

describe('drm_mm_reserve_node (selftest "reserve")', () => {
  it('reserves every other slot, refuses overlaps, then fills the gaps', () => {
    const mm = new Mm(0n, 1024n);
    for (let i = 0; i < 1024; i += 64) expect(mm.reserve(`r${i}`, BigInt(i), 32n)).toBe(true);
    for (let i = 0; i < 1024; i += 64) {
      expect(mm.reserve(`o${i}`, BigInt(i + 16), 32n)).toBe(false);
      expect(mm.reserve(`p${i}`, BigInt(i), 1n)).toBe(false);
    }
    for (let i = 32; i < 1024; i += 64) expect(mm.reserve(`g${i}`, BigInt(i), 32n)).toBe(true);
    expect(mm.holes()).toEqual([]);
    expect(mm.reserve('outside', 1024n, 1n)).toBe(false);
  });
});

describe('drm_mm_insert_node_in_range (selftest "insert_range")', () => {
  it('keeps every node inside the asked range and fills exactly that range', () => {
    const mm = new Mm(0n, 4096n);
    const [lo, hi] = [1000n, 2000n];
    for (let i = 0; i < 10; i++) {
      const s = mm.insert(`n${i}`, 100n, { start: lo, end: hi, mode: ['best', 'low', 'high', 'evict'][i % 4] as string });
      expect(typeof s).toBe('bigint');
      expect((s as bigint) >= lo && (s as bigint) + 100n <= hi).toBe(true);
    }
    expect(mm.insert('x', 1n, { start: lo, end: hi })).toBe('ENOSPC');
    expect(mm.insert('y', 1n, { start: lo - 1n, end: hi })).toBe(999n);
  });
});

describe('drm_mm_insert_node_in_range alignment (selftests "align" and "align64")', () => {
  it('aligns to every power of two and to odd and prime alignments', () => {
    const mm = new Mm(1n, 1n << 20n);
    let i = 0;
    for (const a of [2n, 4n, 64n, 4096n, 3n, 7n, 13n, 1000n, 65537n]) {
      for (const mode of ['best', 'low', 'high', 'evict']) {
        const s = mm.insert(`n${i++}`, 5n, { alignment: a, mode });
        expect(typeof s).toBe('bigint');
        expect((s as bigint) % a).toBe(0n);
      }
    }
  });

  it('aligns to 2^63 and to other alignments above 2^32 in the whole u64 space', () => {
    const mm = new Mm(0n, (1n << 64n) - 1n);
    expect(mm.insert('lo', 1n, { alignment: 1n << 63n, mode: 'low' })).toBe(0n);
    expect(mm.insert('hi', 1n, { alignment: 1n << 63n, mode: 'high' })).toBe(1n << 63n);
    expect(mm.insert('x', 1n, { alignment: 1n << 63n })).toBe('ENOSPC');
    const s = mm.insert('y', 10n, { alignment: (1n << 40n) + 1n, mode: 'best' });
    expect((s as bigint) % ((1n << 40n) + 1n)).toBe(0n);
  });
});

describe('drm_mm_insert_node_in_range top-down and bottom-up (selftests "topdown" and "bottomup")', () => {
  it('high mode stacks nodes downwards from the top, aligned down', () => {
    const mm = new Mm(0n, 1024n);
    expect(mm.insert('a', 10n, { mode: 'high' })).toBe(1014n);
    expect(mm.insert('b', 10n, { mode: 'high' })).toBe(1004n);
    expect(mm.insert('c', 10n, { mode: 'high', alignment: 16n })).toBe(992n);
    mm.remove('b');
    expect(mm.insert('d', 4n, { mode: 'high' })).toBe(1010n);
  });

  it('low mode stacks nodes upwards from the bottom', () => {
    const mm = new Mm(0n, 1024n);
    expect(mm.insert('a', 10n, { mode: 'low' })).toBe(0n);
    expect(mm.insert('b', 10n, { mode: 'low' })).toBe(10n);
    expect(mm.insert('c', 10n, { mode: 'low', alignment: 16n })).toBe(32n);
    mm.remove('a');
    expect(mm.insert('d', 4n, { mode: 'low' })).toBe(0n);
  });
});

describe('drm_mm_insert_node_in_range once (selftests "lowest" and "highest")', () => {
  it('lowest examines only the first hole of the address-tree descent', () => {
    const mm = new Mm(0n, 1000n);
    for (let i = 0; i < 10; i++) mm.insert(`n${i}`, 100n, { mode: 'low' });
    for (const i of [1, 3, 8]) mm.remove(`n${i}`);
    expect(mm.insert('a', 50n, { mode: 'low', once: true })).toBe(100n);
    expect(mm.insert('b', 50n, { mode: 'low', once: true })).toBe(150n);
    expect(mm.insert('c', 50n, { mode: 'low', once: true })).toBe(300n);
  });

  it('highest examines only the first hole of the descent toward the range end', () => {
    const mm = new Mm(0n, 1000n);
    for (let i = 0; i < 10; i++) mm.insert(`n${i}`, 100n, { mode: 'low' });
    for (const i of [1, 3, 8]) mm.remove(`n${i}`);
    expect(mm.insert('a', 50n, { mode: 'high', once: true })).toBe(850n);
    expect(mm.insert('b', 50n, { mode: 'high', once: true })).toBe(800n);
    expect(mm.insert('c', 50n, { mode: 'high', once: true })).toBe(350n);
  });
});

describe('drm_mm colour adjust (selftest "color")', () => {
  it('without a callback colours never separate nodes', () => {
    const mm = new Mm(0n, 100n);
    expect(mm.insert('a', 10n, { color: 1n, mode: 'low' })).toBe(0n);
    expect(mm.insert('b', 10n, { color: 2n, mode: 'low' })).toBe(10n);
  });

  it('with a gap keeps nodes of different colours apart and lets equal colours touch', () => {
    const mm = new Mm(0n, 100n, 1n);
    expect(mm.insert('a', 10n, { color: 1n, mode: 'low' })).toBe(0n);
    expect(mm.insert('b', 10n, { color: 1n, mode: 'low' })).toBe(10n);
    expect(mm.insert('c', 10n, { color: 2n, mode: 'low' })).toBe(21n);
    expect(mm.insert('d', 10n, { color: 3n, mode: 'high' })).toBe(90n);
    expect(mm.insert('e', 10n, { color: 2n, mode: 'high' })).toBe(79n);
    // The head never counts: colour 9 may start at the range start once it is free.
    mm.remove('a');
    mm.remove('b');
    expect(mm.insert('f', 5n, { color: 9n, mode: 'low' })).toBe(0n);
  });
});

describe('drm_mm_scan_add_block (selftests "evict" and "evict_range")', () => {
  function filled(): Mm {
    const mm = new Mm(0n, 1000n);
    for (let i = 0; i < 100; i++) mm.insert(`n${i}`, 10n, { mode: 'low' });
    return mm;
  }

  function scan(mm: Mm, size: bigint, o: { start?: bigint; end?: bigint; alignment?: bigint; mode?: string } = {}): string[] {
    mm.call({
      type: 'drm_mm_scan_init_with_range',
      scan: 's',
      mm: 'm',
      size: String(size),
      alignment: String(o.alignment ?? 0n),
      color: '0',
      range_start: String(o.start ?? 0n),
      range_end: String(o.end ?? 1000n),
      mode: o.mode ?? 'best',
    });
    const added: string[] = [];
    for (let i = 0; i < 100; i++) {
      added.push(`n${i}`);
      if (mm.call({ type: 'drm_mm_scan_add_block', scan: 's', node: `n${i}` })['found'] === true) break;
    }
    const evict: string[] = [];
    for (const n of [...added].reverse()) if (mm.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: n })['evict'] === true) evict.push(n);
    for (const n of evict) mm.remove(n);
    return evict;
  }

  it('evicts just enough neighbouring nodes, and evict mode then lands in the freed hole', () => {
    const mm = filled();
    expect(scan(mm, 25n).sort()).toEqual(['n0', 'n1', 'n2']);
    expect(mm.insert('big', 25n, { mode: 'evict' })).toBe(0n);
  });

  it('respects alignment and high placement inside the hole', () => {
    const mm = filled();
    expect(scan(mm, 16n, { alignment: 16n, mode: 'high' }).sort()).toEqual(['n0', 'n1']);
    expect(mm.insert('x', 16n, { mode: 'evict', alignment: 16n })).toBe(0n);
  });

  it('evicts only inside the scan range', () => {
    const mm = filled();
    const evicted = scan(mm, 20n, { start: 505n, end: 600n });
    expect(evicted.sort()).toEqual(['n50', 'n51', 'n52']);
    expect(mm.insert('x', 20n, { start: 505n, end: 600n, mode: 'evict' })).toBe(505n);
  });
});

describe('drm_mm_scan_color_evict (selftest "color_evict")', () => {
  it('after evicting for a colour, also names conflicting neighbours until none remain', () => {
    const mm = new Mm(0n, 1000n, 1n);
    // Alternate colours with the minimal gap between them.
    let at = 0n;
    for (let i = 0; i < 20; i++) {
      const color = BigInt(i % 2);
      expect(mm.reserve(`n${i}`, at, 10n, color)).toBe(true);
      at += 11n;
    }
    mm.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', alignment: '0', color: '0', range_start: '0', range_end: '1000', mode: 'best' });
    const added: string[] = [];
    for (const n of ['n5', 'n6']) {
      added.push(n);
      if (mm.call({ type: 'drm_mm_scan_add_block', scan: 's', node: n })['found'] === true) break;
    }
    const evict = added.reverse().filter((n) => mm.call({ type: 'drm_mm_scan_remove_block', scan: 's', node: n })['evict'] === true);
    for (const n of evict) mm.remove(n);
    const extra: string[] = [];
    for (;;) {
      const r = mm.call({ type: 'drm_mm_scan_color_evict', scan: 's' });
      expect(r['ok']).toBe(true);
      if (r['node'] === null) break;
      extra.push(r['node'] as string);
      mm.remove(r['node'] as string);
    }
    const placed = mm.insert('x', 10n, { color: 0n, mode: 'evict' });
    expect(typeof placed).toBe('bigint');
    expect([...evict, ...extra].length).toBeGreaterThan(0);
  });
});
