"""ONNX importers: reductions, softmax, and the normalisations built from them.

Reductions are always emitted with keepdims (plus a free reshape when ONNX drops the axes), so
the reduce node keeps its rank and transpose sinking can move a transpose through it.
BatchNormalization becomes a per-channel mul + add (a later pass folds them into a conv or gemm);
InstanceNormalization and LayerNormalization become reduce / sub / mul / ... chains.
"""
from __future__ import annotations

import numpy as np

from edgec.errors import ShapeError
from edgec.frontend.importer import ImportContext, importer
from edgec.ir.graph import Value
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.reduce import ReduceAttrs, SoftmaxAttrs, normalise_axes

_REDUCE = {"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min",
           "ReduceProd": "prod"}
# Reductions built from a pointwise op before and/or after a sum: (pre, post).
_COMPOSITE = {"ReduceSumSquare": ("square", None), "ReduceL1": ("abs", None),
              "ReduceL2": ("square", "sqrt"), "ReduceLogSum": (None, "log")}


def _name(node) -> str:
    return node.name or node.output[0]


def reduce_to(ctx: ImportContext, x: Value, kind: str, axes: tuple[int, ...], keepdims: bool,
              name: str) -> Value:
    """Emits reduce (keepdims) and, when ONNX drops the reduced axes, a reshape after it."""
    y = ctx.emit("reduce", [x], ReduceAttrs(kind, axes, True), name)[0]
    return _squeeze(ctx, y, axes, keepdims, name)


def _squeeze(ctx: ImportContext, y: Value, axes: tuple[int, ...], keepdims: bool, name: str) -> Value:
    """Drops the (size-1) reduced axes of a keepdims result unless keepdims."""
    if keepdims or not axes:
        return y
    from edgec.ops.movement import ReshapeAttrs
    shape = tuple(n for d, n in enumerate(y.shape) if d not in axes)
    return ctx.emit("reshape", [y], ReshapeAttrs(shape), f"{name}_squeeze")[0]


def _axes(ctx: ImportContext, node, rank: int) -> tuple[int, ...] | None:
    """The node's reduced axes (all when empty), or None for a no-op (noop_with_empty_axes)."""
    axes = ctx.attr_or_input(node, "axes", 1)
    if not axes:
        if ctx.attr(node, "noop_with_empty_axes", 0):
            return None
        return tuple(range(rank))
    try:
        return normalise_axes(axes, rank)
    except ShapeError as e:
        raise ctx.unsupported(node, str(e)) from None


def _identity(ctx: ImportContext, node, x: Value) -> None:
    ctx.bind(node, ctx.emit("identity", [x], None, _name(node)))


@importer(*_REDUCE)
def _reduce(ctx: ImportContext, node) -> None:
    x = ctx.input(node, 0)
    axes = _axes(ctx, node, x.type.rank)
    if axes is None:
        return _identity(ctx, node, x)
    keep = bool(ctx.attr(node, "keepdims", 1))
    ctx.bind(node, [reduce_to(ctx, x, _REDUCE[node.op_type], axes, keep, _name(node))])


@importer(*_COMPOSITE)
def _reduce_composite(ctx: ImportContext, node) -> None:
    x, name = ctx.input(node, 0), _name(node)
    axes = _axes(ctx, node, x.type.rank)
    if axes is None:
        raise ctx.unsupported(node, "noop_with_empty_axes with empty axes")
    pre, post = _COMPOSITE[node.op_type]
    if pre == "square":
        x = ctx.emit("mul", [x, x], BinaryAttrs(), f"{name}_square")[0]
    elif pre is not None:
        x = ctx.emit(pre, [x], PointwiseAttrs(), f"{name}_{pre}")[0]
    keep = bool(ctx.attr(node, "keepdims", 1))
    y = ctx.emit("reduce", [x], ReduceAttrs("sum", axes, True), f"{name}_sum" if post else name)[0]
    if post is not None:
        y = ctx.emit(post, [y], PointwiseAttrs(), name)[0]
    ctx.bind(node, [_squeeze(ctx, y, axes, keep, name)])


@importer("ReduceLogSumExp")
def _reduce_log_sum_exp(ctx: ImportContext, node) -> None:
    """log(sum(exp(x - m))) + m with m = max(x): no overflow for large x."""
    x, name = ctx.input(node, 0), _name(node)
    axes = _axes(ctx, node, x.type.rank)
    if axes is None:
        raise ctx.unsupported(node, "noop_with_empty_axes with empty axes")
    keep = bool(ctx.attr(node, "keepdims", 1))
    m = ctx.emit("reduce", [x], ReduceAttrs("max", axes, True), f"{name}_max")[0]
    d = ctx.emit("sub", [x, m], BinaryAttrs(), f"{name}_shift")[0]
    e = ctx.emit("exp", [d], PointwiseAttrs(), f"{name}_exp")[0]
    s = ctx.emit("reduce", [e], ReduceAttrs("sum", axes, True), f"{name}_sum")[0]
    ls = ctx.emit("log", [s], PointwiseAttrs(), f"{name}_log")[0]
    y = ctx.emit("add", [ls, m], BinaryAttrs(), name)[0]
    ctx.bind(node, [_squeeze(ctx, y, axes, keep, name)])


@importer("Softmax", "LogSoftmax")
def _softmax(ctx: ImportContext, node) -> None:
    x = ctx.input(node, 0)
    axis = ctx.attr(node, "axis", -1)
    if not -x.type.rank <= axis < x.type.rank:
        raise ctx.unsupported(node, f"axis {axis} out of range for rank {x.type.rank}")
    op = "softmax" if node.op_type == "Softmax" else "log_softmax"
    ctx.bind(node, ctx.emit(op, [x], SoftmaxAttrs(axis % x.type.rank), _name(node)))


def _channel_const(ctx: ImportContext, data: np.ndarray, rank: int, name: str) -> Value:
    """A per-channel vector [C] as [C, 1, ..., 1] so it broadcasts along axis 1 of a rank-`rank` input."""
    return ctx.const(np.asarray(data, np.float32).reshape((-1,) + (1,) * (rank - 2)), name)


def _channel_params(ctx: ImportContext, node, x: Value, idx: list[int], what: list[str]) -> list[np.ndarray]:
    """Constant per-channel inputs as float64 vectors of length C (checked)."""
    if x.type.rank < 2:
        raise ctx.unsupported(node, f"input rank {x.type.rank} (needs N, C, ...)")
    out = []
    for i, w in zip(idx, what):
        v = np.asarray(ctx.const_input(node, i, w), np.float64).reshape(-1)
        if v.size == 1:
            v = np.full(x.shape[1], v[0])
        if v.size != x.shape[1]:
            raise ctx.unsupported(node, f"{w} has {v.size} values for {x.shape[1]} channels")
        out.append(v)
    return out


@importer("BatchNormalization")
def _batch_norm(ctx: ImportContext, node) -> None:
    """Inference BN: y = x * s + t with s = scale / sqrt(var + eps), t = B - mean * s."""
    x, name = ctx.input(node, 0), _name(node)
    if ctx.attr(node, "training_mode", 0) or any(node.output[1:]):
        raise ctx.unsupported(node, "training mode (running mean/var outputs)")
    scale, bias, mean, var = _channel_params(ctx, node, x, [1, 2, 3, 4], ["scale", "B", "mean", "var"])
    s = scale / np.sqrt(var + float(ctx.attr(node, "epsilon", 1e-5)))
    t = bias - mean * s
    rank = x.type.rank
    y = ctx.emit("mul", [x, _channel_const(ctx, s, rank, f"{name}_scale_w")], BinaryAttrs(), f"{name}_scale")[0]
    y = ctx.emit("add", [y, _channel_const(ctx, t, rank, f"{name}_shift_w")], BinaryAttrs(), f"{name}_shift")[0]
    ctx.bind(node, [y])


def _normalise(ctx: ImportContext, x: Value, axes: tuple[int, ...], eps: float,
               name: str) -> tuple[Value, Value, Value]:
    """((x - mean) / std, mean, std) with std = sqrt(var + eps) over `axes` (two-pass variance;
    mean and std have keepdims shapes)."""
    m = ctx.emit("reduce", [x], ReduceAttrs("mean", axes, True), f"{name}_mean")[0]
    d = ctx.emit("sub", [x, m], BinaryAttrs(), f"{name}_center")[0]
    sq = ctx.emit("mul", [d, d], BinaryAttrs(), f"{name}_square")[0]
    v = ctx.emit("reduce", [sq], ReduceAttrs("mean", axes, True), f"{name}_var")[0]
    v = ctx.emit("affine", [v], PointwiseAttrs(1.0, eps), f"{name}_var_eps")[0]
    sd = ctx.emit("sqrt", [v], PointwiseAttrs(), f"{name}_std")[0]
    return ctx.emit("div", [d, sd], BinaryAttrs(), f"{name}_norm")[0], m, sd


@importer("InstanceNormalization")
def _instance_norm(ctx: ImportContext, node) -> None:
    """Per (n, c) normalisation over the spatial axes, then per-channel scale and B."""
    x, name = ctx.input(node, 0), _name(node)
    if x.type.rank < 3:
        raise ctx.unsupported(node, f"input rank {x.type.rank} (needs N, C, spatial...)")
    scale, bias = _channel_params(ctx, node, x, [1, 2], ["scale", "B"])
    eps = float(ctx.attr(node, "epsilon", 1e-5))
    y = _normalise(ctx, x, tuple(range(2, x.type.rank)), eps, name)[0]
    rank = x.type.rank
    y = ctx.emit("mul", [y, _channel_const(ctx, scale, rank, f"{name}_scale_w")], BinaryAttrs(), f"{name}_scale")[0]
    y = ctx.emit("add", [y, _channel_const(ctx, bias, rank, f"{name}_shift_w")], BinaryAttrs(), name)[0]
    ctx.bind(node, [y])


@importer("LayerNormalization")
def _layer_norm(ctx: ImportContext, node) -> None:
    """Normalisation over axes [axis, rank); Scale and B broadcast against the trailing dims.

    The optional Mean and InvStdDev outputs have keepdims shapes; stash_type is float32 here.
    """
    x, name = ctx.input(node, 0), _name(node)
    rank = x.type.rank
    axis = ctx.attr(node, "axis", -1)
    if not -rank <= axis < rank:
        raise ctx.unsupported(node, f"axis {axis} out of range for rank {rank}")
    axes = tuple(range(axis % rank, rank))
    y, mean, sd = _normalise(ctx, x, axes, float(ctx.attr(node, "epsilon", 1e-5)), name)
    scale, bias = ctx.input(node, 1), ctx.input(node, 2)
    y = ctx.emit("mul", [y, scale], BinaryAttrs(), f"{name}_scale" if bias is not None else name)[0]
    if bias is not None:
        y = ctx.emit("add", [y, bias], BinaryAttrs(), name)[0]
    outs = [y, mean]
    if len(node.output) > 2 and node.output[2]:
        outs.append(ctx.emit("reciprocal", [sd], PointwiseAttrs(), f"{name}_inv_std")[0])
    ctx.bind(node, outs)
