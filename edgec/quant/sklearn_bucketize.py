"""Exact integer trees: every tree threshold becomes a bucket edge of its feature on the input.

A tree behind per-feature scaler steps tests chain(x) <= t. Each step (add, sub, mul or div by a
constant) rounds monotonically in float32 and the chain's net slope is positive, so chain(x) <= t
holds exactly for x <= e, e the largest float32 whose chain value is <= t. e is found by
bisection over the ordered float32 values, evaluating the steps with their own op references
(what the C computes). The edges of all trees that read the input, merged per feature, feed one
feature_bucketize node; a node's integer threshold is its edge's code (ops/bucketize.py).
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import Node, TensorType, Value
from edgec.ops.base import get as get_op
from edgec.ops.bucketize import BucketizeAttrs, max_edges
from edgec.ops.classic_q import INT_TYPES, qrange

_INF_KEY = 0x7F800000    # the ordered key of +inf (and minus it of -inf)


def _floats(keys: np.ndarray) -> np.ndarray:
    """float32 values of ordered keys (key order = float order, -0.0 folded into +0.0)."""
    keys = keys.astype(np.int64)
    bits = np.where(keys >= 0, keys, 0x80000000 | -keys).astype(np.uint32)
    return bits.view(np.float32)


def _chain_value(chain: list[Node], x: Value, feature: np.ndarray, vals: np.ndarray, n_features: int) -> np.ndarray:
    """chain(x)[feature[k]] for x holding vals[k] at feature[k], one row per k."""
    rows = np.zeros((vals.shape[0], n_features), np.float32)
    rows[np.arange(vals.shape[0]), feature] = vals
    cur, v = rows, x
    with np.errstate(all="ignore"):
        for n in chain:
            args = [cur if i is v else np.asarray(i.data, np.float32) for i in n.inputs]
            cur, v = np.asarray(get_op(n.op).ref(n.attrs, args)[0], np.float32), n.outputs[0]
    return cur[np.arange(vals.shape[0]), feature]


def input_edges(chain: list[Node], x: Value, feature: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Per node, the largest float32 e on the input with chain(e) <= threshold (float32)."""
    t = np.asarray(threshold, np.float32)
    if not chain:
        return t.copy()
    nf = x.shape[1]
    lo = np.full(t.shape, -_INF_KEY, np.int64)       # chain(-inf) = -inf <= t: always left
    hi = np.full(t.shape, _INF_KEY + 1, np.int64)    # past +inf: never left
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        left = _chain_value(chain, x, feature, _floats(mid), nf) <= t
        lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
    return _floats(lo)


def bucketize_trees(x: Value, ends: list[tuple[Node, list[Node]]], bits: int):
    """(feature_bucketize node on x, {id(tree node): integer thresholds}) for the tree_ensemble
    nodes `ends` (each with the scaler steps between x and it), or None when a feature has more
    distinct edges than codes."""
    nf = x.shape[1]
    per_end, all_f, all_e = {}, [], []
    for end, chain in ends:
        t = end.attrs.trees
        internal = t.feature >= 0
        f = np.where(internal, t.feature, 0)
        e = input_edges(chain, x, f[internal], t.threshold[internal])
        per_end[id(end)] = (internal, f, e)
        all_f.append(f[internal])
        all_e.append(e)
    feats, edges = np.concatenate(all_f), np.concatenate(all_e).astype(np.float32)
    table = [np.unique(edges[feats == k]) for k in range(nf)]
    if any(len(u) > max_edges(bits) for u in table):
        return None
    lo, _ = qrange(bits)
    offsets = np.concatenate([[0], np.cumsum([len(u) for u in table])]).astype(np.int32)
    thresholds = {}
    for key, (internal, f, e) in per_end.items():
        T = np.zeros(internal.shape, np.int32)
        T[internal] = [lo + 1 + int(np.searchsorted(table[k], v)) for k, v in zip(f[internal], e)]
        thresholds[key] = T
    attrs = BucketizeAttrs(np.concatenate(table).astype(np.float32) if nf else np.zeros(0, np.float32), offsets, bits)
    xb = Value(f"{x.name}_bucket", TensorType(x.shape, INT_TYPES[bits]))
    return Node("feature_bucketize", [x], [xb], attrs, "feature_bucketize"), thresholds
