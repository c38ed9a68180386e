"""int8 2-D pooling (NHWC) with TensorFlow Lite Micro's reference arithmetic, and quantize rules.

Both keep the input's qparams (TFLM requires equal input and output parameters for pools):
max_pool_s8 takes the largest in-bounds tap (padding never wins); avg_pool_s8 sums the raw int8
taps and divides with TFLM's rounding, (sum + count / 2) / count for sum > 0 and
(sum - count / 2) / count otherwise (C division, toward zero), where count is the number of taps
inside the input. With count_include_pad, taps in the pads also count and add the zero point
(a real 0) to the sum, which TFLM cannot express but which follows the same rounding.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.ops.pool import PoolAttrs, nchw_dims, pool_infer
from edgec.quant.qparams import QMAX, QMIN


@dataclass(frozen=True)
class PoolS8Attrs(PoolAttrs):
    """PoolAttrs (always channels_last) plus the int8 parameters: `zero_point` of input and
    output (the value of a pad tap for count_include_pad), and the output clamp."""

    scale: float = 1.0
    zero_point: int = 0
    act_min: int = QMIN
    act_max: int = QMAX

    @property
    def qparams(self) -> QParams:
        return QParams((self.scale,), (self.zero_point,))


def _infer(attrs: PoolS8Attrs, types: list[TensorType]) -> list[TensorType]:
    out = pool_infer(attrs, types)[0]
    return [TensorType(out.shape, DType.I8, attrs.qparams)]


def _windows(attrs: PoolS8Attrs, x: np.ndarray, fill: int, region: int) -> tuple[np.ndarray, np.ndarray]:
    """(taps, mask) of NHWC `x`: taps[i, j] is the (n, oh, ow, c) array of tap (i, j) read from a
    copy of x padded with `fill`; mask[i, j] is 1 where that tap is counted: inside the input
    (region 0) or inside input + pads (region 1). Both are int64."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = attrs.kernel, attrs.strides, attrs.dilations
    pt, pl, pb, pr = attrs.pads
    _, _, oh, ow = nchw_dims(pool_infer(attrs, [TensorType(x.shape)])[0].shape, True)
    big_h = max((oh - 1) * sh + (kh - 1) * dh + 1, pt + h + pb)
    big_w = max((ow - 1) * sw + (kw - 1) * dw + 1, pl + w + pr)
    xp = np.full((n, big_h, big_w, c), fill, np.int64)
    xp[:, pt:pt + h, pl:pl + w] = x
    inside = np.zeros((big_h, big_w), np.int64)
    if region:
        inside[:pt + h + pb, :pl + w + pr] = 1
    else:
        inside[pt:pt + h, pl:pl + w] = 1
    taps, mask = [], []
    for i in range(kh):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        for j in range(kw):
            cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            taps.append(xp[:, rows, cols])
            mask.append(inside[rows, cols])
    return np.stack(taps), np.stack(mask)


def max_pool_s8_ref(attrs: PoolS8Attrs, x: np.ndarray) -> np.ndarray:
    taps, _ = _windows(attrs, np.asarray(x), QMIN, 0)
    return np.clip(taps.max(axis=0), attrs.act_min, attrs.act_max).astype(np.int8)


def rounded_div(acc: np.ndarray, count: np.ndarray) -> np.ndarray:
    """TFLM's average-pool division: (acc + count / 2) / count for acc > 0, else
    (acc - count / 2) / count, with C's truncating integer division (count > 0)."""
    acc = np.asarray(acc, np.int64)
    half = count // 2
    return np.where(acc > 0, (acc + half) // count, -((half - acc) // count))


def avg_pool_s8_ref(attrs: PoolS8Attrs, x: np.ndarray) -> np.ndarray:
    region = int(attrs.count_include_pad)
    taps, mask = _windows(attrs, np.asarray(x), attrs.zero_point if region else 0, region)
    acc = (taps * mask[:, None, :, :, None]).sum(axis=0)
    count = mask.sum(axis=0)[None, :, :, None]
    y = rounded_div(acc, count)
    return np.clip(y, attrs.act_min, attrs.act_max).astype(np.int8)


def _emit(kernel: str):
    def emit(ctx, node) -> None:
        a: PoolS8Attrs = node.attrs
        n, c, h, w = nchw_dims(node.inputs[0].shape, True)
        _, _, oh, ow = nchw_dims(node.outputs[0].shape, True)
        p = ctx.struct("ec_pool2d_s8_params", {
            "n": n, "in_h": h, "in_w": w, "c": c, "out_h": oh, "out_w": ow,
            "kernel": list(a.kernel), "stride": list(a.strides), "dilation": list(a.dilations),
            "pad": list(a.pads), "count_include_pad": int(a.count_include_pad), "pad_value": a.zero_point,
            "act_min": a.act_min, "act_max": a.act_max}, node.op)
        ctx.call(kernel, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
    return emit


def _macs(attrs: PoolS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    return outs[0].size * attrs.kernel[0] * attrs.kernel[1]


register(OpDef("max_pool_s8", _infer, lambda a, xs: [max_pool_s8_ref(a, xs[0])], _emit("ec_max_pool2d_s8"),
               ("ec_max_pool2d_s8",), macs=_macs))
register(OpDef("avg_pool_s8", _infer, lambda a, xs: [avg_pool_s8_ref(a, xs[0])], _emit("ec_avg_pool2d_s8"),
               ("ec_avg_pool2d_s8",), macs=_macs))


# -- quantize rules --------------------------------------------------------------------------------
def _every_window_has_input(attrs: PoolAttrs, shape: tuple[int, ...]) -> bool:
    """False when some window holds no input tap (its max or average would be undefined)."""
    _, _, h, w = nchw_dims(shape, True)
    try:
        probe = PoolS8Attrs(**{**dataclasses.asdict(attrs), "channels_last": True})
        _, mask = _windows(probe, np.zeros((1, h, w, 1), np.int64), 0, 0)
    except ShapeError:
        return False
    return bool(mask.sum(axis=0).min() > 0)


def _quantize_pool(op: str):
    def rule(qctx, node):
        a: PoolAttrs = node.attrs
        x = node.inputs[0]
        if not a.channels_last or x.type.dtype != DType.F32 or not _every_window_has_input(a, x.shape):
            return False
        qx = qctx.q(x)
        q = qx.type.qparams
        attrs = PoolS8Attrs(**dataclasses.asdict(a), scale=q.scale[0], zero_point=q.zero_point[0])
        qctx.add(op, [qx], [qctx.output(node.outputs[0], q)], attrs)
        return None
    return rule


base.attach("max_pool", quantize=_quantize_pool("max_pool_s8"))
base.attach("avg_pool", quantize=_quantize_pool("avg_pool_s8"))
