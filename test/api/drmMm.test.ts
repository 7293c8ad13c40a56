import { describe, expect, it } from 'vitest';
import { Allocator, type AllocInner, type DroppedNode, type Node } from '../../src/api/drmMm.js';
import type { Result } from '../../src/api/result.js';
import { mmInfo, nodeInfo } from '../../src/drm-mm/protocol.js';
import { DrmstateError } from '../../src/errors.js';
import { Kernel } from '../../src/kernel/Kernel.js';

const K = 4096n;

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`unexpected failure: ${JSON.stringify({ errno: r.errno, violations: r.violations.map((v) => v.kind) })}`);
  return r.value;
}

function alloc<I extends object = AllocInner>(size: bigint, extra: { gap?: bigint; inner?: I; start?: bigint } = {}) {
  const kernel = new Kernel();
  const a = unwrap(
    Allocator.new<I>(kernel, {
      start: extra.start ?? 0n,
      size,
      name: 'mm',
      ...(extra.gap !== undefined ? { colorAdjust: { gap: extra.gap } } : {}),
      ...(extra.inner !== undefined ? { inner: extra.inner } : {}),
    }),
  );
  return { kernel, a };
}

function calls(kernel: Kernel): string[] {
  return kernel.entries.map((e) => (e.event as { type: string }).type);
}

describe('Allocator.new', () => {
  it('initialises one hole over the whole range with one drm_mm_init call', () => {
    const { kernel, a } = alloc(16n * K, { start: K });
    expect(calls(kernel)).toEqual(['drm_mm_init']);
    expect(unwrap(a.holes())).toEqual([[K, 17n * K]]);
    expect(unwrap(a.clean())).toBe(true);
  });

  it('refuses an empty range with bug_on and creates nothing', () => {
    const kernel = new Kernel();
    const r = Allocator.new(kernel, { start: 0n, size: 0n, name: 'mm' });
    expect(r.ok).toBe(false);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(mmInfo(kernel.world, 'mm')).toBeUndefined();
  });

  it('installs the colour gap', () => {
    const { a } = alloc(16n * K, { gap: K });
    expect(a.withInner((_, mm) => mm.info().gap)).toBe(K);
  });
});

describe('Allocator.insertNode', () => {
  it('places a node at the bottom of the smallest hole that fits (best fit, drm_mm_insert_node)', () => {
    const { kernel, a } = alloc(32n * K);
    unwrap(a.reserveNode(K, K));
    unwrap(a.reserveNode(4n * K, K));
    // Holes (K = 4096): [0, K), [2K, 4K), [5K, 32K).
    const n = unwrap(a.insertNode(2n * K, { name: 'n' }));
    expect(n.start).toBe(2n * K);
    expect(n.size).toBe(2n * K);
    expect(calls(kernel).at(-1)).toBe('drm_mm_insert_node_in_range');
    const simple = unwrap(a.insertNode(K));
    expect(simple.start).toBe(0n);
    expect(calls(kernel).at(-1)).toBe('drm_mm_insert_node');
  });

  it('places a node at the top of the highest hole in high mode, aligning the start down', () => {
    const { a } = alloc(32n * K);
    const n = unwrap(a.insertNode(K + 1n, { mode: 'high', alignment: K }));
    expect(n.start).toBe(30n * K);
  });

  it('places a node in the lowest hole that fits in low mode', () => {
    const { a } = alloc(32n * K);
    unwrap(a.reserveNode(2n * K, K));
    const n = unwrap(a.insertNode(K, { mode: 'low' }));
    expect(n.start).toBe(0n);
  });

  it('rounds the start up to the alignment, which may be any value', () => {
    const { a } = alloc(32n * K);
    unwrap(a.reserveNode(0n, 100n));
    const n = unwrap(a.insertNode(K, { alignment: 3000n }));
    expect(n.start).toBe(3000n);
  });

  it('keeps the node inside its range', () => {
    const { a } = alloc(32n * K);
    const n = unwrap(a.insertNode(K, { range: [5n * K, 7n * K], mode: 'best' }));
    expect(n.start).toBe(5n * K);
    const high = unwrap(a.insertNode(K, { range: [5n * K, 7n * K], mode: 'high' }));
    expect(high.start).toBe(6n * K);
  });

  it('examines only the first hole with once', () => {
    const { a } = alloc(32n * K);
    unwrap(a.reserveNode(0n, K));
    unwrap(a.reserveNode(2n * K, K));
    // The smallest hole [K, 2K) cannot hold a 2K-aligned page; the next hole [3K, 32K) can, at 4K.
    const once = a.insertNode(K, { alignment: 2n * K, once: true });
    expect(once.ok).toBe(false);
    expect(!once.ok && once.errno).toBe('ENOSPC');
    const n = unwrap(a.insertNode(K, { alignment: 2n * K }));
    expect(n.start).toBe(4n * K);
  });

  it('answers ENOSPC when no hole takes the node, and hands out no node', () => {
    const { a } = alloc(4n * K);
    const refs = a.refs;
    const r = a.insertNode(8n * K);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errno).toBe('ENOSPC');
    expect(r.violations).toEqual([]);
    expect(a.refs).toBe(refs);
  });

  it('refuses with bug_on when range_start > range_end, changing nothing', () => {
    const { kernel, a } = alloc(4n * K);
    const before = kernel.fingerprint;
    const r = a.insertNode(K, { range: [2n * K, K] });
    expect(r.ok).toBe(false);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
  });
});

describe('Allocator.insertNodeGeneric', () => {
  it('keeps the colour gap from a neighbour of another colour', () => {
    const { kernel, a } = alloc(16n * K, { gap: K });
    const first = unwrap(a.insertNodeGeneric(K, { color: 0n, mode: 'low' }));
    const second = unwrap(a.insertNodeGeneric(K, { color: 1n, mode: 'low' }));
    const same = unwrap(a.insertNodeGeneric(K, { color: 1n, mode: 'low' }));
    expect([first.start, second.start, same.start]).toEqual([0n, 2n * K, 3n * K]);
    expect(calls(kernel).at(-1)).toBe('drm_mm_insert_node_generic');
  });
});

describe('Allocator.reserveNode', () => {
  it('inserts a node exactly where asked', () => {
    const { a } = alloc(16n * K);
    const n = unwrap(a.reserveNode(3n * K, 2n * K, 7n));
    expect([n.start, n.size, n.color]).toEqual([3n * K, 2n * K, 7n]);
    expect(unwrap(a.nodes())).toEqual([{ name: n.name, start: 3n * K, size: 2n * K, color: 7n }]);
  });

  it('answers ENOSPC for a range that overlaps a node, leaves the range, or is empty', () => {
    const { a } = alloc(16n * K);
    unwrap(a.reserveNode(3n * K, 2n * K));
    for (const [start, size] of [
      [4n * K, K],
      [15n * K, 2n * K],
      [0n, 0n],
    ] as const) {
      const r = a.reserveNode(start, size);
      expect(!r.ok && r.errno).toBe('ENOSPC');
    }
  });
});

describe('Allocator.holes', () => {
  it('lists holes most recently created first', () => {
    const { a } = alloc(4n * K);
    unwrap(a.insertNode(K));
    unwrap(a.reserveNode(2n * K, K));
    expect(unwrap(a.holes())).toEqual([
      [3n * K, 4n * K],
      [K, 2n * K],
    ]);
  });
});

describe('Allocator.nodes', () => {
  it('lists nodes in address order', () => {
    const { a } = alloc(4n * K);
    const hi = unwrap(a.reserveNode(3n * K, K, 0n, 'hi'));
    const lo = unwrap(a.reserveNode(0n, K, 0n, 'lo'));
    expect(unwrap(a.nodes()).map((n) => n.name)).toEqual([lo.name, hi.name]);
  });
});

describe('Allocator.clean', () => {
  it('answers false while a node is linked and true once it is removed', () => {
    const { a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    expect(unwrap(a.clean())).toBe(false);
    unwrap(n.remove());
    expect(unwrap(a.clean())).toBe(true);
  });
});

describe('Allocator.withInner', () => {
  it('reads the inner state, holes and nodes without logging a call', () => {
    const inner = { label: 'vram' };
    const { kernel, a } = alloc(4n * K, { inner });
    unwrap(a.insertNode(K, { name: 'n' }));
    const seq = kernel.seq;
    const seen = a.withInner((i, mm) => ({ label: i.label, holes: mm.holes(), nodes: mm.nodes().map((n) => n.name) }));
    expect(seen).toEqual({ label: 'vram', holes: [[K, 4n * K]], nodes: ['n'] });
    expect(kernel.seq).toBe(seq);
  });
});

describe('Allocator.drop', () => {
  it('takes an allocator without nodes down at once', () => {
    const { kernel, a } = alloc(4n * K);
    expect(unwrap(a.drop())).toBe(true);
    expect(calls(kernel).at(-1)).toBe('drm_mm_takedown');
    expect(mmInfo(kernel.world, 'mm')?.live).toBe(false);
  });

  it('leaves the allocator alive while a node handle lives, and the last node drop takes it down', () => {
    const { kernel, a } = alloc(4n * K);
    const n1 = unwrap(a.insertNode(K));
    const n2 = unwrap(a.insertNode(K));
    expect(unwrap(a.drop())).toBe(false);
    expect(mmInfo(kernel.world, 'mm')?.live).toBe(true);
    expect(unwrap(n1.drop())).toBe(false);
    expect(mmInfo(kernel.world, 'mm')?.live).toBe(true);
    const last = n2.drop();
    expect(unwrap(last)).toBe(true);
    expect(calls(kernel).filter((c) => c === 'drm_mm_takedown')).toHaveLength(1);
    expect(kernel.entries.at(-1)?.outcome).toMatchObject({ ok: true, clean: true });
    expect(mmInfo(kernel.world, 'mm')?.live).toBe(false);
  });

  it('throws BAD_ARGUMENT on a second drop or any use afterwards', () => {
    const { a } = alloc(4n * K);
    unwrap(a.drop());
    expect(() => a.drop()).toThrow(DrmstateError);
    expect(() => a.insertNode(K)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('Node.remove', () => {
  it('unlinks the node, merges its range into the hole before it, and keeps start, size and colour', () => {
    const { a } = alloc(4n * K);
    unwrap(a.insertNode(K));
    const n = unwrap(a.insertNode(K, { color: 3n }));
    unwrap(n.remove());
    expect(unwrap(n.allocated())).toBe(false);
    expect(unwrap(a.holes())).toEqual([[K, 4n * K]]);
    expect([n.start, n.size, n.color]).toEqual([K, K, 3n]);
  });

  it('lets the removed node be inserted again', () => {
    const { a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K, { name: 'n' }));
    unwrap(n.remove());
    expect(unwrap(n.reserve(2n * K, 2n * K))).toBe(2n * K);
    expect(unwrap(a.nodes())).toEqual([{ name: 'n', start: 2n * K, size: 2n * K, color: 0n }]);
    unwrap(n.remove());
    expect(unwrap(n.insertGeneric(K, { mode: 'high' }))).toBe(3n * K);
  });

  it('refuses a node that is not allocated with bug_on, changing nothing', () => {
    const { kernel, a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    unwrap(n.remove());
    const before = kernel.fingerprint;
    const r = n.remove();
    expect(r.ok).toBe(false);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
  });

  it('refuses with use_after_free once a raw drm_mm_takedown orphaned the node', () => {
    const { kernel, a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    expect(kernel.call({ type: 'drm_mm_takedown', mm: 'mm' })).toMatchObject({ ok: true, clean: false });
    const r = n.remove();
    expect(r.violations.map((v) => v.kind)).toEqual(['use_after_free']);
    expect(unwrap(n.allocated())).toBe(true);
  });
});

describe('Node.insert', () => {
  it('refuses to insert an allocated node again with bug_on, changing nothing', () => {
    const { kernel, a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    const before = kernel.fingerprint;
    const r = n.insert(K);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
  });
});

describe('Node.allocated', () => {
  it('answers false for a cleared node without a call, then follows insert and remove', () => {
    const { kernel, a } = alloc(4n * K);
    const n = a.newNode('n');
    const seq = kernel.seq;
    expect(unwrap(n.allocated())).toBe(false);
    expect(kernel.seq).toBe(seq);
    unwrap(n.insert(K));
    expect(unwrap(n.allocated())).toBe(true);
    unwrap(n.remove());
    expect(unwrap(n.allocated())).toBe(false);
  });
});

describe('Node.drop', () => {
  it('removes an allocated node and tells the inner state its last placement', () => {
    const dropped: DroppedNode[] = [];
    const { kernel, a } = alloc(4n * K, { inner: { dropObject: (n: DroppedNode) => dropped.push(n) } });
    const n = unwrap(a.insertNode(K, { name: 'n', color: 2n }));
    expect(unwrap(n.drop())).toBe(false);
    expect(calls(kernel).at(-1)).toBe('drm_mm_remove_node');
    expect(nodeInfo(kernel.world, 'n')?.state).toBe('removed');
    expect(dropped).toEqual([{ name: 'n', start: 0n, size: K, color: 2n, wasAllocated: true }]);
  });

  it('drops a removed node without a call and still notifies', () => {
    const dropped: string[] = [];
    const { kernel, a } = alloc(4n * K, { inner: { dropObject: (n: DroppedNode) => dropped.push(`${n.name}:${String(n.wasAllocated)}`) } });
    const n = unwrap(a.insertNode(K, { name: 'n' }));
    unwrap(n.remove());
    const seq = kernel.seq;
    unwrap(n.drop());
    expect(kernel.seq).toBe(seq);
    expect(dropped).toEqual(['n:false']);
  });

  it('does not notify for a node whose insertion failed', () => {
    const dropped: string[] = [];
    const { a } = alloc(4n * K, { inner: { dropObject: (n: DroppedNode) => dropped.push(n.name) } });
    expect(a.insertNode(8n * K).ok).toBe(false);
    expect(dropped).toEqual([]);
  });

  it('refuses to drop a scanned block, and the handle stays usable', () => {
    const { kernel, a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    const scan = unwrap(a.scan({ size: K }));
    unwrap(scan.addBlock(n));
    const before = kernel.fingerprint;
    const r = n.drop();
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
    unwrap(scan.removeBlock(n));
    expect(unwrap(n.drop())).toBe(false);
  });

  it('throws BAD_ARGUMENT when the handle is used after its drop', () => {
    const { a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    unwrap(n.drop());
    expect(() => n.remove()).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});

describe('Node.probe', () => {
  it('answers from a fork without touching the original kernel', () => {
    const { kernel, a } = alloc(4n * K);
    const n = unwrap(a.insertNode(K));
    const before = kernel.fingerprint;
    const seq = kernel.seq;
    expect(n.probe().remove().ok).toBe(true);
    expect(kernel.fingerprint).toBe(before);
    expect(kernel.seq).toBe(seq);
    expect(unwrap(n.allocated())).toBe(true);
  });
});

/** Three one-page nodes a, b, c filling [0, 3K), all colour 0. */
function full(gap?: bigint): { kernel: Kernel; a: Allocator; nodes: Node[] } {
  const { kernel, a } = alloc(3n * K, gap !== undefined ? { gap } : {});
  const nodes = ['a', 'b', 'c'].map((name, i) => unwrap(a.reserveNode(BigInt(i) * K, K, 0n, name)));
  return { kernel, a, nodes };
}

describe('Allocator.scan', () => {
  it('refuses a second scan while one holds blocks', () => {
    const { a, nodes } = full();
    const s = unwrap(a.scan({ size: K }));
    unwrap(s.addBlock(nodes[0] as Node));
    const again = a.scan({ size: K });
    expect(again.violations.map((v) => v.kind)).toEqual(['bug_on']);
  });

  it('refuses a scan whose size does not fit its range', () => {
    const { a } = full();
    const r = a.scan({ size: 2n * K, range: [0n, K] });
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
  });
});

describe('Scan.addBlock', () => {
  it('answers found once the unlinked blocks leave room, and scanned blocks drop out of the node list', () => {
    const { a, nodes } = full();
    const [n0, n1] = nodes as [Node, Node, Node];
    const s = unwrap(a.scan({ size: 2n * K }));
    expect(unwrap(s.addBlock(n0))).toBe(false);
    expect(unwrap(s.addBlock(n1))).toBe(true);
    expect(unwrap(a.nodes()).map((n) => n.name)).toEqual(['c']);
  });

  it('refuses a node of another allocator with bug_on', () => {
    const { kernel, nodes } = full();
    const other = unwrap(Allocator.new(kernel, { start: 0n, size: K }));
    const s = unwrap(other.scan({ size: K }));
    const r = s.addBlock(nodes[0] as Node);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
  });

  it('makes every other change of the allocator a refused call while it holds blocks', () => {
    const { kernel, a, nodes } = full();
    const [n0, n1] = nodes as [Node, Node, Node];
    const s = unwrap(a.scan({ size: K }));
    unwrap(s.addBlock(n0));
    const before = kernel.fingerprint;
    expect(n1.remove().violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(a.insertNode(K).violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
  });
});

describe('Scan.removeBlock', () => {
  it('takes blocks back in reverse order and names those to evict; an evict insertion then takes the hole', () => {
    const { a, nodes } = full();
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const s = unwrap(a.scan({ size: K, mode: 'evict' }));
    expect(unwrap(s.addBlock(n2))).toBe(true);
    expect(unwrap(s.removeBlock(n2))).toBe(true);
    unwrap(n2.remove());
    expect(unwrap(a.nodes()).map((n) => n.name)).toEqual([n0.name, n1.name]);
    const n = unwrap(a.insertNode(K, { mode: 'evict' }));
    expect(n.start).toBe(2n * K);
  });

  it('refuses blocks taken back out of order with bug_on, changing nothing', () => {
    const { kernel, a, nodes } = full();
    const [n0, n1] = nodes as [Node, Node, Node];
    const s = unwrap(a.scan({ size: 3n * K }));
    unwrap(s.addBlock(n0));
    unwrap(s.addBlock(n1));
    const before = kernel.fingerprint;
    const r = s.removeBlock(n0);
    expect(r.violations.map((v) => v.kind)).toEqual(['bug_on']);
    expect(kernel.fingerprint).toBe(before);
    expect(unwrap(s.removeBlock(n1))).toBe(false);
    expect(unwrap(s.removeBlock(n0))).toBe(false);
  });
});

describe('Scan.colorEvict', () => {
  it('names the neighbour whose colour still conflicts with the hit, then null', () => {
    const { a, nodes } = full(K);
    const [, b, c] = nodes as [Node, Node, Node];
    const s = unwrap(a.scan({ size: K, color: 1n }));
    expect(unwrap(s.addBlock(b))).toBe(false);
    expect(unwrap(s.addBlock(c))).toBe(true);
    expect(unwrap(s.removeBlock(c))).toBe(true);
    expect(unwrap(s.removeBlock(b))).toBe(false);
    unwrap(c.remove());
    expect(unwrap(s.colorEvict())).toBe(b);
    unwrap(b.remove());
    expect(unwrap(s.colorEvict())).toBeNull();
  });

  it('answers null without a colour-adjust callback', () => {
    const { a, nodes } = full();
    const c = (nodes as Node[])[2] as Node;
    const s = unwrap(a.scan({ size: K }));
    unwrap(s.addBlock(c));
    unwrap(s.removeBlock(c));
    unwrap(c.remove());
    expect(unwrap(s.colorEvict())).toBeNull();
  });
});
