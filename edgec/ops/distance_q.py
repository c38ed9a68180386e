"""sq_distance_q: integer weighted distances from per-feature-quantized samples to constant centres.

The int16/int8 modes of distance models (NearestCentroid, GaussianNB, rbf kernels). Centres are
quantized on the samples' own per-feature grid, so q - c is an exact integer; each term is
weighted by an integer (per feature, or per centre and feature: GaussianNB's 1/var), summed
exactly in int64 and moved into int32 scores:

  acc[c] = bias[c] + sign * sum_f weight[c or 0, f] * t(q[f] - centre[c, f]),  t = d*d or |d|
  y[c]   = saturate_int32(floor(acc[c] / 2^shift));  real value = scale * y[c]

Saturation instead of a worst-case shift: the shift is fitted to the calibration sample's scores
that matter (the best classes; for kernels the distances where exp(-gamma d) is not yet 0), and a
far-away centre only needs to stay far. The weights are bounded at compile time so that the int64
sum cannot overflow for any feature code.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.classic_q import INT_TYPES, _arr_digest

KINDS = ("sq", "abs")
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass(frozen=True, eq=False)
class SqDistanceQAttrs:
    kind: str               # "sq" (squared differences) or "abs" (absolute differences)
    centers: np.ndarray     # int32 [C, F] codes on the features' grid
    weight: np.ndarray      # int32 [1 or C, F], >= 0
    bias: np.ndarray        # int64 [C]
    sign: int               # +1 or -1 (scores that grow with closeness)
    shift: int
    bits: int               # feature width
    scale: float            # real = scale * y

    def __repr__(self) -> str:
        return (f"SqDistanceQAttrs(kind={self.kind}, sign={self.sign}, shift={self.shift}, bits={self.bits}, "
                f"scale={self.scale!r}, sha={_arr_digest(self.centers, self.weight, self.bias)})")


def distance_acc(a: SqDistanceQAttrs, q: np.ndarray, rows: int = 64) -> np.ndarray:
    """The exact int64 accumulators acc [N, C] (before shift and saturation)."""
    q = np.asarray(q, np.int64)
    c = a.centers.astype(np.int64)
    w = a.weight.astype(np.int64)
    out = np.empty((q.shape[0], c.shape[0]), np.int64)
    for s in range(0, q.shape[0], rows):
        d = q[s:s + rows, None, :] - c[None]
        t = d * d if a.kind == "sq" else np.abs(d)
        out[s:s + rows] = a.bias.astype(np.int64) + a.sign * (t * w[None]).sum(-1)
    return out


def to_scores(acc: np.ndarray, shift: int) -> np.ndarray:
    """floor(acc / 2^shift) saturated to int32."""
    return np.clip(np.asarray(acc, np.int64) >> shift, I32_MIN, I32_MAX).astype(np.int32)


def sq_distance_q_ref(a: SqDistanceQAttrs, q: np.ndarray) -> np.ndarray:
    return to_scores(distance_acc(a, q), a.shift)


def _infer(a: SqDistanceQAttrs, types):
    x = types[0]
    if a.kind not in KINDS:
        raise ShapeError(f"sq_distance_q: kind '{a.kind}' (one of {', '.join(KINDS)})")
    if x.rank != 2 or x.dtype != INT_TYPES[a.bits] or x.shape[1] != a.centers.shape[1]:
        raise ShapeError(f"sq_distance_q takes int{a.bits} [samples, {a.centers.shape[1]}], got {x}")
    if a.weight.shape[0] not in (1, a.centers.shape[0]) or a.weight.shape[1] != a.centers.shape[1]:
        raise ShapeError(f"sq_distance_q: weight {a.weight.shape} for centres {a.centers.shape}")
    return [TensorType((x.shape[0], a.centers.shape[0]), DType.I32)]


def _emit(ctx, node):
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    n = node.name
    p = ctx.struct(f"ec_sq_distance_s{a.bits}_params", {
        "n_features": a.centers.shape[1], "n_centers": a.centers.shape[0],
        "per_center_weight": int(a.weight.shape[0] > 1), "absolute": int(a.kind == "abs"),
        "negate": int(a.sign < 0), "shift": a.shift,
        "centers": ctx.const(a.centers, f"{n}_centers", DType.I32),
        "weight": ctx.const(a.weight, f"{n}_weight", DType.I32),
        "bias": ctx.const(a.bias, f"{n}_bias", DType.I64)}, "dist_q")
    ctx.call(f"ec_sq_distance_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y))


register(OpDef("sq_distance_q", _infer, lambda a, xs: [sq_distance_q_ref(a, xs[0])], _emit, ("ec_sq_distance_q",),
               macs=lambda a, i, o: int(a.centers.size) * i[0].shape[0]))
