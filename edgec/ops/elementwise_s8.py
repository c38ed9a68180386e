"""int8 element-wise ops with TensorFlow Lite Micro's reference arithmetic, and their quantize rules.

add_s8 / sub_s8 (TFLM ADD / SUB int8): both inputs are shifted left by 20 bits, rescaled to a
common scale of twice the larger input scale, added or subtracted, then rescaled to the output.
mul_s8 (TFLM MUL int8): the product of the zero-point-corrected inputs is rescaled by
s1 * s2 / s_out. All three broadcast like numpy and clamp to a fused relu/clip range.
Standalone relu/clip become the `requantize` op with an output clamp (TFLM RELU int8 arithmetic).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops import base
from edgec.ops.base import Activation, OpDef, register
from edgec.ops.elementwise import MAX_RANK, broadcast_shape, broadcast_strides, collapse_dims
from edgec.ops.quant_io import RequantizeAttrs
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN, clamp_range

ADD_LEFT_SHIFT = 20   # TFLM's int8 ADD/SUB headroom: |x - zp| <= 255, so (x - zp) << 20 fits int32
CLAMPS = ("relu", "clip")


# -- activation clamps -----------------------------------------------------------------------------
def act_range(act: Activation | None, q: QParams) -> tuple[int, int]:
    """clamp_range for the clamps a binary op or standalone relu/clip can carry (others: error)."""
    r = clamp_range(act, q)
    if r is None:
        raise ValueError(f"activation '{act.kind}' is not a clamp")
    return r


def _clamp(y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(y, lo, hi).astype(np.int8)


def _out_qparams(attrs) -> QParams:
    return QParams((attrs.out_scale,), (attrs.output_zero_point,))


def _binary_infer(attrs, types: list[TensorType]) -> list[TensorType]:
    return [TensorType(broadcast_shape(types[0].shape, types[1].shape), DType.I8, _out_qparams(attrs))]


def _broadcast_fields(node) -> dict:
    """rank/shape/a_strides/b_strides of the kernel's broadcast loop (dims merged where contiguous)."""
    a, b = node.inputs
    out = node.outputs[0].type.shape
    shape, sa, sb = collapse_dims(out, broadcast_strides(a.shape, out), broadcast_strides(b.shape, out))
    if len(shape) > MAX_RANK:
        raise ShapeError(f"node '{node.name}': {node.op} needs {len(shape)} broadcast dims, max {MAX_RANK}")
    pad = [0] * (MAX_RANK - len(shape))
    return {"rank": len(shape), "shape": shape + pad, "a_strides": sa + pad, "b_strides": sb + pad}


# -- add / sub -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddS8Attrs:
    """y = clamp(zp_out + MBQM(MBQM((x1 - zp1) << 20, m1, sh1) -/+ MBQM((x2 - zp2) << 20, m2, sh2),
    m_out, sh_out), act_min, act_max); every shift <= 0 (TFLM's SmallerThanOneExp multipliers)."""

    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX


def add_real_multipliers(s1: float, s2: float, s_out: float, subtract: bool) -> tuple[float, float, float]:
    """TFLM's real input and output multipliers of ADD and SUB, computed in double from the float32
    scales (the tflite-micro release the tests pin does both in double; `subtract` only names the
    op for callers)."""
    twice = 2 * max(s1, s2)
    return s1 / twice, s2 / twice, twice / ((1 << ADD_LEFT_SHIFT) * s_out)


def add_attrs(q1: QParams, q2: QParams, qo: QParams, act: Activation | None,
              subtract: bool = False) -> AddS8Attrs | None:
    """The int8 ADD/SUB parameters, or None when the output multiplier would exceed 1 (TFLM
    rejects such a model: the output scale is below 2^-19 of the larger input scale)."""
    reals = add_real_multipliers(q1.scale[0], q2.scale[0], qo.scale[0], subtract)
    (m1, sh1), (m2, sh2), (mo, sho) = (fp.quantize_multiplier(r) for r in reals)
    if max(sh1, sh2, sho) > 0:
        return None
    lo, hi = act_range(act, qo)
    return AddS8Attrs(q1.zero_point[0], q2.zero_point[0], qo.zero_point[0], m1, sh1, m2, sh2, mo, sho,
                      qo.scale[0], lo, hi)


def add_s8_ref(a: AddS8Attrs, x1: np.ndarray, x2: np.ndarray, subtract: bool) -> np.ndarray:
    """The integer reference of add_s8 / sub_s8 (numpy broadcasting)."""
    v1 = (np.asarray(x1, np.int64) - a.input1_zero_point) << ADD_LEFT_SHIFT
    v2 = (np.asarray(x2, np.int64) - a.input2_zero_point) << ADD_LEFT_SHIFT
    s1 = fp.multiply_by_quantized_multiplier(v1, a.input1_multiplier, a.input1_shift)
    s2 = fp.multiply_by_quantized_multiplier(v2, a.input2_multiplier, a.input2_shift)
    raw = s1 - s2 if subtract else s1 + s2
    y = fp.multiply_by_quantized_multiplier(raw, a.output_multiplier, a.output_shift) + a.output_zero_point
    return _clamp(y, a.act_min, a.act_max)


def _add_ref(subtract: bool):
    def ref(attrs: AddS8Attrs, xs):
        return [add_s8_ref(attrs, xs[0], xs[1], subtract)]
    return ref


def add_fields(a: AddS8Attrs, subtract: bool) -> dict:
    """The arithmetic fields of ec_add_s8_params (all but the broadcast loop's)."""
    return {"subtract": int(subtract), "a_offset": -a.input1_zero_point, "b_offset": -a.input2_zero_point,
            "a_multiplier": a.input1_multiplier, "a_shift": a.input1_shift,
            "b_multiplier": a.input2_multiplier, "b_shift": a.input2_shift,
            "out_multiplier": a.output_multiplier, "out_shift": a.output_shift,
            "out_offset": a.output_zero_point, "act_min": a.act_min, "act_max": a.act_max}


def _add_emit(subtract: bool):
    def emit(ctx, node) -> None:
        a: AddS8Attrs = node.attrs
        p = ctx.struct("ec_add_s8_params", {**_broadcast_fields(node), **add_fields(a, subtract)}, node.op)
        ctx.call("ec_add_s8", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.inputs[1]), ctx.ptr(node.outputs[0]))
    return emit


for _name, _sub in (("add_s8", False), ("sub_s8", True)):
    register(OpDef(_name, _binary_infer, _add_ref(_sub), _add_emit(_sub), ("ec_add_s8",), inplace=True))


# -- mul -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MulS8Attrs:
    """y = clamp(zp_out + MBQM((x1 - zp1) * (x2 - zp2), multiplier, shift), act_min, act_max)
    with multiplier/shift the Q31 form of s1 * s2 / s_out."""

    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    out_scale: float
    act_min: int = QMIN
    act_max: int = QMAX


def mul_attrs(q1: QParams, q2: QParams, qo: QParams, act: Activation | None) -> MulS8Attrs:
    m, shift = fp.quantize_multiplier(q1.scale[0] * q2.scale[0] / qo.scale[0])
    lo, hi = act_range(act, qo)
    return MulS8Attrs(q1.zero_point[0], q2.zero_point[0], qo.zero_point[0], m, shift, qo.scale[0], lo, hi)


def mul_s8_ref(a: MulS8Attrs, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    prod = (np.asarray(x1, np.int64) - a.input1_zero_point) * (np.asarray(x2, np.int64) - a.input2_zero_point)
    y = fp.multiply_by_quantized_multiplier(prod, a.multiplier, a.shift) + a.output_zero_point
    return _clamp(y, a.act_min, a.act_max)


def _mul_emit(ctx, node) -> None:
    a: MulS8Attrs = node.attrs
    p = ctx.struct("ec_mul_s8_params", {
        **_broadcast_fields(node), "a_offset": -a.input1_zero_point, "b_offset": -a.input2_zero_point,
        "out_multiplier": a.multiplier, "out_shift": a.shift, "out_offset": a.output_zero_point,
        "act_min": a.act_min, "act_max": a.act_max}, "mul_s8")
    ctx.call("ec_mul_s8", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.inputs[1]), ctx.ptr(node.outputs[0]))


register(OpDef("mul_s8", _binary_infer, lambda a, xs: [mul_s8_ref(a, xs[0], xs[1])], _mul_emit, ("ec_mul_s8",),
               inplace=True))


# -- quantize rules --------------------------------------------------------------------------------
def _quantize_binary(op: str):
    """Rule of float add/sub/mul: constant operands are quantized per tensor by QuantContext.q."""
    def rule(qctx, node):
        act = node.attrs.act
        if (act is not None and act.kind not in CLAMPS) or any(v.type.dtype != DType.F32 for v in node.inputs):
            return False
        qa, qb = qctx.q(node.inputs[0]), qctx.q(node.inputs[1])
        qo = qctx.qparams(node.outputs[0])
        if op == "mul_s8":
            attrs = mul_attrs(qa.type.qparams, qb.type.qparams, qo, act)
        else:
            attrs = add_attrs(qa.type.qparams, qb.type.qparams, qo, act, subtract=op == "sub_s8")
            if attrs is None:
                return False
        qctx.add(op, [qa, qb], [qctx.output(node.outputs[0], qo)], attrs)
        return None
    return rule


def clamp_requantize_attrs(in_q: QParams, out_q: QParams, act: Activation) -> RequantizeAttrs:
    """A standalone relu/clip as TFLM's RELU int8: requantize by s_in / s_out computed in double from
    the float32 scales (TFLM's CalculateReluOpData) and clamp to the activation's range on the
    output scale."""
    m, shift = fp.quantize_multiplier(float(np.float64(np.float32(in_q.scale[0])) / np.float64(np.float32(out_q.scale[0]))))
    lo, hi = act_range(act, out_q)
    return RequantizeAttrs(in_q.zero_point[0], out_q.zero_point[0], m, shift, out_q.scale[0], lo, hi)


def _quantize_clamp(qctx, node):
    x = node.inputs[0]
    if x.type.dtype != DType.F32:
        return False
    qx = qctx.q(x)
    qo = qctx.qparams(node.outputs[0])
    act = Activation(node.op, float(node.attrs.alpha), float(node.attrs.beta))
    attrs = clamp_requantize_attrs(qx.type.qparams, qo, act)
    qctx.add("requantize", [qx], [qctx.output(node.outputs[0], qo)], attrs)
    return None


for _float_op, _s8 in (("add", "add_s8"), ("sub", "sub_s8"), ("mul", "mul_s8")):
    base.attach(_float_op, quantize=_quantize_binary(_s8))
for _float_op in CLAMPS:
    base.attach(_float_op, quantize=_quantize_clamp)
