"""Conversions between float32 and int8, and int8 -> int8 rescaling.

quantize/dequantize run in float (they sit at float islands and in the float convenience
wrapper, never inside the int8 path); requantize is pure integer arithmetic. As for every int8
op, the attrs carry all the parameters the integer reference and the kernel need.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops.base import OpDef, keep_attrs, register
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN, dequantize_array, quantize_array


@dataclass(frozen=True)
class AffineAttrs:
    """real = scale * (q - zero_point)."""

    scale: float
    zero_point: int

    @property
    def qparams(self) -> QParams:
        return QParams((self.scale,), (self.zero_point,))


def _to(dtype: DType):
    def infer(attrs, types):
        return [TensorType(types[0].shape, dtype, attrs.qparams if dtype == DType.I8 else None)]
    return infer


def _quantize_emit(ctx, node):
    a = node.attrs
    p = ctx.struct("ec_quantize_params", {"size": node.outputs[0].type.size, "scale": a.scale,
                                          "zero_point": a.zero_point}, "quantize")
    ctx.call("ec_quantize_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


def _dequantize_emit(ctx, node):
    a = node.attrs
    p = ctx.struct("ec_quantize_params", {"size": node.outputs[0].type.size, "scale": a.scale,
                                          "zero_point": a.zero_point}, "dequantize")
    ctx.call("ec_dequantize_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


register(OpDef("quantize", _to(DType.I8), lambda a, xs: [quantize_array(xs[0], a.qparams)], _quantize_emit,
               ("ec_quantize_f32",), permute=keep_attrs))
register(OpDef("dequantize", _to(DType.F32), lambda a, xs: [dequantize_array(xs[0], a.qparams)],
               _dequantize_emit, ("ec_dequantize_f32",), permute=keep_attrs))


@dataclass(frozen=True)
class RequantizeAttrs:
    """y = clamp(zp_out + MBQM(x - zp_in, multiplier, shift), lo, hi)."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX

    @staticmethod
    def between(in_q: QParams, out_q: QParams, act_min: int = QMIN, act_max: int = QMAX) -> "RequantizeAttrs":
        m, shift = fp.quantize_multiplier(in_q.scale[0] / out_q.scale[0])
        return RequantizeAttrs(in_q.zero_point[0], out_q.zero_point[0], m, shift, out_q.scale[0], act_min, act_max)


def requantize_ref(a: RequantizeAttrs, x: np.ndarray) -> np.ndarray:
    """TFLite's int8 -> int8 Requantize, with an optional clamp (a standalone relu/clip)."""
    acc = fp.multiply_by_quantized_multiplier(x.astype(np.int64) - a.input_zero_point, a.multiplier, a.shift)
    return np.clip(acc + a.output_zero_point, a.act_min, a.act_max).astype(np.int8)


def _requantize_infer(a: RequantizeAttrs, types):
    return [TensorType(types[0].shape, DType.I8, QParams((a.out_scale,), (a.output_zero_point,)))]


def _requantize_emit(ctx, node):
    a = node.attrs
    p = ctx.struct("ec_requantize_params", {
        "size": node.outputs[0].type.size, "input_offset": -a.input_zero_point, "output_offset": a.output_zero_point,
        "multiplier": a.multiplier, "shift": a.shift, "act_min": a.act_min, "act_max": a.act_max}, "requantize")
    ctx.call("ec_requantize_s8", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


register(OpDef("requantize", _requantize_infer, lambda a, xs: [requantize_ref(a, xs[0])], _requantize_emit,
               ("ec_requantize_s8",), inplace=True, permute=keep_attrs))
