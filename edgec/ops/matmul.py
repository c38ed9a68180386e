"""Matrix products: "gemm" (fully connected, constant weights) and "matmul" (numpy batched).

gemm: Y[M, N] = act(X[M, K] @ W[N, K]^T + bias[N]); W is TFLite's FULLY_CONNECTED layout. The C
kernel reads W repacked at emit time into blocks of FC_BLOCK outputs, each stored [K][FC_BLOCK]
(the last block may be narrower), so one pass over K streams each weight exactly once per row of
X while the innermost loop runs over FC_BLOCK contiguous outputs and vectorises without
reassociating sums.

matmul: numpy.matmul semantics (1-D operands promoted then squeezed, batch dims broadcast), with
optional transposes of the last two dims of either operand (ONNX Gemm's transA/transB).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import Activation, OpDef, f32, register
from edgec.ops.elementwise import MAX_RANK, act_c, apply_activation, broadcast_shape, broadcast_strides, collapse_dims

FC_BLOCK = 16  # must equal EC_FC_BLOCK in runtime_c/include/ec_matmul.h


@dataclass(frozen=True)
class GemmAttrs:
    """act: the fused activation applied to X @ W^T + bias (None: identity)."""

    act: Activation | None = None


def _gemm_infer(attrs: GemmAttrs, types: list[TensorType]) -> list[TensorType]:
    x, w = types[0], types[1]
    if x.rank != 2 or w.rank != 2 or x.shape[1] != w.shape[1]:
        raise ShapeError(f"gemm needs X [M, K] and W [N, K]; got {list(x.shape)} and {list(w.shape)}")
    if len(types) > 2 and types[2].shape != (w.shape[0],):
        raise ShapeError(f"gemm bias must be [{w.shape[0]}], got {list(types[2].shape)}")
    return [TensorType((x.shape[0], w.shape[0]), x.dtype)]


def _gemm_ref(attrs: GemmAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    y = f32(xs[0]) @ f32(xs[1]).T
    if len(xs) > 2 and xs[2] is not None:
        y = y + f32(xs[2])
    return [apply_activation(attrs.act, f32(y))]


def pack_fc_weights(w: np.ndarray) -> np.ndarray:
    """W [N, K] -> flat blocks of FC_BLOCK outputs, each [K, width] (the last may be narrower)."""
    n, k = w.shape
    blocks = [w[n0:n0 + FC_BLOCK].T.reshape(-1) for n0 in range(0, n, FC_BLOCK)]
    return np.concatenate(blocks).astype(np.float32) if blocks else np.zeros(0, np.float32)


def _require_f32(node) -> None:
    for v in node.inputs:
        if v is not None and v.type.dtype != DType.F32:
            raise UnsupportedOpError(node.op, node.name, f"{v.type.dtype.value} input: the C kernel is float32 only")


def _packed_weight(ctx, node) -> str:
    """C expression of W in the kernel's order (see EmitContext.prepared)."""
    w = node.inputs[1]
    return ctx.prepared(w, pack_fc_weights, f"{w.name}_packed", DType.F32)


FC_KCHUNK = 256  # must equal EC_FC_KCHUNK in runtime_c/src/ec_fully_connected_f32.c
DENSE_MAX_WEIGHTS = 4096


def use_dense(k: int, n: int, act) -> bool:
    """The small kernel ec_dense_f32 (plain W, same bits) fits: one k chunk, no activation or
    ReLU, and few outputs (under one block, where the general kernel cannot vectorise anyway)
    or a small layer (up to DENSE_MAX_WEIGHTS, where the general kernel's 2.4 KB of code would
    weigh more than its 16-wide blocking gains over dense's four lanes)."""
    plain = act is None or (act.kind == "relu")
    return k <= FC_KCHUNK and plain and (n < FC_BLOCK or k * n <= DENSE_MAX_WEIGHTS)


# gemm layers with at most this many weights are written out as C expressions (about 17 bytes of
# code per weight against ec_dense_f32's 444 bytes plus 4 per weight); a single output up to
# INLINE_MAX_ONE_OUTPUT weights too, where the kernel's one serial sum is slower than literals.
INLINE_MAX_WEIGHTS = 24
INLINE_MAX_ONE_OUTPUT = 64


def use_inline(node) -> bool:
    """A one-row gemm with a few finite constant weights, no activation or ReLU: written out as
    expressions with literal weights (no kernel, no weight array), in the kernels' order."""
    (m, k), w = node.inputs[0].shape, node.inputs[1]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    act = node.attrs.act
    consts = [w] + ([b] if b is not None else [])
    few = k * w.shape[0] <= INLINE_MAX_WEIGHTS or (w.shape[0] == 1 and k <= INLINE_MAX_ONE_OUTPUT)
    return (m == 1 and few and (act is None or act.kind == "relu")
            and all(v.is_const and np.isfinite(v.data).all() for v in consts))


def inline_weights(weight: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(W [n, k], bias [n]) of an inline gemm, float32 (a missing bias is zeros)."""
    w = np.asarray(weight, np.float32)
    return w, (np.asarray(bias, np.float32).reshape(-1) if bias is not None else np.zeros(w.shape[0], np.float32))


def inline_sum(w_row: np.ndarray, bias: np.float32, x: str = "xi") -> str:
    """C expression ((x0*w0 + x1*w1) + ...) + b: ec_fully_connected_f32's float operations one by
    one (less its additions of 0.0f: they only turn a -0.0 sum into +0.0, which a nonzero bias, or
    the one 0.0f + kept when the bias is zero, does anyway), so the same bits."""
    from edgec.backend.cformat import c_float
    acc = f"{x}[0] * {c_float(w_row[0])}"
    for kk in range(1, w_row.shape[0]):
        acc = f"({acc} + {x}[{kk}] * {c_float(w_row[kk])})"
    return f"{acc} + {c_float(bias)}" if bias != 0 else f"0.0f + {acc}"


def _gemm_inline(ctx, node) -> None:
    """y[j] = inline_sum of row j; ReLU as `v > 0.0f ? v : 0.0f`."""
    x, y = node.inputs[0], node.outputs[0]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    w, bias = inline_weights(node.inputs[1].data, None if b is None else b.data)
    relu = node.attrs.act is not None
    lines = ["{", f"    const float *xi = {ctx.ptr(x)};", f"    float *yo = {ctx.ptr(y)};", "    float v;"]
    for j in range(w.shape[0]):
        lines.append(f"    v = {inline_sum(w[j], bias[j])};")
        lines.append(f"    yo[{j}] = v > 0.0f ? v : 0.0f;" if relu else f"    yo[{j}] = v;")
    lines.append("}")
    ctx.steps[-1].lines.extend(lines)


def _gemm_emit(ctx, node) -> None:
    x, y = node.inputs[0], node.outputs[0]
    _require_f32(node)
    m, k = x.shape
    if use_inline(node):
        _gemm_inline(ctx, node)
        return
    bias = ctx.ptr(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] is not None else "NULL"
    if use_dense(k, y.shape[1], node.attrs.act):
        relu = int(node.attrs.act is not None)
        ctx.call("ec_dense_f32", ctx.ptr(x), ctx.ptr(node.inputs[1]), bias, ctx.ptr(y),
                 str(m), str(k), str(y.shape[1]), str(relu))
        ctx.use("ec_dense_f32")
        return
    ctx.use("ec_fully_connected_f32")
    p = ctx.struct("ec_fc_params", {"m": m, "k": k, "n": y.shape[1], "act": act_c(node.attrs.act)}, "fc")
    ctx.call("ec_fully_connected_f32", p, ctx.ptr(x), _packed_weight(ctx, node), bias, ctx.ptr(y))


def _gemm_macs(attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    return outs[0].size * ins[0].shape[1]


register(OpDef("gemm", _gemm_infer, _gemm_ref, _gemm_emit, (),
               accepts_activation=True, macs=_gemm_macs))


# -- batched matmul ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatMulAttrs:
    """trans_a/trans_b swap the last two dims of that operand first (it must have rank >= 2)."""

    trans_a: bool = False
    trans_b: bool = False


def _logical(shape: tuple[int, ...], trans: bool, what: str) -> tuple[int, ...]:
    if trans:
        if len(shape) < 2:
            raise ShapeError(f"matmul cannot transpose the 1-D operand {what}")
        return shape[:-2] + (shape[-1], shape[-2])
    if not shape:
        raise ShapeError(f"matmul operand {what} is a scalar")
    return shape


def _mnk(attrs: MatMulAttrs, a: tuple[int, ...], b: tuple[int, ...]):
    """(batch out shape, M, K, N, output shape) under numpy.matmul rules."""
    la, lb = _logical(a, attrs.trans_a, "A"), _logical(b, attrs.trans_b, "B")
    a2 = (1,) + la if len(la) == 1 else la
    b2 = lb + (1,) if len(lb) == 1 else lb
    if a2[-1] != b2[-2]:
        raise ShapeError(f"matmul inner dims differ: {list(la)} @ {list(lb)}")
    batch = broadcast_shape(a2[:-2], b2[:-2])
    out = batch + ((a2[-2],) if len(la) > 1 else ()) + ((b2[-1],) if len(lb) > 1 else ())
    return batch, a2[-2], a2[-1], b2[-1], out


def _matmul_infer(attrs: MatMulAttrs, types: list[TensorType]) -> list[TensorType]:
    *_, out = _mnk(attrs, types[0].shape, types[1].shape)
    return [TensorType(out, types[0].dtype)]


def _swap(x: np.ndarray, trans: bool) -> np.ndarray:
    return np.swapaxes(x, -1, -2) if trans else x


def _matmul_ref(attrs: MatMulAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    a, b = _swap(np.asarray(xs[0]), attrs.trans_a), _swap(np.asarray(xs[1]), attrs.trans_b)
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return [f32(np.matmul(f32(a), f32(b)))]
    return [np.matmul(a, b)]


def _matrix_strides(shape: tuple[int, ...], trans: bool, is_a: bool) -> tuple[int, int]:
    """(row, col) element strides of the logical A [M, K] or B [K, N] inside one stored matrix."""
    if len(shape) == 1:
        return (shape[0], 1) if is_a else (1, 1)
    cols = shape[-1]
    return (1, cols) if trans else (cols, 1)


def _matmul_emit(ctx, node) -> None:
    a, b = node.inputs
    attrs: MatMulAttrs = node.attrs
    _require_f32(node)
    batch, m, k, n, _ = _mnk(attrs, a.shape, b.shape)
    sa = [s * m * k for s in broadcast_strides(a.shape[:-2], batch)]
    sb = [s * k * n for s in broadcast_strides(b.shape[:-2], batch)]
    shape, sa, sb = collapse_dims(batch, sa, sb) if batch else ([1], [0], [0])
    if len(shape) > MAX_RANK:
        raise ShapeError(f"node '{node.name}': matmul needs {len(shape)} batch dims, max {MAX_RANK}")
    pad = [0] * (MAX_RANK - len(shape))
    (a_rs, a_cs), (b_rs, b_cs) = (_matrix_strides(a.shape, attrs.trans_a, True),
                                  _matrix_strides(b.shape, attrs.trans_b, False))
    p = ctx.struct("ec_matmul_params", {
        "batch_rank": len(shape), "batch_shape": shape + pad, "a_strides": sa + pad, "b_strides": sb + pad,
        "m": m, "k": k, "n": n, "a_row": a_rs, "a_col": a_cs, "b_row": b_rs, "b_col": b_cs}, "matmul")
    ctx.call("ec_matmul_f32", p, ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0]))


def _matmul_macs(attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    batch, m, k, n, _ = _mnk(attrs, ins[0].shape, ins[1].shape)
    return int(np.prod(batch, dtype=np.int64)) * m * k * n


register(OpDef("matmul", _matmul_infer, _matmul_ref, _matmul_emit, ("ec_matmul_f32",), macs=_matmul_macs))
