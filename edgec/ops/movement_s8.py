"""Quantize rules of the data-movement ops: int8 data moves through the float ops' own kernels.

Movement ops never compute, and their kernels move elements of any size (ec_remap_f32,
ec_concat_f32, ec_gather_f32, ec_copy_f32 take an element or byte size), so the int8 graph keeps
the same op names on int8 values and the output keeps the input's qparams (as TFLite requires
for RESHAPE, TRANSPOSE, SLICE, PAD, GATHER, ...). Fill values (constant pad, crop-and-resize
extrapolation) are quantized with those qparams; a real 0 becomes the zero point. CONCATENATION
needs equal parameters on every input in TFLM: inputs whose qparams differ from the output's
calibrated ones are requantized first (constant inputs are quantized straight to the output's).
"""
from __future__ import annotations

import dataclasses

from edgec.ir.graph import DType, QParams, TensorType, Value
from edgec.ops import base
from edgec.quant.qparams import quantize_real
from edgec.ops.quant_io import RequantizeAttrs
from edgec.quant.qparams import QMAX, QMIN, quantize_array

KEEP_QPARAMS = ("identity", "copy", "reshape", "transpose", "slice", "tile", "expand", "gather")


def _twin(qctx, v: Value | None) -> Value | None:
    """The value a moved int8 op reads: int8 twin of a float value, non-float values as they are."""
    if v is None or (v.is_const and v.type.dtype != DType.F32):
        return v
    return qctx.q(v)


def _move(qctx, node, attrs=None) -> None:
    """Adds `node`'s op on the int8 twins of its inputs; the output keeps input 0's qparams."""
    ins = [_twin(qctx, v) for v in node.inputs]
    out = qctx.output(node.outputs[0], ins[0].type.qparams)
    qctx.add(node.op, ins, [out], attrs if attrs is not None else node.attrs)


def _data_is_float(node) -> bool:
    return node.inputs[0] is not None and node.inputs[0].type.dtype == DType.F32


def _quantize_keep(qctx, node):
    if not _data_is_float(node):
        return False
    _move(qctx, node)
    return None


def quantized_fill(value: float, q: QParams) -> int | None:
    """The int8 code of a fill value under `q`, or None when `q` cannot hold it (it would clip)."""
    code = quantize_real(value, q)
    return code if code is not None and QMIN <= code <= QMAX else None


def _quantize_with_fill(has_fill):
    """Rule of ops with a fill value (`value` attr) used where has_fill(attrs) is true."""
    def rule(qctx, node):
        if not _data_is_float(node):
            return False
        attrs = node.attrs
        if has_fill(attrs):
            code = quantized_fill(attrs.value, qctx.q(node.inputs[0]).type.qparams)
            if code is None:
                return False
            attrs = dataclasses.replace(attrs, value=float(code))
        _move(qctx, node, attrs)
        return None
    return rule


def _pad_fills(attrs) -> bool:
    return attrs.mode == "constant" and any(p > 0 for p in attrs.pads)


def _resize_fills(attrs) -> bool:
    return any(i < 0 for t in attrs.index for i in t)


def _concat_input(qctx, v: Value, out_q: QParams, name: str) -> Value:
    """Input `v` of a concat as int8 with the output's qparams (requantized when they differ)."""
    if v.is_const:
        return qctx.const(quantize_array(v.data, out_q), f"{v.name}_q", out_q)
    qv = qctx.q(v)
    if qv.type.qparams == out_q:
        return qv
    rv = Value(f"{v.name}_rq", TensorType(v.shape, DType.I8, out_q))
    qctx.add("requantize", [qv], [rv], RequantizeAttrs.between(qv.type.qparams, out_q), name=f"{name}_{v.name}_rq")
    return rv


def _quantize_concat(qctx, node):
    if any(v.type.dtype != DType.F32 for v in node.inputs):
        return False
    out_q = qctx.qparams(node.outputs[0])
    ins = [_concat_input(qctx, v, out_q, node.name) for v in node.inputs]
    qctx.add("concat", ins, [qctx.output(node.outputs[0], out_q)], node.attrs)
    return None


for _op in KEEP_QPARAMS:
    base.attach(_op, quantize=_quantize_keep)
base.attach("pad", quantize=_quantize_with_fill(_pad_fills))
base.attach("resize", quantize=_quantize_with_fill(_resize_fills))
base.attach("concat", quantize=_quantize_concat)
