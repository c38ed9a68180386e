"""int8 convolution: conv_s8 (any groups) and depthwise_conv_s8, TFLite's per-channel arithmetic.

Both compute, for every output (pixel, channel c), exactly TensorFlow Lite (Micro)'s reference
ConvPerChannel / DepthwiseConvPerChannel:
    acc = bias[c] + sum over in-image taps of (x + input_offset) * w      (int32; padding skipped)
    y   = clamp(MBQM(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
Inputs: x int8 NHWC, weights int8 symmetric per output channel, bias int32 with scale
s_x * s_w[c] (or None: zeros). Weight layouts are TFLite's: conv_s8 OHWI [OC, KH, KW, ICg];
depthwise_conv_s8 [1, KH, KW, OC] with OC = IC * multiplier (oc = c * multiplier + m).

This module also holds the float "conv" quantize rule and the helpers the other int8 producers
(fully connected, matmul) share: fused relu/clip -> output clamp, per-channel rescale, requantize.
conv_transpose has no int8 kernel: it stays a float island (or is an error).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.ops.conv import ConvAttrs
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN, clamp_range

CONV_S8_KALIGN = 16   # must equal EC_CONV_S8_KALIGN in runtime_c/include/ec_conv_s8.h
# ec_conv2d_s8's blocking (TILE_PX, KCHUNK, OC_BLOCK in runtime_c/src/ec_conv2d_s8.c): fixes its scratch size.
CONV_S8_TILE_PX, CONV_S8_KCHUNK, CONV_S8_OC_BLOCK = 4, 512, 64


# -- helpers shared by the int8 producers ---------------------------------------------------------
fused_act_range = clamp_range   # the output clamp of a fused relu/clip (None: not a clamp)


def channel_rescale(in_scale: float, w_scales: np.ndarray, out_scale: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-channel (multipliers, shifts) of s_in * s_w[c] / s_out, computed in double from the
    float32 scales as TFLite's PopulateConvolutionQuantizationParams."""
    real = np.float64(np.float32(in_scale)) * np.asarray(w_scales, np.float32).astype(np.float64) \
        / np.float64(np.float32(out_scale))
    m, s = fp.quantize_scale_tensor(real)
    return tuple(int(v) for v in m), tuple(int(v) for v in s)


def requantize_acc(acc: np.ndarray, multipliers, shifts, output_offset: int, act_min: int,
                   act_max: int) -> np.ndarray:
    """int8 outputs of int32 accumulators (channels on the last axis): MBQM per channel, plus the
    output offset, clamped. The accumulators wrap to int32 first, as the C sums do."""
    acc = (np.asarray(acc, np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)
    y = fp.multiply_by_quantized_multiplier(acc, np.asarray(multipliers, np.int64), np.asarray(shifts, np.int64))
    return np.clip(y + output_offset, act_min, act_max).astype(np.int8)


def out_qparams(attrs) -> QParams:
    return QParams((attrs.out_scale,), (attrs.output_offset,))


def float_inputs(node) -> bool:
    """Every input of float node `node` is float32 (a rule declines integer arithmetic)."""
    return all(v is None or v.type.dtype == DType.F32 for v in node.inputs)


def require_int8(node, *values: Value | None) -> None:
    for v in values:
        if v is not None and v.type.dtype not in (DType.I8, DType.I32):
            raise ShapeError(f"node '{node.name}' ({node.op}): '{v.name}' is {v.type.dtype.value}, expected int8")


# -- the ops ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvS8Attrs:
    """Geometry as ConvAttrs (always NHWC); kernel/strides/dilations (h, w), pads (t, l, b, r).

    input_offset = -(x zero point); output_offset = y zero point; multipliers/shifts per output
    channel (Q31 of s_x * s_w[c] / s_y); out_scale = s_y; [act_min, act_max] the output clamp.
    """

    kernel: tuple[int, int]
    strides: tuple[int, int]
    pads: tuple[int, int, int, int]
    dilations: tuple[int, int]
    group: int
    input_offset: int
    output_offset: int
    multipliers: tuple[int, ...]
    shifts: tuple[int, ...]
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX

    @property
    def geometry(self) -> ConvAttrs:
        return ConvAttrs(self.kernel, self.strides, self.pads, self.dilations, self.group, channels_last=True)


def _dw_as_ohwi(w: TensorType | np.ndarray):
    """Depthwise weight [1, KH, KW, OC] viewed as the grouped conv's OHWI [OC, KH, KW, 1]."""
    if isinstance(w, np.ndarray):
        return w.transpose(3, 1, 2, 0)
    if w.rank != 4 or w.shape[0] != 1:
        raise ShapeError(f"depthwise weight must be [1, KH, KW, OC], got {list(w.shape)}")
    return TensorType((w.shape[3], w.shape[1], w.shape[2], 1), w.dtype)


def _infer(a: ConvS8Attrs, types: list[TensorType], depthwise: bool) -> list[TensorType]:
    x, w = types[0], types[1]
    if depthwise:
        w = _dw_as_ohwi(w)
        if a.group != x.shape[-1]:
            raise ShapeError(f"depthwise_conv_s8 needs group == input channels, got {a.group} for {list(x.shape)}")
    oc = w.shape[0]
    if len(a.multipliers) != oc or len(a.shifts) != oc:
        raise ShapeError(f"{len(a.multipliers)} multipliers for {oc} output channels")
    fl = base.get("conv").infer(a.geometry, [TensorType(x.shape), TensorType(w.shape), *types[2:]])
    return [TensorType(fl[0].shape, DType.I8, out_qparams(a))]


def conv_acc(a: ConvS8Attrs, x: np.ndarray, w_ohwi: np.ndarray) -> np.ndarray:
    """int64 [N, OH, OW, OC] sums of (x + input_offset) * w over in-image taps (no bias). Done
    in float64, which is exact: every partial sum is an integer far below 2^53."""
    xs = x.astype(np.float64) + a.input_offset
    oc, kh, kw, icg = w_ohwi.shape
    g = a.group
    (sh, sw), (dh, dw), (pt, pl, pb, pr) = a.strides, a.dilations, a.pads
    n, oh, ow, _ = _infer(a, [TensorType(x.shape), TensorType(w_ohwi.shape)], False)[0].shape
    xp = np.pad(xs, ((0, 0), (pt, pb), (pl, pr), (0, 0)))   # 0 == x at the zero point: adds nothing
    taps = w_ohwi.astype(np.float64).reshape(g, oc // g, kh, kw, icg).transpose(2, 3, 0, 4, 1)
    acc = np.zeros((g, n * oh * ow, oc // g))
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
            acc += np.matmul(tap.reshape(-1, g, icg).transpose(1, 0, 2), taps[i, j])
    return np.rint(acc.transpose(1, 0, 2)).astype(np.int64).reshape(n, oh, ow, oc)


def _ref(a: ConvS8Attrs, xs: list, depthwise: bool) -> list[np.ndarray]:
    x, w = np.asarray(xs[0]), np.asarray(xs[1])
    acc = conv_acc(a, x, _dw_as_ohwi(w) if depthwise else w)
    if len(xs) > 2 and xs[2] is not None:
        acc = acc + np.asarray(xs[2], np.int64)
    return [requantize_acc(acc, a.multipliers, a.shifts, a.output_offset, a.act_min, a.act_max)]


def _params(a: ConvS8Attrs, x: Value, y: Value) -> dict:
    """Fields of ec_conv2d_s8_params (NHWC shapes of x and y)."""
    n, h, w, c = x.shape
    _, oh, ow, oc = y.shape
    return {"n": n, "in_h": h, "in_w": w, "in_c": c, "out_h": oh, "out_w": ow, "out_c": oc,
            "k_h": a.kernel[0], "k_w": a.kernel[1], "stride_h": a.strides[0], "stride_w": a.strides[1],
            "pad_top": a.pads[0], "pad_left": a.pads[1], "dil_h": a.dilations[0], "dil_w": a.dilations[1],
            "groups": a.group, "input_offset": a.input_offset, "output_offset": a.output_offset,
            "act_min": a.act_min, "act_max": a.act_max}


def pad_rows(w: np.ndarray, align: int) -> np.ndarray:
    """[R, ...] -> [R, K rounded up to `align`]: rows flattened and zero-padded (the kernels read
    whole aligned blocks)."""
    rows = w.reshape(w.shape[0], -1)
    k = rows.shape[1]
    return np.pad(rows, ((0, 0), (0, -(-k // align) * align - k)))


def round_up(n: int, align: int) -> int:
    return -(-n // align) * align


def _conv_scratch(a: ConvS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    """Bytes of ec_conv2d_s8's scratch (as ec_conv2d_s8_scratch_size): int32 accumulators
    [min(OC_BLOCK, OCg)][TILE_PX], then int16 im2col columns [TILE_PX][min(KCHUNK, k_pad)]."""
    k_pad = round_up(a.kernel[0] * a.kernel[1] * (ins[0].shape[3] // a.group), CONV_S8_KALIGN)
    ocg = outs[0].shape[3] // a.group
    return 4 * min(CONV_S8_OC_BLOCK, ocg) * CONV_S8_TILE_PX + 2 * CONV_S8_TILE_PX * min(CONV_S8_KCHUNK, k_pad)


def _emit(ctx, node, depthwise: bool) -> None:
    a: ConvS8Attrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    require_int8(node, x, w, y)
    p = ctx.struct("ec_conv2d_s8_params", _params(a, x, y), node.op)
    if depthwise:
        wk, fn, scratch = ctx.ptr(w), "ec_depthwise_conv2d_s8", ()
    else:
        wk = ctx.prepared(w, lambda d: pad_rows(d, CONV_S8_KALIGN), f"{w.name}_k", DType.I8)
        fn, scratch = "ec_conv2d_s8", (ctx.scratch(),)
    ctx.call(fn, p, ctx.ptr(x), wk, "NULL" if b is None else ctx.ptr(b),
             ctx.ints(a.multipliers, f"{node.name}_mult"), ctx.ints(a.shifts, f"{node.name}_shift"), ctx.ptr(y),
             *scratch)


def _macs(a: ConvS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    return outs[0].size * a.kernel[0] * a.kernel[1] * (ins[0].shape[3] // a.group)


register(OpDef("conv_s8", lambda a, t: _infer(a, t, False), lambda a, xs: _ref(a, xs, False),
               lambda ctx, n: _emit(ctx, n, False), ("ec_conv2d_s8",), macs=_macs, scratch=_conv_scratch))
register(OpDef("depthwise_conv_s8", lambda a, t: _infer(a, t, True), lambda a, xs: _ref(a, xs, True),
               lambda ctx, n: _emit(ctx, n, True), ("ec_depthwise_conv2d_s8",), macs=_macs))


# -- quantize rule of the float conv ----------------------------------------------------------------
def _quantize_conv(qctx, node) -> bool:
    """float conv (NHWC, OHWI weight, fused relu/clip or none) -> conv_s8 / depthwise_conv_s8."""
    a: ConvAttrs = node.attrs
    x, w = node.inputs[0], node.inputs[1]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    if not a.channels_last or not w.is_const or (b is not None and not b.is_const) or not float_inputs(node):
        return False
    out_q = qctx.qparams(node.outputs[0])
    clamp = fused_act_range(a.act, out_q)
    if clamp is None:
        return False
    xq = qctx.q(x)
    in_scale = xq.type.qparams.scale[0]
    wq, w_scales = qctx.weights(w, 0)
    bias = qctx.bias(b, in_scale, w_scales, node.name)
    mult, shift = channel_rescale(in_scale, w_scales, out_q.scale[0])
    attrs = ConvS8Attrs(a.kernel, a.strides, a.pads, a.dilations, a.group, -xq.type.qparams.zero_point[0],
                        out_q.zero_point[0], mult, shift, out_q.scale[0], *clamp)
    oc, _, _, icg = w.shape
    op = "conv_s8"
    if icg == 1 and a.group == x.shape[3] and a.group > 1:
        qp = dataclasses.replace(wq.type.qparams, axis=3)
        wq = qctx.const(wq.data.transpose(3, 1, 2, 0), f"{w.name}_dw_q", qp)
        op = "depthwise_conv_s8"
    qctx.add(op, [xq, wq, bias], [qctx.output(node.outputs[0], out_q)], attrs)
    return True


base.attach("conv", quantize=_quantize_conv)

