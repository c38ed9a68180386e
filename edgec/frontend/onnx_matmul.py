"""ONNX importers: Gemm and MatMul.

A product with a constant 2-D right operand becomes "gemm" (fully connected, W [N, K], alpha and
beta folded into W and the bias); anything else becomes "matmul" plus element-wise nodes.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import onnx

from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_pool import reshape
from edgec.ir.graph import QParams, Value
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.matmul import GemmAttrs, MatMulAttrs


def _fully_connected(ctx: ImportContext, x: Value, w: np.ndarray, bias: np.ndarray | None, name: str,
                     wq: QParams | None = None) -> Value:
    """gemm on x [..., K] with W [N, K]; other ranks than 2 are reshaped (free) around it.
    wq: W's quantization parameters when the model gives them (a pre-quantized model)."""
    k, n = x.shape[-1], w.shape[0]
    consts = [ctx.const(w, f"{name}_weight")]
    consts[0].type = replace(consts[0].type, qparams=wq)
    if bias is not None:
        consts.append(ctx.const(bias, f"{name}_bias"))
    if x.type.rank == 2:
        return ctx.emit("gemm", [x] + consts, GemmAttrs(), name)[0]
    lead = x.shape[:-1]
    x2 = reshape(ctx, x, (math.prod(lead), k), f"{name}_2d")
    y2 = ctx.emit("gemm", [x2] + consts, GemmAttrs(), f"{name}_fc")[0]
    return reshape(ctx, y2, lead + (n,), name)


def _bias_of(c: Value | None, beta: float, n: int) -> np.ndarray | None:
    """beta * C as a bias [N] when C is constant and the same for every row, else None."""
    if c is None or not c.is_const or beta == 0.0:
        return None
    cb = np.asarray(beta * c.data.astype(np.float64), dtype=np.float32)
    if cb.size == 1:
        return np.full(n, cb.reshape(-1)[0], np.float32)
    return cb.reshape(n) if cb.shape in ((n,), (1, n)) else None


def _add_c(ctx: ImportContext, y: Value, c: Value, beta: float, name: str) -> Value:
    """y + beta * C as an element-wise add (C broadcast to [M, N])."""
    if c.is_const:
        c = ctx.const(np.asarray(beta * c.data.astype(np.float64), dtype=np.float32), f"{name}_c")
    elif beta != 1.0:
        c = ctx.emit("affine", [c], PointwiseAttrs(beta, 0.0), f"{name}_beta")[0]
    return ctx.emit("add", [y, c], BinaryAttrs(), name)[0]


@importer("Gemm")
def _gemm(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """Y = alpha * A' @ B' + beta * C (A', B' optionally transposed; C broadcast to [M, N])."""
    a, b, c = ctx.input(node, 0), ctx.input(node, 1), ctx.input(node, 2)
    alpha, beta = float(ctx.attr(node, "alpha", 1.0)), float(ctx.attr(node, "beta", 1.0))
    trans_a, trans_b = bool(ctx.attr(node, "transA", 0)), bool(ctx.attr(node, "transB", 0))
    if trans_a and a.is_const:
        a, trans_a = ctx.const(np.ascontiguousarray(a.data.T), f"{a.name}_t"), False
    bias = _bias_of(c, beta, b.shape[0] if trans_b else b.shape[1])
    if b.is_const and not trans_a:
        w = b.data if trans_b else b.data.T
        if alpha != 1.0:
            w = np.asarray(alpha * w.astype(np.float64), dtype=np.float32)
        wq = b.type.qparams if alpha == 1.0 else None
        wq = wq.permuted((1, 0)) if wq is not None and not trans_b else wq
        y = _fully_connected(ctx, a, np.ascontiguousarray(w), bias, node.name, wq)
    else:
        y = ctx.emit("matmul", [a, b], MatMulAttrs(trans_a, trans_b), f"{node.name}_mm")[0]
        if alpha != 1.0:
            y = ctx.emit("affine", [y], PointwiseAttrs(alpha, 0.0), f"{node.name}_alpha")[0]
        if bias is not None:
            y = ctx.emit("add", [y, ctx.const(bias, f"{node.name}_bias")], BinaryAttrs(), f"{node.name}_bias")[0]
    if c is not None and beta != 0.0 and bias is None:
        y = _add_c(ctx, y, c, beta, f"{node.name}_c")
    ctx.bind(node, [y])


@importer("MatMul")
def _matmul(ctx: ImportContext, node: onnx.NodeProto) -> None:
    a, b = ctx.input(node, 0), ctx.input(node, 1)
    if b.is_const and b.type.rank == 2 and not a.is_const and a.shape[-1] == b.shape[0]:
        wq = b.type.qparams.permuted((1, 0)) if b.type.qparams is not None else None
        ctx.bind(node, [_fully_connected(ctx, a, np.ascontiguousarray(b.data.T), None, node.name, wq)])
        return
    ctx.bind(node, ctx.emit("matmul", [a, b], MatMulAttrs(), node.name))
