"""one_hot: an int32 class label -> a float32 row with 1 where the label matches, 0 elsewhere.

Meta-estimators need it where scikit-learn counts or re-labels predictions: hard voting adds the
members' one-hot votes, bagging counts the votes of members without predict_proba, and a label
can be re-mapped (one_hot then arg_max with new labels) or used as a number (one_hot then a gemm
with the label values), all with ops the simulator and the C back end already know.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register


@dataclass(frozen=True)
class OneHotAttrs:
    """labels: the value each output column matches (a label matching none gives a zero row)."""

    labels: tuple[int, ...]


def _infer(a: OneHotAttrs, types: list[TensorType]) -> list[TensorType]:
    x = types[0]
    if x.dtype != DType.I32 or not a.labels:
        raise ShapeError(f"one_hot takes int32 labels and at least one column, got {x}")
    return [TensorType(x.shape + (len(a.labels),), DType.F32)]


def _ref(a: OneHotAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    x = np.asarray(xs[0], np.int64)
    return [(x[..., None] == np.asarray(a.labels, np.int64)).astype(np.float32)]


def _emit(ctx, node) -> None:
    x, y, a = node.inputs[0], node.outputs[0], node.attrs
    ctx.call("ec_one_hot_f32", ctx.ptr(x), str(x.type.size), str(len(a.labels)),
             ctx.ints(a.labels, f"{node.name}_labels"), ctx.ptr(y))


ONE_HOT = register(OpDef("one_hot", _infer, _ref, _emit, sources=("ec_one_hot_f32",)))
