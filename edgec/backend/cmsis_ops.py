"""Emitters of the cmsis target's int8 kernels (runtime_c/src/ecm_*.c) and the compile-time
preparation of their constants: folded biases and reordered weights (see ecm_nn_s8.h).

Each `select_*` looks at a node and returns the Kernel that computes it, or None when the
portable kernel must (grouped convolutions, channel multipliers, run-time weights). The scratch
size a Kernel carries must equal its C `_scratch_size()` for the same parameters.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
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


# Where the kernels take their DSP path (runtime_c/include/ecm_arm.h: ECM_DSP without ECM_MVE):
# the matrix weights are compiled in their pre-widened form there.
DSP_PATH = "defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1))"


def pack_pairs_s16(w: np.ndarray) -> np.ndarray:
    """pack_pairs for the DSP path, widened: each channel's group of four (w0, w1, w2, w3) as two
    int32 words of int16 pairs, (w0, w2) and (w1, w3) (first element in the low half), the
    order the kernel widens the rows in, so __smlad takes them as loaded. Twice pack_pairs'
    bytes; int32 elements keep the words aligned for ldrd."""
    g = pack_pairs(w).astype(np.int64).reshape(-1, 4) & 0xFFFF
    words = np.stack([g[:, 0] | g[:, 2] << 16, g[:, 1] | g[:, 3] << 16], axis=1)
    return ((words + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32).reshape(-1)


def dw_blocks(w: np.ndarray) -> np.ndarray:
    """Depthwise weights [1, KH, KW, C] -> [ceil(C / 8)][KH * KW][8] (channels zero-padded): a
    block of eight channels keeps its weights for successive taps 8 bytes apart."""
    taps = np.asarray(w).reshape(-1, w.shape[-1])
    c8 = round_up(taps.shape[1], 8)
    taps = np.pad(taps, ((0, 0), (0, c8 - taps.shape[1])))
    return taps.reshape(taps.shape[0], c8 // 8, 8).transpose(1, 0, 2)


def dw_blocks_s16(w: np.ndarray) -> np.ndarray:
    """Depthwise weights [1, KH, KW, C] for the DSP path: blocks of four channels (zero-padded),
    per block and tap two int32 words of int16 pairs, (c0, c2) and (c1, c3) (first in the low
    half), the order __sxtb16 widens an input word in: [ceil(C / 4)][KH * KW][2]."""
    taps = np.asarray(w).reshape(-1, w.shape[-1]).astype(np.int64)
    c4 = round_up(taps.shape[1], 4)
    t = np.pad(taps, ((0, 0), (0, c4 - taps.shape[1]))).reshape(taps.shape[0], c4 // 4, 4).transpose(1, 0, 2) & 0xFFFF
    words = np.stack([t[..., 0] | t[..., 2] << 16, t[..., 1] | t[..., 3] << 16], axis=2)
    return ((words + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32).reshape(-1)


def requant_table(rows: np.ndarray, bias_eff: np.ndarray, multipliers, shifts,
                  output_offset: int = 0) -> np.ndarray | None:
    """Per channel (m, lsh + 1, 2^r + off 2^(r + 1), r + 1) for ecm_gemm_s8.h's short
    requantization (ecm_rq: one rounding high multiply of acc << (lsh + 1), then one shift that
    also adds the output offset off), or None when some channel could leave its range:
    |acc| <= |bias_eff| + 128 sum |w| must survive the extra left shift, twice the product plus
    the rounding and offset terms must fit in int32, and r + 1 <= 31. rows: [N, K] weights of
    the channels."""
    m = np.asarray(multipliers, np.int64)
    sh = np.asarray(shifts, np.int64)
    lsh, r = np.maximum(sh, 0), np.maximum(-sh, 0)
    bound = np.abs(bias_eff.astype(np.int64)) + 128 * np.abs(rows.astype(np.int64)).sum(axis=1)
    x = bound << (lsh + 1)
    s = (x * m + (1 << 31)) >> 32                                  # |s| bound (m < 2^31)
    if (r + 1 > 31).any() or (x >= 1 << 31).any() or (m < 0).any():
        return None
    rnd = (1 << r) + int(output_offset) * (1 << (r + 1))
    if (2 * s + 1 + np.abs(rnd) >= 1 << 31).any():
        return None
    return np.stack([m, lsh + 1, rnd, r + 1], axis=1).astype(np.int32)


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


def _rescale(ctx, node: Node, a, rows: np.ndarray, bias_eff: np.ndarray) -> tuple[str, str, str]:
    """multiplier, shift and the short-requantization table (NULL when it does not apply)."""
    t = requant_table(rows, bias_eff, a.multipliers, a.shifts, a.output_offset)
    rq = "NULL" if t is None else ctx.const(t, f"{node.name}_rq", DType.I32)
    return ctx.ints(a.multipliers, f"{node.name}_mult"), ctx.ints(a.shifts, f"{node.name}_shift"), rq


def conv_scratch(a: ConvS8Attrs, in_c: int, out_c: int) -> int:
    """ecm_conv2d_s8_scratch_size."""
    return matrix_scratch(a.kernel[0] * a.kernel[1] * in_c, out_c, im2col=True)


def _matrix_consts(ctx, node: Node, w, bias_index: int, a, widen: bool = False) -> tuple[str, ...]:
    """(packed weights, folded bias, multiplier, shift, rq) of a matrix kernel: weight rows
    [N, K] of constant `w`, requantization of attrs `a`. `widen`: the weights also in their
    pre-widened form for the DSP path (the convolutions; ecm_gemm_s8.h says why not the fully
    connected layers)."""
    rows = w.data.reshape(w.shape[0], -1)
    bias = folded_bias(rows, _bias_data(node, bias_index), a.input_offset)
    be = ctx.const(bias, f"{node.name}_bias_eff", DType.I32)
    packed = ctx.prepared(w, pack_pairs, f"{w.name}_packed", DType.I8,
                          alt=(DSP_PATH, pack_pairs_s16, DType.I32) if widen else None)
    return (f"(const int8_t *){packed}", be, *_rescale(ctx, node, a, rows, bias))


# -- conv_s8 ------------------------------------------------------------------------------------
def _conv_consts(ctx, node: Node, w, bias_index: int, a, wide: bool) -> tuple[str, ...]:
    """_matrix_consts of a convolution with the kernel's w16 flag after the weights."""
    packed, *rest = _matrix_consts(ctx, node, w, bias_index, a, widen=wide)
    return (packed, str(int(wide)), *rest)


def _emit_conv(ctx, node: Node, wide: bool = False) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    kernel = "ecm_conv1x1_s8" if _is_1x1(a) else "ecm_conv2d_s8"
    ctx.call(kernel, p, ctx.ptr(x), *_conv_consts(ctx, node, w, 2, a, wide), ctx.ptr(y), ctx.scratch())


def _is_1x1(a: ConvS8Attrs) -> bool:
    return a.kernel == (1, 1) and a.pads == (0, 0, 0, 0)


def select_conv(node: Node, wide: bool = False) -> Kernel | None:
    a: ConvS8Attrs = node.attrs
    if a.group != 1 or not _const_ok(node, 1, 2):
        return None
    ic, oc = node.inputs[0].shape[3], node.outputs[0].shape[3]
    emit = partial(_emit_conv, wide=wide)
    if _is_1x1(a):
        return Kernel(emit, ("ecm_conv1x1_s8",), matrix_scratch(ic, oc))
    return Kernel(emit, ("ecm_conv2d_s8",), conv_scratch(a, ic, oc))


# -- depthwise_conv_s8 --------------------------------------------------------------------------
def _emit_dw(ctx, node: Node) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    per_channel = w.data.reshape(-1, w.shape[3]).T          # [C, taps]
    bias = folded_bias(per_channel, _bias_data(node, 2), a.input_offset)
    be = ctx.const(bias, f"{node.name}_bias_eff", DType.I32)
    wk = ctx.prepared(w, dw_blocks, f"{w.name}_blocks", DType.I8, alt=(DSP_PATH, dw_blocks_s16, DType.I32))
    ctx.call("ecm_depthwise_conv2d_s8", p, ctx.ptr(x), f"(const int8_t *){wk}", be, *_rescale(ctx, node, a, per_channel, bias), ctx.ptr(y),
             ctx.scratch())


def select_dw(node: Node, wide: bool = False) -> Kernel | None:
    """Depthwise weights are always pre-widened for the DSP path (its kernel reads no other form):
    they are a small part of any model's flash."""
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
    ctx.call("ecm_fully_connected_s8", p, ctx.ptr(x), *_matrix_consts(ctx, node, w, 2, a, widen=False), ctx.ptr(y),
             ctx.scratch())


def select_fc(node: Node, wide: bool = False) -> Kernel | None:
    """Fully connected weights stay int8 on every path (ecm_gemm_s8.h says why)."""
    if not _const_ok(node, 1, 2):
        return None
    n, k = node.inputs[1].shape
    return Kernel(_emit_fc, ("ecm_fully_connected_s8",), matrix_scratch(k, n))


# -- conv_add_s8 --------------------------------------------------------------------------------
def _emit_conv_add(ctx, node: Node, wide: bool = False) -> None:
    a = node.attrs
    r, x, w = node.inputs[:3]
    y = node.outputs[0]
    require_int8(node, r, x, w, y)
    pc = ctx.struct("ec_conv2d_s8_params", _params(a.conv, x, y), "conv_add_s8_conv")
    pad = [0] * (MAX_RANK - 1)
    pa = ctx.struct("ec_add_s8_params", {"rank": 1, "shape": [y.shape[2] * y.shape[3]] + pad, "a_strides": [1] + pad,
                                         "b_strides": [1] + pad, **add_fields(a.add, False)}, "conv_add_s8_add")
    ctx.call("ecm_conv2d_add_s8", pc, pa, str(int(a.conv_first)), ctx.ptr(x), *_conv_consts(ctx, node, w, 3, a.conv, wide),
             ctx.ptr(r), ctx.ptr(y), ctx.scratch())


def select_conv_add(node: Node, wide: bool = False) -> Kernel | None:
    a = node.attrs
    if a.conv.group != 1 or not _const_ok(node, 2, 3):
        return None
    y = node.outputs[0]
    return Kernel(partial(_emit_conv_add, wide=wide), ("ecm_conv2d_add_s8", "ecm_conv2d_s8", "ecm_add_s8"),
                  round_up(conv_scratch(a.conv, node.inputs[1].shape[3], y.shape[3]), 8) + y.shape[2] * y.shape[3])
