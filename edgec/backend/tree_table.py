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
    kind: str                      # "direct" | "palette" | "sparse"
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


def pack_leaves(rows: np.ndarray, base: np.ndarray) -> PackedLeaves:
    """The smallest exact encoding of the distinct leaf rows [rows, targets]."""
    rows = np.ascontiguousarray(rows, np.float32)
    options = [_direct(rows), _palette(rows)]
    negative_zero_base = bool(np.any(np.signbit(base) & (base == 0)))
    if not negative_zero_base:     # +0.0 skipped exactly only when no sum can be -0.0
        sparse = _sparse(rows)
        if sparse is not None:
            options.append(sparse)
    return min(options, key=lambda p: p.nbytes)


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
    """The trees in preorder: internal nodes only; a child is an internal node or a leaf row."""

    feature: np.ndarray    # [internal]
    threshold: np.ndarray  # float32 [internal]
    missing: np.ndarray    # bool [internal]
    left: np.ndarray       # ref: (distance << 1) or (row << 1 | 1)
    right: np.ndarray
    roots: np.ndarray      # [trees] first internal node of each tree
    depth: np.ndarray      # [trees] internal nodes on the longest path
    n_rows: int


def preorder(t: TreeEnsemble, node_row: np.ndarray, n_rows: int) -> TreeWalk:
    """Every tree's internal nodes in preorder (left first), so a left internal child is next.

    A tree that is one leaf gets one internal node whose both children are that leaf."""
    feature, threshold, missing, left, right, roots, depth = [], [], [], [], [], [], []
    for root in t.roots.tolist():
        roots.append(len(feature))
        if t.feature[root] < 0:
            leaf = int(node_row[root]) << 1 | 1
            feature.append(0); threshold.append(0.0); missing.append(False); left.append(leaf); right.append(leaf)
            depth.append(1)
            continue
        order, pos, stack, level = [], {}, [root], {root: 1}
        while stack:                              # iterative: trees may be deep
            n = stack.pop()
            pos[n] = len(order)
            order.append(n)
            for c in (int(t.right[n]), int(t.left[n])):
                if t.feature[c] >= 0:
                    stack.append(c)
                    level[c] = level[n] + 1
        base = len(feature)
        for k, n in enumerate(order):
            feature.append(int(t.feature[n]))
            threshold.append(t.threshold[n])
            missing.append(bool(t.missing_left[n]))
            refs = []
            for c in (int(t.left[n]), int(t.right[n])):
                refs.append(int(node_row[c]) << 1 | 1 if t.feature[c] < 0 else (pos[c] - k) << 1)
            left.append(refs[0]); right.append(refs[1])
        assert all(left[base + k] == 2 or left[base + k] & 1 for k in range(len(order)))
        depth.append(max(level.values()))
    return TreeWalk(np.asarray(feature, np.int64), np.asarray(threshold, np.float32), np.asarray(missing, bool),
                    np.asarray(left, np.int64), np.asarray(right, np.int64), np.asarray(roots, np.int64),
                    np.asarray(depth, np.int64), n_rows)


LANES_MIN_BYTES = 24 * 1024


@dataclass
class PackedNodes:
    """ec_tree_table_params' node fields: words and the bit layout (low to high: left ref, right
    ref, threshold index, missing-left bit; the feature in the top bits, so one shift reads it)."""

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
    depth: np.ndarray          # uint16, for the lanes walker

    @property
    def nbytes(self) -> int:
        return self.words.nbytes + self.thresholds.nbytes + self.roots.nbytes

    @property
    def lanes(self) -> bool:
        """Walk four trees at a time without branches: for node data beyond a typical L1 data
        cache, where the latency of each dependent load, not the instruction count, dominates."""
        return self.words.nbytes + self.thresholds.nbytes > LANES_MIN_BYTES

    @property
    def feature_mask(self) -> int:
        """0xFFFFFFFF when the feature is the word's top field (no masking needed)."""
        if self.feature_bits and self.feature_shift + self.feature_bits == 8 * self.word_bytes:
            return 0xFFFFFFFF
        return (1 << self.feature_bits) - 1


def pack_nodes(w: TreeWalk) -> PackedNodes:
    """The smaller of: thresholds deduplicated into a sorted table addressed by an index field,
    or one float32 threshold per node."""
    if int(w.depth.max()) >= 2 ** 16:
        raise UnsupportedOpError("tree_ensemble", "depth", f"a tree {int(w.depth.max())} levels deep")
    table, idx = unique_bits(w.threshold)
    rb = bits_for(int(max(w.left.max(), w.right.max())))
    fb = bits_for(int(w.feature.max()))
    mb = int(bool(w.missing.any()))
    candidates = []
    for tb in (bits_for(len(table) - 1) or 1, 0):
        total = 2 * rb + tb + mb + fb
        if rb > 31 or fb > 32 or total > 64:
            continue
        nbytes = 2 if total <= 16 else 4 if total <= 32 else 8
        ts, ms = 2 * rb, 2 * rb + tb
        fs = 8 * nbytes - fb if fb else 0
        word = (w.left.astype(np.uint64) | (w.right.astype(np.uint64) << rb)
                | (w.missing.astype(np.uint64) << ms) | (w.feature.astype(np.uint64) << fs))
        thr = w.threshold
        if tb:
            word |= idx.astype(np.uint64) << ts
            thr = table
        candidates.append(PackedNodes(as_uint(word, nbytes), nbytes, rb, fs, fb, ts if tb else 0, tb,
                                      ms if mb else 0, mb, np.asarray(thr, np.float32), as_uint(w.roots, 4),
                                      as_uint(w.depth, 2)))
    if not candidates:
        raise UnsupportedOpError("tree_ensemble", "size", "a node needs more than 64 bits (over 2^31 nodes or rows)")
    return min(candidates, key=lambda p: (p.nbytes, p.threshold_bits == 0))
