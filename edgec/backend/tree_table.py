"""Packing a TreeEnsemble into narrow tables: the data both C forms of tree_ensemble read.

`pack_leaves` deduplicates the leaf value rows and stores them in the smallest of three
encodings (direct float32, uint indices into a palette of distinct values, or sparse entries
that leave out +0.0). `pack_nodes` turns each tree's internal nodes into one word (uint16/32/64)
in preorder, with leaves folded into the child references. Every choice keeps the float32 sums
bit-identical to the op's reference: values are compared and deduplicated by their bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.ops.tree_ensemble import TreeEnsemble


def bits_for(n: int) -> int:
    """Bits that hold every value 0..n (0 for n == 0)."""
    return int(n).bit_length()


def uint_bytes(max_value: int) -> int:
    """1, 2 or 4: the narrowest unsigned C type that holds max_value."""
    return 1 if max_value < 2 ** 8 else 2 if max_value < 2 ** 16 else 4


def as_uint(a: np.ndarray, nbytes: int) -> np.ndarray:
    return np.asarray(a).astype({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[nbytes])


def unique_bits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct float32 values sorted by bit pattern, index of each input value)."""
    u, inv = np.unique(np.ascontiguousarray(values, np.float32).view(np.uint32), return_inverse=True)
    return u.view(np.float32), inv.reshape(-1)


@dataclass
class PackedLeaves:
    """One of ec_tree_leaves' encodings (see runtime_c/include/ec_trees.h)."""

    n_targets: int
    kind: str                      # "direct" | "palette" | "sparse" ("votes": the walker's, no tables)
    values: np.ndarray | None      # direct: float32 [rows * targets]
    palette: np.ndarray | None     # float32 distinct values
    entries: np.ndarray | None     # uint8/16/32
    row_start: np.ndarray | None   # sparse: uint16/32 first entry of each row
    target_bits: int = 0
    value_bits: int = 0

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.values, self.palette, self.entries, self.row_start) if a is not None)


def _direct(rows: np.ndarray) -> PackedLeaves:
    return PackedLeaves(rows.shape[1], "direct", rows.reshape(-1), None, None, None)


def _palette(rows: np.ndarray) -> PackedLeaves:
    palette, idx = unique_bits(rows)
    return PackedLeaves(rows.shape[1], "palette", None, palette, as_uint(idx, uint_bytes(len(palette) - 1)), None)


def _sparse(rows: np.ndarray) -> PackedLeaves | None:
    n_rows, n_targets = rows.shape
    bits = rows.view(np.uint32)
    keep = bits != 0                       # only +0.0 is left out
    keep[~keep.any(axis=1), 0] = True      # an all-zero row keeps one entry
    r, k = np.nonzero(keep)
    palette, idx = unique_bits(rows[r, k])
    tb, vb = bits_for(n_targets - 1), bits_for(len(palette) - 1)
    if tb + vb + 1 > 32:
        return None
    last = np.zeros(len(r), np.uint64)
    ends = np.cumsum(keep.sum(axis=1)) - 1
    last[ends] = 1
    entries = k.astype(np.uint64) | (idx.astype(np.uint64) << tb) | (last << (tb + vb))
    starts = np.concatenate([[0], ends[:-1] + 1])
    return PackedLeaves(n_targets, "sparse", None, palette, as_uint(entries, uint_bytes(2 ** (tb + vb + 1) - 1)),
                        as_uint(starts, uint_bytes(int(starts.max()))), tb, vb)


# Targets a walker sums in local variables (beyond, it sums into y).
ACC_MAX_TARGETS = 64
# The table walker takes a faster leaf encoding (direct, then palette, then sparse) while it costs
# at most this many bytes more than the smallest: small forests' rows add without a loop.
LEAF_SPEED_SLACK = 64


def pack_leaves(rows: np.ndarray, base: np.ndarray, slack: int = 0, sparse: bool = True) -> PackedLeaves:
    """The fastest exact encoding of the distinct leaf rows [rows, targets] within `slack`
    bytes of the smallest (sparse False: of the two that store whole rows)."""
    rows = np.ascontiguousarray(rows, np.float32)
    options = [_direct(rows), _palette(rows)]
    negative_zero_base = bool(np.any(np.signbit(base) & (base == 0)))
    if sparse and not negative_zero_base:     # +0.0 skipped exactly only when no sum can be -0.0
        sparse = _sparse(rows)
        if sparse is not None:
            options.append(sparse)
    smallest = min(p.nbytes for p in options)
    return next(p for p in options if p.nbytes <= smallest + slack)


def dedup_rows(t: TreeEnsemble) -> tuple[np.ndarray, np.ndarray]:
    """(distinct leaf rows by bits, in first-use order; row id of each node's leaf, -1 elsewhere)."""
    vals = np.ascontiguousarray(t.leaf_values, np.float32)
    keys = vals.view(np.uint32)
    _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")          # deterministic, in tree order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    row_of_leaf = rank[inv.reshape(-1)]
    node_row = np.where(t.leaf >= 0, row_of_leaf[np.maximum(t.leaf, 0)], -1)
    return vals[first[order]], node_row


@dataclass
class TreeWalk:
    """The trees in preorder: internal nodes only. A child is an absolute index: an internal node
    (< n_internal) or a leaf row r as n_internal + r, so one compare tells a walk it has ended."""

    feature: np.ndarray    # [internal]
    threshold: np.ndarray  # float32 [internal]
    missing: np.ndarray    # bool [internal]
    left: np.ndarray       # [internal] child index
    right: np.ndarray
    roots: np.ndarray      # [trees] first internal node of each tree
    n_rows: int

    @property
    def n_internal(self) -> int:
        return len(self.feature)


def preorder(t: TreeEnsemble, node_row: np.ndarray, n_rows: int) -> TreeWalk:
    """Every tree's internal nodes in preorder (left first: a walk reads nearby words).

    A tree that is one leaf gets one internal node whose both children are that leaf."""
    feature, threshold, missing, left, right, roots = [], [], [], [], [], []
    for root in t.roots.tolist():
        roots.append(len(feature))
        if t.feature[root] < 0:
            leaf = -1 - int(node_row[root])
            feature.append(0); threshold.append(0.0); missing.append(False); left.append(leaf); right.append(leaf)
            continue
        order, pos, stack = [], {}, [root]
        while stack:                              # iterative: trees may be deep
            n = stack.pop()
            pos[n] = len(feature) + len(order)
            order.append(n)
            for c in (int(t.right[n]), int(t.left[n])):
                if t.feature[c] >= 0:
                    stack.append(c)
        for n in order:
            feature.append(int(t.feature[n]))
            threshold.append(t.threshold[n])
            missing.append(bool(t.missing_left[n]))
            kids = [pos[c] if t.feature[c] >= 0 else -1 - int(node_row[c]) for c in (int(t.left[n]), int(t.right[n]))]
            left.append(kids[0]); right.append(kids[1])
    n_int = len(feature)
    refs = lambda a: np.where(np.asarray(a) < 0, n_int - 1 - np.asarray(a), np.asarray(a)).astype(np.int64)
    return TreeWalk(np.asarray(feature, np.int64), np.asarray(threshold, np.float32), np.asarray(missing, bool),
                    refs(left), refs(right), np.asarray(roots, np.int64), n_rows)


def vote_classes(rows: np.ndarray, base: np.ndarray, n_trees: int) -> np.ndarray | None:
    """The class of each leaf row when every row is one-hot with the value 1.0 (pure leaves of a
    forest's probabilities), base holds integers and every class's count fits a field of one
    64-bit register, else None. Then every float32 partial sum is an integer below 2^24, exact
    in any order: the walker counts votes and adds base[k] + count[k] once, bit-identical to the
    reference's sums in tree order."""
    bits = np.ascontiguousarray(rows, np.float32).view(np.uint32)
    ones, zeros = bits == 0x3F800000, bits == 0
    b = np.asarray(base, np.float32)
    if not (np.all(ones.sum(axis=1) == 1) and np.all(ones | zeros) and bits_for(n_trees) * rows.shape[1] <= 64):
        return None
    if np.any(b != np.round(b)) or np.any(np.signbit(b)) or float(np.abs(b).max(initial=0)) + n_trees >= 2 ** 24:
        return None   # a -0.0 base is left to the float sums: -0.0 + (float)0 is +0.0
    return np.argmax(ones, axis=1)


@dataclass
class PackedNodes:
    """ec_tree_table_params' node fields: words and the bit layout (low to high: left child,
    right child (ref_bits each), threshold index, missing-left bit; the feature in the top bits,
    so one shift reads it). A child >= n_internal is the leaf row child - n_internal (with votes,
    the class)."""

    words: np.ndarray          # uint16/32/64 [internal]
    word_bytes: int
    ref_bits: int
    feature_shift: int
    feature_bits: int
    threshold_shift: int
    threshold_bits: int        # 0: thresholds has one float per node
    missing_shift: int
    missing_bits: int
    thresholds: np.ndarray     # float32
    roots: np.ndarray          # uint32
    n_internal: int

    @property
    def nbytes(self) -> int:
        return self.words.nbytes + self.thresholds.nbytes + self.roots.nbytes

    @property
    def feature_mask(self) -> int:
        """0xFFFFFFFF when the feature is the word's top field (no masking needed)."""
        if self.feature_bits and self.feature_shift + self.feature_bits == 8 * self.word_bytes:
            return 0xFFFFFFFF
        return (1 << self.feature_bits) - 1


def pack_nodes(w: TreeWalk, leaf_class: np.ndarray | None = None) -> PackedNodes:
    """The smaller of: thresholds deduplicated into a sorted table addressed by an index field,
    or one float32 threshold per node. With leaf_class (vote_classes), leaf children name the
    class instead of the row."""
    left, right, n_int = w.left, w.right, w.n_internal
    if leaf_class is not None:
        remap = lambda a: np.where(a >= n_int, n_int + leaf_class[np.maximum(a - n_int, 0)], a)
        left, right = remap(left), remap(right)
    threshold, feature, missing = w.threshold, w.feature, w.missing
    table, idx = unique_bits(threshold)
    rb = bits_for(int(max(left.max(), right.max())))
    fb = bits_for(int(feature.max()))
    mb = int(bool(missing.any()))
    candidates = []
    for tb in (bits_for(len(table) - 1) or 1, 0):
        total = 2 * rb + tb + mb + fb
        if rb > 31 or fb > 32 or total > 64:
            continue
        nbytes = 2 if total <= 16 else 4 if total <= 32 else 8
        ts, ms = 2 * rb, 2 * rb + tb
        fs = 8 * nbytes - fb if fb else 0
        word = (left.astype(np.uint64) | (right.astype(np.uint64) << rb)
                | (missing.astype(np.uint64) << ms) | (feature.astype(np.uint64) << fs))
        thr = threshold
        if tb:
            word |= idx.astype(np.uint64) << ts
            thr = table
        candidates.append(PackedNodes(as_uint(word, nbytes), nbytes, rb, fs, fb, ts if tb else 0, tb,
                                      ms if mb else 0, mb, np.asarray(thr, np.float32), as_uint(w.roots, 4), n_int))
    if not candidates:
        raise UnsupportedOpError("tree_ensemble", "size", "a node needs more than 64 bits (over 2^31 nodes or rows)")
    return min(candidates, key=lambda p: (p.nbytes, p.threshold_bits == 0))
