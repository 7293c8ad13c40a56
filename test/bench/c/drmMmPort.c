/*
 * The C baseline of the drm_mm seeded-workload benchmark (test/bench/drmMmWorkload.bench.ts): a
 * translation into C of the project's test-only mutable port, test/drm-mm/mutableDrmMm.ts, and of
 * the mutable red-black tree it is built on, test/drm-mm/mutableRbtree.ts. Function for function
 * and branch for branch after the TypeScript, so that the benchmark can time the very same
 * algorithm compiled, on the very same calls, and check that it answers them alike.
 *
 * Differences from the TypeScript, none of which changes an answer:
 * - values are uint64_t instead of doubles (the TypeScript keeps them below 2^53); where the
 *   TypeScript subtracts and compares a difference that may be negative, the C compares first, so
 *   that an unsigned wrap cannot turn "less than" into "greater than";
 * - a tree node has no `item` field: the allocator node that holds it is found from its address
 *   (SIZE_NODE, ADDR_NODE), since each tree node sits at a known place in its allocator node;
 * - nodes are numbered 0..N-1 (an array indexed by id) instead of named (a Map by name); after
 *   drm_mm_init every id is unknown again, as the TypeScript clears its Map.
 *
 * Usage: drmMmPort CALLS [BUILD [REPEAT]]
 *
 * CALLS is a text file of calls, one a line (numbers in decimal; blank lines and lines starting
 * with '#' are ignored):
 *   i START SIZE                                        drm_mm_init
 *   a ID SIZE ALIGN COLOR RSTART REND MODE ONCE         drm_mm_insert_node_in_range
 *   r ID                                                drm_mm_remove_node
 * MODE is 0 best, 1 low, 2 high, 3 evict; ONCE is 0 or 1.
 *
 * The first BUILD calls (default 0) are run untimed, the others timed in process CPU time; with
 * REPEAT (default 1) the whole is run REPEAT times on a fresh allocator and the best time is kept
 * (every repetition must answer alike). All calls are read before anything runs.
 *
 * Output: a line `cpu_ns_per_call X` (the timed calls' CPU nanoseconds per call), then one line
 * per timed call with its answer as MutableDrmMm.call gives it: the start of an insertion, -1 for
 * -ENOSPC, 0 for the other calls, -2 for a refused misuse (an insert of an allocated node, a
 * remove of a node that is not). Errors go to stderr with a non-zero exit status.
 *
 * Build: cc -O2 -std=c11 -Wall -Wextra -o drmMmPort drmMmPort.c (libc only).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- The mutable red-black tree (mutableRbtree.ts) ---------------------------------------- */

/** One tree node (MNode): links, colour, and the numbers its tree orders and augments by. */
struct mnode {
	struct mnode *left;
	struct mnode *right;
	struct mnode *parent;
	bool red;
	/** What the tree orders by. */
	uint64_t key;
	/** The augmented weight (the hole's size in holes_addr). */
	uint64_t weight;
	/** The augmented maximum over the subtree. */
	uint64_t max;
};

/** The augmented callbacks (MAugment); NULL for a plain tree. */
struct maugment {
	void (*propagate)(struct mnode *node, struct mnode *stop);
	void (*copy)(struct mnode *old, struct mnode *nu);
	void (*rotate)(struct mnode *old, struct mnode *nu);
};

/** One tree (MTree). */
struct mtree {
	struct mnode *root;
	const struct maugment *augment;
};

static void tree_change_child(struct mtree *t, struct mnode *old, struct mnode *nu, struct mnode *parent)
{
	if (parent) {
		if (parent->left == old)
			parent->left = nu;
		else
			parent->right = nu;
	} else {
		t->root = nu;
	}
}

static void tree_rotate_set_parents(struct mtree *t, struct mnode *old, struct mnode *nu, bool red)
{
	struct mnode *parent = old->parent;

	nu->parent = old->parent;
	nu->red = old->red;
	old->parent = nu;
	old->red = red;
	tree_change_child(t, old, nu, parent);
}

static void tree_rotate(struct mtree *t, struct mnode *old, struct mnode *nu)
{
	if (t->augment)
		t->augment->rotate(old, nu);
}

static void tree_insert_color(struct mtree *t, struct mnode *n)
{
	struct mnode *node = n;
	struct mnode *parent = node->parent;

	for (;;) {
		struct mnode *gparent, *tmp;

		if (!parent) {
			node->parent = NULL;
			node->red = false;
			break;
		}
		if (!parent->red)
			break;
		gparent = parent->parent;
		tmp = gparent->right;
		if (parent != tmp) {
			if (tmp && tmp->red) {
				tmp->red = false;
				parent->red = false;
				node = gparent;
				parent = node->parent;
				node->red = true;
				continue;
			}
			tmp = parent->right;
			if (node == tmp) {
				tmp = node->left;
				parent->right = tmp;
				node->left = parent;
				if (tmp) {
					tmp->parent = parent;
					tmp->red = false;
				}
				parent->parent = node;
				parent->red = true;
				tree_rotate(t, parent, node);
				parent = node;
				tmp = node->right;
			}
			gparent->left = tmp;
			parent->right = gparent;
			if (tmp) {
				tmp->parent = gparent;
				tmp->red = false;
			}
			tree_rotate_set_parents(t, gparent, parent, true);
			tree_rotate(t, gparent, parent);
			break;
		} else {
			tmp = gparent->left;
			if (tmp && tmp->red) {
				tmp->red = false;
				parent->red = false;
				node = gparent;
				parent = node->parent;
				node->red = true;
				continue;
			}
			tmp = parent->left;
			if (node == tmp) {
				tmp = node->right;
				parent->left = tmp;
				node->right = parent;
				if (tmp) {
					tmp->parent = parent;
					tmp->red = false;
				}
				parent->parent = node;
				parent->red = true;
				tree_rotate(t, parent, node);
				parent = node;
				tmp = node->left;
			}
			gparent->right = tmp;
			parent->left = gparent;
			if (tmp) {
				tmp->parent = gparent;
				tmp->red = false;
			}
			tree_rotate_set_parents(t, gparent, parent, true);
			tree_rotate(t, gparent, parent);
			break;
		}
	}
}

/** Links `node` under `parent` (NULL: as the root) on its left or right, then rebalances (MTree.link). */
static void tree_link(struct mtree *t, struct mnode *node, struct mnode *parent, bool left)
{
	node->parent = parent;
	node->left = NULL;
	node->right = NULL;
	node->red = true;
	if (!parent)
		t->root = node;
	else if (left)
		parent->left = node;
	else
		parent->right = node;
	tree_insert_color(t, node);
}

static void tree_erase_color(struct mtree *t, struct mnode *p)
{
	struct mnode *parent = p;
	struct mnode *node = NULL;

	for (;;) {
		struct mnode *sibling = parent->right;
		struct mnode *tmp1, *tmp2;

		if (node != sibling) {
			if (sibling->red) {
				tmp1 = sibling->left;
				parent->right = tmp1;
				sibling->left = parent;
				tmp1->parent = parent;
				tmp1->red = false;
				tree_rotate_set_parents(t, parent, sibling, true);
				tree_rotate(t, parent, sibling);
				sibling = tmp1;
			}
			tmp1 = sibling->right;
			if (!tmp1 || !tmp1->red) {
				tmp2 = sibling->left;
				if (!tmp2 || !tmp2->red) {
					sibling->parent = parent;
					sibling->red = true;
					if (parent->red) {
						parent->red = false;
					} else {
						struct mnode *up;

						node = parent;
						up = node->parent;
						if (up) {
							parent = up;
							continue;
						}
					}
					break;
				}
				tmp1 = tmp2->right;
				sibling->left = tmp1;
				tmp2->right = sibling;
				parent->right = tmp2;
				if (tmp1) {
					tmp1->parent = sibling;
					tmp1->red = false;
				}
				tree_rotate(t, sibling, tmp2);
				tmp1 = sibling;
				sibling = tmp2;
			}
			tmp2 = sibling->left;
			parent->right = tmp2;
			sibling->left = parent;
			tmp1->parent = sibling;
			tmp1->red = false;
			if (tmp2)
				tmp2->parent = parent;
			tree_rotate_set_parents(t, parent, sibling, false);
			tree_rotate(t, parent, sibling);
			break;
		} else {
			sibling = parent->left;
			if (sibling->red) {
				tmp1 = sibling->right;
				parent->left = tmp1;
				sibling->right = parent;
				tmp1->parent = parent;
				tmp1->red = false;
				tree_rotate_set_parents(t, parent, sibling, true);
				tree_rotate(t, parent, sibling);
				sibling = tmp1;
			}
			tmp1 = sibling->left;
			if (!tmp1 || !tmp1->red) {
				tmp2 = sibling->right;
				if (!tmp2 || !tmp2->red) {
					sibling->parent = parent;
					sibling->red = true;
					if (parent->red) {
						parent->red = false;
					} else {
						struct mnode *up;

						node = parent;
						up = node->parent;
						if (up) {
							parent = up;
							continue;
						}
					}
					break;
				}
				tmp1 = tmp2->left;
				sibling->right = tmp1;
				tmp2->left = sibling;
				parent->left = tmp2;
				if (tmp1) {
					tmp1->parent = sibling;
					tmp1->red = false;
				}
				tree_rotate(t, sibling, tmp2);
				tmp1 = sibling;
				sibling = tmp2;
			}
			tmp2 = sibling->right;
			parent->left = tmp2;
			sibling->right = parent;
			tmp1->parent = sibling;
			tmp1->red = false;
			if (tmp2)
				tmp2->parent = parent;
			tree_rotate_set_parents(t, parent, sibling, false);
			tree_rotate(t, parent, sibling);
			break;
		}
	}
}

/** Unlinks a linked node and rebalances, keeping the augmented values (MTree.erase). */
static void tree_erase(struct mtree *t, struct mnode *node)
{
	const struct maugment *aug = t->augment;
	struct mnode *child = node->right;
	struct mnode *tmp = node->left;
	struct mnode *rebalance;
	struct mnode *from;

	if (!tmp) {
		struct mnode *parent = node->parent;

		tree_change_child(t, node, child, parent);
		if (child) {
			child->parent = parent;
			child->red = node->red;
			rebalance = NULL;
		} else {
			rebalance = node->red ? NULL : parent;
		}
		from = parent;
	} else if (!child) {
		struct mnode *parent = node->parent;

		tmp->parent = parent;
		tmp->red = node->red;
		tree_change_child(t, node, tmp, parent);
		rebalance = NULL;
		from = parent;
	} else {
		struct mnode *successor = child;
		struct mnode *parent, *child2, *up;

		tmp = child->left;
		if (!tmp) {
			parent = successor;
			child2 = successor->right;
			if (aug)
				aug->copy(node, successor);
		} else {
			do {
				parent = successor;
				successor = tmp;
				tmp = tmp->left;
			} while (tmp);
			child2 = successor->right;
			parent->left = child2;
			successor->right = child;
			child->parent = successor;
			if (aug) {
				aug->copy(node, successor);
				aug->propagate(parent, successor);
			}
		}
		tmp = node->left;
		successor->left = tmp;
		tmp->parent = successor;
		up = node->parent;
		tree_change_child(t, node, successor, up);
		if (child2) {
			child2->parent = parent;
			child2->red = false;
			rebalance = NULL;
		} else {
			rebalance = successor->red ? NULL : parent;
		}
		successor->parent = up;
		successor->red = node->red;
		from = successor;
	}
	if (aug)
		aug->propagate(from, NULL);
	if (rebalance)
		tree_erase_color(t, rebalance);
	node->parent = node->left = node->right = NULL;
}

/** The leftmost node (mFirst). */
static struct mnode *tree_first(struct mnode *root)
{
	struct mnode *n = root;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

/** The in-order predecessor (mPrev). */
static struct mnode *tree_prev(struct mnode *node)
{
	struct mnode *n = node;
	struct mnode *parent;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return n;
	}
	parent = n->parent;
	while (parent && n == parent->left) {
		n = parent;
		parent = n->parent;
	}
	return parent;
}

/* ---- The mutable allocator (mutableDrmMm.ts) ---------------------------------------------- */

/** One allocator node (DNode), and the head node. */
struct dnode {
	uint64_t start;
	uint64_t size;
	uint64_t color;
	bool allocated;
	/** The size of the hole after this node; its subtree maximum is rb_addr.max. */
	uint64_t hole_size;
	/** The node list. */
	struct dnode *prev;
	struct dnode *next;
	/** The hole stack. */
	struct dnode *stack_prev;
	struct dnode *stack_next;
	struct mnode rb_size;
	struct mnode rb_addr;
};

/** The allocator node of a holes_size tree node (the TypeScript's `rb.item`). */
#define SIZE_NODE(rb) ((struct dnode *)((char *)(rb) - offsetof(struct dnode, rb_size)))
/** The allocator node of a holes_addr tree node (the TypeScript's `rb.item`). */
#define ADDR_NODE(rb) ((struct dnode *)((char *)(rb) - offsetof(struct dnode, rb_addr)))

static uint64_t compute_max(const struct mnode *n)
{
	uint64_t m = n->weight;

	if (n->left && n->left->max > m)
		m = n->left->max;
	if (n->right && n->right->max > m)
		m = n->right->max;
	return m;
}

static void augment_propagate(struct mnode *node, struct mnode *stop)
{
	struct mnode *n = node;

	while (n != stop && n != NULL) {
		uint64_t m = compute_max(n);

		if (n->max == m)
			break;
		n->max = m;
		n = n->parent;
	}
}

static void augment_copy(struct mnode *old, struct mnode *nu)
{
	nu->max = old->max;
}

static void augment_rotate(struct mnode *old, struct mnode *nu)
{
	nu->max = old->max;
	old->max = compute_max(old);
}

/** holes_addr's callbacks: the subtree maximum of the hole sizes (AUGMENT). */
static const struct maugment AUGMENT = { augment_propagate, augment_copy, augment_rotate };

/** One allocator (MutableDrmMm), with its nodes by id. */
struct drm_mm {
	uint64_t start;
	struct dnode head;
	struct mtree holes_size;
	struct mtree holes_addr;
	/** The hole stack's list head (a sentinel). */
	struct dnode stack;
	struct dnode *nodes;
	size_t nnodes;
};

/** A fresh allocator, as `new MutableDrmMm()`: no range yet, every id unknown. */
static void mm_fresh(struct drm_mm *mm)
{
	struct dnode *nodes = mm->nodes;
	size_t nnodes = mm->nnodes;

	memset(mm, 0, sizeof(*mm));
	mm->head.prev = mm->head.next = &mm->head;
	mm->stack.prev = mm->stack.next = &mm->stack;
	mm->holes_addr.augment = &AUGMENT;
	mm->nodes = nodes;
	mm->nnodes = nnodes;
	memset(nodes, 0, nnodes * sizeof(*nodes));
}

/** The head's hole starts at the range start; another node's after the node. */
static uint64_t hole_start(const struct drm_mm *mm, const struct dnode *n)
{
	return n == &mm->head ? mm->start : n->start + n->size;
}

static void insert_hole_size(struct drm_mm *mm, struct dnode *node)
{
	uint64_t x = node->hole_size;
	struct mnode *link = mm->holes_size.root;
	struct mnode *rb = NULL;
	bool left = false;

	while (link) {
		rb = link;
		left = x > rb->key;
		link = left ? rb->left : rb->right;
	}
	node->rb_size.key = x;
	tree_link(&mm->holes_size, &node->rb_size, rb, left);
}

static void insert_hole_addr(struct drm_mm *mm, struct dnode *node)
{
	uint64_t start = hole_start(mm, node);
	uint64_t max = node->hole_size;
	struct mnode *link = mm->holes_addr.root;
	struct mnode *rb = NULL;
	struct mnode *a = &node->rb_addr;
	bool left = false;

	while (link) {
		rb = link;
		if (rb->max < max)
			rb->max = max;
		left = start < rb->key;
		link = left ? rb->left : rb->right;
	}
	a->key = start;
	a->weight = max;
	a->max = max;
	tree_link(&mm->holes_addr, a, rb, left);
}

static void add_hole(struct drm_mm *mm, struct dnode *node)
{
	struct dnode *s = &mm->stack;

	node->hole_size = node->next->start - hole_start(mm, node);
	insert_hole_size(mm, node);
	insert_hole_addr(mm, node);
	/* Onto the hole stack, first. */
	node->stack_next = s->stack_next;
	node->stack_prev = s;
	s->stack_next->stack_prev = node;
	s->stack_next = node;
}

static void rm_hole(struct drm_mm *mm, struct dnode *node)
{
	node->stack_prev->stack_next = node->stack_next;
	node->stack_next->stack_prev = node->stack_prev;
	node->stack_prev = node->stack_next = NULL;
	tree_erase(&mm->holes_size, &node->rb_size);
	tree_erase(&mm->holes_addr, &node->rb_addr);
	node->hole_size = 0;
	node->rb_addr.weight = node->rb_addr.max = 0;
}

static struct dnode *best_hole(struct drm_mm *mm, uint64_t size)
{
	struct mnode *rb = mm->holes_size.root;
	struct dnode *best = NULL;

	while (rb) {
		if (size <= rb->key) {
			best = SIZE_NODE(rb);
			rb = rb->right;
		} else {
			rb = rb->left;
		}
	}
	return best;
}

static struct dnode *find_hole_addr(struct drm_mm *mm, uint64_t addr, uint64_t size)
{
	struct mnode *rb = mm->holes_addr.root;
	struct dnode *node = NULL;

	while (rb) {
		uint64_t hs;

		if (rb->max < size)
			break;
		node = ADDR_NODE(rb);
		hs = rb->key;
		if (addr < hs)
			rb = rb->left;
		else if (addr > hs + rb->weight)
			rb = rb->right;
		else
			break;
	}
	return node;
}

static struct dnode *first_hole(struct drm_mm *mm, uint64_t start, uint64_t end, uint64_t size, unsigned mode)
{
	switch (mode) {
	case 1:
		return find_hole_addr(mm, start, size);
	case 2:
		return find_hole_addr(mm, end, size);
	case 3:
		return mm->stack.stack_next == &mm->stack ? NULL : mm->stack.stack_next;
	default:
		return best_hole(mm, size);
	}
}

static struct dnode *next_hole(struct drm_mm *mm, struct dnode *node, uint64_t size, unsigned mode)
{
	switch (mode) {
	case 1:
	case 2: {
		/* Low walks right, then left; high left, then right. */
		bool low = mode == 1;
		struct mnode *rb = &node->rb_addr;
		struct mnode *first = low ? rb->right : rb->left;
		struct mnode *parent;

		if (first && first->max >= size) {
			rb = first;
			for (;;) {
				struct mnode *last = low ? rb->left : rb->right;

				if (!last || last->max < size)
					break;
				rb = last;
			}
			return ADDR_NODE(rb);
		}
		parent = rb->parent;
		while (parent && rb == (low ? parent->right : parent->left)) {
			rb = parent;
			parent = rb->parent;
		}
		return parent ? ADDR_NODE(parent) : NULL;
	}
	case 3: {
		struct dnode *n = node->stack_next;

		return n == &mm->stack ? NULL : n;
	}
	default: {
		struct mnode *p = tree_prev(&node->rb_size);

		return p ? SIZE_NODE(p) : NULL;
	}
	}
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/** Inserts `node` (MutableDrmMm.insert): true when placed, false for -ENOSPC. */
static bool mm_insert(struct drm_mm *mm, struct dnode *node, uint64_t size, uint64_t alignment, uint64_t color,
		      uint64_t range_start, uint64_t range_end, unsigned mode, bool once)
{
	struct mnode *largest;
	struct dnode *hole;
	uint64_t align;

	/* range_end - range_start < size, read as integers (negative when the range is inverted). */
	if (size == 0 || range_end < range_start || range_end - range_start < size)
		return false;
	largest = tree_first(mm->holes_size.root);
	if ((largest ? SIZE_NODE(largest)->hole_size : 0) < size)
		return false;
	align = alignment <= 1 ? 0 : alignment;
	for (hole = first_hole(mm, range_start, range_end, size, mode); hole;
	     hole = once ? NULL : next_hole(mm, hole, size, mode)) {
		uint64_t hstart = hole_start(mm, hole);
		uint64_t hend = hstart + hole->hole_size;
		uint64_t col_start, col_end, adj_start, adj_end;

		if (mode == 1 && hstart >= range_end)
			break;
		if (mode == 2 && hend <= range_start)
			break;
		col_start = hstart;
		col_end = hend;
		adj_start = max_u64(col_start, range_start);
		adj_end = min_u64(col_end, range_end);
		if (adj_end <= adj_start || adj_end - adj_start < size)
			continue;
		if (mode == 2)
			adj_start = adj_end - size;
		if (align) {
			uint64_t rem = adj_start % align;

			if (rem) {
				uint64_t lo = max_u64(col_start, range_start);
				uint64_t hi = min_u64(col_end, range_end);

				adj_start -= rem;
				if (mode != 2)
					adj_start += align;
				/* hi - adj_start < size, read as integers. */
				if (adj_start < lo || hi < adj_start || hi - adj_start < size)
					continue;
				if (adj_end <= adj_start || adj_end - adj_start < size)
					continue;
			}
		}
		node->size = size;
		node->start = adj_start;
		node->color = color;
		node->hole_size = 0;
		node->allocated = true;
		/* Into the node list, after the hole's node. */
		node->prev = hole;
		node->next = hole->next;
		hole->next->prev = node;
		hole->next = node;
		rm_hole(mm, hole);
		if (adj_start > hstart)
			add_hole(mm, hole);
		if (adj_start + size < hend)
			add_hole(mm, node);
		return true;
	}
	return false;
}

/** Removes an allocated node (MutableDrmMm.remove). */
static void mm_remove(struct drm_mm *mm, struct dnode *node)
{
	struct dnode *prev = node->prev;

	if (node->hole_size)
		rm_hole(mm, node);
	node->prev->next = node->next;
	node->next->prev = node->prev;
	if (prev->hole_size)
		rm_hole(mm, prev);
	add_hole(mm, prev);
	node->allocated = false;
}

/** Sets the range and forgets every node (MutableDrmMm.init). */
static void mm_init(struct drm_mm *mm, uint64_t start, uint64_t size)
{
	mm_fresh(mm);
	mm->start = start;
	mm->head.start = start + size;
	mm->stack.stack_next = mm->stack.stack_prev = &mm->stack;
	add_hole(mm, &mm->head);
}

/* ---- Calls ---------------------------------------------------------------------------------- */

enum op { OP_INIT, OP_INSERT, OP_REMOVE };

/** One call, read. */
struct call {
	enum op op;
	uint32_t id;
	bool once;
	uint8_t mode;
	uint64_t start;
	uint64_t size;
	uint64_t alignment;
	uint64_t color;
	uint64_t range_start;
	uint64_t range_end;
};

/** Answers one call as MutableDrmMm.call does. */
static int64_t mm_call(struct drm_mm *mm, const struct call *c)
{
	struct dnode *node;

	switch (c->op) {
	case OP_INIT:
		mm_init(mm, c->start, c->size);
		return 0;
	case OP_INSERT:
		node = &mm->nodes[c->id];
		if (node->allocated)
			return -2;
		return mm_insert(mm, node, c->size, c->alignment, c->color, c->range_start, c->range_end, c->mode,
				 c->once)
			       ? (int64_t)node->start
			       : -1;
	case OP_REMOVE:
		node = &mm->nodes[c->id];
		if (!node->allocated)
			return -2;
		mm_remove(mm, node);
		return 0;
	}
	return -2;
}

/* ---- The program ---------------------------------------------------------------------------- */

/** Reports a bad calls file on stderr; its caller gives up (NULL, then status 2 from main). */
static void complain(const char *fmt, const char *a, unsigned long line)
{
	fprintf(stderr, "drmMmPort: ");
	fprintf(stderr, fmt, a, line);
	fputc('\n', stderr);
}

/** Reads one decimal u64 field at *p, advancing past it; false if there is none or it overflows. */
static bool field(char **p, uint64_t *out)
{
	char *s = *p, *end;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != '\0'))
		return false;
	*out = (uint64_t)v;
	*p = end;
	return true;
}

static bool at_end(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '\0';
}

/**
 * Reads every call of `path` into *out; sets *count, and *ids to one more than the largest node id
 * seen. False when the file cannot be read or a line is bad (reported on stderr).
 */
static bool read_calls(const char *path, struct call **out, size_t *count, size_t *ids)
{
	FILE *f = fopen(path, "r");
	struct call *calls = NULL;
	size_t n = 0, cap = 0, nids = 0;
	char *line = NULL;
	size_t linecap = 0;
	unsigned long lineno = 0;

	if (!f) {
		fprintf(stderr, "drmMmPort: cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	while (getline(&line, &linecap, f) != -1) {
		struct call c;
		char *p = line + 1;
		uint64_t v[8] = { 0 };
		int want, i;

		lineno++;
		if (line[0] == '#' || at_end(line))
			continue;
		memset(&c, 0, sizeof(c));
		switch (line[0]) {
		case 'i':
			c.op = OP_INIT;
			want = 2;
			break;
		case 'a':
			c.op = OP_INSERT;
			want = 8;
			break;
		case 'r':
			c.op = OP_REMOVE;
			want = 1;
			break;
		default:
			complain("%s: line %lu: a call starts with i, a or r", path, lineno);
			goto bad;
		}
		if (line[1] != ' ' && line[1] != '\t') {
			complain("%s: line %lu: a space must follow the call's letter", path, lineno);
			goto bad;
		}
		for (i = 0; i < want; i++)
			if (!field(&p, &v[i])) {
				complain("%s: line %lu: expected a decimal number below 2^64", path, lineno);
				goto bad;
			}
		if (!at_end(p)) {
			complain("%s: line %lu: too many fields", path, lineno);
			goto bad;
		}
		if (c.op == OP_INIT) {
			c.start = v[0];
			c.size = v[1];
		} else {
			if (v[0] >= UINT32_MAX) {
				complain("%s: line %lu: a node id must be below 2^32 - 1", path, lineno);
				goto bad;
			}
			c.id = (uint32_t)v[0];
			if (c.id + (size_t)1 > nids)
				nids = c.id + (size_t)1;
		}
		if (c.op == OP_INSERT) {
			if (v[6] > 3) {
				complain("%s: line %lu: MODE must be 0 (best), 1 (low), 2 (high) or 3 (evict)", path, lineno);
				goto bad;
			}
			if (v[7] > 1) {
				complain("%s: line %lu: ONCE must be 0 or 1", path, lineno);
				goto bad;
			}
			c.size = v[1];
			c.alignment = v[2];
			c.color = v[3];
			c.range_start = v[4];
			c.range_end = v[5];
			c.mode = (uint8_t)v[6];
			c.once = v[7] == 1;
		}
		if (n == cap) {
			struct call *grown;

			cap = cap ? cap * 2 : 1024;
			grown = realloc(calls, cap * sizeof(*calls));
			if (!grown) {
				complain("%s: line %lu: out of memory", path, lineno);
				goto bad;
			}
			calls = grown;
		}
		calls[n++] = c;
	}
	if (ferror(f)) {
		complain("%s: read error after line %lu", path, lineno);
		goto bad;
	}
	free(line);
	fclose(f);
	*out = calls;
	*count = n;
	*ids = nids;
	return true;
bad:
	free(calls);
	free(line);
	fclose(f);
	return false;
}

/** Reads a count argument into *out; false (reported on stderr) when it is not one. */
static bool count_arg(const char *s, const char *what, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-') {
		fprintf(stderr, "drmMmPort: %s must be a non-negative decimal count, not '%s'\n", what, s);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

/** The process's CPU time in nanoseconds, or -1 (reported on stderr) when it cannot be read. */
static int64_t cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
		perror("drmMmPort: clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
		return -1;
	}
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct drm_mm mm;
	struct call *calls;
	size_t n, ids, build, timed, i;
	uint64_t build_arg = 0, repeat = 1, r;
	int64_t *answers, *again, best = -1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s CALLS [BUILD [REPEAT]]\n", argv[0]);
		return 2;
	}
	if ((argc > 2 && !count_arg(argv[2], "BUILD", &build_arg)) || (argc > 3 && !count_arg(argv[3], "REPEAT", &repeat)))
		return 2;
	build = (size_t)build_arg;
	if (!read_calls(argv[1], &calls, &n, &ids))
		return 2;
	if (build > n) {
		fprintf(stderr, "drmMmPort: BUILD is %zu but %s holds %zu calls\n", build, argv[1], n);
		return 2;
	}
	if (repeat < 1) {
		fprintf(stderr, "drmMmPort: REPEAT must be at least 1\n");
		return 2;
	}
	timed = n - build;
	memset(&mm, 0, sizeof(mm));
	mm.nnodes = ids;
	mm.nodes = calloc(ids ? ids : 1, sizeof(*mm.nodes));
	answers = calloc(timed ? timed : 1, sizeof(*answers));
	again = calloc(timed ? timed : 1, sizeof(*again));
	if (!mm.nodes || !answers || !again) {
		fprintf(stderr, "drmMmPort: out of memory for %zu nodes and %zu answers\n", ids, timed);
		return 2;
	}
	for (r = 0; r < repeat; r++) {
		int64_t *out = r == 0 ? answers : again;
		int64_t t0, t;

		mm_fresh(&mm);
		for (i = 0; i < build; i++)
			(void)mm_call(&mm, &calls[i]);
		t0 = cpu_ns();
		for (i = 0; i < timed; i++)
			out[i] = mm_call(&mm, &calls[build + i]);
		t = cpu_ns();
		if (t0 < 0 || t < 0)
			return 2;
		t -= t0;
		if (best < 0 || t < best)
			best = t;
		if (r > 0 && memcmp(answers, again, timed * sizeof(*answers)) != 0) {
			fprintf(stderr, "drmMmPort: repetition %" PRIu64 " answered otherwise than the first\n", r + 1);
			return 3;
		}
	}
	printf("cpu_ns_per_call %.3f\n", timed ? (double)best / (double)timed : 0.0);
	for (i = 0; i < timed; i++)
		printf("%" PRId64 "\n", answers[i]);
	free(again);
	free(answers);
	free(mm.nodes);
	free(calls);
	return fflush(stdout) == 0 ? 0 : 2;
}
