/**
 * A test-only, mutable port of the drm_mm allocator (drivers/gpu/drm/drm_mm.c, v6.17) on the
 * mutable rbtree port of {@link MTree}: the baseline of the drm_mm workload benchmark, the price of
 * immutability being the persistent protocol's time divided by this one's.
 *
 * Line by line after the kernel's data structures: every node carries its hole (`hole_size`), the
 * holes sit in holes_size (largest first, ties after), in holes_addr (by start, augmented with
 * `subtree_max_hole` through the rotate/copy/propagate callbacks) and on hole_stack (a list, most
 * recent first); node_list is a circular list through the head node. add_hole(), rm_hole(),
 * best_hole(), find_hole_addr(), next_hole_{low,high}_addr(), drm_mm_insert_node_in_range() and
 * drm_mm_remove_node() follow the C.
 *
 * ABSTRACTION (a benchmark baseline, not a model): one allocator; no colour adjustment, no
 * reservation, no eviction scan, no checks of misuse beyond refusing an insert of an allocated
 * node or a remove of an unallocated one. u64 values are JavaScript numbers, so every value must
 * stay below 2^53 ({@link toMutableCall} refuses others), and the head node's wrapped size is not
 * stored: its hole starts at the range start.
 */
import type { Event } from '../../src/world/Event.js';
import { type MAugment, MNode, MTree, mFirst, mNext, mPrev } from './mutableRbtree.js';

/** One `struct drm_mm_node` (and the head node). */
class DNode {
  start = 0;
  size = 0;
  color = 0;
  allocated = false;
  /** `hole_size`; `subtree_max_hole` is `rbAddr.max`. */
  holeSize = 0;
  /** node_list. */
  prev: DNode = this;
  next: DNode = this;
  /** hole_stack. */
  stackPrev: DNode | null = null;
  stackNext: DNode | null = null;
  readonly rbSize: MNode<DNode> = new MNode<DNode>(this);
  readonly rbAddr: MNode<DNode> = new MNode<DNode>(this);
}

/** A call with its fields read (numbers), as the C is called. */
export type MutableCall =
  | { readonly op: 'init'; readonly start: number; readonly size: number }
  | {
      readonly op: 'insert';
      readonly node: string;
      readonly size: number;
      readonly alignment: number;
      readonly color: number;
      readonly rangeStart: number;
      readonly rangeEnd: number;
      /** 0 best, 1 low, 2 high, 3 evict. */
      readonly mode: number;
      readonly once: boolean;
    }
  | { readonly op: 'remove'; readonly node: string };

const MODE: Readonly<Record<string, number>> = { best: 0, low: 1, high: 2, evict: 3 };
const LIMIT = 2 ** 53;

function num(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n >= LIMIT) throw new Error(`mutable drm_mm: ${String(v)} is not a u64 below 2^53`);
  return n;
}

/** Reads a drm_mm_init, drm_mm_insert_node_in_range or drm_mm_remove_node event for the port. */
export function toMutableCall(e: Event): MutableCall {
  const f = e as Record<string, unknown>;
  switch (e.type) {
    case 'drm_mm_init':
      return { op: 'init', start: num(f.start), size: num(f.size) };
    case 'drm_mm_insert_node_in_range':
      return {
        op: 'insert',
        node: f.node as string,
        size: num(f.size),
        alignment: num(f.alignment),
        color: num(f.color),
        rangeStart: num(f.range_start),
        rangeEnd: num(f.range_end),
        mode: MODE[f.mode as string] ?? 0,
        once: f.once === true,
      };
    case 'drm_mm_remove_node':
      return { op: 'remove', node: f.node as string };
    default:
      throw new Error(`mutable drm_mm: ${e.type} is not supported`);
  }
}

function computeMax(n: MNode<DNode>): number {
  let m = n.weight;
  if (n.left && n.left.max > m) m = n.left.max;
  if (n.right && n.right.max > m) m = n.right.max;
  return m;
}

/** RB_DECLARE_CALLBACKS_MAX(…, subtree_max_hole, HOLE_SIZE) of drm_mm.c. */
const AUGMENT: MAugment<DNode> = {
  propagate(node, stop) {
    let n = node;
    while (n !== stop && n !== null) {
      const m = computeMax(n);
      if (n.max === m) break;
      n.max = m;
      n = n.parent;
    }
  },
  copy(old, nu) {
    nu.max = old.max;
  },
  rotate(old, nu) {
    nu.max = old.max;
    old.max = computeMax(old);
  },
};

/** One mutable `struct drm_mm`. */
export class MutableDrmMm {
  private start = 0;
  private head = new DNode();
  private holesSize = new MTree<DNode>();
  private holesAddr = new MTree<DNode>(AUGMENT);
  /** hole_stack's list head (a sentinel). */
  private stack = new DNode();
  private readonly nodes = new Map<string, DNode>();

  /** Answers one call: an insertion's start or -1 for -ENOSPC, 0 for the others, -2 for a refused misuse. */
  call(c: MutableCall): number {
    switch (c.op) {
      case 'init':
        this.init(c.start, c.size);
        return 0;
      case 'insert': {
        let node = this.nodes.get(c.node);
        if (node === undefined) {
          node = new DNode();
          this.nodes.set(c.node, node);
        }
        if (node.allocated) return -2;
        return this.insert(node, c.size, c.alignment, c.color, c.rangeStart, c.rangeEnd, c.mode, c.once) ? node.start : -1;
      }
      case 'remove': {
        const node = this.nodes.get(c.node);
        if (node === undefined || !node.allocated) return -2;
        this.remove(node);
        return 0;
      }
    }
  }

  /** drm_mm_init(). */
  init(start: number, size: number): void {
    this.start = start;
    this.head = new DNode();
    this.head.start = start + size;
    this.holesSize = new MTree<DNode>();
    this.holesAddr = new MTree<DNode>(AUGMENT);
    this.stack = new DNode();
    this.stack.stackNext = this.stack.stackPrev = this.stack;
    this.nodes.clear();
    this.addHole(this.head);
  }

  /** `__drm_mm_hole_node_start()`: the head's hole starts at the range start. */
  private holeStart(n: DNode): number {
    return n === this.head ? this.start : n.start + n.size;
  }

  private insertHoleSize(node: DNode): void {
    const x = node.holeSize;
    let link = this.holesSize.root;
    let rb: MNode<DNode> | null = null;
    let left = false;
    while (link) {
      rb = link;
      left = x > rb.key;
      link = left ? rb.left : rb.right;
    }
    node.rbSize.key = x;
    this.holesSize.link(node.rbSize, rb, left);
  }

  private insertHoleAddr(node: DNode): void {
    const start = this.holeStart(node);
    const max = node.holeSize;
    let link = this.holesAddr.root;
    let rb: MNode<DNode> | null = null;
    let left = false;
    while (link) {
      rb = link;
      if (rb.max < max) rb.max = max;
      left = start < rb.key;
      link = left ? rb.left : rb.right;
    }
    const a = node.rbAddr;
    a.key = start;
    a.weight = max;
    a.max = max;
    this.holesAddr.link(a, rb, left);
  }

  private addHole(node: DNode): void {
    node.holeSize = node.next.start - this.holeStart(node);
    this.insertHoleSize(node);
    this.insertHoleAddr(node);
    // list_add(&node->hole_stack, &mm->hole_stack).
    const s = this.stack;
    node.stackNext = s.stackNext;
    node.stackPrev = s;
    (s.stackNext as DNode).stackPrev = node;
    s.stackNext = node;
  }

  private rmHole(node: DNode): void {
    (node.stackPrev as DNode).stackNext = node.stackNext;
    (node.stackNext as DNode).stackPrev = node.stackPrev;
    node.stackPrev = node.stackNext = null;
    this.holesSize.erase(node.rbSize);
    this.holesAddr.erase(node.rbAddr);
    node.holeSize = 0;
    node.rbAddr.weight = node.rbAddr.max = 0;
  }

  private bestHole(size: number): DNode | null {
    let rb = this.holesSize.root;
    let best: DNode | null = null;
    while (rb) {
      if (size <= rb.key) {
        best = rb.item;
        rb = rb.right;
      } else rb = rb.left;
    }
    return best;
  }

  private findHoleAddr(addr: number, size: number): DNode | null {
    let rb = this.holesAddr.root;
    let node: DNode | null = null;
    while (rb) {
      if (rb.max < size) break;
      node = rb.item;
      const hs = rb.key;
      if (addr < hs) rb = rb.left;
      else if (addr > hs + rb.weight) rb = rb.right;
      else break;
    }
    return node;
  }

  private firstHole(start: number, end: number, size: number, mode: number): DNode | null {
    switch (mode) {
      case 1:
        return this.findHoleAddr(start, size);
      case 2:
        return this.findHoleAddr(end, size);
      case 3:
        return this.stack.stackNext === this.stack ? null : this.stack.stackNext;
      default:
        return this.bestHole(size);
    }
  }

  private nextHole(node: DNode, size: number, mode: number): DNode | null {
    switch (mode) {
      case 1:
      case 2: {
        // DECLARE_NEXT_HOLE_ADDR: low walks right-then-left, high left-then-right.
        const low = mode === 1;
        let rb: MNode<DNode> = node.rbAddr;
        const first = low ? rb.right : rb.left;
        if (first && first.max >= size) {
          rb = first;
          for (;;) {
            const last: MNode<DNode> | null = low ? rb.left : rb.right;
            if (!last || last.max < size) break;
            rb = last;
          }
          return rb.item;
        }
        let parent = rb.parent;
        while (parent && rb === (low ? parent.right : parent.left)) {
          rb = parent;
          parent = rb.parent;
        }
        return parent ? parent.item : null;
      }
      case 3: {
        const n = node.stackNext as DNode;
        return n === this.stack ? null : n;
      }
      default: {
        const p = mPrev(node.rbSize);
        return p ? p.item : null;
      }
    }
  }

  /** drm_mm_insert_node_in_range() without colour adjustment. */
  insert(node: DNode, size: number, alignment: number, color: number, rangeStart: number, rangeEnd: number, mode: number, once: boolean): boolean {
    if (size === 0 || rangeEnd - rangeStart < size) return false;
    const largest = mFirst(this.holesSize.root);
    if ((largest ? largest.item.holeSize : 0) < size) return false;
    const align = alignment <= 1 ? 0 : alignment;
    for (let hole = this.firstHole(rangeStart, rangeEnd, size, mode); hole; hole = once ? null : this.nextHole(hole, size, mode)) {
      const holeStart = this.holeStart(hole);
      const holeEnd = holeStart + hole.holeSize;
      if (mode === 1 && holeStart >= rangeEnd) break;
      if (mode === 2 && holeEnd <= rangeStart) break;
      const colStart = holeStart;
      const colEnd = holeEnd;
      let adjStart = Math.max(colStart, rangeStart);
      const adjEnd = Math.min(colEnd, rangeEnd);
      if (adjEnd <= adjStart || adjEnd - adjStart < size) continue;
      if (mode === 2) adjStart = adjEnd - size;
      if (align) {
        // Exact on integers below 2^53 for powers of two and others alike.
        const rem = adjStart % align;
        if (rem) {
          adjStart -= rem;
          if (mode !== 2) adjStart += align;
          if (adjStart < Math.max(colStart, rangeStart) || Math.min(colEnd, rangeEnd) - adjStart < size) continue;
          if (adjEnd <= adjStart || adjEnd - adjStart < size) continue;
        }
      }
      node.size = size;
      node.start = adjStart;
      node.color = color;
      node.holeSize = 0;
      node.allocated = true;
      // list_add(&node->node_list, &hole->node_list).
      node.prev = hole;
      node.next = hole.next;
      hole.next.prev = node;
      hole.next = node;
      this.rmHole(hole);
      if (adjStart > holeStart) this.addHole(hole);
      if (adjStart + size < holeEnd) this.addHole(node);
      return true;
    }
    return false;
  }

  /** drm_mm_remove_node(). */
  remove(node: DNode): void {
    const prev = node.prev;
    if (node.holeSize) this.rmHole(node);
    node.prev.next = node.next;
    node.next.prev = node.prev;
    if (prev.holeSize) this.rmHole(prev);
    this.addHole(prev);
    node.allocated = false;
  }

  /** The holes as `[start, end]` in hole_stack order (for tests). */
  holes(): [number, number][] {
    const out: [number, number][] = [];
    for (let n = this.stack.stackNext as DNode; n !== this.stack; n = n.stackNext as DNode) out.push([this.holeStart(n), this.holeStart(n) + n.holeSize]);
    return out;
  }

  /** The holes in address order (rb_next over holes_addr, for tests). */
  holesByAddr(): number[] {
    const out: number[] = [];
    for (let n = mFirst(this.holesAddr.root); n; n = mNext(n)) out.push(this.holeStart(n.item));
    return out;
  }
}
