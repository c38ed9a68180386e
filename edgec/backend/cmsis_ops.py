"""Emitters of the cmsis target's int8 kernels (runtime_c/src/ecm_*.c) and the compile-time
preparation of their constants: folded biases and reordered weights (see ecm_nn_s8.h).

Each `select_*` looks at a node and returns the Kernel that computes it, or None when the
portable kernel must (grouped convolutions, channel multipliers, run-time weights). The scratch
size a Kernel carries must equal its C `_scratch_size()` for the same parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from edgec.ir.graph import DType, Node
from edgec.ops.conv_s8 import ConvS8Attrs, _params, pad_rows, require_int8, round_up
from edgec.ops.elementwise import MAX_RANK
from edgec.ops.elementwise_s8 import add_fields



@dataclass(frozen=True)
class Kernel:
    """How the cmsis target computes one node: its emitter, runtime sources and scratch bytes."""

    emit: Callable[..., None]
    sources: tuple[str, ...]
    scratch: int = 0


def folded_bias(w_rows: np.ndarray, bias: np.ndarray | None, input_offset: int) -> np.ndarray:
    """bias[c] + input_offset * sum_k w_rows[c, k], wrapped to int32 as the C sums wrap: the
    offset term CMSIS-NN calls the kernel sum, moved out of the inner loops."""
    acc = w_rows.astype(np.int64).sum(axis=1) * int(input_offset)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    return ((acc + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def pack_pairs(w: np.ndarray) -> np.ndarray:
    """[N, ...] weights -> ecm_gemm_s8.h's packing: rows flattened and zero-padded to k4 (a
    multiple of 4), a zero row added to an odd N, then per channel pair the groups of four
    interleaved, [N/2][k4/4][2][4], so one 8-byte load holds four weights of both channels."""
    rows = pad_rows(np.asarray(w), 4)
    if rows.shape[0] % 2:
        rows = np.concatenate([rows, np.zeros((1, rows.shape[1]), rows.dtype)])
    n, k4 = rows.shape
    return rows.reshape(n // 2, 2, k4 // 4, 4).transpose(0, 2, 1, 3).reshape(n, k4)


def dw_blocks(w: np.ndarray) -> np.ndarray:
    """Depthwise weights [1, KH, KW, C] -> [ceil(C / 8)][KH * KW][8] (channels zero-padded): a
    block of eight channels keeps its weights for successive taps 8 bytes apart."""
    taps = np.asarray(w).reshape(-1, w.shape[-1])
    c8 = round_up(taps.shape[1], 8)
    taps = np.pad(taps, ((0, 0), (0, c8 - taps.shape[1])))
    return taps.reshape(taps.shape[0], c8 // 8, 8).transpose(1, 0, 2)


def matrix_scratch(k: int, n: int, im2col: bool = False) -> int:
    """Scratch of the matrix kernels (their C _scratch_size functions): two widened int16 rows
    of k4 = k rounded up to 4, two int32 rows of sums of n rounded up to 4, then two int8
    im2col rows for the general convolution."""
    k4 = round_up(k, 4)
    return 4 * k4 + 8 * round_up(n, 4) + (2 * k4 if im2col else 0)


def _const_ok(node: Node, *idx: int) -> bool:
    """Inputs `idx` are compile-time constants (or absent): their data can be prepared."""
    return all(i >= len(node.inputs) or node.inputs[i] is None or node.inputs[i].is_const for i in idx)


def _bias_data(node: Node, i: int) -> np.ndarray | None:
    return node.inputs[i].data if len(node.inputs) > i and node.inputs[i] is not None else None


def _rescale(ctx, node: Node, a) -> tuple[str, str]:
    return ctx.ints(a.multipliers, f"{node.name}_mult"), ctx.ints(a.shifts, f"{node.name}_shift")


def conv_scratch(a: ConvS8Attrs, in_c: int, out_c: int) -> int:
    """ecm_conv2d_s8_scratch_size."""
    return matrix_scratch(a.kernel[0] * a.kernel[1] * in_c, out_c, im2col=True)


def _matrix_consts(ctx, node: Node, w, bias_index: int, input_offset: int) -> tuple[str, str]:
    """(packed weights, folded bias) of a matrix kernel: weight rows [N, K] of constant `w`."""
    rows = w.data.reshape(w.shape[0], -1)
    be = ctx.const(folded_bias(rows, _bias_data(node, bias_index), input_offset), f"{node.name}_bias_eff",
                   DType.I32)
    return ctx.prepared(w, pack_pairs, f"{w.name}_packed", DType.I8), be


# -- conv_s8 ------------------------------------------------------------------------------------
def _emit_conv(ctx, node: Node) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    wk, be = _matrix_consts(ctx, node, w, 2, a.input_offset)
    ctx.call("ecm_conv2d_s8", p, ctx.ptr(x), wk, be, *_rescale(ctx, node, a), ctx.ptr(y), ctx.scratch())


def _emit_conv1x1(ctx, node: Node) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    wk, be = _matrix_consts(ctx, node, w, 2, a.input_offset)
    ctx.call("ecm_conv1x1_s8", p, ctx.ptr(x), wk, be, *_rescale(ctx, node, a), ctx.ptr(y), ctx.scratch())


def select_conv(node: Node) -> Kernel | None:
    a: ConvS8Attrs = node.attrs
    if a.group != 1 or not _const_ok(node, 1, 2):
        return None
    ic, oc = node.inputs[0].shape[3], node.outputs[0].shape[3]
    if a.kernel == (1, 1) and a.pads == (0, 0, 0, 0):
        return Kernel(_emit_conv1x1, ("ecm_conv1x1_s8",), matrix_scratch(ic, oc))
    return Kernel(_emit_conv, ("ecm_conv2d_s8",), conv_scratch(a, ic, oc))


# -- depthwise_conv_s8 --------------------------------------------------------------------------
def _emit_dw(ctx, node: Node) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    per_channel = w.data.reshape(-1, w.shape[3]).T          # [C, taps]
    be = ctx.const(folded_bias(per_channel, _bias_data(node, 2), a.input_offset), f"{node.name}_bias_eff", DType.I32)
    wk = ctx.prepared(w, dw_blocks, f"{w.name}_blocks", DType.I8)
    ctx.call("ecm_depthwise_conv2d_s8", p, ctx.ptr(x), wk, be, *_rescale(ctx, node, a), ctx.ptr(y), ctx.scratch())


def select_dw(node: Node) -> Kernel | None:
    a: ConvS8Attrs = node.attrs
    x, y = node.inputs[0], node.outputs[0]
    if y.shape[3] != x.shape[3] or not _const_ok(node, 1, 2):
        return None
    taps = a.kernel[0] * a.kernel[1]
    return Kernel(_emit_dw, ("ecm_depthwise_conv2d_s8",), 12 * taps + round_up(x.shape[3], 8))


# -- fully_connected_s8 -------------------------------------------------------------------------
def _emit_fc(ctx, node: Node) -> None:
    a = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    n, k = w.shape
    p = ctx.struct("ec_fc_s8_params", {"m": x.type.size // k, "k": k, "n": n, "input_offset": a.input_offset,
                                       "output_offset": a.output_offset, "act_min": a.act_min,
                                       "act_max": a.act_max}, "fc_s8")
    wk, be = _matrix_consts(ctx, node, w, 2, a.input_offset)
    ctx.call("ecm_fully_connected_s8", p, ctx.ptr(x), wk, be, *_rescale(ctx, node, a), ctx.ptr(y), ctx.scratch())


def select_fc(node: Node) -> Kernel | None:
    if not _const_ok(node, 1, 2):
        return None
    n, k = node.inputs[1].shape
    return Kernel(_emit_fc, ("ecm_fully_connected_s8",), matrix_scratch(k, n))


# -- conv_add_s8 --------------------------------------------------------------------------------
def _emit_conv_add(ctx, node: Node) -> None:
    a = node.attrs
    r, x, w = node.inputs[:3]
    y = node.outputs[0]
    require_int8(node, r, x, w, y)
    pc = ctx.struct("ec_conv2d_s8_params", _params(a.conv, x, y), "conv_add_s8_conv")
    pad = [0] * (MAX_RANK - 1)
    pa = ctx.struct("ec_add_s8_params", {"rank": 1, "shape": [y.shape[2] * y.shape[3]] + pad, "a_strides": [1] + pad,
                                         "b_strides": [1] + pad, **add_fields(a.add, False)}, "conv_add_s8_add")
    wk, be = _matrix_consts(ctx, node, w, 3, a.conv.input_offset)
    ctx.call("ecm_conv2d_add_s8", pc, pa, str(int(a.conv_first)), ctx.ptr(x), wk, be,
             *_rescale(ctx, node, a.conv), ctx.ptr(r), ctx.ptr(y), ctx.scratch())


def select_conv_add(node: Node) -> Kernel | None:
    a = node.attrs
    if a.conv.group != 1 or not _const_ok(node, 2, 3):
        return None
    y = node.outputs[0]
    return Kernel(_emit_conv_add, ("ecm_conv2d_add_s8", "ecm_conv2d_s8", "ecm_add_s8"),
                  round_up(conv_scratch(a.conv, node.inputs[1].shape[3], y.shape[3]), 8) + y.shape[2] * y.shape[3])
