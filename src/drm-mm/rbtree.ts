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
 *
 * An edit session, which keeps only its last version (replay), asks for transactions in place: the
 * nodes stay owned, with exact parent links, from one transaction to the next, so that a node is
 * copied once per session instead of once per update, as immutable.js's `withMutations` does.
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
  /**
   * False for trees whose weight is always 0n: their `max` stays 0n and is never recomputed
   * (a hot path: BigInt comparisons per copied node).
   */
  readonly augmented?: boolean;
  /** The hash of an item, or undefined for trees whose shape need not be hashed. */
  readonly itemHash?: (item: T) => Hash64;
}

/**
 * The one node representation (a class, so that every node has the same hidden class and copying
 * one allocates a single object). The structural hash is kept inline as two uint32 lanes.
 */
class WNode<T> implements RbNode<T> {
  constructor(
    public item: T,
    public left: ONode<T> | null,
    public right: ONode<T> | null,
    public red: boolean,
    public max: bigint,
    /** Structural hash, low lane, as an int32. */
    public hl: number,
    /** Structural hash, high lane, as an int32. */
    public hh: number,
    /** See {@link ONode.p}. */
    public p: ONode<T> | null | undefined,
    /**
     * While a transaction runs, its token on the nodes it owns: finish() recomputes `max` and `hash`
     * of exactly the nodes that carry its token (the nodes it copied, created or, in place, reached
     * through its descent and rotations), then clears it.
     */
    public ep: object | undefined,
  ) {}

  get hash(): Hash64 {
    return { lo: this.hl >>> 0, hi: this.hh >>> 0 };
  }
}

/**
 * A node of a tree with neither augmented values nor hashes (node_list, holes_size, hole_stack):
 * three fields fewer than {@link WNode}, which matters at 10^6 nodes.
 */
class PNode<T> implements RbNode<T> {
  constructor(
    public item: T,
    public left: ONode<T> | null,
    public right: ONode<T> | null,
    public red: boolean,
    /** See {@link ONode.p}. */
    public p: ONode<T> | null | undefined,
  ) {}

  get max(): bigint {
    return 0n;
  }

  get hash(): Hash64 {
    return ZERO_HASH;
  }
}

/** What an operation reads and writes on either node class. */
interface ONode<T> extends RbNode<T> {
  item: T;
  left: ONode<T> | null;
  right: ONode<T> | null;
  red: boolean;
  /**
   * Ownership and parent in one field: `undefined` once frozen (never mutated again); while the
   * operation that created the copy runs, its parent (null for the root). Hence at most one open
   * operation per tree version at a time (every update finishes before its call returns). In place
   * (an edit session's transactions, see {@link RbTxn}) the field keeps the exact parent between
   * transactions, until {@link rbFreeze}.
   */
  p: ONode<T> | null | undefined;
}

/** Whether a tree has neither augmented values nor hashes: its nodes are {@link PNode}s. */
function isPlain<T, K>(kind: RbKind<T, K>): boolean {
  return kind.augmented === false && kind.itemHash === undefined;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const RED_C = 0x5bd1e995;
const BLACK_C = 0x1b873593;

/** Computes a node's structural hash from its item, colour and children (which must be final). */
function setNodeHash<T>(n: WNode<T>, item: Hash64): void {
  const c = n.red ? RED_C : BLACK_C;
  // In a hashed tree every node is a WNode.
  const l = n.left as WNode<T> | null;
  const r = n.right as WNode<T> | null;
  // Children built by foreign code (tests) may lack the inline lanes: read them through `hash`.
  const llo = l === null ? 0 : l.hl ?? l.hash.lo;
  const lhi = l === null ? 0 : l.hh ?? l.hash.hi;
  const rlo = r === null ? 0 : r.hl ?? r.hash.lo;
  const rhi = r === null ? 0 : r.hh ?? r.hash.hi;
  // Stored as int32 so that the lanes stay small integers in the node (a uint32 above 2^31 would be
  // boxed); mix() reads its inputs mod 2^32, so the lanes are the same either way.
  n.hl = mix(mix(mix(item.lo ^ c, llo), rlo), lhi ^ 0x27d4eb2f) | 0;
  n.hh = mix(mix(mix(item.hi + c, lhi), rhi), rlo ^ 0x165667b1) | 0;
}

/** Recomputes `max` of a node from its weight and its children's. */
function setNodeMax<T, K>(kind: RbKind<T, K>, n: WNode<T>): void {
  let m = kind.weight(n.item);
  const l = n.left;
  const r = n.right;
  if (l !== null && l.max > m) m = l.max;
  if (r !== null && r.max > m) m = r.max;
  n.max = m;
}

/**
 * Post-order fix-up of the nodes the transaction `token` owns: augmented values, hashes, then
 * freezing (unless `keep`: in place, they stay owned for the next transaction).
 */
function fixOwned<T, K>(
  kind: RbKind<T, K>,
  o: ONode<T> | null,
  augmented: boolean,
  itemHash: ((item: T) => Hash64) | undefined,
  token: object,
  keep: boolean,
): void {
  // Trees that are augmented or hashed are made of WNodes only.
  const n = o as WNode<T> | null;
  if (n === null || n.ep !== token) return;
  fixOwned(kind, n.left, augmented, itemHash, token, keep);
  fixOwned(kind, n.right, augmented, itemHash, token, keep);
  if (augmented) setNodeMax(kind, n);
  if (itemHash !== undefined) setNodeHash(n, itemHash(n.item));
  // The mark has done its work: dropped, so that no node keeps its transaction's token alive.
  n.ep = undefined;
  if (!keep) n.p = undefined;
}

/** The parent of a node the running operation owns (never undefined for those). */
function parentOf<T>(n: ONode<T>): ONode<T> | null {
  return n.p as ONode<T> | null;
}

/** One insert or erase: the copy-on-write workspace that mirrors the C code's pointer writes. */
class Op<T, K> {
  root: ONode<T> | null;
  /** Whether the tree has neither augmented values nor hashes (its nodes are {@link PNode}s). */
  private readonly plain: boolean;
  /**
   * For plain trees: the nodes this operation created, so that finish() freezes them without
   * walking the tree (which would touch every copy's siblings). Null in place (see {@link RbTxn}).
   */
  private readonly owned: ONode<T>[] | null;
  /** Whether owned nodes stay owned after finish() (see {@link RbTxn}'s `inPlace`). */
  private readonly inPlace: boolean;
  /** For augmented or hashed trees: the mark of the nodes finish() recomputes ({@link WNode.ep}). */
  private readonly token: object | undefined;
  /** Whether nodes already owned are marked as they are reached (in place, augmented or hashed). */
  private readonly mark: boolean;

  constructor(
    readonly kind: RbKind<T, K>,
    root: RbNode<T> | null,
    inPlace: boolean,
  ) {
    this.root = root as ONode<T> | null;
    this.plain = isPlain(kind);
    this.inPlace = inPlace;
    this.owned = this.plain && !inPlace ? [] : null;
    this.token = this.plain ? undefined : {};
    this.mark = inPlace && !this.plain;
  }

  private clone(n: ONode<T>, p: ONode<T> | null): ONode<T> {
    if (this.plain) {
      const c = new PNode(n.item, n.left, n.right, n.red, p);
      this.owned?.push(c);
      return c;
    }
    const w = n as WNode<T>;
    return new WNode(w.item, w.left, w.right, w.red, w.max, w.hl, w.hh, p, this.token);
  }

  /** A new red node for `item`, owned by this operation. */
  fresh(item: T): ONode<T> {
    if (this.plain) {
      const c = new PNode<T>(item, null, null, true, null);
      this.owned?.push(c);
      return c;
    }
    return new WNode<T>(item, null, null, true, 0n, 0, 0, null, this.token);
  }

  /** A node this transaction already owns, marked for finish() when that needs it. */
  private owned_(c: ONode<T>): ONode<T> {
    if (this.mark) (c as WNode<T>).ep = this.token;
    return c;
  }

  ownRoot(): ONode<T> | null {
    const r = this.root;
    if (r === null) return r;
    if (r.p !== undefined) return this.owned_(r);
    this.root = this.clone(r, null);
    return this.root;
  }

  /** The left child of the owned node `p`, copied into this operation if needed. */
  ownL(p: ONode<T>): ONode<T> | null {
    const c = p.left;
    if (c === null) return c;
    if (c.p !== undefined) return this.owned_(c);
    const copy = this.clone(c, p);
    p.left = copy;
    return copy;
  }

  /** The right child of the owned node `p`, copied into this operation if needed. */
  ownR(p: ONode<T>): ONode<T> | null {
    const c = p.right;
    if (c === null) return c;
    if (c.p !== undefined) return this.owned_(c);
    const copy = this.clone(c, p);
    p.right = copy;
    return copy;
  }

  private changeChild(old: ONode<T>, nu: ONode<T> | null, parent: ONode<T> | null): void {
    if (parent !== null) {
      if (parent.left === old) parent.left = nu;
      else parent.right = nu;
    } else this.root = nu;
  }

  /** `__rb_rotate_set_parents`: `nu` takes `old`'s place and colour; `old` goes under `nu`. */
  private rotateSetParents(old: ONode<T>, nu: ONode<T>, red: boolean): void {
    const parent = parentOf(old);
    nu.p = parentOf(old);
    nu.red = old.red;
    old.p = nu;
    old.red = red;
    this.changeChild(old, nu, parent);
  }

  /** Models __rb_insert() (lib/rbtree.c) for a red node just linked under its parent. */
  insertColor(n: ONode<T>): void {
    let node = n;
    let parent = parentOf(node);
    for (;;) {
      if (parent === null) {
        node.p = null;
        node.red = false;
        break;
      }
      if (!parent.red) break;
      const gparent = parentOf(parent) as ONode<T>;
      let tmp = gparent.right;
      if (parent !== tmp) {
        // KERNEL: parent is gparent's left child.
        tmp = this.ownR(gparent);
        if (tmp !== null && tmp.red) {
          // KERNEL: case 1, the uncle is red: flip colours and recurse at the grandparent.
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = parentOf(node);
          node.red = true;
          continue;
        }
        tmp = parent.right;
        if (node === tmp) {
          // KERNEL: case 2, left rotate at parent.
          tmp = this.ownL(node);
          parent.right = tmp;
          node.left = parent;
          if (tmp !== null) {
            tmp.p = parent;
            tmp.red = false;
          }
          parent.p = node;
          parent.red = true;
          parent = node;
          tmp = this.ownR(node);
        } else tmp = this.ownR(parent);
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
        tmp = this.ownL(gparent);
        if (tmp !== null && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = parentOf(node);
          node.red = true;
          continue;
        }
        tmp = parent.left;
        if (node === tmp) {
          tmp = this.ownR(node);
          parent.left = tmp;
          node.right = parent;
          if (tmp !== null) {
            tmp.p = parent;
            tmp.red = false;
          }
          parent.p = node;
          parent.red = true;
          parent = node;
          tmp = this.ownL(node);
        } else tmp = this.ownL(parent);
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
  private eraseColor(start: ONode<T>): void {
    let parent: ONode<T> = start;
    let node: ONode<T> | null = null;
    for (;;) {
      let sibling = parent.right;
      if (node !== sibling) {
        // KERNEL: node is parent's left child.
        sibling = this.ownR(parent) as ONode<T>;
        let tmp1: ONode<T> | null;
        let tmp2: ONode<T> | null;
        if (sibling.red) {
          // KERNEL: case 1, left rotate at parent.
          tmp1 = this.ownL(sibling) as ONode<T>;
          parent.right = tmp1;
          sibling.left = parent;
          tmp1.p = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          sibling = tmp1;
        }
        tmp1 = this.ownR(sibling);
        if (tmp1 === null || !tmp1.red) {
          tmp2 = this.ownL(sibling);
          if (tmp2 === null || !tmp2.red) {
            // KERNEL: case 2, sibling colour flip.
            sibling.p = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = parentOf(node);
              if (up !== null) {
                parent = up;
                continue;
              }
            }
            break;
          }
          // KERNEL: case 3, right rotate at sibling.
          tmp1 = this.ownR(tmp2);
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
        tmp2 = this.ownL(sibling);
        parent.right = tmp2;
        sibling.left = parent;
        (tmp1 as ONode<T>).p = sibling;
        (tmp1 as ONode<T>).red = false;
        if (tmp2 !== null) tmp2.p = parent;
        this.rotateSetParents(parent, sibling, false);
        break;
      } else {
        sibling = this.ownL(parent) as ONode<T>;
        let tmp1: ONode<T> | null;
        let tmp2: ONode<T> | null;
        if (sibling.red) {
          tmp1 = this.ownR(sibling) as ONode<T>;
          parent.left = tmp1;
          sibling.right = parent;
          tmp1.p = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          sibling = tmp1;
        }
        tmp1 = this.ownL(sibling);
        if (tmp1 === null || !tmp1.red) {
          tmp2 = this.ownR(sibling);
          if (tmp2 === null || !tmp2.red) {
            sibling.p = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = parentOf(node);
              if (up !== null) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = this.ownL(tmp2);
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
        tmp2 = this.ownR(sibling);
        parent.left = tmp2;
        sibling.right = parent;
        (tmp1 as ONode<T>).p = sibling;
        (tmp1 as ONode<T>).red = false;
        if (tmp2 !== null) tmp2.p = parent;
        this.rotateSetParents(parent, sibling, false);
        break;
      }
    }
  }

  /** Models __rb_erase_augmented() then __rb_erase_color() (rbtree_augmented.h, rbtree.c). */
  erase(node: ONode<T>): void {
    const child = this.ownR(node);
    let tmp = this.ownL(node);
    let rebalance: ONode<T> | null;
    if (tmp === null) {
      // KERNEL: case 1, at most one child (the right one).
      const parent = parentOf(node);
      this.changeChild(node, child, parent);
      if (child !== null) {
        child.p = parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
    } else if (child === null) {
      // KERNEL: still case 1, the only child is the left one.
      const parent = parentOf(node);
      tmp.p = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
      rebalance = null;
    } else {
      let successor: ONode<T> = child;
      let parent: ONode<T>;
      let child2: ONode<T> | null;
      tmp = this.ownL(child);
      if (tmp === null) {
        // KERNEL: case 2, the successor is the right child.
        parent = successor;
        child2 = this.ownR(successor);
      } else {
        // KERNEL: case 3, the successor is leftmost under the right child.
        do {
          parent = successor;
          successor = tmp;
          tmp = this.ownL(tmp);
        } while (tmp !== null);
        child2 = this.ownR(successor);
        parent.left = child2;
        successor.right = child;
        child.p = successor;
      }
      tmp = node.left as ONode<T>;
      successor.left = tmp;
      tmp.p = successor;
      const up = parentOf(node);
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
    const owned = this.owned;
    if (owned !== null) {
      for (let i = 0; i < owned.length; i++) {
        const n = owned[i] as ONode<T>;
        n.p = undefined;
      }
      owned.length = 0;
    } else if (!this.plain) {
      const kind = this.kind;
      fixOwned(kind, this.root, kind.augmented !== false, kind.itemHash, this.token as object, this.inPlace);
    }
    // In place, the nodes stay owned, their parent links exact, for the next transaction.
    return this.root;
  }
}

/**
 * Several inserts and erases on one tree as a single copy-on-write operation: the nodes the first
 * update copied are reused, not copied again, by the next ones (the updates of one drm_mm call
 * touch neighbouring holes, so their paths mostly coincide), and augmented values and hashes are
 * recomputed once, by {@link RbTxn.finish}.
 *
 * Between updates `root` is a working tree: its structure, items and colours are exact (lookups may
 * read it) but `max` and `hash` of copied nodes are stale until `finish()`. Each update rebalances
 * exactly as rb_insert_color()/rb_erase() do on the tree the previous update left, since owned
 * nodes keep exact parent links across updates.
 */
export class RbTxn<T, K> {
  private readonly op: Op<T, K>;
  private done = false;

  /**
   * @param inPlace The nodes the transaction copies or creates stay owned after finish(), parent
   *   links exact, so that later transactions on the returned root change them in place instead of
   *   copying them again (a transient, as immutable.js's `withMutations`); finish() still
   *   recomputes augmented values and hashes of exactly the nodes this transaction reached. Every
   *   earlier version sharing those nodes is then invalid: only an owner of every intermediate
   *   version (an edit session) may ask for it, and must {@link rbFreeze} the tree before it is
   *   shared.
   */
  constructor(
    readonly kind: RbKind<T, K>,
    root: RbNode<T> | null,
    inPlace = false,
  ) {
    this.op = new Op(kind, root, inPlace);
  }

  /** The working root (exact structure; augmented values and hashes valid only after finish()). */
  get root(): RbNode<T> | null {
    return this.op.root;
  }

  /** The kernel's descent (`kind.goLeft`), rb_link_node(), then rb_insert_color(). */
  insert(item: T): void {
    const op = this.op;
    const fresh = op.fresh(item);
    let cur = op.ownRoot();
    if (cur === null) op.root = fresh;
    else {
      const goLeft = this.kind.goLeft;
      for (;;) {
        if (goLeft(item, cur.item)) {
          if (cur.left === null) {
            cur.left = fresh;
            break;
          }
          cur = op.ownL(cur) as ONode<T>;
        } else {
          if (cur.right === null) {
            cur.right = fresh;
            break;
          }
          cur = op.ownR(cur) as ONode<T>;
        }
      }
      fresh.p = cur;
    }
    op.insertColor(fresh);
  }

  /**
   * rb_erase() of the item found by `key`, in one copying descent; false when it is absent (the
   * path toward it is then copied unchanged, which leaves the tree the same).
   */
  erase(key: K): boolean {
    const cmp = this.kind.cmp;
    const op = this.op;
    this.prevItem = undefined;
    this.nextItem = undefined;
    let cur = op.ownRoot();
    if (cur === null) return false;
    // The last ancestors the descent left to the right (an in-order predecessor) and to the left
    // (a successor): the erased item's neighbours when it has no subtree on that side.
    let below: ONode<T> | null = null;
    let above: ONode<T> | null = null;
    for (;;) {
      const c = cmp(key, cur.item);
      if (c === 0) break;
      let nx: ONode<T> | null;
      if (c < 0) {
        above = cur;
        nx = op.ownL(cur);
      } else {
        below = cur;
        nx = op.ownR(cur);
      }
      if (nx === null) return false;
      cur = nx;
    }
    let m: RbNode<T> | null = cur.left;
    if (m !== null) {
      while (m.right !== null) m = m.right;
      this.prevItem = m.item;
    } else if (below !== null) this.prevItem = below.item;
    m = cur.right;
    if (m !== null) {
      while (m.left !== null) m = m.left;
      this.nextItem = m.item;
    } else if (above !== null) this.nextItem = above.item;
    op.erase(cur);
    return true;
  }

  /** After {@link RbTxn.erase}: the erased item's in-order predecessor (rb_prev), if any. */
  prevItem: T | undefined = undefined;
  /** After {@link RbTxn.erase}: the erased item's in-order successor (rb_next), if any. */
  nextItem: T | undefined = undefined;

  /** Recomputes augmented values and hashes of the copied nodes, freezes them, and returns the root. */
  finish(): RbNode<T> | null {
    if (this.done) throw new Error('RbTxn.finish: already finished');
    this.done = true;
    return this.op.finish();
  }
}

/**
 * Inserts `item`: the kernel's descent (`kind.goLeft`), rb_link_node(), then rb_insert_color().
 *
 * Returns the new root; the old root stays valid.
 */
export function rbInsert<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null, item: T): RbNode<T> {
  const t = new RbTxn(kind, root);
  t.insert(item);
  return t.finish() as RbNode<T>;
}

/**
 * Erases the item found by `key` with the kernel's rb_erase() (successor splicing, then
 * ____rb_erase_color()). Returns the new root, or the same root when `key` is absent.
 */
export function rbErase<T, K>(kind: RbKind<T, K>, root: RbNode<T> | null, key: K): RbNode<T> | null {
  if (rbFind(kind, root, key) === undefined) return root;
  const t = new RbTxn(kind, root);
  t.erase(key);
  return t.finish();
}

/**
 * Freezes the nodes in-place transactions left owned ({@link RbTxn}'s `inPlace`), so that the tree
 * is persistent again: every later update copies them. Owned nodes hang together from the root,
 * so the walk stops at the first frozen node of each path (O(1) on a tree with none).
 */
export function rbFreeze<T>(root: RbNode<T> | null): void {
  const todo: ONode<T>[] = [];
  let n = root as ONode<T> | null;
  if (n !== null && n.p !== undefined) todo.push(n);
  while ((n = todo.pop() ?? null) !== null) {
    n.p = undefined;
    if (n.left !== null && n.left.p !== undefined) todo.push(n.left);
    if (n.right !== null && n.right.p !== undefined) todo.push(n.right);
  }
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
  if (isPlain(kind)) return new PNode<T>(item, left as ONode<T> | null, right as ONode<T> | null, shape[1], undefined);
  const n = new WNode<T>(item, left as ONode<T> | null, right as ONode<T> | null, shape[1], 0n, 0, 0, undefined, undefined);
  setNodeMax(kind, n);
  if (kind.itemHash !== undefined) setNodeHash(n, kind.itemHash(item));
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
