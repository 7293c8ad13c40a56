import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RbKind, type RbNode, RbTxn, rbCheck, rbErase, rbFromShape, rbInsert, rbItems, rbToShape } from '../../src/drm-mm/rbtree.js';
import { hashString } from '../../src/world/hash.js';

/**
 * A second, independent port of lib/rbtree.c: mutable nodes with parent pointers, written line by
 * line after the C (rb_insert_color, rb_erase, ____rb_erase_color). The persistent tree must build
 * exactly the same shapes and colours.
 */
interface CNode {
  key: number;
  left: CNode | null;
  right: CNode | null;
  parent: CNode | null;
  red: boolean;
}

class CTree {
  root: CNode | null = null;

  private changeChild(old: CNode, nu: CNode | null, parent: CNode | null): void {
    if (parent) {
      if (parent.left === old) parent.left = nu;
      else parent.right = nu;
    } else this.root = nu;
  }

  private rotateSetParents(old: CNode, nu: CNode, red: boolean): void {
    const parent = old.parent;
    nu.parent = old.parent;
    nu.red = old.red;
    old.parent = nu;
    old.red = red;
    this.changeChild(old, nu, parent);
  }

  insert(key: number): void {
    const node: CNode = { key, left: null, right: null, parent: null, red: true };
    let link = this.root;
    let parent: CNode | null = null;
    while (link) {
      parent = link;
      link = key < link.key ? link.left : link.right;
    }
    node.parent = parent;
    if (!parent) this.root = node;
    else if (key < parent.key) parent.left = node;
    else parent.right = node;
    this.insertColor(node);
  }

  private insertColor(n: CNode): void {
    let node = n;
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        node.parent = null;
        node.red = false;
        break;
      }
      if (!parent.red) break;
      const gparent = parent.parent as CNode;
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
        break;
      }
    }
  }

  find(key: number): CNode | null {
    let n = this.root;
    while (n && n.key !== key) n = key < n.key ? n.left : n.right;
    return n;
  }

  erase(key: number): void {
    const node = this.find(key) as CNode;
    const child = node.right;
    let tmp = node.left;
    let rebalance: CNode | null;
    if (!tmp) {
      const parent = node.parent;
      this.changeChild(node, child, parent);
      if (child) {
        child.parent = parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
    } else if (!child) {
      const parent = node.parent;
      tmp.parent = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
      rebalance = null;
    } else {
      let successor: CNode = child;
      let parent: CNode;
      let child2: CNode | null;
      tmp = child.left;
      if (!tmp) {
        parent = successor;
        child2 = successor.right;
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
      }
      tmp = node.left as CNode;
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
    }
    if (rebalance) this.eraseColor(rebalance);
  }

  private eraseColor(p: CNode): void {
    let parent = p;
    let node: CNode | null = null;
    for (;;) {
      let sibling = parent.right as CNode;
      let tmp1: CNode | null;
      let tmp2: CNode | null;
      if (node !== sibling) {
        if (sibling.red) {
          tmp1 = sibling.left as CNode;
          parent.right = tmp1;
          sibling.left = parent;
          tmp1.parent = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
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
        break;
      } else {
        sibling = parent.left as CNode;
        if (sibling.red) {
          tmp1 = sibling.right as CNode;
          parent.left = tmp1;
          sibling.right = parent;
          tmp1.parent = parent;
          tmp1.red = false;
          this.rotateSetParents(parent, sibling, true);
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
        break;
      }
    }
  }
}

function cShape(n: CNode | null): unknown {
  return n === null ? null : [n.key, n.red, cShape(n.left), cShape(n.right)];
}

const KIND: RbKind<number, number> = {
  goLeft: (a, b) => a < b,
  cmp: (k, at) => k - at,
  weight: (x) => BigInt(x),
  itemHash: (x) => hashString(String(x)),
};

describe('rbInsert / rbErase (lib/rbtree.c)', () => {
  it('builds the same shapes and colours as a mutable line-by-line port of the C', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 200 }), (ops) => {
        const c = new CTree();
        let p: RbNode<number> | null = null;
        const present = new Set<number>();
        for (const [ins, k] of ops) {
          if (ins && !present.has(k)) {
            c.insert(k);
            p = rbInsert(KIND, p, k);
            present.add(k);
          } else if (!ins && present.has(k)) {
            c.erase(k);
            p = rbErase(KIND, p, k);
            present.delete(k);
          }
          expect(rbToShape(p, (x) => x)).toEqual(cShape(c.root));
          expect(rbCheck(KIND, p)).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves older versions of the tree unchanged (path copying)', () => {
    let t: RbNode<number> | null = null;
    const versions: [RbNode<number> | null, unknown][] = [];
    for (const k of [5, 3, 8, 1, 4, 7, 9, 2, 6]) {
      t = rbInsert(KIND, t, k);
      versions.push([t, rbToShape(t, (x) => x)]);
    }
    for (const k of [5, 1, 9]) {
      t = rbErase(KIND, t, k);
      versions.push([t, rbToShape(t, (x) => x)]);
    }
    for (const [root, shape] of versions) expect(rbToShape(root, (x) => x)).toEqual(shape);
  });

  it('keeps every subtree maximum equal to the largest weight below it', () => {
    let t: RbNode<number> | null = null;
    for (let i = 0; i < 50; i++) t = rbInsert(KIND, t, (i * 37) % 101);
    for (let i = 0; i < 25; i++) t = rbErase(KIND, t, (i * 37) % 101);
    expect(t?.max).toBe(BigInt(Math.max(...rbItems(t))));
    expect(rbCheck(KIND, t)).toBeGreaterThan(0);
  });

  it('gives a multi-update transaction the shapes, maxima and hash of the same updates one by one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 60 }),
        fc.array(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 80 })), { maxLength: 6 }), { maxLength: 20 }),
        (seed, batches) => {
          let one: RbNode<number> | null = null;
          const present = new Set<number>();
          for (const k of seed) {
            if (!present.has(k)) {
              one = rbInsert(KIND, one, k);
              present.add(k);
            }
          }
          let txnRoot = one;
          for (const batch of batches) {
            const before = txnRoot;
            const beforeShape = rbToShape(before, (x) => x);
            const t = new RbTxn(KIND, txnRoot);
            for (const [ins, k] of batch) {
              if (ins && !present.has(k)) {
                one = rbInsert(KIND, one, k);
                t.insert(k);
                present.add(k);
              } else if (!ins && present.has(k)) {
                one = rbErase(KIND, one, k);
                expect(t.erase(k)).toBe(true);
                present.delete(k);
              }
            }
            txnRoot = t.finish();
            expect(rbToShape(txnRoot, (x) => x)).toEqual(rbToShape(one, (x) => x));
            expect(txnRoot?.hash).toEqual(one?.hash);
            expect(rbCheck(KIND, txnRoot)).toBeGreaterThan(0);
            // The version before the transaction is untouched.
            expect(rbToShape(before, (x) => x)).toEqual(beforeShape);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rebuilds an identical tree, hash included, from its shape', () => {
    let t: RbNode<number> | null = null;
    for (const k of [10, 20, 30, 15, 25, 5, 1]) t = rbInsert(KIND, t, k);
    const back = rbFromShape(KIND, rbToShape(t, (x) => x), (x) => x);
    expect(rbToShape(back, (x) => x)).toEqual(rbToShape(t, (x) => x));
    expect(back?.hash).toEqual(t?.hash);
  });
});
