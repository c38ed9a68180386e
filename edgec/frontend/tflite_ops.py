"""One converter per TFLite builtin operator: edgec int8 op(s) with TFLite Micro's parameters.

Every integer parameter comes from the helpers of the int8 op modules (channel_rescale,
add_attrs, SoftmaxS8Attrs.prepare, ...), fed with the file's float32 scales and zero points, so
the arithmetic TFLM's Prepare does lives in one place. Weights (int8) and biases (int32) are
the file's own data. Operators whose parameters TFLM would reject raise UnsupportedOpError.
"""
from __future__ import annotations

import math

import numpy as np
import tflite

from edgec.frontend.tflite_loader import TfliteContext, TfliteOp, converter, fused_activation
from edgec.ir.graph import DType, QParams, Value
from edgec.ops.activation_s8 import (LOGISTIC_QPARAMS, MAX_SOFTMAX_DEPTH, SOFTMAX_QPARAMS, TANH_QPARAMS, HardSwishAttrs,
                                     LeakyReluAttrs, LogisticTanhAttrs, SoftmaxS8Attrs)
from edgec.ops.conv_s8 import ConvS8Attrs, channel_rescale, fused_act_range
from edgec.ops.elementwise_s8 import add_attrs, clamp_requantize_attrs, mul_attrs
from edgec.quant.qparams import quantize_real
from edgec.ops.matmul_s8 import FullyConnectedS8Attrs
from edgec.ops.movement import ConcatAttrs, ReshapeAttrs, TransposeAttrs
from edgec.ops.movement_index import PadAttrs, SliceAttrs
from edgec.ops.pool_s8 import PoolS8Attrs
from edgec.ops.quant_io import AffineAttrs, RequantizeAttrs
from edgec.ops.reduce import ReduceAttrs
from edgec.ops.reduce_s8 import reduce_s8_attrs
from edgec.quant.qparams import QMAX, QMIN

_SAME = 0   # tflite.Padding.SAME


# -- shared checks -------------------------------------------------------------------------------
def _int8(ctx: TfliteContext, v: Value | None, what: str) -> Value:
    """`v` if it is per-tensor int8 with qparams (an activation), else UnsupportedOpError."""
    if v is None or v.type.dtype != DType.I8 or v.type.qparams is None:
        dt = "absent" if v is None else v.type.dtype.value
        raise ctx.unsupported(f"{what} '{v.name if v else '?'}' is {dt}; a quantized model must be int8 throughout "
                              "(models mixing float32 and int8 activations, e.g. dynamic-range, are unsupported)")
    if v.type.qparams.axis is not None and len(set(v.type.qparams.scale)) > 1:
        raise ctx.unsupported(f"{what} '{v.name}' is quantized per channel")
    return v


def _io(ctx: TfliteContext, op: TfliteOp) -> tuple[Value, Value]:
    """(int8 input 0, int8 output 0) of a one-in one-out operator."""
    return _int8(ctx, ctx.value(op.inputs[0]), "input"), _int8(ctx, ctx.output(op.outputs[0]), "output")


def _q(v: Value) -> QParams:
    """Per-tensor view of an activation's qparams."""
    q = v.type.qparams
    return QParams((q.scale[0],), (q.zero_point[0],))


def _clamp(ctx: TfliteContext, code: int, out_q: QParams) -> tuple[int, int]:
    """[act_min, act_max] of a fused activation on the output (CalculateActivationRangeQuantized)."""
    rng = fused_act_range(fused_activation(ctx, code), out_q)
    if rng is None:
        raise ctx.unsupported(f"fused activation function {code}")
    return rng


def _window_pads(padding: int, in_hw, kernel, strides, dilations) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of TFLite SAME (extra pad at the end) or VALID padding."""
    pads = []
    for n, k, s, d in zip(in_hw, kernel, strides, dilations):
        eff = (k - 1) * d + 1
        out = -(-n // s) if padding == _SAME else (n - eff + s) // s
        total = max((out - 1) * s + eff - n, 0) if padding == _SAME else 0
        pads.append((total // 2, total - total // 2))
    return pads[0][0], pads[1][0], pads[0][1], pads[1][1]


def _weight_scales(ctx: TfliteContext, w: Value, axis: int) -> np.ndarray:
    """Symmetric weight scales along `axis` (a per-tensor scale repeated per channel)."""
    q, n = w.type.qparams, w.shape[axis]
    if w.type.dtype != DType.I8 or q is None or not w.is_const:
        raise ctx.unsupported(f"weights '{w.name}' must be constant int8 with quantization parameters")
    if any(z != 0 for z in q.zero_point):
        raise ctx.unsupported(f"weights '{w.name}' have non-zero zero points (TFLM requires symmetric weights)")
    if len(q.scale) == 1:
        return np.full(n, q.scale[0], np.float32)
    if len(q.scale) != n or q.axis != axis:
        raise ctx.unsupported(f"weights '{w.name}' are quantized along axis {q.axis}, expected {axis}")
    return np.asarray(q.scale, np.float32)


def _bias(ctx: TfliteContext, op: TfliteOp, n: int) -> Value | None:
    b = ctx.value(op.inputs[2]) if len(op.inputs) > 2 else None
    if b is not None and (not b.is_const or b.type.dtype != DType.I32 or b.type.size != n):
        raise ctx.unsupported(f"bias '{b.name}' must be a constant int32 vector of {n}")
    return b


# -- convolution, fully connected ----------------------------------------------------------------
def _conv(ctx: TfliteContext, op: TfliteOp, depthwise: bool) -> None:
    o = op.options(tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
    x, y = _io(ctx, op)
    w = ctx.value(op.inputs[1])
    kernel, strides = (w.shape[1], w.shape[2]), (o.StrideH(), o.StrideW())
    dilations = (o.DilationHFactor(), o.DilationWFactor())
    oc = w.shape[3] if depthwise else w.shape[0]
    if w.type.rank != 4 or (depthwise and w.shape[0] != 1):
        raise ctx.unsupported(f"weights of shape {list(w.shape)}")
    group = x.shape[3] if depthwise else x.shape[3] // w.shape[3]
    in_q, out_q = _q(x), _q(y)
    mult, shift = channel_rescale(in_q.scale[0], _weight_scales(ctx, w, 3 if depthwise else 0), out_q.scale[0])
    pads = _window_pads(o.Padding(), x.shape[1:3], kernel, strides, dilations)
    attrs = ConvS8Attrs(kernel, strides, pads, dilations, group, -in_q.zero_point[0], out_q.zero_point[0], mult, shift,
                        out_q.scale[0], *_clamp(ctx, o.FusedActivationFunction(), out_q))
    ctx.add("depthwise_conv_s8" if depthwise else "conv_s8", [x, w, _bias(ctx, op, oc)], [y], attrs)


converter("CONV_2D")(lambda ctx, op: _conv(ctx, op, False))
converter("DEPTHWISE_CONV_2D")(lambda ctx, op: _conv(ctx, op, True))


def reshaped(ctx: TfliteContext, v: Value, shape: tuple[int, ...]) -> Value:
    """`v` viewed as `shape` (a reshape node unless it already has it)."""
    if tuple(v.shape) == tuple(shape):
        return v
    r = ctx.temp(v, shape, "r")
    ctx.add("reshape", [v], [r], ReshapeAttrs(tuple(shape)))
    return r


@converter("FULLY_CONNECTED")
def _fully_connected(ctx: TfliteContext, op: TfliteOp) -> None:
    """x is flattened to rows of K (TFLite's rule); the output gets the file's shape back."""
    o = op.options(tflite.FullyConnectedOptions)
    x, y = _io(ctx, op)
    w = ctx.value(op.inputs[1])
    if w.type.rank != 2 or x.type.size % w.shape[1]:
        raise ctx.unsupported(f"weights {list(w.shape)} do not fit input {list(x.shape)}")
    n, k = w.shape
    if o is not None and o.WeightsFormat() != 0:
        raise ctx.unsupported("shuffled weights format")
    in_q, out_q = _q(x), _q(y)
    mult, shift = channel_rescale(in_q.scale[0], _weight_scales(ctx, w, 0), out_q.scale[0])
    act = o.FusedActivationFunction() if o is not None else 0
    attrs = FullyConnectedS8Attrs(-in_q.zero_point[0], out_q.zero_point[0], mult, shift, out_q.scale[0],
                                  *_clamp(ctx, act, out_q))
    rows = x.type.size // k
    x2 = reshaped(ctx, x, (rows, k))
    if tuple(y.shape) == (rows, n):
        ctx.add("fully_connected_s8", [x2, w, _bias(ctx, op, n)], [y], attrs)
        return
    y2 = ctx.temp(y, (rows, n), "rows")
    ctx.add("fully_connected_s8", [x2, w, _bias(ctx, op, n)], [y2], attrs)
    ctx.add("reshape", [y2], [y], ReshapeAttrs(tuple(y.shape)))


# -- pooling -------------------------------------------------------------------------------------
def _pool(ctx: TfliteContext, op: TfliteOp, kind: str) -> None:
    """TFLM pools keep the input's integers (no rescale); the clamp uses the output's qparams."""
    o = op.options(tflite.Pool2DOptions)
    x, y = _io(ctx, op)
    kernel, strides = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
    pads = _window_pads(o.Padding(), x.shape[1:3], kernel, strides, (1, 1))
    out_q = _q(y)
    lo, hi = _clamp(ctx, o.FusedActivationFunction(), out_q)
    attrs = PoolS8Attrs(kernel, strides, pads, (1, 1), False, False, True, scale=out_q.scale[0],
                        zero_point=out_q.zero_point[0], act_min=lo, act_max=hi)
    ctx.add(kind, [x], [y], attrs)


converter("MAX_POOL_2D")(lambda ctx, op: _pool(ctx, op, "max_pool_s8"))
converter("AVERAGE_POOL_2D")(lambda ctx, op: _pool(ctx, op, "avg_pool_s8"))


# -- element-wise --------------------------------------------------------------------------------
_BINARY_OPTIONS = {"ADD": tflite.AddOptions, "SUB": tflite.SubOptions, "MUL": tflite.MulOptions}


@converter("ADD", "SUB", "MUL")
def _binary(ctx: TfliteContext, op: TfliteOp) -> None:
    o = op.options(_BINARY_OPTIONS[op.kind])
    a = _int8(ctx, ctx.value(op.inputs[0]), "input")
    b = _int8(ctx, ctx.value(op.inputs[1]), "input")
    y = _int8(ctx, ctx.output(op.outputs[0]), "output")
    act = fused_activation(ctx, o.FusedActivationFunction() if o is not None else 0)
    if op.kind == "MUL":
        attrs = mul_attrs(_q(a), _q(b), _q(y), act)
    else:
        attrs = add_attrs(_q(a), _q(b), _q(y), act, subtract=op.kind == "SUB")
        if attrs is None:
            raise ctx.unsupported("output scale below 2^-19 of the larger input scale (TFLM rejects it too)")
    ctx.add(op.kind.lower() + "_s8", [a, b], [y], attrs)


@converter("RELU", "RELU6", "RELU_N1_TO_1")
def _relu(ctx: TfliteContext, op: TfliteOp) -> None:
    """RELU rescales to the output (TFLM's CalculateReluOpData); RELU6 and RELU_N1_TO_1 clamp the
    input's integers to its quantized bounds with no rescale (TFLM's Relu6 int8)."""
    x, y = _io(ctx, op)
    if op.kind == "RELU":
        ctx.add("requantize", [x], [y], clamp_requantize_attrs(_q(x), _q(y), fused_activation(ctx, 1)))
        return
    q = _q(x)
    lo_real, hi_real = (0.0, 6.0) if op.kind == "RELU6" else (-1.0, 1.0)
    lo, hi = (int(np.clip(quantize_real(v, q), QMIN, QMAX)) for v in (lo_real, hi_real))
    ctx.add("requantize", [x], [y], RequantizeAttrs.between(q, q, lo, hi))   # multiplier 1: a pure clamp


def _fixed_output(ctx: TfliteContext, y: Value, want: QParams) -> None:
    got = _q(y)
    if got.zero_point != want.zero_point or abs(got.scale[0] - want.scale[0]) > 1e-6 * want.scale[0] + 1e-9:
        raise ctx.unsupported(f"int8 output needs scale {want.scale[0]} zero point {want.zero_point[0]}, the file has "
                              f"{got.scale[0]} / {got.zero_point[0]}")


@converter("LOGISTIC", "TANH")
def _logistic_tanh(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    _fixed_output(ctx, y, LOGISTIC_QPARAMS if op.kind == "LOGISTIC" else TANH_QPARAMS)
    attrs = LogisticTanhAttrs.prepare(_q(x))
    if attrs is None:
        raise ctx.unsupported(f"input scale {_q(x).scale[0]} is out of range")
    ctx.add("logistic_s8" if op.kind == "LOGISTIC" else "tanh_s8", [x], [y], attrs)


@converter("HARD_SWISH")
def _hard_swish(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    attrs = HardSwishAttrs.prepare(_q(x), _q(y))
    if attrs is None:
        raise ctx.unsupported("input/output scales out of TFLite's range")
    ctx.add("hard_swish_s8", [x], [y], attrs)


@converter("LEAKY_RELU")
def _leaky_relu(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    attrs = LeakyReluAttrs.prepare(_q(x), _q(y), op.options(tflite.LeakyReluOptions).Alpha())
    if attrs is None:
        raise ctx.unsupported("alpha / scales need a left shift over 30")
    ctx.add("leaky_relu_s8", [x], [y], attrs)


@converter("SOFTMAX")
def _softmax(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    _fixed_output(ctx, y, SOFTMAX_QPARAMS)
    if x.shape[-1] > MAX_SOFTMAX_DEPTH:
        raise ctx.unsupported(f"softmax over {x.shape[-1]} > {MAX_SOFTMAX_DEPTH} elements")
    attrs = SoftmaxS8Attrs.prepare(_q(x), -1, op.options(tflite.SoftmaxOptions).Beta())
    if attrs is None:
        raise ctx.unsupported("beta * input scale * 2^26 <= 1")
    ctx.add("softmax_s8", [x], [y], attrs)


@converter("QUANTIZE")
def _quantize(ctx: TfliteContext, op: TfliteOp) -> None:
    """float -> int8 (TFLM AffineQuantize) or int8 -> int8 (TFLM Requantize)."""
    x, y = ctx.value(op.inputs[0]), _int8(ctx, ctx.output(op.outputs[0]), "output")
    q = _q(y)
    if x.type.dtype == DType.F32:
        ctx.add("quantize", [x], [y], AffineAttrs(q.scale[0], q.zero_point[0]))
    else:
        ctx.add("requantize", [_int8(ctx, x, "input")], [y], RequantizeAttrs.between(_q(x), q))


@converter("DEQUANTIZE")
def _dequantize(ctx: TfliteContext, op: TfliteOp) -> None:
    x = _int8(ctx, ctx.value(op.inputs[0]), "input")
    y = ctx.output(op.outputs[0])
    if y.type.dtype != DType.F32 or x.is_const:
        raise ctx.unsupported("only a run-time int8 -> float32 DEQUANTIZE is supported")
    q = _q(x)
    ctx.add("dequantize", [x], [y], AffineAttrs(q.scale[0], q.zero_point[0]))


# -- data movement, reductions -------------------------------------------------------------------
@converter("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
def _reshape(ctx: TfliteContext, op: TfliteOp) -> None:
    """The output tensor's static shape is the new shape (TFLite's converter always stores it)."""
    x = ctx.value(op.inputs[0])
    y = ctx.output(op.outputs[0])
    if any(d < 0 for d in y.shape) or y.type.size != x.type.size:
        raise ctx.unsupported(f"output shape {list(y.shape)} is not static or does not fit {list(x.shape)}")
    ctx.add("reshape", [x], [y], ReshapeAttrs(tuple(y.shape)))


@converter("TRANSPOSE")
def _transpose(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = ctx.value(op.inputs[0]), ctx.output(op.outputs[0])
    perm = tuple(int(p) % x.type.rank for p in ctx.const(op.inputs[1], "the permutation"))
    ctx.add("transpose", [x], [y], TransposeAttrs(perm))


@converter("CONCATENATION")
def _concat(ctx: TfliteContext, op: TfliteOp) -> None:
    """TFLM copies the int8 values of every input unchanged (no requantization)."""
    o = op.options(tflite.ConcatenationOptions)
    if o.FusedActivationFunction() != 0:
        raise ctx.unsupported("fused activation on CONCATENATION")
    xs = [ctx.value(i) for i in op.inputs]
    y = ctx.output(op.outputs[0])
    ctx.add("concat", xs, [y], ConcatAttrs(o.Axis() % y.type.rank))


@converter("PAD", "PADV2")
def _pad(ctx: TfliteContext, op: TfliteOp) -> None:
    """Constant pad; the fill is PADV2's constant, else the output zero point (TFLM)."""
    x, y = ctx.value(op.inputs[0]), ctx.output(op.outputs[0])
    p = ctx.const(op.inputs[1], "the paddings").reshape(-1, 2)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = int(ctx.const(op.inputs[2], "the pad value").reshape(-1)[0])
    else:
        value = _q(y).zero_point[0] if y.type.qparams is not None else 0
    pads = tuple(int(v) for v in p[:, 0]) + tuple(int(v) for v in p[:, 1])
    ctx.add("pad", [x], [y], PadAttrs(pads, "constant", float(value)))


def _axis_range(n: int, begin: int, end: int, stride: int, b_mask: bool, e_mask: bool, shrink: bool):
    """(start, end, step) of one dim of STRIDED_SLICE, with TensorFlow's clamping."""
    if shrink:
        start = begin + n if begin < 0 else begin
        return start, start + 1, 1
    start, stop, step = slice(None if b_mask else begin, None if e_mask else end, stride).indices(n)
    return start, stop, step


@converter("STRIDED_SLICE")
def _strided_slice(ctx: TfliteContext, op: TfliteOp) -> None:
    o = op.options(tflite.StridedSliceOptions)
    x, y = ctx.value(op.inputs[0]), ctx.output(op.outputs[0])
    begin, end, strides = (ctx.const(i, w) for i, w in zip(op.inputs[1:4], ("begin", "end", "strides")))
    if o.EllipsisMask() or o.NewAxisMask():
        raise ctx.unsupported("ellipsis_mask / new_axis_mask")
    r = x.type.rank
    starts, ends, axes, steps = [], [], [], []
    for d in range(r):
        if d >= len(begin):
            continue
        e = int(begin[d]) + int(end[d]) if o.Offset() else int(end[d])
        s, t, st = _axis_range(x.shape[d], int(begin[d]), e, int(strides[d]), bool(o.BeginMask() >> d & 1),
                               bool(o.EndMask() >> d & 1), bool(o.ShrinkAxisMask() >> d & 1))
        if (s, t, st) != (0, x.shape[d], 1):
            starts.append(s), ends.append(t), axes.append(d), steps.append(st)
    attrs = SliceAttrs(tuple(starts), tuple(ends), tuple(axes), tuple(steps))
    full = tuple(len(range(*_bounds(attrs, d, x.shape[d]))) for d in range(r))
    if full == tuple(y.shape):
        ctx.add("slice", [x], [y], attrs)
        return
    t = ctx.temp(x, full, "slice")
    ctx.add("slice", [x], [t], attrs)
    ctx.add("reshape", [t], [y], ReshapeAttrs(tuple(y.shape)))


def _bounds(a: SliceAttrs, d: int, n: int) -> tuple[int, int, int]:
    if d in a.axes:
        k = a.axes.index(d)
        return a.starts[k], a.ends[k], a.steps[k]
    return 0, n, 1


@converter("MEAN")
def _mean(ctx: TfliteContext, op: TfliteOp) -> None:
    """TFLM's QuantizedMeanOrSum arithmetic. TFLM versions that take a plain integer mean when
    input and output qparams are equal differ (see tests/tflite)."""
    x, y = _io(ctx, op)
    r = x.type.rank
    axes = tuple(sorted({int(a) % r for a in ctx.const(op.inputs[1], "the axes").reshape(-1)}))
    keep = bool(op.options(tflite.ReducerOptions).KeepDims())
    count = math.prod(x.shape[a] for a in axes)
    if count == 0:
        raise ctx.unsupported("mean over an empty axis")
    attrs = reduce_s8_attrs(ReduceAttrs("mean", axes, keep), x.shape, _q(x), _q(y))
    out = y if keep or y.type.rank == r - len(axes) else ctx.temp(y, tuple(d for i, d in enumerate(x.shape)
                                                                            if i not in axes), "mean")
    ctx.add("reduce_s8", [x], [out], attrs)
    if out is not y:
        ctx.add("reshape", [out], [y], ReshapeAttrs(tuple(y.shape)))
