"""The int16/int8 modes of classical models: features quantized per feature, integer trees and
linear layers, int32 scores.

The float graph from the scikit-learn (or ONNX-ML) front end is rewritten in place of its input:
  X -> feature_quantize (per-feature scale and zero point from the calibration sample; NaN gets
       its own code) -> tree_ensemble_q / linear_q -> int32 scores -> arg_max (labels, no float)
                                                                 -> scale_s32 -> float outputs
Per-feature affine steps between X and a tree or linear layer (the scalers of a Pipeline) are
folded into its thresholds or weights first. Distance models (NearestCentroid, GaussianNB, rbf
kernels) get integer distances (sklearn_int_distance). Trees read bucket codes instead, whose edges
are their own thresholds (sklearn_bucketize): `q <= T` then equals `x <= t` on every input. Only
when a feature has more distinct thresholds than codes do trees fall back to the uniform grid,
where t maps to its own code T and x just above t in the same step goes left. Consumers of X with
no integer form (poly or sigmoid kernels, ...) keep reading the float features: float islands, listed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import DataError
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.classic_q import (INT_TYPES, FeatureQuantAttrs, LinearQAttrs, ScaleAttrs, TreeEnsembleQAttrs,
                                 qrange)
from edgec.ops.elementwise import PointwiseAttrs
from edgec.passes.eliminate_dead_code import eliminate_dead_code
from edgec.quant.sklearn_bucketize import bucketize_trees
from edgec.quant.sklearn_int_distance import integer_distances

_AFFINE_OPS = ("add", "sub", "mul", "div")
MARGIN = {16: 0.25, 8: 0.05}
LEAF_MAX = 32767    # tree leaf values: int16 whatever the feature width   # widening of each feature's sample range, per side, by bits


@dataclass
class FeatureAffine:
    """x' = a * x + b per feature (what a chain of scaler steps computes)."""

    a: np.ndarray
    b: np.ndarray


def feature_qparams(sample: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (scale, zero_point) spreading each feature's sample range (widened by MARGIN)
    over the codes [lo + 1, hi] (lo is kept for NaN)."""
    lo, hi = qrange(bits)
    with np.errstate(all="ignore"):
        fmin = np.nan_to_num(np.nanmin(sample, axis=0), nan=0.0)
        fmax = np.nan_to_num(np.nanmax(sample, axis=0), nan=0.0)
    # headroom for unseen values: linear models extrapolate, and a clamped feature changes their
    # score; int16 has bits to spare, int8 keeps most of its resolution
    pad = (fmax - fmin) * MARGIN[bits]
    fmin, fmax = fmin - pad, fmax + pad
    span = np.float64(hi - (lo + 1))
    scale = (fmax - fmin) / span
    flat = ~(scale > 0)
    scale[flat] = np.maximum(np.abs(fmin[flat]), 1.0) / span
    # keep |zero point| below 2^22 so the C clamps in float stay exact (a narrow range far from 0
    # then gets a coarser step)
    scale = np.maximum(scale, np.maximum(np.abs(fmin), np.abs(fmax)) / 2.0 ** 21)
    scale = scale.astype(np.float32).astype(np.float64)
    zp = np.round((lo + 1) - fmin / scale)
    return scale.astype(np.float32), zp.astype(np.int32)


def integerize(g: Graph, sample: np.ndarray, bits: int) -> tuple[Graph, list[str]]:
    """Rewrites the float classical-model graph `g` for `bits`-bit features; returns the graph
    and the float islands left (op: reason)."""
    if bits not in INT_TYPES:
        raise DataError(f"int{bits}: expected 16 or 8 bits")
    x = g.inputs[0]
    sample = np.asarray(sample, np.float64).reshape(-1, x.shape[1]) if sample is not None else None
    if sample is None or sample.shape[0] == 0:
        raise DataError("int16/int8 modes need representative feature rows: pass sample=X (CLI: --sample X.npz)")
    scale, zp = feature_qparams(sample, bits)
    g = g.copy()
    xq = Value(f"{x.name}_q", TensorType(x.shape, INT_TYPES[bits]))
    nodes = [Node("feature_quantize", [x], [xq], FeatureQuantAttrs(scale, zp, bits), "feature_quantize")]
    consumers = g.consumers()
    replaced: dict[int, list[Node]] = integer_distances(g, x, xq, scale, zp, bits, sample, consumers)
    trees = []
    for n in consumers.get(x, []):
        chain, end, affine = _affine_chain(g, n, x, consumers)
        if end is not None and end.op == "tree_ensemble" and np.all(affine.a > 0):
            trees.append((end, chain, affine))
            continue
        new = _integer_node(end, affine, xq, scale, zp, bits) if end is not None else None
        if new is not None:
            replaced[id(end)] = new
    nodes += _integer_trees(trees, x, xq, scale, zp, bits, replaced)
    for n in g.nodes:
        nodes.extend(replaced.get(id(n), [n]))
    out = Graph(g.name, g.inputs, g.outputs, nodes)
    out = _argmax_on_integers(out)
    out = eliminate_dead_code(out)
    return out, _islands(out)


def _affine_chain(g: Graph, n: Node, x: Value, consumers) -> tuple[list[Node], Node | None, FeatureAffine]:
    """Follows per-feature affine steps from x; returns (steps, the first other node, affine)."""
    f = x.shape[1]
    aff = FeatureAffine(np.ones(f), np.zeros(f))
    chain, v = [], x
    while n.op in _AFFINE_OPS:
        c = _feature_const(n, v, f)
        if c is None:
            return chain, None, aff
        const, v_first = c
        if n.op == "add":
            aff = FeatureAffine(aff.a, aff.b + const)
        elif n.op == "sub":
            aff = FeatureAffine(aff.a, aff.b - const) if v_first else FeatureAffine(-aff.a, const - aff.b)
        elif n.op == "mul":
            aff = FeatureAffine(aff.a * const, aff.b * const)
        elif n.op == "div":
            if not v_first or np.any(const == 0):
                return chain, None, aff
            aff = FeatureAffine(aff.a / const, aff.b / const)
        chain.append(n)
        v = n.outputs[0]
        users = consumers.get(v, [])
        if len(users) != 1 or v in g.outputs:
            return chain, None, aff
        n = users[0]
    if n.inputs[0] is not v:
        return chain, None, aff
    return chain, n, aff


def _feature_const(n: Node, v: Value, f: int):
    """(per-feature float64 constant, v is the first operand) of a binary step, or None."""
    if len(n.inputs) != 2:
        return None
    other = n.inputs[1] if n.inputs[0] is v else n.inputs[0]
    if other is None or not other.is_const or n.outputs[0].shape != v.shape:
        return None
    c = np.asarray(other.data, np.float64)
    if c.size not in (1, f):
        return None
    return np.broadcast_to(c.reshape(-1), (f,)).astype(np.float64), n.inputs[0] is v


def _integer_trees(trees, x: Value, xq: Value, scale, zp, bits, replaced: dict) -> list[Node]:
    """Integer forms of the tree ensembles reading x (each after its scaler steps), into
    `replaced`: on bucket codes, exact, when every feature's merged thresholds fit the codes; else
    on the uniform grid. Returns the bucketize node to add, if any."""
    if not trees:
        return []
    bucket = bucketize_trees(x, [(end, chain) for end, chain, _ in trees], bits)
    if bucket is None:
        for end, _, affine in trees:
            replaced[id(end)] = _tree_q(end, affine, xq, scale, zp, bits)
        return []
    node, thresholds = bucket
    for end, _, _ in trees:
        replaced[id(end)] = _tree_q_nodes(end, node.outputs[0], thresholds[id(end)], bits)
    return [node]


def _integer_node(n: Node, aff: FeatureAffine, xq: Value, scale, zp, bits) -> list[Node] | None:
    if n.op == "gemm" and n.inputs[1].is_const and (len(n.inputs) < 3 or n.inputs[2] is None or n.inputs[2].is_const):
        return _linear_q(n, aff, xq, scale, zp, bits)
    return None


def _scores_to_float(n: Node, scores: Value, score_scale: float) -> Node:
    """The old node's float output, now computed from the int32 scores."""
    return Node("scale_s32", [scores], [n.outputs[0]], ScaleAttrs(float(score_scale)), f"{n.name}_float",
                {"int_scores": scores})


def _tree_q(n: Node, aff: FeatureAffine, xq: Value, scale, zp, bits) -> list[Node]:
    t = n.attrs.trees
    lo, hi = qrange(bits)
    internal = t.feature >= 0
    f = np.where(internal, t.feature, 0)
    # threshold on x' = a x + b  ->  on x, then into the feature's integer grid
    tx = (t.threshold.astype(np.float64) - aff.b[f]) / aff.a[f]
    # T = the code of t itself, quantized exactly as the features are: a feature equal to the
    # threshold (common with discrete features) then still goes left
    with np.errstate(all="ignore"):
        r = (tx.astype(np.float32) / scale[f]).astype(np.float64)
        T = np.sign(r) * np.floor(np.abs(r) + 0.5) + zp[f]
    T = np.where(internal, np.clip(np.nan_to_num(T, nan=lo, posinf=hi, neginf=lo), lo, hi), 0).astype(np.int32)
    return _tree_q_nodes(n, xq, T, bits)


def _tree_q_nodes(n: Node, xq: Value, T: np.ndarray, bits: int) -> list[Node]:
    """tree_ensemble_q on the codes xq with integer thresholds T (int16 leaves), and the float
    output computed from its int32 scores."""
    t = n.attrs.trees
    vmax = max(float(np.abs(t.leaf_values).max(initial=0.0)), float(np.abs(t.base).max(initial=0.0)) / max(1, t.n_trees))
    # leaf values are int16 in both modes: boosting sums hundreds of small leaves, whose int8
    # rounding errors add up to flipped classes, and leaves are a small part of a forest's flash
    vs = vmax / LEAF_MAX if vmax > 0 else 1.0
    leaves = np.clip(np.round(t.leaf_values.astype(np.float64) / vs), -LEAF_MAX, LEAF_MAX).astype(np.int16)
    base = np.round(t.base.astype(np.float64) / vs).astype(np.int32)
    scores = Value(f"{n.name}_scores", TensorType(n.outputs[0].shape, DType.I32))
    q = Node("tree_ensemble_q", [xq], [scores], TreeEnsembleQAttrs(t, T, leaves, base, bits, vs), n.name)
    return [q, _scores_to_float(n, scores, vs)]


def _linear_q(n: Node, aff: FeatureAffine, xq: Value, scale, zp, bits) -> list[Node]:
    _, hi = qrange(bits)
    w = n.inputs[1].data.astype(np.float64)
    b = np.zeros(w.shape[0]) if len(n.inputs) < 3 or n.inputs[2] is None else n.inputs[2].data.astype(np.float64)
    # W (a x + b0) + b  with  x = s (q - z)
    wx, bx = w * aff.a, b + w @ aff.b
    w2 = wx * scale.astype(np.float64)
    bias_real = bx - w2 @ zp.astype(np.float64)
    wmax = float(np.abs(w2).max(initial=0.0))
    sw = wmax / hi if wmax > 0 else 1.0
    wq = np.clip(np.round(w2 / sw), -hi, hi).astype(INT_TYPES[bits].np)
    bq = np.round(bias_real / sw).astype(np.int64)
    bound = int(np.abs(wq.astype(np.int64)).sum(axis=1).max(initial=0)) * (hi + 1) + int(np.abs(bq).max(initial=0))
    shift = max(0, bound.bit_length() - 31)
    scores = Value(f"{n.name}_scores", TensorType(n.outputs[0].shape, DType.I32))
    score_scale = sw * 2.0 ** shift
    q = Node("linear_q", [xq], [scores], LinearQAttrs(wq, bq, shift, bits, score_scale), n.name)
    act = getattr(n.attrs, "act", None)
    if act is None:
        return [q, _scores_to_float(n, scores, score_scale)]
    pre = Value(f"{n.name}_pre", TensorType(n.outputs[0].shape, DType.F32))
    return [q, Node("scale_s32", [scores], [pre], ScaleAttrs(float(score_scale)), f"{n.name}_float"),
            Node(act.kind, [pre], [n.outputs[0]], PointwiseAttrs(act.alpha, act.beta), f"{n.name}_{act.kind}")]


def _argmax_on_integers(g: Graph) -> Graph:
    """arg_max of a scale_s32 output reads the int32 scores: same order, no float."""
    prod = g.producers()
    g = g.copy()
    for n in g.nodes:
        if n.op == "arg_max":
            p = prod.get(n.inputs[0])
            if p is not None and p.op == "scale_s32" and p.attrs.scale > 0:
                n.inputs = [p.inputs[0]]
    return g


_BOUNDARY = {"feature_quantize", "feature_bucketize", "scale_s32", "arg_max", "tree_ensemble_q", "linear_q", "sq_distance_q", "knn_q", "copy", "reshape", "identity"}


def _islands(g: Graph) -> list[str]:
    """The nodes still computing in float (after the int32 scores or beside them)."""
    out = []
    for n in g.nodes:
        if n.op in _BOUNDARY:
            continue
        if any(v is not None and v.type.dtype == DType.F32 for v in n.outputs):
            out.append(f"{n.op} {n.name}: float (no integer form in the int modes)")
    return out

