/**
 * A deliberately simple, linear reference model of the kernel's drm_mm range allocator.
 *
 * Models drm_mm_init(), drm_mm_insert_node_in_range(), drm_mm_insert_node_generic(),
 * drm_mm_insert_node(), drm_mm_reserve_node(), drm_mm_remove_node(), drm_mm_for_each_hole(),
 * drm_mm_for_each_node(), drm_mm_node_allocated(), drm_mm_clean(), drm_mm_takedown() and the
 * eviction scan (drm_mm_scan_init_with_range(), drm_mm_scan_add_block(),
 * drm_mm_scan_remove_block(), drm_mm_scan_color_evict()) of `drivers/gpu/drm/drm_mm.c` and
 * `include/drm/drm_mm.h` (v6.17). It was written from the kernel source, independently of
 * `src/drm-mm/`, so that property tests can compare the two.
 *
 * Model: every allocator keeps its nodes in one array sorted by address (scanned nodes stay in the
 * array, flagged, and count as unlinked). A hole belongs to the node before it; the head (`owner`
 * `null`) owns the hole at the start of the range. A hole carries a sequence number taken from one
 * counter at every `add_hole()`; because the kernel implements every hole change as `rm_hole()`
 * then `add_hole()`, the hole stack is exactly "descending sequence number", and among holes of
 * equal size the size tree's latest entry is the one with the highest number. Every operation is
 * O(n): sort, filter, scan.
 *
 * What it covers exactly, and why:
 *
 * - `best` (with and without `once`): the size tree's in-order sequence is fixed by its ordering
 *   (larger sizes left, equal sizes inserted to the right), so `best_hole()` is "the smallest hole
 *   whose raw size is at least `size`, latest added among equals" and `rb_prev()` walks up in size,
 *   equal sizes from latest to oldest. Independent of the tree's shape.
 * - `evict` (with and without `once`): the hole stack is a list; independent of any tree.
 * - `low` / `high` **without** `once`: `find_hole_addr()` descends toward `range_start` (`range_end`)
 *   and `next_hole_{low,high}_addr()` walk in address order, pruning only subtrees whose largest raw
 *   hole is smaller than `size`. Every hole the descent passes over lies wholly below `range_start`
 *   (above `range_end` for `high`) or sits in a pruned subtree, so none of them could take the node;
 *   the result is the first hole in ascending (descending) address order that accepts it, which does
 *   not depend on the tree's shape. The reference walks every hole in address order.
 * - `low` / `high` **with** `once`: the one hole examined is wherever the red-black descent stops,
 *   which depends on `lib/rbtree.c`'s balancing. Not reproduced; instead {@link ReferenceDrmMm.apply}
 *   takes the observed outcome as an oracle, checks that it is an answer the kernel could give (ENOSPC
 *   or the placement in one existing hole, and exactly the placement in the hole containing the
 *   target address when that hole's raw size suffices, since the descent must then end there), and
 *   applies it.
 *
 * Assumption shared with the kernel's own callbacks: `color_adjust` only narrows a hole (the `gap`
 * callback never wraps around u64). Under it a hole whose raw size is below `size` can never accept
 * the node, so which small holes a pruned walk visits does not matter.
 */

/** Largest u64. */
const U64_MAX = (1n << 64n) - 1n;

/** Wraps to u64 as C's `u64` arithmetic does. */
function u64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Insert modes of `enum drm_mm_insert_mode` without the ONCE flag. */
export type RefMode = 'best' | 'low' | 'high' | 'evict';

/** An outcome in the conformance samples' JSON shape: u64 values as decimal strings. */
export type RefOutcome = { readonly ok: boolean; readonly [k: string]: unknown };

interface RefNode {
  readonly name: string;
  start: bigint;
  size: bigint;
  color: bigint;
  /** The allocator this node was last inserted into. */
  mm: RefMm | null;
  allocated: boolean;
  scanned: boolean;
  /** Size of the hole after this node (0: none). */
  holeSize: bigint;
  /** When that hole was last added (its position on the hole stack). */
  holeSeq: number;
}

interface RefHead {
  holeSize: bigint;
  holeSeq: number;
}

interface RefMm {
  readonly start: bigint;
  readonly size: bigint;
  readonly gap: bigint | null;
  readonly head: RefHead;
  /** Every allocated node (scanned ones included), by address. */
  readonly nodes: RefNode[];
  seq: number;
  scanActive: number;
  takenDown: boolean;
}

interface RefScan {
  readonly mm: RefMm;
  readonly size: bigint;
  readonly alignment: bigint;
  readonly color: bigint;
  readonly rangeStart: bigint;
  readonly rangeEnd: bigint;
  readonly mode: RefMode;
  hitStart: bigint;
  hitEnd: bigint;
}

/** The owner of a hole: a node, or `null` for the allocator's head. */
type Owner = RefNode | null;

/** Reads a u64 from a decimal string, bigint or safe integer. */
function big(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v);
  throw new Error(`reference: bad u64 in field ${field}: ${String(v)}`);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new Error(`reference: bad name in field ${field}`);
  return v;
}

/** Thrown for calls outside what the reference models (misuse, or an uncovered mode). */
export class ReferenceUnsupported extends Error {}

/**
 * A linear model of any number of named drm_mm allocators, scans and nodes.
 *
 * Mutable on purpose: it is a test oracle, not a world.
 */
export class ReferenceDrmMm {
  private readonly mms = new Map<string, RefMm>();
  private readonly nodes = new Map<string, RefNode>();
  private readonly scans = new Map<string, RefScan>();

  /**
   * Applies one event (the conformance samples' JSON shape) and returns its outcome.
   *
   * `oracle` is the observed outcome of a `low`/`high` insert with `once`, whose hole choice the
   * reference does not model: it is checked for plausibility and then applied.
   *
   * @throws {ReferenceUnsupported} for misuse or an uncovered call; `Error` for an implausible oracle.
   */
  apply(event: { readonly type: string; readonly [k: string]: unknown }, oracle?: RefOutcome): RefOutcome {
    switch (event.type) {
      case 'drm_mm_init':
        return this.init(event);
      case 'drm_mm_insert_node_in_range':
        return this.insert(
          str(event.mm, 'mm'),
          str(event.node, 'node'),
          big(event.size, 'size'),
          big(event.alignment, 'alignment'),
          big(event.color, 'color'),
          big(event.range_start, 'range_start'),
          big(event.range_end, 'range_end'),
          event.mode as RefMode,
          event.once === true,
          oracle,
        );
      case 'drm_mm_insert_node_generic':
        return this.insert(
          str(event.mm, 'mm'),
          str(event.node, 'node'),
          big(event.size, 'size'),
          big(event.alignment, 'alignment'),
          big(event.color, 'color'),
          0n,
          U64_MAX,
          event.mode as RefMode,
          false,
          oracle,
        );
      case 'drm_mm_insert_node':
        return this.insert(str(event.mm, 'mm'), str(event.node, 'node'), big(event.size, 'size'), 0n, 0n, 0n, U64_MAX, 'best', false);
      case 'drm_mm_reserve_node':
        return this.reserve(event);
      case 'drm_mm_remove_node':
        return this.remove(str(event.node, 'node'));
      case 'drm_mm_holes':
        return { ok: true, holes: this.holes(str(event.mm, 'mm')) };
      case 'drm_mm_nodes':
        return { ok: true, nodes: this.nodeList(str(event.mm, 'mm')) };
      case 'drm_mm_node_allocated':
        return { ok: true, allocated: this.nodes.get(str(event.node, 'node'))?.allocated ?? false };
      case 'drm_mm_clean':
        return { ok: true, clean: this.linked(this.mm(str(event.mm, 'mm'))).length === 0 };
      case 'drm_mm_takedown': {
        const mm = this.mm(str(event.mm, 'mm'));
        mm.takenDown = true;
        return { ok: true, clean: this.linked(mm).length === 0 };
      }
      case 'drm_mm_scan_init_with_range':
        return this.scanInit(event);
      case 'drm_mm_scan_add_block':
        return this.scanAdd(str(event.scan, 'scan'), str(event.node, 'node'));
      case 'drm_mm_scan_remove_block':
        return this.scanRemove(str(event.scan, 'scan'), str(event.node, 'node'));
      case 'drm_mm_scan_color_evict':
        return this.scanColorEvict(str(event.scan, 'scan'));
      default:
        throw new ReferenceUnsupported(`reference: event ${event.type} is not modelled`);
    }
  }

  /** Models drm_mm_init() (drivers/gpu/drm/drm_mm.c), with the `{gap}` colour callback installed after it. */
  private init(event: { readonly [k: string]: unknown }): RefOutcome {
    const name = str(event.mm, 'mm');
    const old = this.mms.get(name);
    if (old && !old.takenDown) throw new ReferenceUnsupported(`reference: ${name} re-initialised while live`);
    const adjust = event.color_adjust as { gap?: unknown } | undefined;
    const mm: RefMm = {
      start: big(event.start, 'start'),
      size: big(event.size, 'size'),
      gap: adjust === undefined || adjust === null ? null : big(adjust.gap, 'color_adjust.gap'),
      head: { holeSize: 0n, holeSeq: 0 },
      nodes: [],
      seq: 0,
      scanActive: 0,
      takenDown: false,
    };
    this.mms.set(name, mm);
    // KERNEL: init adds the head's hole, the whole range.
    this.addHole(mm, null);
    return { ok: true };
  }

  private mm(name: string): RefMm {
    const mm = this.mms.get(name);
    if (!mm) throw new ReferenceUnsupported(`reference: unknown allocator ${name}`);
    if (mm.takenDown) throw new ReferenceUnsupported(`reference: allocator ${name} was taken down`);
    return mm;
  }

  /** Nodes on the node list (allocated and not scanned), by address. */
  private linked(mm: RefMm): RefNode[] {
    return mm.nodes.filter((n) => !n.scanned);
  }

  /** The start of the hole after `owner` (`__drm_mm_hole_node_start`). */
  private holeStart(mm: RefMm, owner: Owner): bigint {
    return owner === null ? mm.start : u64(owner.start + owner.size);
  }

  /** The linked node after `owner`, or `null` for the head (`list_next_entry`). */
  private nextLinked(mm: RefMm, owner: Owner): RefNode | null {
    const from = owner === null ? 0 : mm.nodes.indexOf(owner) + 1;
    for (let i = from; i < mm.nodes.length; i++) {
      const n = mm.nodes[i]!;
      if (!n.scanned) return n;
    }
    return null;
  }

  /** The linked node before `node`, or `null` for the head (`list_prev_entry`). */
  private prevLinked(mm: RefMm, node: RefNode): Owner {
    for (let i = mm.nodes.indexOf(node) - 1; i >= 0; i--) {
      const n = mm.nodes[i]!;
      if (!n.scanned) return n;
    }
    return null;
  }

  /** `__drm_mm_hole_node_end`: the start of the next linked node, or the range end for the head. */
  private holeEndByList(mm: RefMm, owner: Owner): bigint {
    const next = this.nextLinked(mm, owner);
    return next === null ? u64(mm.start + mm.size) : next.start;
  }

  private holeOf(mm: RefMm, owner: Owner): RefHead | RefNode {
    return owner === null ? mm.head : owner;
  }

  /** Models add_hole(): the size comes from the node list; the hole goes on top of the stack. */
  private addHole(mm: RefMm, owner: Owner): void {
    const h = this.holeOf(mm, owner);
    h.holeSize = u64(this.holeEndByList(mm, owner) - this.holeStart(mm, owner));
    h.holeSeq = ++mm.seq;
  }

  /** Models rm_hole(). */
  private rmHole(mm: RefMm, owner: Owner): void {
    const h = this.holeOf(mm, owner);
    h.holeSize = 0n;
    h.holeSeq = 0;
  }

  /** Every hole as `[owner, start, end, seq, size]`, in no particular order. */
  private allHoles(mm: RefMm): { owner: Owner; start: bigint; end: bigint; seq: number; size: bigint }[] {
    const out: { owner: Owner; start: bigint; end: bigint; seq: number; size: bigint }[] = [];
    const owners: Owner[] = [null, ...mm.nodes];
    for (const owner of owners) {
      const h = this.holeOf(mm, owner);
      if (h.holeSize === 0n) continue;
      const start = this.holeStart(mm, owner);
      out.push({ owner, start, end: u64(start + h.holeSize), seq: h.holeSeq, size: h.holeSize });
    }
    return out;
  }

  /** `drm_mm_for_each_hole`: the hole stack, most recently added first. */
  holes(mmName: string): [string, string][] {
    const mm = this.mm(mmName);
    return this.allHoles(mm)
      .sort((a, b) => b.seq - a.seq)
      .map((h) => [h.start.toString(), h.end.toString()]);
  }

  /** `drm_mm_for_each_node`: linked nodes by address as `[name, start, size, color]`. */
  nodeList(mmName: string): [string, string, string, string][] {
    return this.linked(this.mm(mmName)).map((n) => [n.name, n.start.toString(), n.size.toString(), n.color.toString()]);
  }

  /**
   * The `{gap}` colour callback: the usable start moves up by `gap` when the node before the hole is
   * allocated with another colour, the end moves down when the linked node after it is.
   */
  private colorAdjust(mm: RefMm, owner: Owner, color: bigint, start: bigint, end: bigint): [bigint, bigint] {
    if (mm.gap === null) return [start, end];
    let s = start;
    let e = end;
    // KERNEL: the head is never allocated, so it never moves the start.
    if (owner !== null && owner.allocated && owner.color !== color) s = u64(s + mm.gap);
    const next = this.nextLinked(mm, owner);
    if (next !== null && next.allocated && next.color !== color) e = u64(e - mm.gap);
    return [s, e];
  }

  /**
   * The body of the insert loop for one hole: `'stop'` (the LOW/HIGH early break), `null` (skip this
   * hole) or the start the node would get.
   */
  private placeInHole(
    mm: RefMm,
    owner: Owner,
    holeStart: bigint,
    holeEnd: bigint,
    size: bigint,
    alignment: bigint,
    color: bigint,
    rangeStart: bigint,
    rangeEnd: bigint,
    mode: RefMode,
  ): bigint | null | 'stop' {
    if (mode === 'low' && holeStart >= rangeEnd) return 'stop';
    if (mode === 'high' && holeEnd <= rangeStart) return 'stop';
    return this.fit(mm, owner, holeStart, holeEnd, size, alignment, color, rangeStart, rangeEnd, mode === 'high');
  }

  /** Colour adjust, clip, place (top for HIGH) and align within one hole; `null` if it does not fit. */
  private fit(
    mm: RefMm,
    owner: Owner,
    holeStart: bigint,
    holeEnd: bigint,
    size: bigint,
    alignment: bigint,
    color: bigint,
    rangeStart: bigint,
    rangeEnd: bigint,
    high: boolean,
  ): bigint | null {
    const [colStart, colEnd] = this.colorAdjust(mm, owner, color, holeStart, holeEnd);
    let adjStart = max(colStart, rangeStart);
    const adjEnd = min(colEnd, rangeEnd);
    if (adjEnd <= adjStart || u64(adjEnd - adjStart) < size) return null;
    if (high) adjStart = u64(adjEnd - size);
    if (alignment !== 0n) {
      // KERNEL: a mask for powers of two, div64_u64_rem() otherwise; both are the remainder.
      const rem = adjStart % alignment;
      if (rem !== 0n) {
        adjStart = u64(adjStart - rem);
        if (!high) adjStart = u64(adjStart + alignment);
        if (adjStart < max(colStart, rangeStart) || u64(min(colEnd, rangeEnd) - adjStart) < size) return null;
        if (adjEnd <= adjStart || u64(adjEnd - adjStart) < size) return null;
      }
    }
    return adjStart;
  }

  /** Holes in the order `mode` visits them (see the module comment for why this order is exact). */
  private visitOrder(mm: RefMm, size: bigint, mode: RefMode) {
    const holes = this.allHoles(mm);
    switch (mode) {
      case 'best':
        // KERNEL: best_hole() then rb_prev(): ascending raw size, latest first among equals.
        return holes
          .filter((h) => h.size >= size)
          .sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : b.seq - a.seq));
      case 'low':
        return holes.sort((a, b) => (a.start < b.start ? -1 : 1));
      case 'high':
        return holes.sort((a, b) => (a.start > b.start ? -1 : 1));
      case 'evict':
        return holes.sort((a, b) => b.seq - a.seq);
    }
  }

  /** Models drm_mm_insert_node_in_range() (drivers/gpu/drm/drm_mm.c). */
  private insert(
    mmName: string,
    nodeName: string,
    size: bigint,
    alignment: bigint,
    color: bigint,
    rangeStart: bigint,
    rangeEnd: bigint,
    mode: RefMode,
    once: boolean,
    oracle?: RefOutcome,
  ): RefOutcome {
    const mm = this.mm(mmName);
    if (!['best', 'low', 'high', 'evict'].includes(mode)) throw new ReferenceUnsupported(`reference: mode ${String(mode)}`);
    const existing = this.nodes.get(nodeName);
    if (existing?.allocated) throw new ReferenceUnsupported(`reference: ${nodeName} is already allocated`);
    if (rangeStart > rangeEnd) throw new ReferenceUnsupported('reference: range_start > range_end is a BUG_ON');
    const enospc: RefOutcome = { ok: false, errno: 'ENOSPC' };
    if (size === 0n || u64(rangeEnd - rangeStart) < size) return this.checkOracle(enospc, oracle, mode, once);
    const largest = this.allHoles(mm).reduce((m, h) => max(m, h.size), 0n);
    if (largest < size) return this.checkOracle(enospc, oracle, mode, once);
    const align = alignment <= 1n ? 0n : alignment;

    if (once && (mode === 'low' || mode === 'high')) {
      return this.onceByOracle(mm, nodeName, size, align, color, rangeStart, rangeEnd, mode, oracle);
    }
    for (const h of this.visitOrder(mm, size, mode)) {
      const at = this.placeInHole(mm, h.owner, h.start, h.end, size, align, color, rangeStart, rangeEnd, mode);
      if (at === 'stop') break;
      if (at !== null) {
        this.link(mm, nodeName, h.owner, h.start, h.end, at, size, color);
        return { ok: true, start: at.toString() };
      }
      if (once) break;
    }
    return enospc;
  }

  private checkOracle(answer: RefOutcome, oracle: RefOutcome | undefined, mode: RefMode, once: boolean): RefOutcome {
    if (oracle && once && (mode === 'low' || mode === 'high') && (oracle.ok || oracle.errno !== answer.errno)) {
      throw new Error(`reference: ${mode} once must answer ENOSPC here, observed ${JSON.stringify(oracle)}`);
    }
    return answer;
  }

  /**
   * LOWEST/HIGHEST: the kernel examines only the hole where the address-tree descent stops. Checks
   * the observed outcome could come from some hole, and from exactly the hole containing the target
   * when that hole is big enough (the pruned descent cannot stop anywhere else), then applies it.
   */
  private onceByOracle(
    mm: RefMm,
    nodeName: string,
    size: bigint,
    align: bigint,
    color: bigint,
    rangeStart: bigint,
    rangeEnd: bigint,
    mode: RefMode,
    oracle: RefOutcome | undefined,
  ): RefOutcome {
    if (!oracle) throw new ReferenceUnsupported(`reference: ${mode} with once depends on the rbtree shape; pass the observed outcome`);
    const target = mode === 'low' ? rangeStart : rangeEnd;
    const holes = this.allHoles(mm);
    const answers = holes.map((h) => {
      const at = this.placeInHole(mm, h.owner, h.start, h.end, size, align, color, rangeStart, rangeEnd, mode);
      return { h, at: at === 'stop' ? null : at };
    });
    const forced = answers.find((a) => a.h.start <= target && target <= a.h.end && a.h.size >= size);
    if (!oracle.ok) {
      if (oracle.errno !== 'ENOSPC') throw new Error(`reference: insert can only fail with ENOSPC, observed ${JSON.stringify(oracle)}`);
      if (forced && forced.at !== null) {
        throw new Error(`reference: ${mode} once must examine the hole at ${forced.h.start} and place at ${forced.at}, observed ENOSPC`);
      }
      return { ok: false, errno: 'ENOSPC' };
    }
    const start = big(oracle.start, 'start');
    const from = forced ? [forced] : answers;
    const hit = from.find((a) => a.at === start);
    if (!hit) throw new Error(`reference: ${mode} once placed at ${start}, which no candidate hole gives`);
    this.link(mm, nodeName, hit.h.owner, hit.h.start, hit.h.end, start, size, color);
    return { ok: true, start: start.toString() };
  }

  /** Links a node at `[start, start + size)` after `owner` and splits its hole as insert and reserve do. */
  private link(mm: RefMm, nodeName: string, owner: Owner, holeStart: bigint, holeEnd: bigint, start: bigint, size: bigint, color: bigint): void {
    const node: RefNode = this.nodes.get(nodeName) ?? {
      name: nodeName,
      start: 0n,
      size: 0n,
      color: 0n,
      mm: null,
      allocated: false,
      scanned: false,
      holeSize: 0n,
      holeSeq: 0,
    };
    node.start = start;
    node.size = size;
    node.color = color;
    node.mm = mm;
    node.allocated = true;
    node.scanned = false;
    node.holeSize = 0n;
    node.holeSeq = 0;
    this.nodes.set(nodeName, node);
    const at = owner === null ? 0 : mm.nodes.indexOf(owner) + 1;
    mm.nodes.splice(at, 0, node);
    // KERNEL: rm_hole(hole); re-add the leftover before, then add the node's own hole after.
    this.rmHole(mm, owner);
    if (start > holeStart) this.addHole(mm, owner);
    if (u64(start + size) < holeEnd) this.addHole(mm, node);
  }

  /** Models drm_mm_reserve_node() (drivers/gpu/drm/drm_mm.c). */
  private reserve(event: { readonly [k: string]: unknown }): RefOutcome {
    const mm = this.mm(str(event.mm, 'mm'));
    const nodeName = str(event.node, 'node');
    if (this.nodes.get(nodeName)?.allocated) throw new ReferenceUnsupported(`reference: ${nodeName} is already allocated`);
    const start = big(event.start, 'start');
    const size = big(event.size, 'size');
    const color = big(event.color, 'color');
    const end = u64(start + size);
    if (end <= start) return { ok: false, errno: 'ENOSPC' };
    // KERNEL: find_hole_addr(mm, start, 0) ends at the hole whose [start, end] holds the address;
    // any other hole it could end at fails the window check below.
    const h = this.allHoles(mm).find((x) => x.start <= start && start <= x.end);
    if (!h) return { ok: false, errno: 'ENOSPC' };
    const [adjStart, adjEnd] = this.colorAdjust(mm, h.owner, color, h.start, h.end);
    if (adjStart > start || adjEnd < end) return { ok: false, errno: 'ENOSPC' };
    this.link(mm, nodeName, h.owner, h.start, h.end, start, size, color);
    return { ok: true };
  }

  /** Models drm_mm_remove_node() (drivers/gpu/drm/drm_mm.c). */
  private remove(nodeName: string): RefOutcome {
    const node = this.nodes.get(nodeName);
    if (!node || !node.allocated || node.scanned || !node.mm || node.mm.takenDown) {
      throw new ReferenceUnsupported(`reference: removing ${nodeName}, which is not removable`);
    }
    const mm = node.mm;
    const prev = this.prevLinked(mm, node);
    if (node.holeSize !== 0n) this.rmHole(mm, node);
    mm.nodes.splice(mm.nodes.indexOf(node), 1);
    if (this.holeOf(mm, prev).holeSize !== 0n) this.rmHole(mm, prev);
    this.addHole(mm, prev);
    node.allocated = false;
    return { ok: true };
  }

  /** Models drm_mm_scan_init_with_range() (drivers/gpu/drm/drm_mm.c). */
  private scanInit(event: { readonly [k: string]: unknown }): RefOutcome {
    const mm = this.mm(str(event.mm, 'mm'));
    if (mm.scanActive !== 0) throw new ReferenceUnsupported('reference: scan init during a scan');
    const alignment = big(event.alignment, 'alignment');
    this.scans.set(str(event.scan, 'scan'), {
      mm,
      size: big(event.size, 'size'),
      alignment: alignment <= 1n ? 0n : alignment,
      color: big(event.color, 'color'),
      rangeStart: big(event.range_start, 'range_start'),
      rangeEnd: big(event.range_end, 'range_end'),
      mode: event.mode as RefMode,
      hitStart: U64_MAX,
      hitEnd: 0n,
    });
    return { ok: true };
  }

  private scan(name: string): RefScan {
    const scan = this.scans.get(name);
    if (!scan) throw new ReferenceUnsupported(`reference: unknown scan ${name}`);
    return scan;
  }

  /** Models drm_mm_scan_add_block(): unlink the node and try the enlarged hole. Hole indexes stay stale. */
  private scanAdd(scanName: string, nodeName: string): RefOutcome {
    const scan = this.scan(scanName);
    const mm = scan.mm;
    const node = this.nodes.get(nodeName);
    if (!node || node.mm !== mm || !node.allocated || node.scanned) throw new ReferenceUnsupported(`reference: cannot scan ${nodeName}`);
    const prev = this.prevLinked(mm, node);
    node.scanned = true;
    mm.scanActive++;
    const holeStart = this.holeStart(mm, prev);
    const holeEnd = this.holeEndByList(mm, prev);
    const at = this.fit(mm, prev, holeStart, holeEnd, scan.size, scan.alignment, scan.color, scan.rangeStart, scan.rangeEnd, scan.mode === 'high');
    if (at === null) return { ok: true, found: false };
    scan.hitStart = at;
    scan.hitEnd = u64(at + scan.size);
    return { ok: true, found: true };
  }

  /** Models drm_mm_scan_remove_block(): relink the node; evict it if it overlaps the hit. */
  private scanRemove(scanName: string, nodeName: string): RefOutcome {
    const scan = this.scan(scanName);
    const node = this.nodes.get(nodeName);
    if (!node || node.mm !== scan.mm || !node.scanned) throw new ReferenceUnsupported(`reference: ${nodeName} is not scanned`);
    node.scanned = false;
    scan.mm.scanActive--;
    return { ok: true, evict: u64(node.start + node.size) > scan.hitStart && node.start < scan.hitEnd };
  }

  /** Models drm_mm_scan_color_evict(): the neighbour of the hit's hole that the colour still conflicts with. */
  private scanColorEvict(scanName: string): RefOutcome {
    const scan = this.scan(scanName);
    const mm = scan.mm;
    if (mm.gap === null) return { ok: true, node: null };
    const stack = this.allHoles(mm).sort((a, b) => b.seq - a.seq);
    const h = stack.find((x) => x.start <= scan.hitStart && x.end >= scan.hitEnd);
    if (!h) return { ok: true, node: null };
    const [s, e] = this.colorAdjust(mm, h.owner, scan.color, h.start, h.end);
    if (s > scan.hitStart) return { ok: true, node: h.owner === null ? null : h.owner.name };
    if (e < scan.hitEnd) return { ok: true, node: this.nextLinked(mm, h.owner)?.name ?? null };
    return { ok: true, node: null };
  }
}
