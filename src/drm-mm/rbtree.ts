import { type Hash64, ZERO_HASH } from '../world/hash.js';

/**
 * A persistent, path-copying red-black tree whose insert and erase rebalance exactly as the
 * kernel's `lib/rbtree.c` does, so that tree shapes (and with them every shape-dependent answer of
 * drm_mm) agree with the kernel's.
 *
 * Models rb_insert_color(), rb_erase() and their augmented variants (lib/rbtree.c,
 * include/linux/rbtree_augmented.h).
 *
 * ABSTRACTION: a persistent node has no parent pointer. One operation copies the nodes it touches
 * (the path from the root plus the siblings that rotations move), records parents for those copies
 * only, mutates the copies in place exactly as the C code mutates its nodes, and then freezes them.
 * Augmented values (`max`) and structural hashes (`hash`) are recomputed bottom-up for the copies:
 * the kernel's propagate/copy/rotate callbacks leave every node's augmented value equal to the
 * maximum over its subtree, so recomputing gives the same values.
 */

/** One node of a persistent tree. Never mutated once an operation has returned it. */
export interface RbNode<T> {
  readonly item: T;
  readonly left: RbNode<T> | null;
  readonly right: RbNode<T> | null;
  /** `rb_is_red()`. */
  readonly red: boolean;
  /** The largest `weight` in this subtree (drm_mm's `subtree_max_hole`). */
  readonly max: bigint;
  /** Structural hash of this subtree: items, colours and shape. */
  readonly hash: Hash64;
}

/** How one tree orders, weighs and hashes its items. */
export interface RbKind<T, K> {
  /** The insertion descent: true to go left of `at` (the C `link = &parent->rb_left`). */
  readonly goLeft: (item: T, at: T) => boolean;
  /** Exact lookup: negative when `key` lies left of `at`, positive right, 0 when `at` is it. */
  readonly cmp: (key: K, at: T) => number;
  /** The augmented weight of an item (0n for unaugmented trees). */
  readonly weight: (item: T) => bigint;
  /** The hash of an item, or undefined for trees whose shape need not be hashed. */
  readonly itemHash?: (item: T) => Hash64;
}

interface WNode<T> {
  item: T;
  left: WNode<T> | null;
  right: WNode<T> | null;
  red: boolean;
  max: bigint;
  hash: Hash64;
  /** The operation that owns this node (mutable only while that operation runs). */
  op: number;
  /** Parent, valid only while the owning operation runs. */
  p: WNode<T> | null;
}

let opCounter = 1;

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function nodeHash(item: Hash64, red: boolean, l: Hash64, r: Hash64): Hash64 {
  const c = red ? 0x5bd1e995 : 0x1b873593;
  return {
    lo: mix(mix(mix(item.lo ^ c, l.lo), r.lo), l.hi ^ 0x27d4eb2f),
    hi: mix(mix(mix(item.hi + c, l.hi), r.hi), r.lo ^ 0x165667b1),
  };
}

/** One insert or erase: the copy-on-write workspace that mirrors the C code's pointer writes. */
class Op<T, K> {
  readonly id = opCounter++;
  root: WNode<T> | null;

  constructor(
    readonly kind: RbKind<T, K>,
    root: RbNode<T> | null,
  ) {
    this.root = root as WNode<T> | null;
  }

  private clone(n: WNode<T>, p: WNode<T> | null): WNode<T> {
    return { item: n.item, left: n.left, right: n.right, red: n.red, max: n.max, hash: n.hash, op: this.id, p };
  }

  ownRoot(): WNode<T> | null {
    const r = this.root;
    if (r === null || r.op === this.id) return r;
    this.root = this.clone(r, null);
    return this.root;
  }

  /** The child on `side` of the owned node `p`, copied into this operation if needed. */
  own(p: WNode<T>, side: 'left' | 'right'): WNode<T> | null {
    const c = p[side];
    if (c === null) return null;
    if (c.op === this.id) return c;
    const copy = this.clone(c, p);
    p[side] = copy;
    return copy;
  }

  private changeChild(old: WNode<T>, nu: WNode<T> | null, parent: WNode<T> | null): void {
    if (parent !== null) {
      if (parent.left === old) parent.left = nu;
      else parent.right = nu;
    } else this.root = nu;
  }

  /** `__rb_rotate_set_parents`: `nu` takes `old`'s place and colour; `old` goes under `nu`. */
  private rotateSetParents(old: WNode<T>, nu: WNode<T>, red: boolean): void {
    const parent = old.p;
    nu.p = old.p;
    nu.red = old.red;
    old.p = nu;
    old.red = red;
    this.changeChild(old, nu, parent);
  }

  /** Models __rb_insert() (lib/rbtree.c) for a red node just linked under its parent. */
  insertColor(n: WNode<T>): void {
    let node = n;
    let parent = node.p;
    for (;;) {
      if (parent === null) {
        node.p = null;
        node.red = false;
        break;
      }
      if (!parent.red) break;
      const gparent = parent.p as WNode<T>;
      let tmp = gparent.right;
      if (parent !== tmp) {
        // KERNEL: parent is gparent's left child.
        tmp = this.own(gparent, 'right');
        if (tmp !== null && tmp.red) {
          // KERNEL: case 1, the uncle is red: flip colours and recurse at the grandparent.
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.p;
          node.red = true;
          continue;
        }
        tmp = parent.right;
        if (node === tmp) {
          // KERNEL: case 2, left rotate at parent.
          tmp = this.own(node, 'left');
          parent.right = tmp;
          node.left = parent;
          if (tmp !== null) {
            tmp.p = parent;
            tmp.red = false;
          }
          parent.p = node;
          parent.red = true;
          parent = node;
          tmp = this.own(node, 'right');
        } else tmp = this.own(parent, 'right');
        // KERNEL: case 3, right rotate at gparent.
        gparent.left = tmp;
        parent.right = gparent;
        if (tmp !== null) {
          tmp.p = gparent;
          tmp.red = false;
        }
        this.rotateSetParents(gparent, parent, true);
        break;
      } else {
        tmp = this.own(gparent, 'left');
        if (tmp !== null && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.p;
          node.red = true;
          continue;
        }
        tmp = parent.left;
        if (node === tmp) {
          tmp = this.own(node, 'right');
          parent.left = tmp;
          node.right = parent;
          if (tmp !== null) {
            tmp.p = parent;
            tmp.red = false;
          }
          parent.p = node;
          parent.red = true;
          parent = node;
          tmp = this.own(node, 'left');
        } else tmp = this.own(parent, 'left');
        gparent.right = tmp;
        parent.left = gparent;
        if (tmp !== null) {
          tmp.p = gparent;
          tmp.red = false;
        }
        this.rotateSetParents(gparent, parent, true);
        break;
      }
    }
  }

  /** Models ____rb_erase_color() (lib/rbtree.c). */
  private eraseColor(start: WNode<T>): void {
    let parent: WNode<T> = start;
    let node: WNode<T> | null = null;
    for (;;) {
      let sibling = parent.right;
      if (node !== sibling) {
        // KERNEL: node is parent's left child.
        sibling = this.own(parent, 'right') as WNode<T>;
        let tmp1: WNode<T> | null;
        let tmp2: WNode<T> | null;
        if (sibling.red) {
          // KERNEL: case 1, left rotate at parent.
          tmp1 = this.own(sibling, 'left') as WNode<T>;
          parent.right = tmp1;
          sibling.left = parent;
          tmp1.p = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          sibling = tmp1;
        }
        tmp1 = this.own(sibling, 'right');
        if (tmp1 === null || !tmp1.red) {
          tmp2 = this.own(sibling, 'left');
          if (tmp2 === null || !tmp2.red) {
            // KERNEL: case 2, sibling colour flip.
            sibling.p = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.p;
              if (up !== null) {
                parent = up;
                continue;
              }
            }
            break;
          }
          // KERNEL: case 3, right rotate at sibling.
          tmp1 = this.own(tmp2, 'right');
          sibling.left = tmp1;
          tmp2.right = sibling;
          parent.right = tmp2;
          if (tmp1 !== null) {
            tmp1.p = sibling;
            tmp1.red = false;
          }
          tmp2.p = parent;
          sibling.p = tmp2;
          tmp1 = sibling;
          sibling = tmp2;
        }
        // KERNEL: case 4, left rotate at parent plus colour flips.
        tmp2 = this.own(sibling, 'left');
        parent.right = tmp2;
        sibling.left = parent;
        (tmp1 as WNode<T>).p = sibling;
        (tmp1 as WNode<T>).red = false;
        if (tmp2 !== null) tmp2.p = parent;
        this.rotateSetParents(parent, sibling, false);
        break;
      } else {
        sibling = this.own(parent, 'left') as WNode<T>;
        let tmp1: WNode<T> | null;
        let tmp2: WNode<T> | null;
        if (sibling.red) {
          tmp1 = this.own(sibling, 'right') as WNode<T>;
          parent.left = tmp1;
          sibling.right = parent;
          tmp1.p = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          sibling = tmp1;
        }
        tmp1 = this.own(sibling, 'left');
        if (tmp1 === null || !tmp1.red) {
          tmp2 = this.own(sibling, 'right');
          if (tmp2 === null || !tmp2.red) {
            sibling.p = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.p;
              if (up !== null) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = this.own(tmp2, 'left');
          sibling.right = tmp1;
          tmp2.left = sibling;
          parent.left = tmp2;
          if (tmp1 !== null) {
            tmp1.p = sibling;
            tmp1.red = false;
          }
          tmp2.p = parent;
          sibling.p = tmp2;
          tmp1 = sibling;
          sibling = tmp2;
        }
        tmp2 = this.own(sibling, 'right');
        parent.left = tmp2;
        sibling.right = parent;
        (tmp1 as WNode<T>).p = sibling;
        (tmp1 as WNode<T>).red = false;
        if (tmp2 !== null) tmp2.p = parent;
        this.rotateSetParents(parent, sibling, false);
        break;
      }
    }
  }

  /** Models __rb_erase_augmented() then __rb_erase_color() (rbtree_augmented.h, rbtree.c). */
  erase(node: WNode<T>): void {
    const child = this.own(node, 'right');
    let tmp = this.own(node, 'left');
    let rebalance: WNode<T> | null;
    if (tmp === null) {
      // KERNEL: case 1, at most one child (the right one).
      const parent = node.p;
      this.changeChild(node, child, parent);
      if (child !== null) {
        child.p = parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
    } else if (child === null) {
      // KERNEL: still case 1, the only child is the left one.
      const parent = node.p;
      tmp.p = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
      rebalance = null;
    } else {
      let successor: WNode<T> = child;
      let parent: WNode<T>;
      let child2: WNode<T> | null;
      tmp = this.own(child, 'left');
      if (tmp === null) {
        // KERNEL: case 2, the successor is the right child.
        parent = successor;
        child2 = this.own(successor, 'right');
      } else {
        // KERNEL: case 3, the successor is leftmost under the right child.
        do {
          parent = successor;
          successor = tmp;
          tmp = this.own(tmp, 'left');
        } while (tmp !== null);
        child2 = this.own(successor, 'right');
        parent.left = child2;
        successor.right = child;
        child.p = successor;
      }
      tmp = node.left as WNode<T>;
      successor.left = tmp;
      tmp.p = successor;
      const up = node.p;
      this.changeChild(node, successor, up);
      if (child2 !== null) {
        child2.p = parent;
        child2.red = false;
        rebalance = null;
      } else rebalance = successor.red ? null : parent;
      successor.p = up;
      successor.red = node.red;
    }
    if (rebalance !== null) this.eraseColor(rebalance);
  }

  /** Recomputes augmented values and hashes of this operation's nodes, then freezes them. */
  finish(): RbNode<T> | null {
    const id = this.id;
    const kind = this.kind;
    const fix = (n: WNode<T> | null): void => {
      if (n === null || n.op !== id) return;
      fix(n.left);
      fix(n.right);
      let m = kind.weight(n.item);
      if (n.left !== null && n.left.max > m) m = n.left.max;
      if (n.right !== null && n.right.max > m) m = n.right.max;
      n.max = m;
      if (kind.itemHash !== undefined)
        n.hash = nodeHash(kind.itemHash(n.item), n.red, n.left?.hash ?? ZERO_HASH, n.right?.hash ?? ZERO_HASH);
      n.p = null;
      n.op = 0;
    };
    fix(this.root);
    return this.root;
  }
}

/**
 * Inserts `item`: the kernel's descent (`kind.goLeft`), rb_link_node(), then rb_insert_color().
 *
 * Returns the new root; the old root stays valid.
 */
export function rbInsert<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null, item: T): RbNode<T> {
  const op = new Op(kind, root);
  const fresh: WNode<T> = { item, left: null, right: null, red: true, max: 0n, hash: ZERO_HASH, op: op.id, p: null };
  let cur = op.ownRoot();
  if (cur === null) op.root = fresh;
  else {
    for (;;) {
      const side = kind.goLeft(item, cur.item) ? 'left' : 'right';
      if (cur[side] === null) {
        cur[side] = fresh;
        fresh.p = cur;
        break;
      }
      cur = op.own(cur, side) as WNode<T>;
    }
  }
  op.insertColor(fresh);
  return op.finish() as RbNode<T>;
}

/**
 * Erases the item found by `key` with the kernel's rb_erase() (successor splicing, then
 * ____rb_erase_color()). Returns the new root, or the same root when `key` is absent.
 */
export function rbErase<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null, key: K): RbNode<T> | null {
  if (rbFind(kind, root, key) === undefined) return root;
  const op = new Op(kind, root);
  let cur = op.ownRoot() as WNode<T>;
  for (;;) {
    const c = kind.cmp(key, cur.item);
    if (c === 0) break;
    cur = op.own(cur, c < 0 ? 'left' : 'right') as WNode<T>;
  }
  op.erase(cur);
  return op.finish();
}

/** The item found by `key`, or undefined. */
export function rbFind<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null, key: K): T | undefined {
  let n = root;
  while (n !== null) {
    const c = kind.cmp(key, n.item);
    if (c === 0) return n.item;
    n = c < 0 ? n.left : n.right;
  }
  return undefined;
}

/** The in-order neighbours of the item found by `key`: `prev` (rb_prev) and `next` (rb_next). */
export function rbNeighbours<T, K>(
  kind: RbKind<T, K>,
  root: RbNode<T> | null,
  key: K,
): { prev: T | undefined; next: T | undefined; found: boolean } {
  let prev: T | undefined;
  let next: T | undefined;
  let n = root;
  while (n !== null) {
    const c = kind.cmp(key, n.item);
    if (c === 0) {
      if (n.left !== null) {
        let m = n.left;
        while (m.right !== null) m = m.right;
        prev = m.item;
      }
      if (n.right !== null) {
        let m = n.right;
        while (m.left !== null) m = m.left;
        next = m.item;
      }
      return { prev, next, found: true };
    }
    if (c < 0) {
      next = n.item;
      n = n.left;
    } else {
      prev = n.item;
      n = n.right;
    }
  }
  return { prev, next, found: false };
}

/** The first item in order (rb_first), or undefined. */
export function rbFirst<T>(root: RbNode<T> | null): T | undefined {
  let n = root;
  if (n === null) return undefined;
  while (n.left !== null) n = n.left;
  return n.item;
}

/** Every item in order (O(n)). */
export function* rbItems<T>(root: RbNode<T> | null): Generator<T> {
  const stack: RbNode<T>[] = [];
  let n = root;
  while (n !== null || stack.length > 0) {
    while (n !== null) {
      stack.push(n);
      n = n.left;
    }
    const top = stack.pop() as RbNode<T>;
    yield top.item;
    n = top.right;
  }
}

/** The number of nodes (O(n)). */
export function rbCount<T>(root: RbNode<T> | null): number {
  let c = 0;
  for (const _ of rbItems(root)) c++;
  return c;
}

/** A tree's shape for snapshots: `[item, red, left, right]` in preorder, null for no node. */
export type RbShape<S> = null | readonly [S, boolean, RbShape<S>, RbShape<S>];

/** Serialises a tree with its exact shape and colours. */
export function rbToShape<T, S>(root: RbNode<T> | null, enc: (item: T) => S): RbShape<S> {
  if (root === null) return null;
  return [enc(root.item), root.red, rbToShape(root.left, enc), rbToShape(root.right, enc)];
}

/** Rebuilds a tree from {@link rbToShape}'s data, recomputing augmented values and hashes. */
export function rbFromShape<T, K, S>(kind: RbKind<T, K>, shape: RbShape<S>, dec: (s: S) => T): RbNode<T> | null {
  if (shape === null) return null;
  const left = rbFromShape(kind, shape[2], dec);
  const right = rbFromShape(kind, shape[3], dec);
  const item = dec(shape[0]);
  let m = kind.weight(item);
  if (left !== null && left.max > m) m = left.max;
  if (right !== null && right.max > m) m = right.max;
  const hash =
    kind.itemHash !== undefined ? nodeHash(kind.itemHash(item), shape[1], left?.hash ?? ZERO_HASH, right?.hash ?? ZERO_HASH) : ZERO_HASH;
  const n: WNode<T> = { item, left: left as WNode<T> | null, right: right as WNode<T> | null, red: shape[1], max: m, hash, op: 0, p: null };
  return n;
}

/** The black height if `root` satisfies every red-black property and its order, else -1. */
export function rbCheck<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null): number {
  if (root !== null && root.red) return -1;
  const walk = (n: RbNode<T> | null): number => {
    if (n === null) return 1;
    if (n.red && ((n.left?.red ?? false) || (n.right?.red ?? false))) return -1;
    if (n.left !== null && kind.goLeft(n.left.item, n.item) === false && kind.goLeft(n.item, n.left.item)) return -1;
    const l = walk(n.left);
    const r = walk(n.right);
    if (l < 0 || r < 0 || l !== r) return -1;
    let m = kind.weight(n.item);
    if (n.left !== null && n.left.max > m) m = n.left.max;
    if (n.right !== null && n.right.max > m) m = n.right.max;
    if (m !== n.max) return -1;
    return l + (n.red ? 0 : 1);
  };
  return walk(root);
}
