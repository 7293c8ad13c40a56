/**
 * A second, independent port of lib/rbtree.c for tests and benchmarks: mutable nodes with parent
 * pointers, written line by line after the C (rb_insert_color, rb_erase, ____rb_erase_color, and
 * the augmented variants' rotate/copy/propagate callbacks of include/linux/rbtree_augmented.h).
 *
 * The persistent tree of src/drm-mm/rbtree.ts must build exactly the same shapes and colours
 * (test/drm-mm/rbtree.test.ts); the mutable drm_mm of test/drm-mm/mutableDrmMm.ts is built on it.
 */

/**
 * One mutable node: the C `struct rb_node` (parent and colour unpacked) plus its item, and the
 * numbers a tree orders and augments by kept inline (`key`, `weight`, `max`), as the C keeps them
 * in the struct that embeds the rb_node: a descent reads one object per level.
 */
export class MNode<T> {
  left: MNode<T> | null = null;
  right: MNode<T> | null = null;
  parent: MNode<T> | null = null;
  red = true;
  /** What the tree orders by (its owner keeps it current while the node is linked). */
  key = 0.5;
  /** The augmented weight (drm_mm's `hole_size` in holes_addr). */
  weight = 0.5;
  /** The augmented maximum over the subtree (drm_mm's `subtree_max_hole`). */
  max = 0.5;
  constructor(public item: T) {}
}

/** The augmented callbacks (`struct rb_augment_callbacks`); null for a plain tree. */
export interface MAugment<T> {
  /** `propagate(node, stop)`: recompute from `node` up to (not including) `stop`. */
  propagate(node: MNode<T> | null, stop: MNode<T> | null): void;
  /** `copy(old, new)`: `new` takes `old`'s place. */
  copy(old: MNode<T>, nu: MNode<T>): void;
  /** `rotate(old, new)`: `new` became `old`'s parent in a rotation. */
  rotate(old: MNode<T>, nu: MNode<T>): void;
}

/** A mutable red-black tree balanced as lib/rbtree.c does. */
export class MTree<T> {
  root: MNode<T> | null = null;

  constructor(private readonly augment: MAugment<T> | null = null) {}

  private changeChild(old: MNode<T>, nu: MNode<T> | null, parent: MNode<T> | null): void {
    if (parent) {
      if (parent.left === old) parent.left = nu;
      else parent.right = nu;
    } else this.root = nu;
  }

  private rotateSetParents(old: MNode<T>, nu: MNode<T>, red: boolean): void {
    const parent = old.parent;
    nu.parent = old.parent;
    nu.red = old.red;
    old.parent = nu;
    old.red = red;
    this.changeChild(old, nu, parent);
  }

  private rotate(old: MNode<T>, nu: MNode<T>): void {
    if (this.augment !== null) this.augment.rotate(old, nu);
  }

  /** rb_link_node() under `parent` (null: as the root), then rb_insert_color() / rb_insert_augmented(). */
  link(node: MNode<T>, parent: MNode<T> | null, left: boolean): void {
    node.parent = parent;
    node.left = null;
    node.right = null;
    node.red = true;
    if (!parent) this.root = node;
    else if (left) parent.left = node;
    else parent.right = node;
    this.insertColor(node);
  }

  private insertColor(n: MNode<T>): void {
    let node = n;
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        node.parent = null;
        node.red = false;
        break;
      }
      if (!parent.red) break;
      const gparent = parent.parent as MNode<T>;
      let tmp = gparent.right;
      if (parent !== tmp) {
        if (tmp && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.right;
        if (node === tmp) {
          tmp = node.left;
          parent.right = tmp;
          node.left = parent;
          if (tmp) {
            tmp.parent = parent;
            tmp.red = false;
          }
          parent.parent = node;
          parent.red = true;
          this.rotate(parent, node);
          parent = node;
          tmp = node.right;
        }
        gparent.left = tmp;
        parent.right = gparent;
        if (tmp) {
          tmp.parent = gparent;
          tmp.red = false;
        }
        this.rotateSetParents(gparent, parent, true);
        this.rotate(gparent, parent);
        break;
      } else {
        tmp = gparent.left;
        if (tmp && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.left;
        if (node === tmp) {
          tmp = node.right;
          parent.left = tmp;
          node.right = parent;
          if (tmp) {
            tmp.parent = parent;
            tmp.red = false;
          }
          parent.parent = node;
          parent.red = true;
          this.rotate(parent, node);
          parent = node;
          tmp = node.left;
        }
        gparent.right = tmp;
        parent.left = gparent;
        if (tmp) {
          tmp.parent = gparent;
          tmp.red = false;
        }
        this.rotateSetParents(gparent, parent, true);
        this.rotate(gparent, parent);
        break;
      }
    }
  }

  /** rb_erase() / rb_erase_augmented() of a linked node. */
  erase(node: MNode<T>): void {
    const aug = this.augment;
    const child = node.right;
    let tmp = node.left;
    let rebalance: MNode<T> | null;
    let from: MNode<T> | null;
    if (!tmp) {
      const parent = node.parent;
      this.changeChild(node, child, parent);
      if (child) {
        child.parent = parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
      from = parent;
    } else if (!child) {
      const parent = node.parent;
      tmp.parent = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
      rebalance = null;
      from = parent;
    } else {
      let successor: MNode<T> = child;
      let parent: MNode<T>;
      let child2: MNode<T> | null;
      tmp = child.left;
      if (!tmp) {
        parent = successor;
        child2 = successor.right;
        if (aug) aug.copy(node, successor);
      } else {
        do {
          parent = successor;
          successor = tmp;
          tmp = tmp.left;
        } while (tmp);
        child2 = successor.right;
        parent.left = child2;
        successor.right = child;
        child.parent = successor;
        if (aug) {
          aug.copy(node, successor);
          aug.propagate(parent, successor);
        }
      }
      tmp = node.left as MNode<T>;
      successor.left = tmp;
      tmp.parent = successor;
      const up = node.parent;
      this.changeChild(node, successor, up);
      if (child2) {
        child2.parent = parent;
        child2.red = false;
        rebalance = null;
      } else rebalance = successor.red ? null : parent;
      successor.parent = up;
      successor.red = node.red;
      from = successor;
    }
    if (aug) aug.propagate(from, null);
    if (rebalance) this.eraseColor(rebalance);
    node.parent = node.left = node.right = null;
  }

  private eraseColor(p: MNode<T>): void {
    let parent = p;
    let node: MNode<T> | null = null;
    for (;;) {
      let sibling = parent.right as MNode<T>;
      let tmp1: MNode<T> | null;
      let tmp2: MNode<T> | null;
      if (node !== sibling) {
        if (sibling.red) {
          tmp1 = sibling.left as MNode<T>;
          parent.right = tmp1;
          sibling.left = parent;
          tmp1.parent = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          this.rotate(parent, sibling);
          sibling = tmp1;
        }
        tmp1 = sibling.right;
        if (!tmp1 || !tmp1.red) {
          tmp2 = sibling.left;
          if (!tmp2 || !tmp2.red) {
            sibling.parent = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.parent;
              if (up) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = tmp2.right;
          sibling.left = tmp1;
          tmp2.right = sibling;
          parent.right = tmp2;
          if (tmp1) {
            tmp1.parent = sibling;
            tmp1.red = false;
          }
          this.rotate(sibling, tmp2);
          tmp1 = sibling;
          sibling = tmp2;
        }
        tmp2 = sibling.left;
        parent.right = tmp2;
        sibling.left = parent;
        tmp1.parent = sibling;
        tmp1.red = false;
        if (tmp2) tmp2.parent = parent;
        this.rotateSetParents(parent, sibling, false);
        this.rotate(parent, sibling);
        break;
      } else {
        sibling = parent.left as MNode<T>;
        if (sibling.red) {
          tmp1 = sibling.right as MNode<T>;
          parent.left = tmp1;
          sibling.right = parent;
          tmp1.parent = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
          this.rotate(parent, sibling);
          sibling = tmp1;
        }
        tmp1 = sibling.left;
        if (!tmp1 || !tmp1.red) {
          tmp2 = sibling.right;
          if (!tmp2 || !tmp2.red) {
            sibling.parent = parent;
            sibling.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const up = node.parent;
              if (up) {
                parent = up;
                continue;
              }
            }
            break;
          }
          tmp1 = tmp2.left;
          sibling.right = tmp1;
          tmp2.left = sibling;
          parent.left = tmp2;
          if (tmp1) {
            tmp1.parent = sibling;
            tmp1.red = false;
          }
          this.rotate(sibling, tmp2);
          tmp1 = sibling;
          sibling = tmp2;
        }
        tmp2 = sibling.right;
        parent.left = tmp2;
        sibling.right = parent;
        tmp1.parent = sibling;
        tmp1.red = false;
        if (tmp2) tmp2.parent = parent;
        this.rotateSetParents(parent, sibling, false);
        this.rotate(parent, sibling);
        break;
      }
    }
  }
}

/** rb_first(). */
export function mFirst<T>(root: MNode<T> | null): MNode<T> | null {
  let n = root;
  if (!n) return null;
  while (n.left) n = n.left;
  return n;
}

/** rb_next(). */
export function mNext<T>(node: MNode<T>): MNode<T> | null {
  let n = node;
  if (n.right) {
    n = n.right;
    while (n.left) n = n.left;
    return n;
  }
  let parent = n.parent;
  while (parent && n === parent.right) {
    n = parent;
    parent = n.parent;
  }
  return parent;
}

/** rb_prev(). */
export function mPrev<T>(node: MNode<T>): MNode<T> | null {
  let n = node;
  if (n.left) {
    n = n.left;
    while (n.right) n = n.right;
    return n;
  }
  let parent = n.parent;
  while (parent && n === parent.left) {
    n = parent;
    parent = n.parent;
  }
  return parent;
}

/** A tree's shape as `[item, red, left, right]` in preorder (the persistent tree's `rbToShape`). */
export function mShape<T, S>(n: MNode<T> | null, enc: (item: T) => S): unknown {
  return n === null ? null : [enc(n.item), n.red, mShape(n.left, enc), mShape(n.right, enc)];
}

/** A tree of distinct numbers inserted with `key < parent.key ? left : right`, for shape tests. */
export class NumberTree {
  readonly tree = new MTree<number>();

  insert(key: number): void {
    let link = this.tree.root;
    let parent: MNode<number> | null = null;
    while (link) {
      parent = link;
      link = key < link.item ? link.left : link.right;
    }
    this.tree.link(new MNode(key), parent, parent !== null && key < parent.item);
  }

  find(key: number): MNode<number> | null {
    let n = this.tree.root;
    while (n && n.item !== key) n = key < n.item ? n.left : n.right;
    return n;
  }

  erase(key: number): void {
    this.tree.erase(this.find(key) as MNode<number>);
  }

  shape(): unknown {
    return mShape(this.tree.root, (x) => x);
  }
}
