"""ONNX importers: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LRN.

The IR's spatial ops are 2-D: a 1-D (N, C, W) input is reshaped to (N, C, 1, W) around the node,
3-D pools are rejected. auto_pad is turned into explicit pads here.
"""
from __future__ import annotations

import math

import onnx

from edgec.frontend.importer import ImportContext, importer
from edgec.ir.graph import Value
from edgec.ops.movement import ReshapeAttrs
from edgec.ops.pool import LrnAttrs, PoolAttrs


def reshape(ctx: ImportContext, x: Value, shape: tuple[int, ...], name: str) -> Value:
    """An IR reshape node (free at run time: it aliases its input's buffer)."""
    return ctx.emit("reshape", [x], ReshapeAttrs(tuple(int(d) for d in shape)), name)[0]


def explicit_pads(auto_pad: str, sizes: list[int], kernel: list[int], strides: list[int],
                  dilations: list[int], pads: list[int]) -> list[int]:
    """ONNX pads [begin..., end...] for any auto_pad mode (SAME_* pads to out = ceil(in / s))."""
    rank = len(sizes)
    if auto_pad in ("", "NOTSET"):
        return list(pads) if pads else [0] * (2 * rank)
    if auto_pad == "VALID":
        return [0] * (2 * rank)
    begin, end = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        total = max(0, (math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size)
        small = total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else total - small)
        end.append(total - begin[-1])
    return begin + end


def _spatial(ctx: ImportContext, node: onnx.NodeProto, x: Value) -> int:
    """Number of spatial dims (1 or 2), or an unsupported error."""
    nsp = x.type.rank - 2
    if nsp == 3:
        raise ctx.unsupported(node, "3-D pooling is not supported")
    if nsp not in (1, 2):
        raise ctx.unsupported(node, f"input of rank {x.type.rank}; expected (N, C, W) or (N, C, H, W)")
    return nsp


def _pool_attrs(ctx: ImportContext, node: onnx.NodeProto, x: Value, nsp: int) -> PoolAttrs:
    """The ONNX pooling attributes as 2-D PoolAttrs (a 1-D pool gets H = 1 values)."""
    kernel = [int(k) for k in ctx.attr(node, "kernel_shape")]
    strides = [int(s) for s in ctx.attr(node, "strides", [1] * nsp)]
    dil = [int(d) for d in ctx.attr(node, "dilations", [1] * nsp)]
    auto_pad = ctx.attr(node, "auto_pad", "NOTSET")
    pads = explicit_pads(auto_pad, list(x.shape[2:]), kernel, strides, dil, ctx.attr(node, "pads", []))
    ceil_mode = bool(ctx.attr(node, "ceil_mode", 0)) and auto_pad in ("", "NOTSET")
    if len(kernel) != nsp or len(strides) != nsp or len(dil) != nsp or len(pads) != 2 * nsp:
        raise ctx.unsupported(node, "kernel_shape/strides/dilations/pads do not match the input rank")
    if nsp == 1:
        kernel, strides, dil, pads = [1] + kernel, [1] + strides, [1] + dil, [0, pads[0], 0, pads[1]]
    return PoolAttrs(tuple(kernel), tuple(strides), (pads[0], pads[1], pads[2], pads[3]), tuple(dil),
                     ceil_mode, bool(ctx.attr(node, "count_include_pad", 0)))


def _emit_2d(ctx: ImportContext, node: onnx.NodeProto, op: str, x: Value, attrs, nsp: int) -> None:
    """Emits `op` on x seen as (N, C, H, W), with reshapes around it for a 1-D input."""
    if nsp == 2:
        ctx.bind(node, ctx.emit(op, [x], attrs, node.name))
        return
    n, c, w = x.shape
    x4 = reshape(ctx, x, (n, c, 1, w), f"{node.name}_to2d")
    y4 = ctx.emit(op, [x4], attrs, f"{node.name}_2d")[0]
    ctx.bind(node, [reshape(ctx, y4, (n, c, y4.shape[3]), node.name)])


@importer("MaxPool", "AveragePool")
def _pool(ctx: ImportContext, node: onnx.NodeProto) -> None:
    if node.op_type == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise ctx.unsupported(node, "the Indices output is not supported")
        if ctx.attr(node, "storage_order", 0) != 0:
            raise ctx.unsupported(node, "storage_order=1 is not supported")
    x = ctx.input(node, 0)
    nsp = _spatial(ctx, node, x)
    attrs = _pool_attrs(ctx, node, x, nsp)
    _emit_2d(ctx, node, "max_pool" if node.op_type == "MaxPool" else "avg_pool", x, attrs, nsp)


@importer("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """A pool whose kernel is the whole spatial extent; any spatial rank is flattened to 2-D."""
    x = ctx.input(node, 0)
    op = "avg_pool" if node.op_type == "GlobalAveragePool" else "max_pool"
    if x.type.rank < 3:
        raise ctx.unsupported(node, f"input of rank {x.type.rank}; expected (N, C, D1, ...)")
    n, c = x.shape[:2]
    if x.type.rank == 4:
        ctx.bind(node, ctx.emit(op, [x], PoolAttrs(tuple(x.shape[2:])), node.name))
        return
    size = math.prod(x.shape[2:])
    x4 = reshape(ctx, x, (n, c, 1, size), f"{node.name}_to2d")
    y4 = ctx.emit(op, [x4], PoolAttrs((1, size)), f"{node.name}_2d")[0]
    ctx.bind(node, [reshape(ctx, y4, (n, c) + (1,) * (x.type.rank - 2), node.name)])


@importer("LRN")
def _lrn(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """LRN normalises across axis 1; inputs other than rank 4 are viewed as (N, C, rest, 1)."""
    x = ctx.input(node, 0)
    attrs = LrnAttrs(int(ctx.attr(node, "size")), float(ctx.attr(node, "alpha", 1e-4)),
                     float(ctx.attr(node, "beta", 0.75)), float(ctx.attr(node, "bias", 1.0)))
    if x.type.rank < 2:
        raise ctx.unsupported(node, f"input of rank {x.type.rank}; expected (N, C, ...)")
    if x.type.rank == 4:
        ctx.bind(node, ctx.emit("lrn", [x], attrs, node.name))
        return
    n, c = x.shape[:2]
    x4 = reshape(ctx, x, (n, c, math.prod(x.shape[2:]), 1), f"{node.name}_to4d")
    y4 = ctx.emit("lrn", [x4], attrs, f"{node.name}_4d")[0]
    ctx.bind(node, [reshape(ctx, y4, x.shape, node.name)])
