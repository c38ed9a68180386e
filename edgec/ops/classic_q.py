"""Integer ops of the int16/int8 modes of classical (scikit-learn) models.

Features are quantized per feature at the input (`feature_quantize`, the one float step), then
trees compare integers against thresholds mapped into each feature's integer grid
(`tree_ensemble_q`) and linear layers multiply integers (`linear_q`). Both produce int32 scores
with one scale, so `arg_max` picks the class without any float; `scale_s32` turns scores into
floats only where a float output (probabilities, a regressor's value) is wanted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.tree_ensemble import TreeEnsemble, leaves_reached

INT_TYPES = {8: DType.I8, 16: DType.I16}


def qrange(bits: int) -> tuple[int, int]:
    """(code for NaN, largest code); real values use [nan_code + 1, largest]."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _arr_digest(*arrays) -> str:
    import hashlib
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


# -- feature_quantize -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FeatureQuantAttrs:
    """q[f] = clamp(round_half_away(x[f] / scale[f]) + zero_point[f], lo + 1, hi); NaN -> lo."""

    scale: np.ndarray       # float32 [features]
    zero_point: np.ndarray  # int32 [features]
    bits: int

    def __repr__(self) -> str:
        return f"FeatureQuantAttrs(bits={self.bits}, sha={_arr_digest(self.scale, self.zero_point)})"


def feature_quantize_ref(a: FeatureQuantAttrs, x: np.ndarray) -> np.ndarray:
    lo, hi = qrange(a.bits)
    x = np.asarray(x, np.float32)
    with np.errstate(invalid="ignore"):
        r = (x / a.scale.astype(np.float32)).astype(np.float64)
        r = np.sign(r) * np.floor(np.abs(r) + 0.5)
        zp = a.zero_point.astype(np.float64)
        r = np.clip(np.nan_to_num(r, nan=0.0), lo + 1 - zp, hi - zp) + zp
    return np.where(np.isnan(x), lo, r).astype(INT_TYPES[a.bits].np)


def _fq_infer(a: FeatureQuantAttrs, types):
    t = types[0]
    if t.rank != 2 or t.dtype != DType.F32 or t.shape[1] != a.scale.shape[0]:
        raise ShapeError(f"feature_quantize takes float32 [samples, {a.scale.shape[0]}], got {t}")
    return [TensorType(t.shape, INT_TYPES[a.bits])]


def _fq_emit(ctx, node):
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    p = ctx.struct("ec_feature_quant_params", {
        "n_features": x.shape[1], "scale": ctx.const(a.scale, f"{node.name}_scale", DType.F32),
        "zero_point": ctx.const(a.zero_point, f"{node.name}_zero_point", DType.I32)}, "fq")
    ctx.call(f"ec_feature_quantize_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y))


register(OpDef("feature_quantize", _fq_infer, lambda a, xs: [feature_quantize_ref(a, xs[0])], _fq_emit,
               ("ec_feature_quantize",)))


# -- tree_ensemble_q ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TreeEnsembleQAttrs:
    """The trees of a TreeEnsemble with integer thresholds of the feature width (left when
    q <= threshold; a NaN code goes left only at missing_left nodes) and int16 leaf values; int32
    sums start at base."""

    trees: TreeEnsemble          # structure (feature, left, right, missing_left, leaf, roots)
    threshold: np.ndarray        # int32 [nodes], within the feature type's range
    leaf_values: np.ndarray      # int16 [leaves, targets]
    base: np.ndarray             # int32 [targets]
    bits: int                    # feature and leaf width
    scale: float                 # real score = scale * int32 score

    def __repr__(self) -> str:
        return (f"TreeEnsembleQAttrs(bits={self.bits}, scale={self.scale!r}, trees={self.trees!r}, "
                f"sha={_arr_digest(self.threshold, self.leaf_values, self.base)})")


def tree_q_ref(a: TreeEnsembleQAttrs, q: np.ndarray) -> np.ndarray:
    t = a.trees
    lo, _ = qrange(a.bits)
    q = np.asarray(q, np.int64)

    def goes_left(t, qv, node):   # integer threshold; the NaN code only to missing_left sides
        return (qv <= a.threshold[node]) & ((qv != lo) | t.missing_left[node])

    leaves = t.leaf[leaves_reached(t, q, goes_left)]
    out = np.broadcast_to(a.base.astype(np.int64), (q.shape[0], t.n_targets)).copy()
    for k in range(t.n_trees):
        out += a.leaf_values[leaves[:, k]].astype(np.int64)
    return out.astype(np.int32)


def _tq_infer(a: TreeEnsembleQAttrs, types):
    x = types[0]
    if x.rank != 2 or x.dtype != INT_TYPES[a.bits]:
        raise ShapeError(f"tree_ensemble_q takes int{a.bits} [samples, features], got {x}")
    return [TensorType((x.shape[0], a.trees.n_targets), DType.I32)]


def _tq_emit(ctx, node):
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    t, n, it = a.trees, node.name, INT_TYPES[a.bits]
    c = lambda arr, hint, dt: ctx.const(np.asarray(arr), f"{n}_{hint}", dt)
    p = ctx.struct(f"ec_tree_table_s{a.bits}_params", {
        "n_trees": t.n_trees, "n_targets": t.n_targets, "roots": c(t.roots, "roots", DType.I32),
        "feature": c(t.feature, "feature", DType.I32), "threshold": c(a.threshold, "threshold", it),
        "left": c(t.left, "left", DType.I32), "right": c(t.right, "right", DType.I32),
        "missing_left": c(t.missing_left.astype(np.uint8), "missing_left", DType.U8),
        "leaf": c(t.leaf, "leaf", DType.I32), "leaf_values": c(a.leaf_values, "leaf_values", DType.I16),
        "base": c(a.base, "base", DType.I32)}, "trees_q")
    ctx.call(f"ec_tree_ensemble_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), str(x.shape[1]), ctx.ptr(y))


register(OpDef("tree_ensemble_q", _tq_infer, lambda a, xs: [tree_q_ref(a, xs[0])], _tq_emit, ("ec_tree_ensemble_q",)))


# -- linear_q -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LinearQAttrs:
    """y[o] = floor((bias[o] + sum_f weight[o, f] * q[f]) / 2^shift), accumulated exactly (int64
    for 16-bit operands), so y fits int32; real = scale * y."""

    weight: np.ndarray    # int16/int8 [outputs, features]
    bias: np.ndarray      # int64 [outputs]
    shift: int
    bits: int
    scale: float

    def __repr__(self) -> str:
        return f"LinearQAttrs(bits={self.bits}, shift={self.shift}, scale={self.scale!r}, sha={_arr_digest(self.weight, self.bias)})"


def linear_q_ref(a: LinearQAttrs, q: np.ndarray) -> np.ndarray:
    acc = np.asarray(q, np.int64) @ a.weight.astype(np.int64).T + a.bias.astype(np.int64)
    return (acc >> a.shift).astype(np.int32)


def _lq_infer(a: LinearQAttrs, types):
    x = types[0]
    if x.rank != 2 or x.dtype != INT_TYPES[a.bits] or x.shape[1] != a.weight.shape[1]:
        raise ShapeError(f"linear_q takes int{a.bits} [samples, {a.weight.shape[1]}], got {x}")
    return [TensorType((x.shape[0], a.weight.shape[0]), DType.I32)]


def _lq_emit(ctx, node):
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    p = ctx.struct(f"ec_linear_s{a.bits}_params", {
        "n_in": a.weight.shape[1], "n_out": a.weight.shape[0], "shift": a.shift,
        "weight": ctx.const(a.weight, f"{node.name}_weight", INT_TYPES[a.bits]),
        "bias": ctx.const(a.bias, f"{node.name}_bias", DType.I64)}, "linear_q")
    ctx.call(f"ec_linear_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y))


register(OpDef("linear_q", _lq_infer, lambda a, xs: [linear_q_ref(a, xs[0])], _lq_emit, ("ec_linear_q",),
               macs=lambda a, i, o: int(a.weight.size) * i[0].shape[0]))


# -- scale_s32 ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScaleAttrs:
    """y = float32(x) * scale."""

    scale: float


def _sc_infer(a, types):
    if types[0].dtype != DType.I32:
        raise ShapeError(f"scale_s32 takes int32, got {types[0]}")
    return [TensorType(types[0].shape, DType.F32)]


def _sc_emit(ctx, node):
    from edgec.backend.cformat import c_float
    x, y = node.inputs[0], node.outputs[0]
    ctx.call("ec_scale_s32", ctx.ptr(x), str(x.type.size), c_float(node.attrs.scale), ctx.ptr(y))


register(OpDef("scale_s32", _sc_infer,
               lambda a, xs: [(np.asarray(xs[0]).astype(np.float32) * np.float32(a.scale)).astype(np.float32)],
               _sc_emit, ("ec_scale_s32",)))
