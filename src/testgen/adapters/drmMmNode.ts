import type { AnyMachineSnapshot } from 'xstate';
import type { Branch } from '../../../machines/machineTable.js';
import { drmMmNodeMachine } from '../../../machines/drmMmNode.machine.js';
import { Allocator, type Node, type Scan } from '../../api/drmMm.js';
import type { Result } from '../../api/result.js';
import { mmInfo, nodeInfo } from '../../drm-mm/protocol.js';
import { Kernel } from '../../kernel/Kernel.js';
import { leafOf } from '../generatePaths.js';
import { type Answer, type MachineAdapter, type MachineEvent, expectThat } from '../MachineAdapter.js';

/**
 * The system a `drm_mm_node` path runs on: node `n` under test on allocator `alloc`, beside a
 * companion node `b` that the scans use as a second block.
 */
export interface NodeSut {
  readonly kernel: Kernel;
  /** The allocator `n` was last bound to: 16 KiB at 0, with `b` reserved at [8 KiB, 12 KiB). */
  alloc: Allocator;
  /** The handle on node `n`. */
  node: Node;
  /** The companion node `b`. */
  companion: Node;
  /** The scan holding `n` while it is scanned. */
  scan: Scan | undefined;
  /** A second scan of the same allocator, initialised beside `scan` before `n` joined it. */
  sibling: Scan | undefined;
}

const PAGE = 4096n;
const MM_SIZE = 4n * PAGE;
/** A size no allocator of the path can hold: an insertion of it answers ENOSPC. */
const TOO_BIG = 8n * PAGE;

function unwrap<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`${what} failed: ${JSON.stringify({ errno: r.errno, violations: r.violations.map((v) => v.kind) })}`);
  return r.value;
}

function unwrapScan(alloc: Allocator): Scan {
  return unwrap(alloc.scan({ size: PAGE }), 'drm_mm_scan_init_with_range');
}

/** A fresh allocator of 16 KiB with the companion `b` reserved at [8 KiB, 12 KiB). */
function freshAllocator(kernel: Kernel): { alloc: Allocator; companion: Node } {
  const alloc = unwrap(Allocator.new(kernel, { start: 0n, size: MM_SIZE }), 'drm_mm_init');
  const companion = unwrap(alloc.reserveNode(2n * PAGE, PAGE, 0n), 'drm_mm_reserve_node of the companion');
  return { alloc, companion };
}

/** Another allocator, with nothing on it: for `otherAllocator` and for takedowns that touch no node. */
function otherAllocator(kernel: Kernel): Allocator {
  return unwrap(Allocator.new(kernel, { start: 0n, size: MM_SIZE }), 'drm_mm_init');
}

function live(sut: NodeSut): boolean {
  return mmInfo(sut.kernel.world, sut.alloc.name)?.live === true;
}

/** Binds `n` to a fresh allocator when its allocator was taken down, dropping the old handles. */
function ensureLiveAllocator(sut: NodeSut): void {
  if (live(sut)) return;
  unwrap(sut.node.drop(), 'dropping the old handle on n');
  unwrap(sut.companion.drop(), 'dropping the old companion');
  unwrap(sut.alloc.drop(), 'dropping the old allocator');
  const { alloc, companion } = freshAllocator(sut.kernel);
  sut.alloc = alloc;
  sut.companion = companion;
  sut.node = alloc.newNode('n');
}

type InsertType = 'drm_mm_insert_node_in_range' | 'drm_mm_insert_node_generic' | 'drm_mm_insert_node' | 'drm_mm_reserve_node';

/** Performs one insertion entry point on `n`: `size` at the bottom of the allocator's range. */
function insertCall(node: Node, type: InsertType, size: bigint, inverted = false): Result<bigint> {
  switch (type) {
    case 'drm_mm_insert_node_in_range':
      return node.insertInRange(size, { range: inverted ? [MM_SIZE, 0n] : [0n, MM_SIZE], mode: 'low' });
    case 'drm_mm_insert_node_generic':
      return node.insertGeneric(size, { mode: 'best' });
    case 'drm_mm_insert_node':
      return node.insert(size);
    case 'drm_mm_reserve_node':
      return node.reserve(0n, size, 0n);
  }
}

/** Runs `f` while a scan on `alloc` holds the companion, then takes the companion back. */
function whileScanning<T>(sut: NodeSut, f: (scan: Scan) => T): T {
  const scan = unwrapScan(sut.alloc);
  unwrap(scan.addBlock(sut.companion), 'drm_mm_scan_add_block of the companion');
  const r = f(scan);
  unwrap(scan.removeBlock(sut.companion), 'drm_mm_scan_remove_block of the companion');
  return r;
}

/** An insertion from `unlinked` or `removed`, in the situation the event's facts describe. */
function insertFromFree(sut: NodeSut, event: MachineEvent, branch: Branch): Answer {
  ensureLiveAllocator(sut);
  const type = event.type as InsertType;
  if (event.rangeInverted === true) return insertCall(sut.node, type, PAGE, true);
  if (event.allocatorTakenDown === true) {
    const t = sut.kernel.call({ type: 'drm_mm_takedown', mm: sut.alloc.name });
    expectThat(t.ok, 'the takedown that sets the scene must succeed');
    return insertCall(sut.node, type, PAGE);
  }
  if (event.scanActive === true) return whileScanning(sut, () => insertCall(sut.node, type, PAGE));
  if (event.fits === true) {
    const r = insertCall(sut.node, type, PAGE);
    expectThat(r.ok && r.value === sut.node.start && sut.node.size === PAGE, `inserted at ${String(r.ok && r.value)}, node says ${sut.node.start}`);
    expectThat(branch.target === 'inserted', 'a fitting insertion inserts');
    return r;
  }
  return insertCall(sut.node, type, TOO_BIG);
}

/** A takedown that touches no node: `n`'s own allocator when that is possible, else a fresh one. */
function takedownTouchingNothing(sut: NodeSut, mayUseOwn: boolean): Answer {
  if (mayUseOwn && live(sut) && mmInfo(sut.kernel.world, sut.alloc.name)?.scanActive === 0) {
    return sut.kernel.call({ type: 'drm_mm_takedown', mm: sut.alloc.name });
  }
  const r = otherAllocator(sut.kernel).drop();
  expectThat(r.ok && r.value === true, 'dropping the only handle of an allocator takes it down');
  return r;
}

const INSERTS: readonly InsertType[] = ['drm_mm_insert_node_in_range', 'drm_mm_insert_node_generic', 'drm_mm_insert_node', 'drm_mm_reserve_node'];

function freeEvents(): MachineEvent[] {
  const out: MachineEvent[] = [];
  for (const type of INSERTS) {
    if (type === 'drm_mm_insert_node_in_range') out.push({ type, rangeInverted: true });
    out.push({ type, allocatorTakenDown: true }, { type, scanActive: true }, { type, fits: true }, { type, fits: false });
  }
  return [
    ...out,
    { type: 'drm_mm_remove_node' },
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_takedown' },
    { type: 'drm_mm_node_allocated' },
  ];
}

const EVENTS: { readonly [state: string]: readonly MachineEvent[] } = {
  unlinked: freeEvents(),
  removed: freeEvents(),
  inserted: [
    ...INSERTS.map((type) => ({ type })),
    { type: 'drm_mm_remove_node', scanActive: true },
    { type: 'drm_mm_remove_node' },
    { type: 'drm_mm_scan_add_block', otherAllocator: true },
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_takedown', otherAllocator: true },
    { type: 'drm_mm_takedown' },
    { type: 'drm_mm_node_allocated' },
  ],
  scanned: [
    ...INSERTS.map((type) => ({ type })),
    { type: 'drm_mm_remove_node' },
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block', otherAllocator: true },
    { type: 'drm_mm_scan_remove_block', otherScan: true },
    { type: 'drm_mm_scan_remove_block', outOfOrder: true },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_takedown', otherAllocator: true },
    { type: 'drm_mm_takedown' },
    { type: 'drm_mm_node_allocated' },
  ],
  orphaned: [
    ...INSERTS.map((type) => ({ type })),
    { type: 'drm_mm_remove_node' },
    { type: 'drm_mm_scan_add_block' },
    { type: 'drm_mm_scan_remove_block' },
    { type: 'drm_mm_takedown' },
    { type: 'drm_mm_node_allocated' },
  ],
};

/**
 * Performs a scan call on `n` through a scan of another allocator, then takes that allocator down.
 * A removal goes through a scan that holds a block of its own: a scan holding none refuses any
 * removal before the node is looked at.
 */
function onOtherAllocatorsScan(sut: NodeSut, add: boolean): Answer {
  const other = otherAllocator(sut.kernel);
  const own = add ? undefined : unwrap(other.insertNode(PAGE), 'a block of the other allocator');
  const scan = unwrapScan(other);
  if (own !== undefined) unwrap(scan.addBlock(own), 'drm_mm_scan_add_block of the other block');
  const r = add ? scan.addBlock(sut.node) : scan.removeBlock(sut.node);
  if (own !== undefined) {
    unwrap(scan.removeBlock(own), 'drm_mm_scan_remove_block of the other block');
    unwrap(own.drop(), 'dropping the other block');
  }
  unwrap(other.drop(), 'dropping the other allocator');
  return r;
}

function expectAllocated(sut: NodeSut, expected: boolean): Answer {
  const r = sut.node.allocated();
  expectThat(r.ok && r.value === expected, `drm_mm_node_allocated must answer ${String(expected)}, got ${JSON.stringify(r.ok && r.value)}`);
  return r;
}

/** What the API answers for a node that is not allocated (`unlinked`, `removed`). */
function checkFree(sut: NodeSut): void {
  expectAllocated(sut, false);
  if (live(sut)) {
    const nodes = unwrap(sut.alloc.nodes(), 'drm_mm_nodes');
    expectThat(!nodes.some((n) => n.name === 'n'), 'a node that is not allocated is not listed');
  }
  const rm = sut.node.probe().remove();
  expectThat(!rm.ok && rm.violations[0]?.kind === 'bug_on', 'removing a node that is not allocated is refused with bug_on');
  const probe = sut.node.probe();
  // An allocator made in the probe kernel takes the node: it may be inserted again.
  const fresh = unwrap(Allocator.new(probe.kernel, { start: 0n, size: PAGE, name: 'probe-mm' }), 'probe drm_mm_init');
  const again = fresh.newNode('n').insert(PAGE);
  expectThat(again.ok && again.value === 0n, 'the node may be inserted (again) into an allocator with room');
}

/** Runs `drm_mm_node` paths against {@link Allocator}, {@link Node} and {@link Scan}. */
export const drmMmNodeAdapter: MachineAdapter<NodeSut> = {
  machine: drmMmNodeMachine,
  events: (s: AnyMachineSnapshot): readonly MachineEvent[] => EVENTS[leafOf(s)] ?? [],
  setup(): NodeSut {
    const kernel = new Kernel();
    const { alloc, companion } = freshAllocator(kernel);
    const node = alloc.newNode('n');
    // The node comes into being unlinked: an insertion that nothing can hold.
    const r = node.insert(TOO_BIG);
    expectThat(!r.ok && r.errno === 'ENOSPC', 'the first insertion answers ENOSPC');
    return { kernel, alloc, companion, node, scan: undefined, sibling: undefined };
  },
  exec(sut, event, branch, snapshot) {
    const state = leafOf(snapshot);
    const type = event.type;
    if ((INSERTS as readonly string[]).includes(type)) {
      if (state === 'unlinked' || state === 'removed') return insertFromFree(sut, event, branch);
      return insertCall(sut.node, type as InsertType, PAGE);
    }
    switch (type) {
      case 'drm_mm_remove_node':
        if (event.scanActive === true) return whileScanning(sut, () => sut.node.remove());
        return sut.node.remove();
      case 'drm_mm_scan_add_block': {
        if (event.otherAllocator === true || state === 'orphaned') return onOtherAllocatorsScan(sut, true);
        if (state === 'inserted') {
          const scan = unwrapScan(sut.alloc);
          // A sibling scan can only be initialised while no block is scanned: now.
          const sibling = unwrapScan(sut.alloc);
          const r = scan.addBlock(sut.node);
          expectThat(r.ok && r.value === true, 'unlinking n leaves room for a page: found');
          sut.scan = scan;
          sut.sibling = sibling;
          return r;
        }
        // Unlinked, removed or scanned: the node's own allocator's current scan, or a new one.
        return (sut.scan ?? (live(sut) ? unwrapScan(sut.alloc) : unwrapScan(otherAllocator(sut.kernel)))).addBlock(sut.node);
      }
      case 'drm_mm_scan_remove_block': {
        if (event.otherAllocator === true || state === 'orphaned') return onOtherAllocatorsScan(sut, false);
        if (state === 'scanned') {
          const scan = sut.scan as NonNullable<NodeSut['scan']>;
          if (event.otherScan === true) {
            // The sibling holds the companion, so that it is a scan holding blocks, just not n.
            const sibling = sut.sibling as NonNullable<NodeSut['sibling']>;
            unwrap(sibling.addBlock(sut.companion), 'drm_mm_scan_add_block of the companion to the sibling');
            const r = sibling.removeBlock(sut.node);
            unwrap(sibling.removeBlock(sut.companion), 'drm_mm_scan_remove_block of the companion from the sibling');
            return r;
          }
          if (event.outOfOrder === true) {
            unwrap(scan.addBlock(sut.companion), 'drm_mm_scan_add_block of the companion');
            const r = scan.removeBlock(sut.node);
            unwrap(scan.removeBlock(sut.companion), 'drm_mm_scan_remove_block of the companion');
            return r;
          }
          const r = scan.removeBlock(sut.node);
          expectThat(r.ok && r.value === true, 'n overlaps the hit: evict');
          sut.scan = undefined;
          return r;
        }
        // Not scanned: through a scan that holds a block (one holding none refuses first).
        if (live(sut) && mmInfo(sut.kernel.world, sut.alloc.name)?.scanActive === 0) return whileScanning(sut, (scan) => scan.removeBlock(sut.node));
        return onOtherAllocatorsScan(sut, false);
      }
      case 'drm_mm_takedown': {
        if ((state === 'inserted' || state === 'scanned') && event.otherAllocator !== true) {
          const r = sut.kernel.call({ type: 'drm_mm_takedown', mm: sut.alloc.name });
          if (state === 'inserted') expectThat(r.ok && r.clean === false, 'n is still on the allocator: not clean');
          return r;
        }
        return takedownTouchingNothing(sut, state !== 'orphaned' && state !== 'inserted' && state !== 'scanned');
      }
      case 'drm_mm_node_allocated':
        return expectAllocated(sut, state !== 'unlinked' && state !== 'removed');
      default:
        throw new Error(`no executor for ${type}`);
    }
  },
  checks: {
    unlinked: (sut) => {
      checkFree(sut);
      expectThat(nodeInfo(sut.kernel.world, 'n')?.state === 'unlinked', 'the kernel keeps n unlinked');
    },
    removed: (sut) => {
      checkFree(sut);
      expectThat(sut.node.size === PAGE, 'a removed node keeps its size');
    },
    inserted: (sut) => {
      expectAllocated(sut, true);
      const nodes = unwrap(sut.alloc.nodes(), 'drm_mm_nodes');
      const me = nodes.find((n) => n.name === 'n');
      expectThat(me !== undefined && me.start === sut.node.start && me.size === PAGE, 'an inserted node is listed at its start');
      const holes = unwrap(sut.alloc.holes(), 'drm_mm_holes');
      expectThat(!holes.some(([s, e]) => s < sut.node.start + PAGE && sut.node.start < e), 'no hole overlaps an inserted node');
      const again = sut.node.probe().insert(PAGE);
      expectThat(!again.ok && again.violations[0]?.kind === 'bug_on', 'inserting an allocated node again is refused with bug_on');
      const rm = sut.node.probe().remove();
      expectThat(rm.ok, 'an inserted node may be removed');
    },
    scanned: (sut) => {
      expectAllocated(sut, true);
      const nodes = unwrap(sut.alloc.nodes(), 'drm_mm_nodes');
      expectThat(!nodes.some((n) => n.name === 'n'), 'a scanned block drops out of drm_mm_nodes');
      expectThat(sut.alloc.withInner((_, mm) => mm.info().scanActive) > 0, 'the allocator has an active scan');
      const rm = sut.node.probe().remove();
      expectThat(!rm.ok && rm.violations[0]?.kind === 'bug_on', 'removing a scanned block is refused with bug_on');
    },
    orphaned: (sut) => {
      expectAllocated(sut, true);
      const nodes = sut.alloc.nodes();
      expectThat(!nodes.ok && nodes.violations[0]?.kind === 'use_after_free', 'listing a taken-down allocator is a use after free');
      const rm = sut.node.probe().remove();
      expectThat(!rm.ok && rm.violations[0]?.kind === 'use_after_free', 'removing an orphaned node is refused with use_after_free');
      const again = sut.node.probe().insert(PAGE);
      expectThat(!again.ok && again.violations[0]?.kind === 'use_after_free', 'inserting an orphaned node is refused with use_after_free');
    },
  },
};
