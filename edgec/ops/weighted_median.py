"""weighted_median: per row, the smallest value whose weight share reaches one half.

AdaBoostRegressor predicts the weighted median of its trees' predictions: scikit-learn sorts
a sample's predictions, accumulates their weights in that order and returns the first one whose
cumulative weight is >= half the total. That first value is the smallest v with
sum(weights of predictions <= v) >= half, which needs no sort and no scratch: the C kernel
tests each prediction in O(n^2) (n, the number of trees, is small).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register


@dataclass(frozen=True)
class WeightedMedianAttrs:
    """weights: one float32 weight per column (>= 0). half: the float32 share to reach (half the
    total, computed once at compile time)."""

    weights: tuple[float, ...]
    half: float


def weighted_median_attrs(weights) -> WeightedMedianAttrs:
    w = np.asarray(weights, np.float64)
    if w.ndim != 1 or w.size == 0 or (w < 0).any() or not np.isfinite(w).all():
        raise ShapeError("weighted_median needs one finite weight >= 0 per column")
    return WeightedMedianAttrs(tuple(float(v) for v in w.astype(np.float32)), float(np.float32(0.5 * w.sum())))


def _infer(attrs: WeightedMedianAttrs, types: list[TensorType]) -> list[TensorType]:
    x = types[0]
    if x.rank != 2 or x.dtype != DType.F32 or x.shape[1] != len(attrs.weights):
        raise ShapeError(f"weighted_median takes float32 [rows, {len(attrs.weights)}], got {x}")
    return [TensorType((x.shape[0], 1), DType.F32)]


def weighted_median(x: np.ndarray, weights: np.ndarray, half: np.float32) -> np.ndarray:
    """[rows, 1]: per row, the smallest x[j] with the float32 sum (in column order) of the
    weights of x <= x[j] at least `half`; the largest value if rounding leaves none there."""
    x = np.asarray(x, np.float32)
    w = np.asarray(weights, np.float32)
    out = np.empty((x.shape[0], 1), np.float32)
    for r, row in enumerate(x):
        best = np.float32(np.max(row))
        for j, v in enumerate(row):
            if v < best:
                acc = np.float32(0)
                for k in range(len(row)):
                    if row[k] <= v:
                        acc = np.float32(acc + w[k])
                if acc >= half:
                    best = v
        out[r, 0] = best
    return out


def _ref(attrs: WeightedMedianAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    return [weighted_median(xs[0], np.asarray(attrs.weights, np.float32), np.float32(attrs.half))]


def _emit(ctx, node) -> None:
    from edgec.backend.cformat import c_float
    x, y, a = node.inputs[0], node.outputs[0], node.attrs
    w = ctx.const(np.asarray(a.weights, np.float32), f"{node.name}_weights", DType.F32)
    ctx.call("ec_weighted_median_f32", ctx.ptr(x), str(x.shape[0]), str(x.shape[1]), w, c_float(a.half), ctx.ptr(y))


WEIGHTED_MEDIAN = register(OpDef("weighted_median", _infer, _ref, _emit, sources=("ec_weighted_median_f32",)))
