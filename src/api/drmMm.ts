import { type ColorAdjustFn, registerColorAdjust } from '../drm-mm/colorAdjust.js';
/**
 * The drm_mm range allocator as Rust-style classes: the `drm::mm` design of the seed thread
 * (`Allocator`, `Node`, `AllocInner::drop_object`, `with_inner`) plus the eviction {@link Scan}.
 *
 * Every method that asks the kernel something is exactly one `kernel.call`, logged by the kernel
 * handle; getters and {@link Allocator.withInner} read the current world without logging.
 *
 * # Invariants
 *
 * - An allocator's inner state lives while its {@link Allocator} handle or any of its {@link Node}
 *   handles does: `drm_mm_takedown` is called exactly once, when the last of them is dropped, so an
 *   allocator taken down through the API is always clean.
 * - A node handle keeps its name for life; it may be removed and inserted again.
 *
 * Kernel: drivers/gpu/drm/drm_mm.c, include/drm/drm_mm.h. Docs: docs/drm-mm.md.
 */
import type { InsertMode } from '../drm-mm/allocator.js';
import { type MmInfo, type NodeInfo, listHoles, listNodes, mmInfo, nodeInfo } from '../drm-mm/protocol.js';
import { DrmstateError } from '../errors.js';
import type { Kernel, KernelEvent } from '../kernel/Kernel.js';
import type { Outcome } from '../world/Outcome.js';
import type { Violation } from '../world/Violation.js';
import { type Result, freshName, result, unit } from './result.js';

export type { InsertMode } from '../drm-mm/allocator.js';
export type { MmInfo, NodeInfo } from '../drm-mm/protocol.js';

const U64_MAX = (1n << 64n) - 1n;

/**
 * What the allocator's inner state hears when a node handle is dropped: the node's last placement.
 *
 * Models the arguments of `AllocInner::drop_object` (the seed thread's `drm::mm`).
 *
 * @example
 *   const d: DroppedNode = { name: 'n1', start: 0n, size: 4096n, color: 0n, wasAllocated: true };
 */
export interface DroppedNode extends NodeInfo {
  /** Whether the node was allocated when dropped (the drop then removed it). */
  readonly wasAllocated: boolean;
}

/**
 * The allocator's inner state, owned by the allocator and shared by its nodes: the seed thread's
 * `AllocInner`. Its optional `dropObject` is told of every node handle dropped.
 *
 * Models `AllocInner` (the seed thread's `drm::mm`).
 *
 * @example
 *   const inner: AllocInner = { dropObject: (n) => console.log(`${n.name} dropped`) };
 */
export interface AllocInner {
  /** Called once per dropped node handle, after the node was removed. Models `AllocInner::drop_object`. */
  dropObject?(node: DroppedNode): void;
}

/**
 * Options of {@link Allocator.new}.
 *
 * Models the arguments of drm_mm_init() (drivers/gpu/drm/drm_mm.c) plus the Rust inner state.
 *
 * @example
 *   const o: AllocatorOptions<AllocInner> = { start: 0n, size: 1n << 20n, colorAdjust: { gap: 4096n } };
 */
/** The `color_adjust` field of drm_mm_init for an option: a gap, or a function registered by name. */
function colorAdjustField(c: AllocatorOptions<object>['colorAdjust']): { color_adjust?: { gap: string } | { fn: string } } {
  if (c === undefined) return {};
  if (typeof c === 'function') {
    const name = c.name || 'color_adjust';
    registerColorAdjust(name, c);
    return { color_adjust: { fn: name } };
  }
  return { color_adjust: { gap: c.gap.toString() } };
}

export interface AllocatorOptions<I extends object> {
  /** First address of the managed range. */
  readonly start: bigint;
  /** Length of the managed range. */
  readonly size: bigint;
  /**
   * The colour-adjust callback: `{ gap }` (gap units between neighbours of different colours), or
   * any pure function — registered under its `name` (or `color_adjust`) so the log can name it and
   * replay can call it again (see registerColorAdjust).
   */
  readonly colorAdjust?: { readonly gap: bigint } | ColorAdjustFn;
  /** The inner state (defaults to `{}`). */
  readonly inner?: I & AllocInner;
  /** The allocator's name in the log (defaults to `mm1`, `mm2`, …). */
  readonly name?: string;
}

/**
 * Options of a search insertion.
 *
 * Models the arguments of drm_mm_insert_node_in_range() (drivers/gpu/drm/drm_mm.c).
 *
 * @example
 *   const o: InsertOptions = { alignment: 65536n, mode: 'high', range: [0n, 1n << 32n], once: true };
 */
export interface InsertOptions {
  /** Absolute alignment; 0 or 1 means none. Default 0. */
  readonly alignment?: bigint;
  /** The node's colour. Default 0. */
  readonly color?: bigint;
  /** `[range_start, range_end)`; default the whole u64 range `[0, U64_MAX)`. Ignored by generic. */
  readonly range?: readonly [bigint, bigint];
  /** The search mode. Default `best`. */
  readonly mode?: InsertMode;
  /** Ors in `DRM_MM_INSERT_ONCE`: examine only the first hole. */
  readonly once?: boolean;
  /** The node's name in the log (defaults to `node1`, `node2`, …). */
  readonly name?: string;
}

/**
 * Parameters of an eviction scan.
 *
 * Models the arguments of drm_mm_scan_init_with_range() (drivers/gpu/drm/drm_mm.c).
 *
 * @example
 *   const o: ScanOptions = { size: 8192n, alignment: 4096n, mode: 'evict' };
 */
export interface ScanOptions {
  readonly size: bigint;
  readonly alignment?: bigint;
  readonly color?: bigint;
  /** `[range_start, range_end)`; default the whole u64 range `[0, U64_MAX)`. */
  readonly range?: readonly [bigint, bigint];
  readonly mode?: InsertMode;
  readonly once?: boolean;
  /** The scan's name in the log (defaults to `scan1`, `scan2`, …). */
  readonly name?: string;
}

/**
 * A read-only view of an allocator in the current world (no call is logged).
 *
 * Models reading `struct drm_mm` (include/drm/drm_mm.h) under its owner's lock.
 *
 * @example
 *   a.withInner((_, mm: MmView) => mm.nodes().length);
 */
export interface MmView {
  /** The holes in drm_mm_for_each_hole order (most recent first). */
  holes(): [bigint, bigint][];
  /** The linked nodes in address order. */
  nodes(): NodeInfo[];
  /** The allocator's parameters, liveness and scan count. */
  info(): MmInfo;
}

/** The start an insertion returned. */
function startOf(o: Outcome): bigint {
  return o.start as bigint;
}

function dropped(what: string): DrmstateError {
  return new DrmstateError('BAD_ARGUMENT', `${what} was dropped: make a new handle instead of using this one`);
}

/**
 * The shared, reference-counted state behind an allocator handle and its node handles: the Rust
 * `Arc` around the allocator's inner state. Not for direct use.
 *
 * Models the lifetime of `struct drm_mm` (include/drm/drm_mm.h) under the seed thread's `Allocator`.
 *
 * @internal
 * @example
 *   // Made by Allocator.new; every Node handle holds one reference.
 */
export class Shared<I extends object> {
  /** One for the allocator handle, one per live node handle. */
  refs = 1;
  /** Live node handles by name. */
  readonly handles = new Map<string, Node<I>>();

  constructor(
    readonly kernel: Kernel,
    readonly mm: string,
    readonly inner: I,
  ) {}

  call(event: KernelEvent): Outcome {
    return this.kernel.call(event);
  }

  /** Drops one reference; the last one takes the allocator down. */
  release(): Result<boolean> {
    this.refs--;
    if (this.refs > 0) return { ok: true, value: false, violations: [] };
    // ABSTRACTION: an allocator taken down behind the API's back (a raw drm_mm_takedown) is not
    // taken down twice.
    if (mmInfo(this.kernel.world, this.mm)?.live !== true) return { ok: true, value: false, violations: [] };
    return result(this.call({ type: 'drm_mm_takedown', mm: this.mm }), () => true);
  }
}

/**
 * A drm_mm range allocator over `[start, start + size)`: the seed thread's `drm::mm::Allocator`. Its
 * nodes keep its inner state alive; `drm_mm_takedown` runs when the handle and every node handle
 * have been dropped.
 *
 * Models drm_mm_init() and drm_mm_takedown() (drivers/gpu/drm/drm_mm.c).
 *
 * @example
 *   const k = new Kernel();
 *   const a = Allocator.new(k, { start: 0n, size: 8192n });
 *   if (!a.ok) throw new Error('init refused');
 *   const n = a.value.insertNode(4096n); // Result<Node>
 *   if (n.ok) n.value.start; // 0n
 */
export class Allocator<I extends object = AllocInner> {
  private live = true;

  private constructor(private readonly shared: Shared<I>) {}

  /**
   * Initialises a new allocator. Refused (`bug_on`) for an empty or wrapping range.
   *
   * Models drm_mm_init() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `MALFORMED_EVENT` for a value that is not a u64.
   * @example
   *   const a = Allocator.new(k, { start: 4096n, size: 65536n, colorAdjust: { gap: 4096n } });
   */
  static new<I extends object = AllocInner>(kernel: Kernel, options: AllocatorOptions<I>): Result<Allocator<I>> {
    const mm = options.name ?? freshName(kernel, 'mm');
    const o = kernel.call({
      type: 'drm_mm_init',
      mm,
      start: options.start,
      size: options.size,
      ...colorAdjustField(options.colorAdjust),
    });
    return result(o, () => new Allocator<I>(new Shared(kernel, mm, options.inner ?? ({} as I))));
  }

  /** The kernel this allocator lives in. */
  get kernel(): Kernel {
    return this.shared.kernel;
  }

  /** The allocator's name in the log. */
  get name(): string {
    return this.shared.mm;
  }

  /** How many handles (this one, if not dropped, and every live node handle) keep the allocator alive. */
  get refs(): number {
    return this.shared.refs;
  }

  private use(): Shared<I> {
    if (!this.live) throw dropped(`allocator handle "${this.shared.mm}"`);
    return this.shared;
  }

  /**
   * A cleared node of this allocator, not yet inserted (no call is logged): insert it with
   * {@link Node.insert} and friends. It keeps the allocator alive until dropped.
   *
   * Models a zeroed `struct drm_mm_node` (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   const n = a.newNode('n1');
   *   n.insert(4096n);
   */
  newNode(name: string = freshName(this.shared.kernel, 'node')): Node<I> {
    return Node.create(this.use(), name);
  }

  private attempt(name: string | undefined, f: (n: Node<I>) => Result<bigint>): Result<Node<I>> {
    const n = this.newNode(name);
    const r = f(n);
    if (r.ok) return { ok: true, value: n, violations: r.violations };
    // The handle never escaped: it goes away without a drop notification.
    n.discard();
    return r;
  }

  /**
   * Inserts a new node of `size`: without options, best fit over the whole range
   * (`drm_mm_insert_node`); with options, a search per `mode` in `range`
   * (`drm_mm_insert_node_in_range`). ENOSPC when no hole takes it.
   *
   * Models drm_mm_insert_node() / drm_mm_insert_node_in_range() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.insertNode(4096n, { alignment: 8192n, mode: 'high', range: [0n, 1n << 20n] });
   */
  insertNode(size: bigint, options?: InsertOptions): Result<Node<I>> {
    return this.attempt(options?.name, (n) => (options === undefined ? n.insert(size) : n.insertInRange(size, options)));
  }

  /**
   * Inserts a new node of `size` over the whole u64 range, per `mode`.
   *
   * Models drm_mm_insert_node_generic() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.insertNodeGeneric(4096n, { color: 1n, mode: 'low' });
   */
  insertNodeGeneric(size: bigint, options: Omit<InsertOptions, 'range'> = {}): Result<Node<I>> {
    return this.attempt(options.name, (n) => n.insertGeneric(size, options));
  }

  /**
   * Inserts a new node exactly at `[start, start + size)`; ENOSPC unless one hole (colour-adjusted)
   * contains it.
   *
   * Models drm_mm_reserve_node() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.reserveNode(8192n, 4096n);
   */
  reserveNode(start: bigint, size: bigint, color: bigint = 0n, name?: string): Result<Node<I>> {
    return this.attempt(name, (n) => n.reserve(start, size, color));
  }

  /**
   * The holes as `[start, end)` pairs, most recently created first.
   *
   * Models drm_mm_for_each_hole() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.holes(); // { ok: true, value: [[4096n, 8192n]], … }
   */
  holes(): Result<[bigint, bigint][]> {
    const s = this.use();
    return result(s.call({ type: 'drm_mm_holes', mm: s.mm }), (o) => o.holes as [bigint, bigint][]);
  }

  /**
   * The linked nodes in address order (scanned blocks are unlinked and absent).
   *
   * Models drm_mm_for_each_node() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.nodes(); // { ok: true, value: [{ name: 'n1', start: 0n, size: 4096n, color: 0n }], … }
   */
  nodes(): Result<NodeInfo[]> {
    const s = this.use();
    return result(s.call({ type: 'drm_mm_nodes', mm: s.mm }), (o) =>
      (o.nodes as [string, bigint, bigint, bigint][]).map(([name, start, size, color]) => ({ name, start, size, color })),
    );
  }

  /**
   * Whether no node is linked.
   *
   * Models drm_mm_clean() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.clean(); // { ok: true, value: true, … }
   */
  clean(): Result<boolean> {
    const s = this.use();
    return result(s.call({ type: 'drm_mm_clean', mm: s.mm }), (o) => o.clean as boolean);
  }

  /**
   * Runs `fn` with read access to the inner state and to the allocator as the current world has it
   * (no call is logged): the seed thread's `with_inner`.
   *
   * Models reading `struct drm_mm` under its owner's lock (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   a.withInner((inner, mm) => mm.holes().length);
   */
  withInner<R>(fn: (inner: I, mm: MmView) => R): R {
    const s = this.use();
    const view: MmView = {
      holes: () => listHoles(s.kernel.world, s.mm),
      nodes: () => listNodes(s.kernel.world, s.mm),
      info: () => mmInfo(s.kernel.world, s.mm) as MmInfo,
    };
    return fn(s.inner, view);
  }

  /**
   * Starts an eviction scan looking for room for `size` in `range`. Refused (`bug_on`) for an empty
   * range, a size that does not fit it, or while another scan holds blocks.
   *
   * Models drm_mm_scan_init_with_range() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   const s = a.scan({ size: 8192n, mode: 'evict' });
   */
  scan(options: ScanOptions): Result<Scan<I>> {
    const s = this.use();
    const name = options.name ?? freshName(s.kernel, 'scan');
    const [rangeStart, rangeEnd] = options.range ?? [0n, U64_MAX];
    const o = s.call({
      type: 'drm_mm_scan_init_with_range',
      scan: name,
      mm: s.mm,
      size: options.size,
      alignment: options.alignment ?? 0n,
      color: options.color ?? 0n,
      range_start: rangeStart,
      range_end: rangeEnd,
      mode: options.mode ?? 'best',
      ...(options.once === true ? { once: true } : {}),
    });
    return result(o, () => new Scan(s, name));
  }

  /**
   * Drops this handle. When no node handle is left either, the allocator is taken down and the
   * value is true; otherwise no call is made and the value is false.
   *
   * Models drm_mm_takedown() (drivers/gpu/drm/drm_mm.c) on the last reference.
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was already dropped.
   * @example
   *   a.drop(); // { ok: true, value: true, … } when a had no nodes
   */
  drop(): Result<boolean> {
    const s = this.use();
    this.live = false;
    return s.release();
  }
}

/**
 * One node of an allocator: the seed thread's `drm::mm::Node`. It keeps its allocator alive until
 * dropped; dropping it removes it (if allocated) and tells the inner state (`dropObject`).
 *
 * Models `struct drm_mm_node` (include/drm/drm_mm.h).
 *
 * @example
 *   const n = a.insertNode(4096n);
 *   if (n.ok) {
 *     n.value.remove();
 *     n.value.insert(8192n); // the same node, again
 *     n.value.drop();
 *   }
 */
export class Node<I extends object = AllocInner> {
  private live = true;

  private constructor(
    private readonly shared: Shared<I>,
    /** The node's name in the log. */
    readonly name: string,
  ) {}

  /** @internal A handle that takes one reference on `shared`. */
  static create<I extends object>(shared: Shared<I>, name: string): Node<I> {
    const other = shared.handles.get(name);
    if (other !== undefined) throw new DrmstateError('BAD_ARGUMENT', `node "${name}" already has a live handle on "${shared.mm}": use it`);
    const n = new Node(shared, name);
    shared.refs++;
    shared.handles.set(name, n);
    return n;
  }

  /** The kernel this node lives in. */
  get kernel(): Kernel {
    return this.shared.kernel;
  }

  /** The name of the allocator this handle keeps alive. */
  get mm(): string {
    return this.shared.mm;
  }

  /** The node's start (0 before its first insertion; kept after removal). Models `node->start`. */
  get start(): bigint {
    return nodeInfo(this.shared.kernel.world, this.name)?.start ?? 0n;
  }

  /** The node's size (0 before its first insertion; kept after removal). Models `node->size`. */
  get size(): bigint {
    return nodeInfo(this.shared.kernel.world, this.name)?.size ?? 0n;
  }

  /** The node's colour (0 before its first insertion; kept after removal). Models `node->color`. */
  get color(): bigint {
    return nodeInfo(this.shared.kernel.world, this.name)?.color ?? 0n;
  }

  private use(): Shared<I> {
    if (!this.live) throw dropped(`node handle "${this.name}"`);
    return this.shared;
  }

  /**
   * Inserts this node (cleared or removed) by best fit over the whole range; the value is its start.
   *
   * Models drm_mm_insert_node() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   n.insert(4096n); // { ok: true, value: 0n, … }
   */
  insert(size: bigint): Result<bigint> {
    const s = this.use();
    return result(s.call({ type: 'drm_mm_insert_node', mm: s.mm, node: this.name, size }), startOf);
  }

  /**
   * Inserts this node (cleared or removed) per `mode` in `range`; the value is its start.
   *
   * Models drm_mm_insert_node_in_range() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   n.insertInRange(4096n, { range: [8192n, 65536n], mode: 'low' });
   */
  insertInRange(size: bigint, options: InsertOptions = {}): Result<bigint> {
    const s = this.use();
    const [rangeStart, rangeEnd] = options.range ?? [0n, U64_MAX];
    return result(
      s.call({
        type: 'drm_mm_insert_node_in_range',
        mm: s.mm,
        node: this.name,
        size,
        alignment: options.alignment ?? 0n,
        color: options.color ?? 0n,
        range_start: rangeStart,
        range_end: rangeEnd,
        mode: options.mode ?? 'best',
        ...(options.once === true ? { once: true } : {}),
      }),
      startOf,
    );
  }

  /**
   * Inserts this node (cleared or removed) per `mode` over the whole u64 range; the value is its start.
   *
   * Models drm_mm_insert_node_generic() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   n.insertGeneric(4096n, { alignment: 4096n, mode: 'high' });
   */
  insertGeneric(size: bigint, options: Omit<InsertOptions, 'range'> = {}): Result<bigint> {
    const s = this.use();
    return result(
      s.call({
        type: 'drm_mm_insert_node_generic',
        mm: s.mm,
        node: this.name,
        size,
        alignment: options.alignment ?? 0n,
        color: options.color ?? 0n,
        mode: options.mode ?? 'best',
        ...(options.once === true ? { once: true } : {}),
      }),
      startOf,
    );
  }

  /**
   * Inserts this node (cleared or removed) exactly at `[start, start + size)`; the value is `start`.
   *
   * Models drm_mm_reserve_node() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   n.reserve(0n, 4096n); // { ok: true, value: 0n, … }
   */
  reserve(start: bigint, size: bigint, color: bigint = 0n): Result<bigint> {
    const s = this.use();
    return result(s.call({ type: 'drm_mm_reserve_node', mm: s.mm, node: this.name, start, size, color }), () => start);
  }

  /**
   * Removes this node; it keeps its start, size and colour and may be inserted again. Refused
   * (`bug_on`) when it is not allocated, is a scanned block, or a scan is active on its allocator.
   *
   * Models drm_mm_remove_node() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped; `UNKNOWN_OBJECT` when the
   *   kernel has never seen this node.
   * @example
   *   n.remove(); // { ok: true, … }
   */
  remove(): Result {
    this.use();
    return result(this.shared.call({ type: 'drm_mm_remove_node', node: this.name }), unit);
  }

  /**
   * Whether the node is allocated. A node the kernel has never seen is not (no call is logged).
   *
   * Models drm_mm_node_allocated() (include/drm/drm_mm.h).
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was dropped.
   * @example
   *   n.allocated(); // { ok: true, value: true, … }
   */
  allocated(): Result<boolean> {
    const s = this.use();
    if (nodeInfo(s.kernel.world, this.name) === undefined) return { ok: true, value: false, violations: [] };
    return result(s.call({ type: 'drm_mm_node_allocated', node: this.name }), (o) => o.allocated as boolean);
  }

  /**
   * Drops this handle: removes the node if it is allocated, tells the inner state (`dropObject`),
   * and releases its reference on the allocator (the last one takes it down). The value is true
   * when this drop took the allocator down. Refused with nothing changed when the removal is
   * refused (a scanned block: finish the scan first).
   *
   * ABSTRACTION: a node orphaned by a raw drm_mm_takedown is not removed (its allocator is gone).
   *
   * Models drm_mm_remove_node() (drivers/gpu/drm/drm_mm.c) and `AllocInner::drop_object`.
   *
   * @throws {DrmstateError} `BAD_ARGUMENT` when this handle was already dropped.
   * @example
   *   n.drop(); // { ok: true, value: false, … } while the allocator handle lives
   */
  drop(): Result<boolean> {
    const s = this.use();
    const info = nodeInfo(s.kernel.world, this.name);
    const wasAllocated = info !== undefined && info.state !== 'unlinked' && info.state !== 'removed';
    const violations: Violation[] = [];
    if (info !== undefined && (info.state === 'inserted' || info.state === 'scanned')) {
      const r = this.remove();
      if (!r.ok) return r;
      violations.push(...r.violations);
    }
    const last = nodeInfo(s.kernel.world, this.name);
    this.end();
    const notify = (s.inner as AllocInner).dropObject;
    if (typeof notify === 'function') notify.call(s.inner, {
      name: this.name,
      start: last?.start ?? 0n,
      size: last?.size ?? 0n,
      color: last?.color ?? 0n,
      wasAllocated,
    });
    const r = s.release();
    return r.ok ? { ...r, violations: [...violations, ...r.violations] } : r;
  }

  private end(): void {
    this.live = false;
    this.shared.handles.delete(this.name);
  }

  /**
   * @internal Ends a handle that never escaped (a failed insertion): no call, no notification; the
   * allocator handle still holds its own reference.
   */
  discard(): void {
    this.end();
    this.shared.refs--;
  }

  /**
   * The same node seen through a fork of its kernel: a probe whose calls never touch this handle,
   * its allocator or the original kernel.
   *
   * @example
   *   n.probe().remove().ok; // would removal succeed now?
   */
  probe(): Node<I> {
    const shared = new Shared<I>(this.shared.kernel.fork(), this.shared.mm, this.shared.inner);
    shared.refs = this.shared.refs;
    const n = new Node(shared, this.name);
    shared.handles.set(this.name, n);
    return n;
  }
}

/**
 * An eviction scan over one allocator: add candidate blocks until one is found, take every block
 * back in reverse order (the value says which to evict), then remove those nodes and, with a colour
 * gap, the neighbours {@link Scan.colorEvict} names.
 *
 * Models `struct drm_mm_scan` (include/drm/drm_mm.h).
 *
 * @example
 *   const s = a.scan({ size: 8192n });
 *   if (s.ok) {
 *     s.value.addBlock(n1); // { value: false }
 *     s.value.addBlock(n2); // { value: true }: found
 *     s.value.removeBlock(n2); // evict?
 *     s.value.removeBlock(n1);
 *   }
 */
export class Scan<I extends object = AllocInner> {
  /** @internal */
  constructor(
    private readonly shared: Shared<I>,
    /** The scan's name in the log. */
    readonly name: string,
  ) {}

  /**
   * Adds `node` as an eviction candidate; the value says whether a hole now fits. Refused
   * (`bug_on`) for a node that is not allocated, already scanned, or on another allocator.
   *
   * Models drm_mm_scan_add_block() (drivers/gpu/drm/drm_mm.c).
   *
   * @example
   *   scan.addBlock(n); // { ok: true, value: true, … }
   */
  addBlock<J extends object>(node: Node<J>): Result<boolean> {
    return result(this.shared.call({ type: 'drm_mm_scan_add_block', scan: this.name, node: node.name }), (o) => o.found as boolean);
  }

  /**
   * Takes `node` back (reverse order of adding); the value says whether it overlaps the hit and
   * must be evicted. Refused (`bug_on`) out of order, for a block not scanned, or on another allocator.
   *
   * Models drm_mm_scan_remove_block() (drivers/gpu/drm/drm_mm.c).
   *
   * @example
   *   scan.removeBlock(n); // { ok: true, value: true, … }: evict n
   */
  removeBlock<J extends object>(node: Node<J>): Result<boolean> {
    return result(this.shared.call({ type: 'drm_mm_scan_remove_block', scan: this.name, node: node.name }), (o) => o.evict as boolean);
  }

  /**
   * After the evictions: a neighbour of the hit hole that the colour gap still conflicts with (evict
   * it too and ask again), or null.
   *
   * Models drm_mm_scan_color_evict() (drivers/gpu/drm/drm_mm.c).
   *
   * @throws {DrmstateError} `UNKNOWN_OBJECT` when the kernel names a node with no handle here
   *   (one inserted by raw calls).
   * @example
   *   scan.colorEvict(); // { ok: true, value: null, … }
   */
  colorEvict(): Result<Node<I> | null> {
    return result(this.shared.call({ type: 'drm_mm_scan_color_evict', scan: this.name }), (o) => {
      const name = o.node as string | null;
      if (name === null) return null;
      const n = this.shared.handles.get(name);
      if (n === undefined) throw new DrmstateError('UNKNOWN_OBJECT', `node "${name}" has no handle on "${this.shared.mm}"`, { field: 'node' });
      return n;
    });
  }
}
