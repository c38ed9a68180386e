"""int8 reductions (mean, sum, max, min) with TensorFlow Lite Micro's reference arithmetic.

Mean and sum (TFLM QuantizedMeanOrSum): the raw int8 values are summed in int32, the input zero
point is removed as one term (sum - zp_in * count) and the result is rescaled by s_in / s_out and
offset by zp_out. For mean, TFLM folds 1 / count into the Q31 multiplier: with
k = min(floor(log2(count)), 32, 31 + shift), multiplier' = (multiplier << k) / count (int64,
truncating) and shift' = shift - k. The compiler does that folding, so the kernel is the same for
both kinds. Max and min keep the input's qparams and compare raw values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.ops.reduce import ReduceAttrs, reduce_plan
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN

MAX_RANK = 6
MAX_COUNT = 1 << 23   # 255 * count must fit int32 (TFLM sums in int32)
# reduction kind -> its ec_reduce_s8_kind enum in runtime_c/include/ec_reduce_s8.h
S8_KINDS = {"mean": "EC_RED_S8_RESCALE", "sum": "EC_RED_S8_RESCALE", "max": "EC_RED_S8_MAX",
            "min": "EC_RED_S8_MIN"}


@dataclass(frozen=True)
class ReduceS8Attrs:
    """ReduceAttrs fields plus y = clamp(zp_out + MBQM(sum - zp_in * count, multiplier, shift))
    for mean/sum (multiplier already holding 1 / count for mean); max/min use only the zero point."""

    kind: str
    axes: tuple[int, ...]
    keepdims: bool
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    out_scale: float

    @property
    def float_attrs(self) -> ReduceAttrs:
        return ReduceAttrs(self.kind, self.axes, self.keepdims)


def mean_multiplier(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """TFLM's folding of 1 / count into a Q31 multiplier (see the module docstring)."""
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return int((multiplier << k) // count), shift - k


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def reduce_s8_ref(a: ReduceS8Attrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if a.kind in ("max", "min"):
        fn = np.max if a.kind == "max" else np.min
        return (fn(x, axis=a.axes, keepdims=a.keepdims) if a.axes else x.copy()).astype(np.int8)
    total = np.sum(x.astype(np.int64), axis=a.axes, keepdims=a.keepdims)
    acc = total - a.input_zero_point * _count(x.shape, a.axes)
    y = fp.multiply_by_quantized_multiplier(acc, a.multiplier, a.shift) + a.output_zero_point
    return np.clip(y, QMIN, QMAX).astype(np.int8)


def _infer(a: ReduceS8Attrs, types: list[TensorType]) -> list[TensorType]:
    out = base.get("reduce").infer(a.float_attrs, types)[0]
    return [TensorType(out.shape, DType.I8, QParams((a.out_scale,), (a.output_zero_point,)))]


def _pad(xs: list[int]) -> list[int]:
    return list(xs) + [0] * (MAX_RANK - len(xs))


def _emit(ctx, node) -> None:
    a: ReduceS8Attrs = node.attrs
    plan = reduce_plan(node.inputs[0].shape, a.axes)
    p = ctx.struct("ec_reduce_s8_params", {
        "kind": S8_KINDS[a.kind], "outer_rank": len(plan.outer_shape),
        "outer_shape": _pad(plan.outer_shape), "outer_strides": _pad(plan.outer_strides),
        "red_rank": len(plan.red_shape), "red_shape": _pad(plan.red_shape),
        "red_strides": _pad(plan.red_strides), "inner": plan.inner, "count": plan.count,
        "input_offset": -a.input_zero_point, "output_offset": a.output_zero_point,
        "multiplier": a.multiplier, "shift": a.shift}, f"reduce_{a.kind}_s8")
    ctx.call("ec_reduce_s8", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


register(OpDef("reduce_s8", _infer, lambda a, xs: [reduce_s8_ref(a, xs[0])], _emit, ("ec_reduce_s8",),
               macs=lambda a, ins, outs: ins[0].size))


def reduce_s8_attrs(attrs: ReduceAttrs, shape: tuple[int, ...], in_q: QParams, out_q: QParams) -> ReduceS8Attrs:
    """The int8 parameters of a float reduce (mean/sum: rescaled; max/min: out_q must be in_q)."""
    m, shift = 0, 0
    if attrs.kind in ("mean", "sum"):
        m, shift = fp.quantize_multiplier(in_q.scale[0] / out_q.scale[0])
        if attrs.kind == "mean":
            m, shift = mean_multiplier(m, shift, _count(shape, attrs.axes))
    return ReduceS8Attrs(attrs.kind, attrs.axes, attrs.keepdims, in_q.zero_point[0], out_q.zero_point[0], m, shift,
                         out_q.scale[0])


def _quantize_reduce(qctx, node):
    a: ReduceAttrs = node.attrs
    x = node.inputs[0]
    if a.kind not in S8_KINDS or x.type.dtype != DType.F32 or _count(x.shape, a.axes) > MAX_COUNT:
        return False
    qx = qctx.q(x)
    in_q = qx.type.qparams
    out_q = in_q if a.kind in ("max", "min") else qctx.qparams(node.outputs[0])
    attrs = reduce_s8_attrs(a, x.shape, in_q, out_q)
    qctx.add("reduce_s8", [qx], [qctx.output(node.outputs[0], out_q)], attrs)
    return None


base.attach("reduce", quantize=_quantize_reduce)
