"""int8 matrix products: fully_connected_s8 (constant per-channel weights) and batch_matmul_s8.

fully_connected_s8 is TensorFlow Lite (Micro)'s reference FullyConnectedPerChannel: for x
[..., K] (leading dims flattened into rows, as TFLite's FULLY_CONNECTED), W int8 [N, K]
symmetric per output channel and bias int32 [N] (scale s_x * s_w[n]; None: zeros),
    acc = bias[n] + sum_k (x[k] + input_offset) * W[n, k]
    y   = clamp(MBQM(acc, multiplier[n], shift[n]) + output_offset, act_min, act_max).
batch_matmul_s8 is TFLite's reference BatchMatMul int8 arithmetic, per tensor, with numpy.matmul
shapes (as the float "matmul", including trans_a/trans_b):
    y = clamp(MBQM(sum_k (A + a_offset) * (B + b_offset), multiplier, shift) + output_offset, ...).

Quantize rules: float "gemm" -> fully_connected_s8; float "matmul" -> fully_connected_s8 when B is
a constant matrix (batch dims of 1) applied to every row of A, else batch_matmul_s8 (constant
operands quantized per tensor).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.ops.conv_s8 import (channel_rescale, float_inputs, fused_act_range, out_qparams, pad_rows, require_int8,
                               requantize_acc, round_up)
from edgec.ops.elementwise import MAX_RANK, broadcast_strides, collapse_dims
from edgec.ops.matmul import MatMulAttrs, _matrix_strides, _mnk
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN

FC_S8_KALIGN = 16   # must equal EC_FC_S8_KALIGN in runtime_c/include/ec_matmul_s8.h
# ec_fully_connected_s8's blocking (ROWS, KCHUNK, OUT_BLOCK in its .c file): fixes its scratch size.
FC_S8_ROWS, FC_S8_KCHUNK, FC_S8_OUT_BLOCK = 4, 512, 64


# -- fully_connected_s8 ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FullyConnectedS8Attrs:
    """input_offset = -(x zero point); output_offset = y zero point; multipliers/shifts per output
    (Q31 of s_x * s_w[n] / s_y); out_scale = s_y; [act_min, act_max] the output clamp."""

    input_offset: int
    output_offset: int
    multipliers: tuple[int, ...]
    shifts: tuple[int, ...]
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX


def _fc_infer(a: FullyConnectedS8Attrs, types: list[TensorType]) -> list[TensorType]:
    x, w = types[0], types[1]
    if x.rank < 1 or w.rank != 2 or x.shape[-1] != w.shape[1]:
        raise ShapeError(f"fully_connected_s8 needs x [..., K] and W [N, K]; got {list(x.shape)}, {list(w.shape)}")
    n = w.shape[0]
    if len(types) > 2 and types[2].shape != (n,):
        raise ShapeError(f"fully_connected_s8 bias must be [{n}], got {list(types[2].shape)}")
    if len(a.multipliers) != n or len(a.shifts) != n:
        raise ShapeError(f"{len(a.multipliers)} multipliers for {n} outputs")
    return [TensorType(x.shape[:-1] + (n,), DType.I8, out_qparams(a))]


def _fc_ref(a: FullyConnectedS8Attrs, xs: list) -> list[np.ndarray]:
    """Sums in float64 (exact: integers far below 2^53), then TFLite's requantization."""
    x, w = np.asarray(xs[0]), np.asarray(xs[1])
    acc = np.rint((x.astype(np.float64) + a.input_offset) @ w.astype(np.float64).T).astype(np.int64)
    if len(xs) > 2 and xs[2] is not None:
        acc = acc + np.asarray(xs[2], np.int64)
    return [requantize_acc(acc, a.multipliers, a.shifts, a.output_offset, a.act_min, a.act_max)]


def _fc_emit(ctx, node) -> None:
    a: FullyConnectedS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    require_int8(node, x, w, y)
    n, k = w.shape
    p = ctx.struct("ec_fc_s8_params", {"m": x.type.size // k, "k": k, "n": n, "input_offset": a.input_offset,
                                       "output_offset": a.output_offset, "act_min": a.act_min,
                                       "act_max": a.act_max}, "fc_s8")
    wk = ctx.prepared(w, lambda d: pad_rows(d, FC_S8_KALIGN), f"{w.name}_k", DType.I8)
    ctx.call("ec_fully_connected_s8", p, ctx.ptr(x), wk, "NULL" if b is None else ctx.ptr(b),
             ctx.ints(a.multipliers, f"{node.name}_mult"), ctx.ints(a.shifts, f"{node.name}_shift"), ctx.ptr(y),
             ctx.scratch())


def _fc_scratch(a: FullyConnectedS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    """Bytes of ec_fully_connected_s8's scratch (as ec_fully_connected_s8_scratch_size): int32
    accumulators [min(OUT_BLOCK, N)][rows], then int16 rows of X [rows][min(KCHUNK, k_pad)], with
    rows = ROWS, or 1 when M < ROWS."""
    n, k = ins[1].shape
    rows = FC_S8_ROWS if ins[0].size // k >= FC_S8_ROWS else 1
    return 4 * min(FC_S8_OUT_BLOCK, n) * rows + 2 * rows * min(FC_S8_KCHUNK, round_up(k, FC_S8_KALIGN))


register(OpDef("fully_connected_s8", _fc_infer, _fc_ref, _fc_emit, ("ec_fully_connected_s8",),
               macs=lambda a, ins, outs: outs[0].size * ins[1].shape[1], scratch=_fc_scratch))


# -- batch_matmul_s8 ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchMatMulS8Attrs:
    """trans_a/trans_b as MatMulAttrs; a_offset/b_offset = -(zero points); one multiplier/shift
    (Q31 of s_a * s_b / s_y); output_offset = y zero point; out_scale = s_y."""

    trans_a: bool
    trans_b: bool
    a_offset: int
    b_offset: int
    output_offset: int
    multiplier: int
    shift: int
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX


def _bmm_infer(a: BatchMatMulS8Attrs, types: list[TensorType]) -> list[TensorType]:
    *_, out = _mnk(MatMulAttrs(a.trans_a, a.trans_b), types[0].shape, types[1].shape)
    return [TensorType(out, DType.I8, out_qparams(a))]


def _bmm_ref(a: BatchMatMulS8Attrs, xs: list) -> list[np.ndarray]:
    am = np.asarray(xs[0]).astype(np.float64) + a.a_offset
    bm = np.asarray(xs[1]).astype(np.float64) + a.b_offset
    am = np.swapaxes(am, -1, -2) if a.trans_a else am
    bm = np.swapaxes(bm, -1, -2) if a.trans_b else bm
    acc = np.rint(np.matmul(am, bm)).astype(np.int64)
    return [requantize_acc(acc, a.multiplier, a.shift, a.output_offset, a.act_min, a.act_max)]


def _bmm_emit(ctx, node) -> None:
    a: BatchMatMulS8Attrs = node.attrs
    x, w = node.inputs
    require_int8(node, x, w, node.outputs[0])
    batch, m, k, n, _ = _mnk(MatMulAttrs(a.trans_a, a.trans_b), x.shape, w.shape)
    sa = [s * m * k for s in broadcast_strides(x.shape[:-2], batch)]
    sb = [s * k * n for s in broadcast_strides(w.shape[:-2], batch)]
    shape, sa, sb = collapse_dims(batch, sa, sb) if batch else ([1], [0], [0])
    if len(shape) > MAX_RANK:
        raise ShapeError(f"node '{node.name}': batch_matmul_s8 needs {len(shape)} batch dims, max {MAX_RANK}")
    pad = [0] * (MAX_RANK - len(shape))
    (a_rs, a_cs), (b_rs, b_cs) = _matrix_strides(x.shape, a.trans_a, True), _matrix_strides(w.shape, a.trans_b, False)
    p = ctx.struct("ec_batch_matmul_s8_params", {
        "batch_rank": len(shape), "batch_shape": shape + pad, "a_strides": sa + pad, "b_strides": sb + pad,
        "m": m, "k": k, "n": n, "a_row": a_rs, "a_col": a_cs, "b_row": b_rs, "b_col": b_cs,
        "a_offset": a.a_offset, "b_offset": a.b_offset, "output_offset": a.output_offset,
        "multiplier": a.multiplier, "shift": a.shift, "act_min": a.act_min, "act_max": a.act_max}, "bmm_s8")
    ctx.call("ec_batch_matmul_s8", p, ctx.ptr(x), ctx.ptr(w), ctx.ptr(node.outputs[0]))


def _bmm_macs(a: BatchMatMulS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    batch, m, k, n, _ = _mnk(MatMulAttrs(a.trans_a, a.trans_b), ins[0].shape, ins[1].shape)
    return int(np.prod(batch, dtype=np.int64)) * m * k * n


register(OpDef("batch_matmul_s8", _bmm_infer, _bmm_ref, _bmm_emit, ("ec_batch_matmul_s8",), macs=_bmm_macs))


# -- quantize rules -------------------------------------------------------------------------------
def _add_fc(qctx, node, x: Value, w: Value, b: Value | None, act) -> bool:
    """fully_connected_s8 for float x [..., K] times constant float W [N, K] (+ constant bias)."""
    out_q = qctx.qparams(node.outputs[0])
    clamp = fused_act_range(act, out_q)
    if clamp is None or (b is not None and not b.is_const):
        return False
    xq = qctx.q(x)
    in_scale = xq.type.qparams.scale[0]
    wq, w_scales = qctx.weights(w, 0)
    bias = qctx.bias(b, in_scale, w_scales, node.name)
    mult, shift = channel_rescale(in_scale, w_scales, out_q.scale[0])
    attrs = FullyConnectedS8Attrs(-xq.type.qparams.zero_point[0], out_q.zero_point[0], mult, shift,
                                  out_q.scale[0], *clamp)
    qctx.add("fully_connected_s8", [xq, wq, bias], [qctx.output(node.outputs[0], out_q)], attrs)
    return True


def _quantize_gemm(qctx, node) -> bool:
    """float gemm (X [M, K] @ W[N, K]^T + b, fused relu/clip or none) -> fully_connected_s8."""
    x, w = node.inputs[0], node.inputs[1]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    if not w.is_const or not float_inputs(node):
        return False
    return _add_fc(qctx, node, x, w, b, node.attrs.act)


def _as_fc_weight(node) -> Value | None:
    """W [N, K] when float matmul `node` is x @ (constant matrix) for every row of x, else None."""
    a, b = node.inputs
    attrs: MatMulAttrs = node.attrs
    if not b.is_const or a.is_const or attrs.trans_a or b.type.rank < 2 or a.type.rank < 1:
        return None
    if int(np.prod(b.shape[:-2], dtype=np.int64)) != 1:
        return None
    b2 = b.data.reshape(b.shape[-2:])
    w = b2 if attrs.trans_b else b2.T
    if node.outputs[0].shape != a.shape[:-1] + (w.shape[0],):
        return None
    data = np.ascontiguousarray(w, dtype=np.float32)
    return Value(f"{b.name}_fc", TensorType(data.shape, DType.F32, _fc_qparams(b, attrs.trans_b)), data)


def _fc_qparams(b: Value, trans_b: bool) -> QParams | None:
    """A pre-quantized B's own qparams, re-expressed for W [N, K] (per-tensor, or per column of B)."""
    qp = b.type.qparams
    if qp is None or qp.axis is None:
        return qp
    axis = qp.axis % b.type.rank - (b.type.rank - 2)
    if axis < 0:
        return None
    return QParams(qp.scale, qp.zero_point, axis if trans_b else 1 - axis)


def _f64(scale: float) -> np.float64:
    """A scale as TFLite holds it (float32), widened to double for the multiplier."""
    return np.float64(np.float32(scale))


def _quantize_matmul(qctx, node) -> bool:
    """float matmul -> fully_connected_s8 (constant matrix B) or batch_matmul_s8 (per tensor)."""
    if not float_inputs(node):
        return False
    w = _as_fc_weight(node)
    if w is not None:
        return _add_fc(qctx, node, node.inputs[0], w, None, None)
    attrs: MatMulAttrs = node.attrs
    aq, bq = qctx.q(node.inputs[0]), qctx.q(node.inputs[1])
    out_q = qctx.qparams(node.outputs[0])
    qa, qb = aq.type.qparams, bq.type.qparams
    m, s = fp.quantize_multiplier(float(_f64(qa.scale[0]) * _f64(qb.scale[0]) / _f64(out_q.scale[0])))
    bm = BatchMatMulS8Attrs(attrs.trans_a, attrs.trans_b, -qa.zero_point[0], -qb.zero_point[0],
                            out_q.zero_point[0], m, s, out_q.scale[0])
    qctx.add("batch_matmul_s8", [aq, bq], [qctx.output(node.outputs[0], out_q)], bm)
    return True


base.attach("gemm", quantize=_quantize_gemm)
base.attach("matmul", quantize=_quantize_matmul)
