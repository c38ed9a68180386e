"""arg_max_one_hot: 1.0 at the first largest score of each row, 0.0 elsewhere.

A hard vote: ONNX-ML converters spell it ArgMax -> Equal(index, [0..k-1]) -> Where(1, 0), which
edgec has no integer or boolean tensors for; this one float op computes the same thing.
"""
from __future__ import annotations

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, NoAttrs, register
from edgec.ops.select import first_max_index


def _infer(attrs: NoAttrs, types: list[TensorType]) -> list[TensorType]:
    t = types[0]
    if t.rank < 1 or t.shape[-1] < 1 or t.dtype != DType.F32:
        raise ShapeError(f"arg_max_one_hot takes float32 scores with a non-empty last axis, got {t}")
    return [TensorType(t.shape, DType.F32)]


def _ref(attrs: NoAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    x = np.asarray(xs[0], np.float32)
    idx = first_max_index(x)
    return [(np.arange(x.shape[-1]) == idx[..., None]).astype(np.float32)]


def _emit(ctx, node) -> None:
    x, y = node.inputs[0], node.outputs[0]
    k = x.shape[-1]
    ctx.call("ec_arg_max_one_hot_f32", ctx.ptr(x), str(x.type.size // k), str(k), ctx.ptr(y))


ARG_MAX_ONE_HOT = register(OpDef("arg_max_one_hot", _infer, _ref, _emit, sources=("ec_arg_max_one_hot_f32",)))
