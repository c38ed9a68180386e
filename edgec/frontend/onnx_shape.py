"""ONNX importers that only ever produce constants or aliases: Constant, ConstantOfShape, Shape,
Size, Cast, CastLike and Range. Shapes are static in edgec, so shape arithmetic folds away here."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from edgec.frontend.importer import ImportContext, importer
from edgec.ir.graph import DType
from edgec.ops.base import NoAttrs

_IEEE_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_CONSTANT_ATTRS = ("value", "value_float", "value_floats", "value_int", "value_ints")


@importer("Constant")
def _constant(ctx: ImportContext, node) -> None:
    for name in _CONSTANT_ATTRS:
        v = ctx.attr(node, name)
        if v is not None:
            dtype = np.int64 if name.startswith("value_int") else None
            ctx.bind(node, [ctx.const(np.asarray(v, dtype=dtype), node.output[0])])
            return
    kinds = [a.name for a in node.attribute]
    raise ctx.unsupported(node, f"constant of kind {kinds[0] if kinds else 'none'}")


@importer("ConstantOfShape")
def _constant_of_shape(ctx, node):
    shape = tuple(int(d) for d in np.asarray(ctx.const_input(node, 0, "shape")).reshape(-1))
    value = ctx.attr(node, "value")
    value = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    ctx.bind(node, [ctx.const(np.full(shape, value[0], dtype=value.dtype), node.output[0])])


@importer("Shape")
def _shape(ctx, node):
    x = ctx.input(node, 0)
    start, end = ctx.attr(node, "start", 0), ctx.attr(node, "end", None)
    dims = np.asarray(x.shape[start:end], np.int64)
    ctx.bind(node, [ctx.const(dims, node.output[0])])


@importer("Size")
def _size(ctx, node):
    ctx.bind(node, [ctx.const(np.asarray(ctx.input(node, 0).type.size, np.int64), node.output[0])])


def _np_type(ctx, node, onnx_type: int) -> np.dtype:
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type))
    except (KeyError, TypeError, ValueError):
        raise ctx.unsupported(node, f"cast to {onnx.TensorProto.DataType.Name(onnx_type)}") from None


def _cast_to(ctx, node, target: np.dtype) -> None:
    """Constants are converted now; at run time only casts that keep the edgec dtype are free
    (float to float16/double is computed in float32, like every float in edgec)."""
    x = ctx.input(node, 0)
    try:
        dtype = DType.from_np(target)
    except TypeError:
        dtype = None
    if dtype is None or (target.kind == "f" and target not in _IEEE_FLOATS):
        raise ctx.unsupported(node, f"cast to {target}")
    if x.is_const:
        data = np.asarray(x.data).astype(target)  # rounds through e.g. float16, truncates to int
        ctx.bind(node, [ctx.const(data.astype(dtype.np), node.output[0])])
    elif dtype == x.type.dtype:
        ctx.bind(node, ctx.emit("identity", [x], NoAttrs(), node.name))
    elif target.kind in "iuf" and _is_int32_index(ctx, x):   # class labels stay int32 (onnx_ml)
        ctx.bind(node, ctx.emit("identity", [x], NoAttrs(), node.name))
    else:
        raise ctx.unsupported(node, f"run-time cast from {x.type.dtype.value} to {target}")


def _is_int32_index(ctx, x) -> bool:
    from edgec.frontend.onnx_ml_glue import is_int32_index
    return is_int32_index(ctx, x)


@importer("Cast")
def _cast(ctx, node):
    _cast_to(ctx, node, _np_type(ctx, node, ctx.attr(node, "to")))


@importer("CastLike")
def _cast_like(ctx, node):
    _cast_to(ctx, node, ctx.input(node, 1).type.dtype.np)


@importer("Range")
def _range(ctx, node):
    start, limit, delta = (np.asarray(ctx.const_input(node, i, n)).reshape(()) for i, n in
                           enumerate(("start", "limit", "delta")))
    if delta == 0:
        raise ctx.unsupported(node, "delta 0")
    try:
        DType.from_np(start.dtype)
    except TypeError:
        raise ctx.unsupported(node, f"type {start.dtype}") from None
    count = max(int(np.ceil((float(limit) - float(start)) / float(delta))), 0)
    data = (start + np.arange(count, dtype=start.dtype) * delta).astype(start.dtype)
    ctx.bind(node, [ctx.const(data, node.output[0])])
