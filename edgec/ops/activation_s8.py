"""int8 nonlinear activations and softmax, bit-exact with TensorFlow Lite Micro's reference kernels.

LOGISTIC and TANH rescale x - zero_point into Q4.27 and evaluate gemmlowp's fixed-point
logistic/tanh (outputs fixed at scale 1/256 zp -128 and 1/128 zp 0); HARD_SWISH works in int16
fixed point; LEAKY_RELU applies one of two multipliers by sign; SOFTMAX exponentiates Q5.26
differences to the row max and multiplies by a fixed-point reciprocal of their sum, and
LOG_SOFTMAX subtracts a fixed-point log of that sum (output scale 16/256, zp 127). The
compiler computes every multiplier as TFLM's Prepare does (from float32 scales); the integer
references below are the bit-exact specification of runtime_c/src/ec_*_s8.c.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.quant import fixedpoint as fp
from edgec.quant.qparams import QMAX, QMIN, activation_qparams, fixed_qparams

LOGISTIC_QPARAMS = fixed_qparams(1.0 / 256.0, -128)
TANH_QPARAMS = fixed_qparams(1.0 / 128.0, 0)
SOFTMAX_QPARAMS = fixed_qparams(1.0 / 256.0, -128)
LOG_SOFTMAX_QPARAMS = fixed_qparams(16.0 / 256.0, 127)
MAX_SOFTMAX_DEPTH = 4095   # longer rows could overflow the Q12.19 sum of exps

_f32 = np.float32


def _scale(q: QParams) -> float:
    """A tensor's scale as TFLite stores it (float32), widened to double."""
    return float(_f32(q.scale[0]))


# -- logistic / tanh ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogisticTanhAttrs:
    """d = x - input_zero_point; |d| >= input_range_radius saturates, else d becomes
    MBQM(d, input_multiplier, input_left_shift) in Q4.27."""

    input_zero_point: int
    input_range_radius: int
    input_multiplier: int
    input_left_shift: int

    @staticmethod
    def prepare(in_q: QParams) -> LogisticTanhAttrs | None:
        """TFLM's int8 Prepare: frexp of s_in * 2^27; the radius is the largest |d| whose
        rescaled value stays below 15 (exclusive). None when the scale is out of range."""
        q, shift = math.frexp(_scale(in_q) * 2.0 ** 27)
        m = int(math.floor(q * 2.0 ** 31 + 0.5))
        if shift < 0 or m >= 1 << 31:
            return None
        radius = int(math.floor(15.0 * 2.0 ** 27 / 2.0 ** shift))
        # with radius 0 every input saturates and the shift is never used
        return LogisticTanhAttrs(in_q.zero_point[0], radius, m, min(shift, 30))


def _logistic_tanh_ref(a: LogisticTanhAttrs, x: np.ndarray, tanh: bool) -> np.ndarray:
    d = x.astype(np.int64) - a.input_zero_point
    inside = np.abs(d) < a.input_range_radius
    q4 = fp.multiply_by_quantized_multiplier(np.where(inside, d, 0), a.input_multiplier, a.input_left_shift)
    if tanh:
        y = fp.rounding_divide_by_pot(fp.tanh_q31(q4, 4), 24)
    else:
        y = fp.rounding_divide_by_pot(fp.logistic_q31(q4, 4), 23) - 128
    y = np.where(d <= -a.input_range_radius, QMIN, np.where(d >= a.input_range_radius, QMAX, y))
    return np.clip(y, QMIN, QMAX).astype(np.int8)


def logistic_ref(a: LogisticTanhAttrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_integer_ops::Logistic (int8)."""
    return _logistic_tanh_ref(a, x, tanh=False)


def tanh_ref(a: LogisticTanhAttrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_integer_ops::Tanh (int8)."""
    return _logistic_tanh_ref(a, x, tanh=True)


# -- hard swish -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HardSwishAttrs:
    """Q15 multipliers from the hires input scale (s_in / 128) to the output scale and to the
    'reluish' scale on which 3.0 is 32768; shifts as TFLite's (> 0 left)."""

    input_zero_point: int
    output_zero_point: int
    output_multiplier: int
    output_shift: int     # in [-15, 0]
    reluish_multiplier: int
    reluish_shift: int    # in [-15, 30]
    out_scale: float

    @staticmethod
    def prepare(in_q: QParams, out_q: QParams) -> HardSwishAttrs | None:
        """TFLM's int8 Prepare (float32 scale arithmetic); None when a shift is out of range."""
        hires = _f32(1.0 / 128.0) * _f32(in_q.scale[0])
        om, oshift = fp.quantize_multiplier_unclamped(float(hires / _f32(out_q.scale[0])))
        rm, rshift = fp.quantize_multiplier_unclamped(float(hires / _f32(3.0 / 32768.0)))
        if not (-15 <= oshift <= 0 and -15 <= rshift <= 30):
            return None
        return HardSwishAttrs(in_q.zero_point[0], out_q.zero_point[0], fp.downscale_multiplier_s16(om), oshift,
                              fp.downscale_multiplier_s16(rm), rshift, out_q.scale[0])


def hard_swish_ref(a: HardSwishAttrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_ops::HardSwish<int8_t>: int16 fixed point throughout."""
    hires = (x.astype(np.int64) - a.input_zero_point) * 128
    preshift = fp.srdhm_s16(hires, a.output_multiplier)
    r = hires
    if a.reluish_shift > 0:
        r = fp.saturating_left_shift_s16(r, a.reluish_shift - 1)
    r = fp.srdhm_s16(r, a.reluish_multiplier)
    if a.reluish_shift > 0:
        r = fp.saturating_left_shift_s16(r, 1)
    elif a.reluish_shift < 0:
        r = fp.rounding_divide_by_pot(r, -a.reluish_shift)
    r = (r + (1 << 15)) >> 1
    prod = fp.sdhm_s16(r, preshift)
    # TFLite adds the zero point in int16; |prod| <= 255 * 128 leaves room, so nothing wraps
    out = fp.rounding_divide_by_pot(prod, -a.output_shift) + a.output_zero_point
    return np.clip(out, QMIN, QMAX).astype(np.int8)


# -- leaky relu -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeakyReluAttrs:
    """y = zp_out + MBQM(d, identity) for d = x - zp_in >= 0, else + MBQM(d, alpha) (alpha's
    multiplier is signed; TFLM applies |m| and negates)."""

    input_zero_point: int
    output_zero_point: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int
    out_scale: float

    @staticmethod
    def prepare(in_q: QParams, out_q: QParams, alpha: float) -> LeakyReluAttrs | None:
        """TFLM's Prepare: multipliers s_in * alpha / s_out and s_in / s_out, which the
        tflite-micro build evaluates in double precision (float32 arithmetic differs at rounding
        ties; the TFLM comparison tests pin this). None if a left shift would exceed 30."""
        s_in, s_out = float(_f32(in_q.scale[0])), float(_f32(out_q.scale[0]))
        am, ashift = fp.quantize_multiplier_unclamped(s_in * float(_f32(alpha)) / s_out)
        im, ishift = fp.quantize_multiplier_unclamped(s_in / s_out)
        if max(ashift, ishift) > 30:
            return None
        return LeakyReluAttrs(in_q.zero_point[0], out_q.zero_point[0], im, ishift, am, ashift, out_q.scale[0])


def leaky_relu_ref(a: LeakyReluAttrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_ops::QuantizeLeakyRelu (int8)."""
    d = x.astype(np.int64) - a.input_zero_point
    pos = fp.multiply_by_quantized_multiplier(d, a.identity_multiplier, a.identity_shift)
    neg = fp.multiply_by_quantized_multiplier(d, abs(a.alpha_multiplier), a.alpha_shift)
    neg = -neg if a.alpha_multiplier < 0 else neg
    return np.clip(a.output_zero_point + np.where(d >= 0, pos, neg), QMIN, QMAX).astype(np.int8)


# -- softmax --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SoftmaxS8Attrs:
    """Softmax over `axis`, after which every dim is 1 (so rows are contiguous): differences to
    the row max >= diff_min are rescaled to Q5.26 by MBQM(d, input_multiplier,
    input_left_shift >= 0); the rest contribute nothing (output -128)."""

    input_multiplier: int
    input_left_shift: int
    diff_min: int
    axis: int = -1

    @staticmethod
    def prepare(in_q: QParams, axis: int = -1, beta: float = 1.0) -> SoftmaxS8Attrs | None:
        """TFLM's PreprocessSoftmaxScaling + CalculateInputRadius(5 integer bits); None when
        beta * s_in * 2^26 <= 1 (TFLite requires a multiplier greater than one)."""
        real = min(float(beta) * _scale(in_q) * 2.0 ** 26, 2.0 ** 31 - 1.0)
        if real <= 1.0:
            return None
        m, shift = fp.quantize_multiplier_unclamped(real)
        radius = int(math.floor(31.0 * 2.0 ** 26 / 2.0 ** shift))
        return SoftmaxS8Attrs(m, shift, -radius, axis)


def _exp_sums(a, x: np.ndarray):
    """Per row of `x` (along a.axis): the differences d to the row max, which of them are
    >= diff_min, their Q5.26 rescaling, its Q0 exp, and the Q12.19 sum of those exps."""
    rows = x.reshape(-1, x.shape[a.axis]).astype(np.int64)
    d = rows - rows.max(axis=1, keepdims=True)
    valid = d >= a.diff_min
    q5 = fp.multiply_by_quantized_multiplier(np.where(valid, d, 0), a.input_multiplier, a.input_left_shift)
    e = fp.exp_on_negative_values(q5, 5)
    return d, valid, q5, e, np.sum(np.where(valid, fp.rounding_divide_by_pot(e, 12), 0), axis=1, keepdims=True)


def softmax_s8_ref(a: SoftmaxS8Attrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_ops::Softmax<int8_t, int8_t> along the rows. Where TFLM aborts (1/sum
    needs a right shift over 31: sums of 512 or more) the quotient rounds to 0 (output -128)."""
    _, valid, _, e, total = _exp_sums(a, x)
    recip, bits_over_unit = fp.reciprocal_q31(total, 12)
    exponent = bits_over_unit + 31 - 8
    q = np.where(exponent > 31, 0, fp.rounding_divide_by_pot(fp.srdhm(recip, e), np.minimum(exponent, 31)))
    y = np.where(valid, np.clip(q - 128, QMIN, QMAX), QMIN)
    return y.astype(np.int8).reshape(x.shape)


# -- log softmax ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogSoftmaxS8Attrs:
    """As SoftmaxS8Attrs, plus the inverse of the input rescaling (a Q31 multiplier and a right
    shift <= 0) that maps log(sum of exps) back to input units to bound the differences."""

    input_multiplier: int
    input_left_shift: int
    reverse_scaling_divisor: int
    reverse_scaling_shift: int
    diff_min: int
    axis: int = -1

    @staticmethod
    def prepare(in_q: QParams, axis: int = -1) -> LogSoftmaxS8Attrs | None:
        """TFLM's PreprocessLogSoftmaxScalingExp (beta 1); None where TFLite's checks fail."""
        sm = SoftmaxS8Attrs.prepare(in_q, axis)
        if sm is None:
            return None
        reverse = float(1 << (31 - sm.input_left_shift)) / sm.input_multiplier
        rm, rshift = fp.quantize_multiplier_unclamped(reverse)
        if not 0.0 < reverse < 1.0 or rshift > 0:
            return None
        return LogSoftmaxS8Attrs(sm.input_multiplier, sm.input_left_shift, rm, rshift, sm.diff_min, axis)


def log_softmax_s8_ref(a: LogSoftmaxS8Attrs, x: np.ndarray) -> np.ndarray:
    """TFLM's reference_ops::LogSoftmax (int8): d * s_in - log(sum of exps) in Q5.26, output
    scale 16/256 zero point 127; differences too negative to represent give -128."""
    d, _, q5, _, total = _exp_sums(a, x)
    log_sum = fp.log_x_ge_1(total, 12, 5)
    bound = fp.multiply_by_quantized_multiplier(log_sum + fp.INT32_MIN, a.reverse_scaling_divisor,
                                                a.reverse_scaling_shift)
    keep = d > np.maximum(a.diff_min - 1, bound)
    y = np.clip(fp.rounding_divide_by_pot(q5 - log_sum, 31 - 5 - 4) + 127, QMIN, QMAX)
    return np.where(keep, y, QMIN).astype(np.int8).reshape(x.shape)


# -- registration ---------------------------------------------------------------------------------
def _fixed_out(qparams: QParams) -> Callable[[Any, list[TensorType]], list[TensorType]]:
    def infer(attrs: Any, types: list[TensorType]) -> list[TensorType]:
        return [TensorType(types[0].shape, DType.I8, qparams)]
    return infer


def _attrs_out(attrs: Any, types: list[TensorType]) -> list[TensorType]:
    return [TensorType(types[0].shape, DType.I8, QParams((attrs.out_scale,), (attrs.output_zero_point,)))]


def _pointwise_emit(ctype: str, kernel: str, fields: Callable[[Any], dict]) -> Callable[..., None]:
    def emit(ctx, node) -> None:
        p = ctx.struct(ctype, {"size": node.outputs[0].type.size, **fields(node.attrs)}, kernel)
        ctx.call(kernel, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
    return emit


def _logistic_tanh_fields(a: LogisticTanhAttrs) -> dict:
    return {"input_zero_point": a.input_zero_point, "input_range_radius": a.input_range_radius,
            "input_multiplier": a.input_multiplier, "input_left_shift": a.input_left_shift}


def _hard_swish_fields(a: HardSwishAttrs) -> dict:
    return {"input_zero_point": a.input_zero_point, "output_zero_point": a.output_zero_point,
            "output_multiplier": a.output_multiplier, "output_shift": a.output_shift,
            "reluish_multiplier": a.reluish_multiplier, "reluish_shift": a.reluish_shift}


def _leaky_relu_fields(a: LeakyReluAttrs) -> dict:
    return {"input_zero_point": a.input_zero_point, "output_zero_point": a.output_zero_point,
            "identity_multiplier": a.identity_multiplier, "identity_shift": a.identity_shift,
            "alpha_multiplier": a.alpha_multiplier, "alpha_shift": a.alpha_shift}


def _softmax_emit(ctx, node) -> None:
    a, x = node.attrs, node.inputs[0]
    depth = x.shape[a.axis]
    fields = {"outer": x.type.size // depth, "depth": depth, "input_multiplier": a.input_multiplier,
              "input_left_shift": a.input_left_shift}
    if node.op == "log_softmax_s8":
        fields.update(reverse_scaling_divisor=a.reverse_scaling_divisor, reverse_scaling_shift=a.reverse_scaling_shift)
    p = ctx.struct(f"ec_{node.op}_params", {**fields, "diff_min": a.diff_min}, node.op)
    ctx.call(f"ec_{node.op}", p, ctx.ptr(x), ctx.ptr(node.outputs[0]))


def _register(name: str, infer: Callable, ref: Callable, emit: Callable) -> None:
    register(OpDef(name, infer, lambda a, xs: [ref(a, xs[0])], emit, (f"ec_{name}",), inplace=True))


_register("logistic_s8", _fixed_out(LOGISTIC_QPARAMS), logistic_ref,
          _pointwise_emit("ec_logistic_tanh_s8_params", "ec_logistic_s8", _logistic_tanh_fields))
_register("tanh_s8", _fixed_out(TANH_QPARAMS), tanh_ref,
          _pointwise_emit("ec_logistic_tanh_s8_params", "ec_tanh_s8", _logistic_tanh_fields))
_register("hard_swish_s8", _attrs_out, hard_swish_ref,
          _pointwise_emit("ec_hard_swish_s8_params", "ec_hard_swish_s8", _hard_swish_fields))
_register("leaky_relu_s8", _attrs_out, leaky_relu_ref,
          _pointwise_emit("ec_leaky_relu_s8_params", "ec_leaky_relu_s8", _leaky_relu_fields))
_register("softmax_s8", _fixed_out(SOFTMAX_QPARAMS), softmax_s8_ref, _softmax_emit)
_register("log_softmax_s8", _fixed_out(LOG_SOFTMAX_QPARAMS), log_softmax_s8_ref, _softmax_emit)


# -- quantize rules (attached to the float ops) -----------------------------------------------------
def _quantize_logistic_tanh(op: str, out_q: QParams) -> Callable[..., bool | None]:
    def rule(qctx, node) -> bool | None:
        x = qctx.q(node.inputs[0])
        attrs = LogisticTanhAttrs.prepare(x.type.qparams)
        if attrs is None:
            return False
        qctx.add(op, [x], [qctx.output(node.outputs[0], out_q)], attrs)
        return None
    return rule


def hard_swish_out_qparams(in_q: QParams, out_q: QParams) -> QParams:
    """The calibrated output qparams, widened when needed so that s_out > s_in / 128 (TFLite's
    HARD_SWISH cannot scale its output up; this only happens for mostly negative inputs)."""
    floor = in_q.scale[0] / 128.0 * (1.0 + 2.0 ** -16)
    if out_q.scale[0] > floor:
        return out_q
    lo = (QMIN - out_q.zero_point[0]) * out_q.scale[0]
    return activation_qparams(lo, lo + floor * (QMAX - QMIN))


def _quantize_hard_swish(qctx, node) -> bool | None:
    x = qctx.q(node.inputs[0])
    out_q = hard_swish_out_qparams(x.type.qparams, qctx.qparams(node.outputs[0]))
    attrs = HardSwishAttrs.prepare(x.type.qparams, out_q)
    if attrs is None:
        return False
    qctx.add("hard_swish_s8", [x], [qctx.output(node.outputs[0], out_q)], attrs)
    return None


def _quantize_leaky_relu(qctx, node) -> bool | None:
    x = qctx.q(node.inputs[0])
    out_q = qctx.qparams(node.outputs[0])
    attrs = LeakyReluAttrs.prepare(x.type.qparams, out_q, node.attrs.alpha)
    if attrs is None:
        return False
    qctx.add("leaky_relu_s8", [x], [qctx.output(node.outputs[0], out_q)], attrs)
    return None


def _quantize_softmax(op: str, prepare: Callable, out_q: QParams) -> Callable[..., bool | None]:
    """Last axis only (or an axis followed by size-1 dims only, which is the same rows)."""
    def rule(qctx, node) -> bool | None:
        shape, axis = node.inputs[0].shape, node.attrs.axis
        if any(d != 1 for d in shape[axis + 1:]) or shape[axis] > MAX_SOFTMAX_DEPTH:
            return False
        x = qctx.q(node.inputs[0])
        attrs = prepare(x.type.qparams, axis)
        if attrs is None:
            return False
        qctx.add(op, [x], [qctx.output(node.outputs[0], out_q)], attrs)
        return None
    return rule


base.attach("sigmoid", quantize=_quantize_logistic_tanh("logistic_s8", LOGISTIC_QPARAMS))
base.attach("tanh", quantize=_quantize_logistic_tanh("tanh_s8", TANH_QPARAMS))
base.attach("hard_swish", quantize=_quantize_hard_swish)
base.attach("leaky_relu", quantize=_quantize_leaky_relu)
base.attach("softmax", quantize=_quantize_softmax("softmax_s8", SoftmaxS8Attrs.prepare, SOFTMAX_QPARAMS))
base.attach("log_softmax", quantize=_quantize_softmax("log_softmax_s8", LogSoftmaxS8Attrs.prepare,
                                                      LOG_SOFTMAX_QPARAMS))
