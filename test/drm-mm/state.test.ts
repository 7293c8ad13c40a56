import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InvariantHooks, drmMmInvariantWalks, drmMmInvariantsWith } from '../../src/drm-mm/invariants.js';
import { drmMmInvariants, drmMmProtocol, isClean, listHoles, listNodes, mmInfo, nodeInfo } from '../../src/drm-mm/protocol.js';
import { ADDR_KIND, type Hole, LIST_KIND, type ListItem, Mm, SIZE_KIND, STACK_KIND, initMm } from '../../src/drm-mm/mm.js';
import { type RbKind, type RbNode, type RbShape, rbFromShape, rbToShape } from '../../src/drm-mm/rbtree.js';
import { type HeldBlock, type NodeRecord, type ScanRecord, encodeMm, encodeNode, feedMm, feedNode, heldBlocks } from '../../src/drm-mm/state.js';
import { StreamHash, hashString, hashToHex } from '../../src/world/hash.js';
import type { Invariant, InvariantMemo } from '../../src/world/Protocol.js';
import { InvariantSummaries } from '../../src/drm-mm/invariantSummaries.js';
import type { World } from '../../src/world/World.js';
import { Driver, U64_MAX_S, emptyWorld } from './helpers.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance', 'fixtures', 'drm_mm');

function hex(w: World): string {
  return hashToHex(drmMmProtocol.hash(w.drmMm));
}

function broken(w: World): string[] {
  return drmMmProtocol.invariants.filter((i) => !i.holds(w)).map((i) => i.name);
}

/** The names of the invariants of `invs` that are false in `w`. */
function brokenBy(invs: readonly Invariant[], w: World): string[] {
  return invs.filter((i) => !i.holds(w)).map((i) => i.name);
}

function ins(d: Driver, node: string, size: string, mode = 'low') {
  return d.call({ type: 'drm_mm_insert_node_in_range', mm: 'm', node, size, alignment: '0', color: '0', range_start: '0', range_end: U64_MAX_S, mode, once: false });
}

describe('drmMmProtocol.hash', () => {
  it('gives the same hash to the same world reached by different calls', () => {
    const a = new Driver();
    a.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    ins(a, 'n1', '10');
    ins(a, 'n2', '10');
    const b = new Driver();
    b.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    b.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'n1', start: '0', size: '10', color: '0' });
    b.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'n2', start: '10', size: '10', color: '0' });
    expect(hex(a.world)).toBe(hex(b.world));
  });

  it('changes when the hole stack order changes though the holes are the same', () => {
    const mk = (first: string, second: string) => {
      const d = new Driver();
      d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
      for (const n of ['a', 'b', 'c', 'd']) ins(d, n, '25');
      d.call({ type: 'drm_mm_remove_node', node: first });
      d.call({ type: 'drm_mm_remove_node', node: second });
      return d;
    };
    const x = mk('a', 'c');
    const y = mk('c', 'a');
    expect(x.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['50', '75'], ['0', '25']] });
    expect(y.call({ type: 'drm_mm_holes', mm: 'm' })).toEqual({ ok: true, holes: [['0', '25'], ['50', '75']] });
    expect(hex(x.world)).not.toBe(hex(y.world));
  });

  it('changes with every insertion and comes back when the call is undone by a matching world', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    const h0 = hex(d.world);
    ins(d, 'n', '10');
    expect(hex(d.world)).not.toBe(h0);
  });
});

describe('drmMmProtocol.toSnapshot / fromSnapshot', () => {
  it('round-trips tree shapes, hole stack order and hash exactly', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '4096', color_adjust: { gap: '1' } });
    for (let i = 0; i < 40; i++) ins(d, `n${i}`, String((i * 7) % 13 + 1), ['best', 'low', 'high', 'evict'][i % 4] as string);
    for (let i = 0; i < 40; i += 3) d.call({ type: 'drm_mm_remove_node', node: `n${i}` });
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '8', alignment: '0', color: '0', range_start: '0', range_end: '4096', mode: 'best' });
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'n1' });
    const snap = drmMmProtocol.toSnapshot(d.world.drmMm);
    const back = drmMmProtocol.fromSnapshot(JSON.parse(JSON.stringify(snap)));
    expect(drmMmProtocol.toSnapshot(back)).toEqual(snap);
    expect(hashToHex(drmMmProtocol.hash(back))).toBe(hex(d.world));
    // The rebuilt world answers the next calls exactly as the original.
    const e = new Driver();
    e.world = { ...d.world, drmMm: back };
    const next = [
      { type: 'drm_mm_scan_remove_block', scan: 's', node: 'n1' },
      { type: 'drm_mm_holes', mm: 'm' },
      { type: 'drm_mm_insert_node_in_range', mm: 'm', node: 'z', size: '3', alignment: '0', color: '1', range_start: '0', range_end: U64_MAX_S, mode: 'low', once: true },
    ];
    for (const ev of next) expect(e.call(ev)).toEqual(d.call(ev));
  });
});

describe('persistence', () => {
  it('leaves every older world valid and answering as before', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    const worlds: [World, unknown][] = [];
    for (const n of ['a', 'b', 'c', 'd']) {
      ins(d, n, '10', 'best');
      worlds.push([d.world, listHoles(d.world, 'm')]);
    }
    d.call({ type: 'drm_mm_remove_node', node: 'b' });
    worlds.push([d.world, listHoles(d.world, 'm')]);
    for (const [w, holes] of worlds) expect(listHoles(w, 'm')).toEqual(holes);
  });
});

describe('semantic queries', () => {
  it('report nodes, holes, node records and allocator parameters', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '16', size: '100', color_adjust: { gap: '2' } });
    ins(d, 'a', '10');
    expect(listNodes(d.world, 'm')).toEqual([{ name: 'a', start: 16n, size: 10n, color: 0n }]);
    expect(listHoles(d.world, 'm')).toEqual([[26n, 116n]]);
    expect(nodeInfo(d.world, 'a')).toEqual({ name: 'a', start: 16n, size: 10n, color: 0n, state: 'inserted', mm: 'm' });
    expect(nodeInfo(d.world, 'zz')).toBeUndefined();
    expect(mmInfo(d.world, 'm')).toEqual({ start: 16n, size: 100n, gap: 2n, adjust: null, live: true, scanActive: 0, nodeCount: 1 });
    expect(isClean(d.world, 'm')).toBe(false);
  });
});

/** `world` with allocator m's node list corrupted: its second node (of two) moved onto the first (start 5). */
function secondOntoFirst(world: World): World {
  const mm = world.drmMm.mms.get('m') as Mm;
  const items = mm.nodes();
  const bad = mm.with({
    list: {
      item: { ...(items[0] as (typeof items)[0]) },
      left: null,
      right: { item: { ...(items[1] as (typeof items)[1]), start: 5n }, left: null, right: null, red: true, max: 0n, hash: { lo: 0, hi: 0 } },
      red: false,
      max: 0n,
      hash: { lo: 0, hi: 0 },
    },
  });
  return { ...world, drmMm: { ...world.drmMm, mms: world.drmMm.mms.set('m', bad) } };
}

describe('drmMmInvariants', () => {
  it('lists the type invariant first', () => {
    expect(drmMmInvariants[0]?.name).toBe('drmMmTypeOk');
    for (const inv of drmMmInvariants) expect(inv.statement).toMatch(/^For every/);
  });

  it('hold after every step of every conformance sample', () => {
    // The registry's invariants, with a hook that sees every full walk: the summaries decide every
    // good world alone, so the check after a call costs what the call changed.
    const walks: string[] = [];
    const invs = drmMmInvariantsWith({ onWalk: (n) => walks.push(n) });
    expect(invs.map((i) => i.name)).toEqual(drmMmProtocol.invariants.map((i) => i.name));
    let checked = 0;
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.ndjson'))) {
      let world = emptyWorld();
      for (const line of readFileSync(join(DIR, file), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const { event } = JSON.parse(line) as { event: { type: string } };
        const next = drmMmProtocol.apply(world, drmMmProtocol.decode(event)).world;
        // The invariants are pure functions of the world: a call that changed nothing (a query,
        // an ENOSPC, a refusal) leaves them as they were, so only changed worlds are checked.
        if (next !== world) {
          const bad = brokenBy(invs, next);
          if (bad.length > 0) expect(bad, `${file}: ${line}`).toEqual([]);
          checked++;
        }
        world = next;
      }
      // The last world also by the full walks, and by fresh summaries of the world rebuilt from
      // its snapshot (no tree node shared with any world checked before).
      expect(brokenBy(drmMmInvariantWalks, world), file).toEqual([]);
      const fresh = { ...world, drmMm: drmMmProtocol.fromSnapshot(JSON.parse(JSON.stringify(drmMmProtocol.toSnapshot(world.drmMm)))) };
      expect(brokenBy(drmMmInvariantsWith({}), fresh), file).toEqual([]);
    }
    expect(checked).toBeGreaterThan(1000);
    expect(walks).toEqual([]);
  });

  it('catch a world whose nodes overlap and whose holes disagree with its nodes', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    ins(d, 'a', '10');
    ins(d, 'b', '10');
    const w = secondOntoFirst(d.world);
    expect(broken(w)).toEqual(expect.arrayContaining(['nodesNeverOverlap', 'nodesAndHolesPartitionTheRange', 'holeIndexesAgreeWithTheNodeList']));
  });

  it("keep their summaries in the caller's memo and answer as without one, clean or corrupted", () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    ins(d, 'a', '10');
    ins(d, 'b', '10');
    const memo: InvariantMemo = new WeakMap();
    for (const inv of drmMmInvariants) expect(inv.holds(d.world, memo), inv.name).toBe(true);
    expect(memo.get(InvariantSummaries)).toBeInstanceOf(InvariantSummaries);
    // A list whose second node moved onto the first: the same verdicts with the memo as without.
    const w = secondOntoFirst(d.world);
    const withMemo = drmMmInvariants.filter((i) => !i.holds(w, memo)).map((i) => i.name);
    expect(withMemo).toEqual(broken(w));
    expect(withMemo).toContain('nodesNeverOverlap');
  });

  it('catch a scan roster that disagrees with its blocks or with scan_active', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    ins(d, 'a', '10');
    ins(d, 'b', '10');
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '10', alignment: '0', color: '0', range_start: '0', range_end: '100', mode: 'best' });
    d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: 'a' });
    expect(broken(d.world)).toEqual([]);
    const sc = d.world.drmMm.scans.get('s')!;
    const wrongBlock = { ...d.world, drmMm: { ...d.world.drmMm, scans: d.world.drmMm.scans.set('s', { ...sc, held: { node: 'b', below: null } }) } };
    expect(broken(wrongBlock)).toEqual(['drmMmTypeOk']);
    const lost = { ...d.world, drmMm: { ...d.world.drmMm, scans: d.world.drmMm.scans.set('s', { ...sc, held: null }) } };
    expect(broken(lost)).toContain('drmMmTypeOk');
  });

  it('catch a node outside the alignment or range its insertion asked for', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    d.call({ type: 'drm_mm_insert_node_in_range', mm: 'm', node: 'a', size: '10', alignment: '8', color: '0', range_start: '16', range_end: '64', mode: 'low', once: false });
    expect(broken(d.world)).toEqual([]);
    const rec = d.world.drmMm.nodes.get('a');
    const misaligned = { ...d.world, drmMm: { ...d.world.drmMm, nodes: d.world.drmMm.nodes.set('a', { ...rec!, rule: { alignment: 7n, rangeStart: 16n, rangeEnd: 64n } }) } };
    expect(broken(misaligned)).toEqual(['everyNodeKeepsItsPlacementRules']);
    const outside = { ...d.world, drmMm: { ...d.world.drmMm, nodes: d.world.drmMm.nodes.set('a', { ...rec!, rule: { alignment: 8n, rangeStart: 20n, rangeEnd: 64n } }) } };
    expect(broken(outside)).toEqual(['everyNodeKeepsItsPlacementRules']);
  });
});

/** A world whose allocator `m` is replaced. */
function withMm(w: World, m: Mm): World {
  return { ...w, drmMm: { ...w.drmMm, mms: w.drmMm.mms.set('m', m) } };
}

/** A hole tree rebuilt with the same shape and colours, each hole mapped through `f`. */
function mapHoles<K>(kind: RbKind<Hole, K>, root: RbNode<Hole> | null, f: (h: Hole) => Hole): RbNode<Hole> | null {
  return rbFromShape(kind, rbToShape(root, (h) => h), f);
}

/** An allocator `m` of 100 with nodes a, b, c of 10 at 0, 10 and 40: holes after b and after c, none after a. */
function threeNodes(): Driver {
  const d = new Driver();
  d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
  d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'a', start: '0', size: '10', color: '0' });
  d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'b', start: '10', size: '10', color: '0' });
  d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: 'c', start: '40', size: '10', color: '0' });
  expect(listHoles(d.world, 'm')).toEqual([[50n, 100n], [20n, 40n]]);
  return d;
}

describe('drmMmInvariants, decided by summaries', () => {
  it('catch hole indexes that all hold a hole the node list does not imply', () => {
    const d = threeNodes();
    const mm = d.world.drmMm.mms.get('m') as Mm;
    // The hole after c, one shorter in all three indexes: the range end is no longer covered.
    const f = (h: Hole): Hole => (h.owner === 'c' ? { ...h, size: 49n } : h);
    const bad = mm.with({ byAddr: mapHoles(ADDR_KIND, mm.byAddr, f), bySize: mapHoles(SIZE_KIND, mm.bySize, f), stack: mapHoles(STACK_KIND, mm.stack, f) });
    expect(broken(withMm(d.world, bad))).toEqual(['nodesAndHolesPartitionTheRange', 'holeIndexesAgreeWithTheNodeList']);
  });

  it('catch a hole that names the wrong owner, though the holes still tile the range', () => {
    const d = threeNodes();
    const mm = d.world.drmMm.mms.get('m') as Mm;
    const f = (h: Hole): Hole => (h.owner === 'b' ? { ...h, owner: 'a' } : h);
    const bad = mm.with({ byAddr: mapHoles(ADDR_KIND, mm.byAddr, f), bySize: mapHoles(SIZE_KIND, mm.bySize, f), stack: mapHoles(STACK_KIND, mm.stack, f) });
    expect(broken(withMm(d.world, bad))).toEqual(['holeIndexesAgreeWithTheNodeList']);
  });

  it('catch holes_size or hole_stack holding a hole holes_addr does not hold', () => {
    const d = threeNodes();
    const mm = d.world.drmMm.mms.get('m') as Mm;
    const f = (h: Hole): Hole => (h.owner === 'b' ? { ...h, seq: h.seq + 100 } : h);
    expect(broken(withMm(d.world, mm.with({ bySize: mapHoles(SIZE_KIND, mm.bySize, f) })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
    expect(broken(withMm(d.world, mm.with({ stack: mapHoles(STACK_KIND, mm.stack, f) })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
    // The same hole twice, in place of another: the right count, the wrong multiset.
    const g = (h: Hole): Hole => (h.owner === 'b' ? (mm.holes().find((x) => x.owner === 'c') as Hole) : h);
    expect(broken(withMm(d.world, mm.with({ stack: mapHoles(STACK_KIND, mm.stack, g) })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
  });

  it('catch a wrong subtree max in holes_addr', () => {
    const d = threeNodes();
    const mm = d.world.drmMm.mms.get('m') as Mm;
    const root = mm.byAddr as RbNode<Hole>;
    const wrong: RbNode<Hole> = { item: root.item, left: root.left, right: root.right, red: root.red, max: root.max + 1n, hash: root.hash };
    expect(broken(withMm(d.world, mm.with({ byAddr: wrong })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
  });

  it('catch a red node with a red child, and a red root, in a hole index', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '100' });
    for (const [n, start] of [['a', '0'], ['b', '20'], ['c', '40']] as const) d.call({ type: 'drm_mm_reserve_node', mm: 'm', node: n, start, size: '10', color: '0' });
    const mm = d.world.drmMm.mms.get('m') as Mm;
    const [h1, h2, h3] = [...mm.holes()].sort((x, y) => Number(x.addr - y.addr)) as [Hole, Hole, Hole];
    expect(broken(d.world)).toEqual([]);
    // h3 black, its left child h2 red, and h2's left child h1 red: black heights still agree.
    const redRed: RbShape<Hole> = [h3, false, [h2, true, [h1, true, null, null], null], null];
    expect(broken(withMm(d.world, mm.with({ byAddr: rbFromShape(ADDR_KIND, redRed, (h) => h) })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
    const redRoot: RbShape<Hole> = [h2, true, [h1, false, null, null], [h3, false, null, null]];
    expect(broken(withMm(d.world, mm.with({ byAddr: rbFromShape(ADDR_KIND, redRoot, (h) => h) })))).toEqual(['holeIndexesAgreeWithTheNodeList']);
    const blackChild: RbShape<Hole> = [h2, false, [h1, false, null, null], null];
    const twoOfThree = mm.with({ byAddr: rbFromShape(ADDR_KIND, blackChild, (h) => h) });
    expect(broken(withMm(d.world, twoOfThree))).toEqual(['nodesAndHolesPartitionTheRange', 'holeIndexesAgreeWithTheNodeList']);
  });

  it('judge by the full walk a world the summaries do not decide: a record says inserted but its allocator does not list it', () => {
    const d = threeNodes();
    const rec = d.world.drmMm.nodes.get('c')!;
    // The record of a node never inserted claims c's place: drmMmTypeOk asks only that its allocator is live.
    const w = { ...d.world, drmMm: { ...d.world.drmMm, nodes: d.world.drmMm.nodes.set('ghost', { ...rec, rule: { alignment: 0n, rangeStart: 0n, rangeEnd: 1n } }) } };
    const walks: string[] = [];
    const invs = drmMmInvariantsWith({ onWalk: (n) => walks.push(n) });
    expect(brokenBy(invs, w)).toEqual([]);
    expect(brokenBy(drmMmInvariantWalks, w)).toEqual([]);
    expect(walks).toEqual(['drmMmTypeOk', 'everyNodeKeepsItsPlacementRules']);
  });

  it('give the verdicts of the full walks on randomly corrupted worlds', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '1000', color_adjust: { gap: '2' } });
    for (let i = 0; i < 30; i++) ins(d, `n${i}`, String((i * 7) % 13 + 1), ['best', 'low', 'high', 'evict'][i % 4] as string);
    for (let i = 0; i < 30; i += 4) d.call({ type: 'drm_mm_remove_node', node: `n${i}` });
    const base = d.world;
    const mm = base.drmMm.mms.get('m') as Mm;
    const holes = mm.holes();
    const nodes = mm.nodes();
    const invs = drmMmInvariantsWith({});
    const u = fc.bigInt({ min: 0n, max: 1100n });
    const corruption = fc.oneof(
      fc.record({ tree: fc.constantFrom('byAddr', 'bySize', 'stack'), hole: fc.nat(holes.length - 1), field: fc.constantFrom('addr', 'size', 'owner', 'seq'), v: u }),
      fc.record({ record: fc.nat(nodes.length - 1), field: fc.constantFrom('start', 'size', 'state', 'rule'), v: u }),
      fc.record({ item: fc.nat(nodes.length - 1), field: fc.constantFrom('start', 'size', 'color', 'name'), v: u }),
      fc.record({ scanActive: fc.nat(2) }),
    );
    const kinds = { byAddr: ADDR_KIND, bySize: SIZE_KIND, stack: STACK_KIND } as const;
    let caught = 0;
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 3 }), (cs) => {
        let w = base;
        for (const c of cs) {
          const m = w.drmMm.mms.get('m') as Mm;
          if ('scanActive' in c) {
            w = withMm(w, m.with({ scanActive: c.scanActive }));
          } else if ('item' in c) {
            const target = nodes[c.item] as ListItem;
            const f = (n: ListItem): ListItem => (n !== target ? n : c.field === 'name' ? { ...n, name: `n${Number(c.v) % 30}` } : { ...n, [c.field]: c.v });
            w = withMm(w, m.with({ list: rbFromShape(LIST_KIND, rbToShape(m.list, (n) => n), f) }));
          } else if ('tree' in c) {
            const target = holes[c.hole] as Hole;
            const f = (h: Hole): Hole => {
              if (h !== target) return h;
              if (c.field === 'owner') return { ...h, owner: `n${Number(c.v) % 30}` };
              if (c.field === 'seq') return { ...h, seq: Number(c.v) };
              return { ...h, [c.field]: c.v };
            };
            w = withMm(w, m.with({ [c.tree]: mapHoles(kinds[c.tree as keyof typeof kinds] as RbKind<Hole, unknown>, m[c.tree as keyof typeof kinds], f) }));
          } else {
            const name = (nodes[c.record] as { name: string }).name;
            const r = w.drmMm.nodes.get(name) as NodeRecord;
            const v =
              c.field === 'state'
                ? { ...r, state: (['unlinked', 'removed', 'scanned', 'orphaned'] as const)[Number(c.v) % 4] as NodeRecord['state'] }
                : c.field === 'rule'
                  ? { ...r, rule: { alignment: c.v % 5n, rangeStart: c.v, rangeEnd: 1000n } }
                  : { ...r, [c.field]: c.v };
            w = { ...w, drmMm: { ...w.drmMm, nodes: w.drmMm.nodes.set(name, v) } };
          }
        }
        const want = brokenBy(drmMmInvariantWalks, w);
        if (want.length > 0) caught++;
        expect(brokenBy(invs, w)).toEqual(want);
      }),
      { numRuns: 600 },
    );
    expect(caught).toBeGreaterThan(100);
  });
});

describe('drmMmInvariants, decided by summaries, with scans', () => {
  it('give the verdicts of the full walks on randomly corrupted scans, records and allocators', () => {
    const d = new Driver();
    for (const m of ['m', 'k']) {
      d.call({ type: 'drm_mm_init', mm: m, start: '0', size: '1000' });
      for (let i = 0; i < 12; i++) d.call({ type: 'drm_mm_reserve_node', mm: m, node: `${m}${i}`, start: String(i * 20), size: String(i + 1), color: '0' });
    }
    d.call({ type: 'drm_mm_scan_init_with_range', scan: 's', mm: 'm', size: '20', alignment: '0', color: '0', range_start: '0', range_end: '1000', mode: 'best' });
    for (const n of ['m1', 'm3', 'm4', 'm7']) d.call({ type: 'drm_mm_scan_add_block', scan: 's', node: n });
    const base = d.world;
    expect(broken(base)).toEqual([]);
    const names = [...base.drmMm.nodes.keys()].sort();
    const invs = drmMmInvariantsWith({});
    const corruption = fc.oneof(
      fc.record({ held: fc.constantFrom('drop', 'dup', 'swap', 'mm', 'none'), v: fc.nat(names.length - 1) }),
      fc.record({ record: fc.nat(names.length - 1), field: fc.constantFrom('state', 'scan', 'mm'), v: fc.nat(5) }),
      fc.record({ mm: fc.constantFrom('m', 'k'), scanActive: fc.nat(5), live: fc.boolean() }),
    );
    let caught = 0;
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 3 }), (cs) => {
        let w = base;
        for (const c of cs) {
          const s = w.drmMm;
          if ('held' in c) {
            const sc = s.scans.get('s') as ScanRecord;
            const blocks = heldBlocks(sc);
            const other = names[c.v] as string;
            const list =
              c.held === 'drop' ? blocks.slice(1) : c.held === 'dup' ? [blocks[0] as string, ...blocks] : c.held === 'swap' ? [other, ...blocks.slice(1)] : blocks;
            let held: HeldBlock | null = null;
            for (const n of [...list].reverse()) held = { node: n, below: held };
            const next = c.held === 'mm' ? { ...sc, mm: c.v % 2 === 0 ? 'k' : 'gone' } : c.held === 'none' ? { ...sc, held: null } : { ...sc, held };
            w = { ...w, drmMm: { ...s, scans: s.scans.set('s', next) } };
          } else if ('record' in c) {
            const name = names[c.record] as string;
            const r = s.nodes.get(name) as NodeRecord;
            const v =
              c.field === 'state'
                ? { ...r, state: (['inserted', 'scanned', 'removed', 'orphaned', 'unlinked', 'inserted'] as const)[c.v] as NodeRecord['state'] }
                : c.field === 'scan'
                  ? c.v % 2 === 0
                    ? (Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'scan')) as unknown as NodeRecord)
                    : { ...r, scan: c.v === 1 ? 's' : 't' }
                  : { ...r, mm: c.v % 2 === 0 ? 'm' : 'k' };
            w = { ...w, drmMm: { ...s, nodes: s.nodes.set(name, v) } };
          } else {
            const m = s.mms.get(c.mm) as Mm;
            w = { ...w, drmMm: { ...s, mms: s.mms.set(c.mm, m.with({ scanActive: c.scanActive, live: c.live })) } };
          }
        }
        const want = brokenBy(drmMmInvariantWalks, w);
        if (want.length > 0) caught++;
        expect(brokenBy(invs, w)).toEqual(want);
      }),
      { numRuns: 600 },
    );
    expect(caught).toBeGreaterThan(200);
  });
});

describe('drmMmInvariants, cost', () => {
  it('compute O(log n) new summaries for one more call on an allocator of thousands of nodes', () => {
    const d = new Driver();
    d.call({ type: 'drm_mm_init', mm: 'm', start: '0', size: '1000000000' });
    const n = 4096;
    for (let i = 0; i < n; i++) ins(d, `n${i}`, String((i % 13) + 1), i % 3 === 0 ? 'high' : 'low');
    for (let i = 0; i < n; i += 5) d.call({ type: 'drm_mm_remove_node', node: `n${i}` });
    let computed = 0;
    const hooks: InvariantHooks = {
      onSummary: () => {
        computed++;
      },
    };
    const invs = drmMmInvariantsWith(hooks);
    expect(brokenBy(invs, d.world)).toEqual([]);
    // The first check summarises every tree node: the node list alone has thousands.
    expect(computed).toBeGreaterThan(n);
    const bound = 12 * Math.log2(n);
    for (const ev of [
      { type: 'drm_mm_insert_node_in_range', mm: 'm', node: 'x', size: '7', alignment: '0', color: '0', range_start: '0', range_end: U64_MAX_S, mode: 'best', once: false },
      { type: 'drm_mm_remove_node', node: 'n2001' },
      { type: 'drm_mm_insert_node_in_range', mm: 'm', node: 'y', size: '3', alignment: '0', color: '0', range_start: '0', range_end: U64_MAX_S, mode: 'evict', once: false },
      { type: 'drm_mm_remove_node', node: 'x' },
    ]) {
      d.call(ev);
      computed = 0;
      expect(brokenBy(invs, d.world)).toEqual([]);
      expect(computed).toBeGreaterThan(0);
      expect(computed).toBeLessThanOrEqual(bound);
    }
  });
});

describe('feedNode / feedMm', () => {
  it('hash a node record exactly as its canonical string (encodeNode)', () => {
    const name = fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }));
    const u = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 54n }));
    fc.assert(
      fc.property(
        fc.record({
          state: fc.constantFrom('unlinked', 'inserted', 'scanned', 'removed', 'orphaned'),
          mm: name,
          gen: fc.nat(),
          start: u,
          size: u,
          color: u,
          prev: fc.option(name, { nil: undefined }),
          next: fc.option(name, { nil: undefined }),
          scan: fc.option(name, { nil: undefined }),
        }),
        (r) => {
          const n = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as NodeRecord;
          const h = new StreamHash();
          feedNode(n, h);
          expect(h.digest()).toEqual(hashString(encodeNode(n)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('hash an allocator exactly as its canonical string (encodeMm), colour adjustment and takedown included', () => {
    const u = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 54n }));
    fc.assert(
      fc.property(u, u, fc.option(u, { nil: null }), fc.option(fc.string({ maxLength: 5 }), { nil: null }), fc.nat(), fc.nat({ max: 5 }), fc.boolean(), (start, size, gap, adjust, gen, scanActive, live) => {
        const mm = initMm(gen, start, size, gap, adjust).with({ scanActive, live });
        const h = new StreamHash();
        feedMm(mm, h);
        expect(h.digest()).toEqual(hashString(encodeMm(mm)));
      }),
      { numRuns: 500 },
    );
  });
});
