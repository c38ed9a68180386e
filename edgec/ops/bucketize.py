"""feature_bucketize: each feature's code is the number of its tree thresholds below it.

The int16/int8 modes of tree models use it in place of a uniform grid (edgec/quant/sklearn_int.py):
with code(x) = lo + 1 + #{edges < x} and a node's integer threshold lo + 1 + k for its edge
e_k, `code <= lo + 1 + k` holds exactly when `x <= e_k`, so integer trees take the float trees'
paths on every input, however close to a threshold. It needs one code per distinct edge of a
feature plus one (254 edges per feature in int8). The search compares floats: it is the
input quantization step, the one float step of the int modes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.classic_q import INT_TYPES, _arr_digest, qrange


@dataclass(frozen=True, eq=False)
class BucketizeAttrs:
    """Feature f's edges are edges[offsets[f]:offsets[f + 1]], float32, strictly increasing."""

    edges: np.ndarray      # float32 [total edges]
    offsets: np.ndarray    # int32 [features + 1]
    bits: int

    def __repr__(self) -> str:
        return f"BucketizeAttrs(bits={self.bits}, sha={_arr_digest(self.edges, self.offsets)})"

    def feature_edges(self, f: int) -> np.ndarray:
        return self.edges[int(self.offsets[f]):int(self.offsets[f + 1])]


def max_edges(bits: int) -> int:
    """Edges one feature may have: its codes run from lo + 1 to hi."""
    lo, hi = qrange(bits)
    return hi - lo - 1


def bucketize_ref(a: BucketizeAttrs, x: np.ndarray) -> np.ndarray:
    lo, _ = qrange(a.bits)
    x = np.asarray(x, np.float32)
    q = np.empty(x.shape, np.int64)
    for f in range(x.shape[1]):
        q[:, f] = lo + 1 + np.searchsorted(a.feature_edges(f), x[:, f], side="left")
    return np.where(np.isnan(x), lo, q).astype(INT_TYPES[a.bits].np)


def _infer(a: BucketizeAttrs, types):
    t, nf = types[0], a.offsets.shape[0] - 1
    if t.rank != 2 or t.dtype.value != "float32" or t.shape[1] != nf:
        raise ShapeError(f"feature_bucketize takes float32 [samples, {nf}], got {t}")
    return [TensorType(t.shape, INT_TYPES[a.bits])]


def _emit(ctx, node):
    from edgec.ir.graph import DType
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    edges = a.edges if a.edges.size else np.zeros(1, np.float32)
    p = ctx.struct("ec_feature_bucketize_params", {
        "n_features": x.shape[1], "edges": ctx.const(edges, f"{node.name}_edges", DType.F32),
        "offsets": ctx.const(a.offsets, f"{node.name}_offsets", DType.I32)}, "fb")
    ctx.call(f"ec_feature_bucketize_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y))


register(OpDef("feature_bucketize", _infer, lambda a, xs: [bucketize_ref(a, xs[0])], _emit,
               ("ec_feature_bucketize",)))
