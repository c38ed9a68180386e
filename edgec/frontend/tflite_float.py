"""One converter per TFLite builtin operator of a float32 model: edgec's float ops.

TFLite is NHWC already, so layout-sensitive ops are emitted with channels_last=True and the layout
pass leaves them alone: CONV_2D weights are OHWI as stored, DEPTHWISE_CONV_2D weights [1, KH, KW,
C*M] become OHWI [C*M, KH, KW, 1] of a conv with group=C, FULLY_CONNECTED is "gemm" (W [N, K]).
SAME/VALID padding becomes explicit pads (SAME puts the odd pixel at the end, as TFLite does).
Fused activations (RELU, RELU6, RELU_N1_TO_1) go into attrs.act of ops that accept one and into a
separate relu/clip node after those that don't (pools, concatenation).
Data-movement converters that do not depend on the element type are shared with `tflite_ops`.
"""
from __future__ import annotations

import numpy as np
import tflite

from edgec.frontend.tflite_loader import (CONVERTERS, FLOAT_CONVERTERS, TfliteContext, TfliteOp, converter,
                                          fused_activation)
from edgec.frontend.tflite_ops import _window_pads, reshaped   # importing tflite_ops also fills CONVERTERS
from edgec.ir.graph import DType, TensorType, Value
from edgec.ops.base import Activation
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.matmul import GemmAttrs
from edgec.ops.movement import ConcatAttrs, ReshapeAttrs
from edgec.ops.movement_index import PadAttrs
from edgec.ops.pool import PoolAttrs
from edgec.ops.reduce import ReduceAttrs, SoftmaxAttrs

_SHARED = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE")
FLOAT_CONVERTERS.update({k: CONVERTERS[k] for k in _SHARED})


def _float(*names: str):
    return converter(*names, table=FLOAT_CONVERTERS)


# -- shared checks and helpers -------------------------------------------------------------------
def _f32(ctx: TfliteContext, v: Value | None, what: str) -> Value:
    if v is None or v.type.dtype != DType.F32:
        raise ctx.unsupported(f"{what} '{v.name if v else '?'}' must be float32")
    return v


def _io(ctx: TfliteContext, op: TfliteOp) -> tuple[Value, Value]:
    """(float input 0, float output 0) of a one-in one-out operator."""
    return _f32(ctx, ctx.value(op.inputs[0]), "input"), _f32(ctx, ctx.output(op.outputs[0]), "output")


def _const(data: np.ndarray, name: str) -> Value:
    data = np.ascontiguousarray(data, np.float32)
    return Value(name, TensorType(tuple(data.shape), DType.F32), data)


def _weight(ctx: TfliteContext, i: int, rank: int) -> Value:
    w = _f32(ctx, ctx.value(i), "weights")
    if not w.is_const or w.type.rank != rank:
        raise ctx.unsupported(f"weights '{w.name}' must be a constant rank-{rank} tensor, got {list(w.shape)}")
    return w


def _bias(ctx: TfliteContext, op: TfliteOp, n: int) -> Value | None:
    b = ctx.value(op.inputs[2]) if len(op.inputs) > 2 else None
    if b is not None and (not b.is_const or b.type.dtype != DType.F32 or b.type.size != n):
        raise ctx.unsupported(f"bias '{b.name}' must be a constant float32 vector of {n}")
    return b if b is None or b.shape == (n,) else _const(b.data.reshape(n), f"{b.name}_vec")


def _act_node(ctx: TfliteContext, act: Activation | None, x: Value, y: Value) -> None:
    """y = act(x) as its own relu/clip node (for producers without attrs.act)."""
    attrs = PointwiseAttrs() if act.kind == "relu" else PointwiseAttrs(act.alpha, act.beta)
    ctx.add(act.kind, [x], [y], attrs)


def _with_act(ctx: TfliteContext, code: int, y: Value, produce) -> None:
    """Calls produce(out) for the op's raw output, then the fused activation `code` as a node."""
    act = fused_activation(ctx, code)
    if act is None:
        produce(y)
        return
    t = ctx.temp(y, y.shape, "pre_act")
    produce(t)
    _act_node(ctx, act, t, y)


def _reshaped_into(ctx: TfliteContext, x: Value, y: Value) -> None:
    ctx.add("reshape", [x], [y], ReshapeAttrs(tuple(y.shape)))


# -- convolution, fully connected ----------------------------------------------------------------
def _conv(ctx: TfliteContext, op: TfliteOp, depthwise: bool) -> None:
    o = op.options(tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
    x, y = _io(ctx, op)
    w = _weight(ctx, op.inputs[1], 4)
    c = x.shape[3]
    if depthwise:   # [1, KH, KW, C*M] -> OHWI [C*M, KH, KW, 1]
        if w.shape[0] != 1 or w.shape[3] % c:
            raise ctx.unsupported(f"depthwise weights {list(w.shape)} do not fit {c} input channels")
        w = _const(w.data.transpose(3, 1, 2, 0), f"{w.name}_ohwi")
    elif c % w.shape[3]:
        raise ctx.unsupported(f"weights {list(w.shape)} do not fit {c} input channels")
    kernel, strides = (w.shape[1], w.shape[2]), (o.StrideH(), o.StrideW())
    dilations = (o.DilationHFactor(), o.DilationWFactor())
    pads = _window_pads(o.Padding(), x.shape[1:3], kernel, strides, dilations)
    attrs = ConvAttrs(kernel, strides, pads, dilations, c // w.shape[3], True,
                      fused_activation(ctx, o.FusedActivationFunction()))
    ctx.add("conv", [x, w, _bias(ctx, op, w.shape[0])], [y], attrs)


_float("CONV_2D")(lambda ctx, op: _conv(ctx, op, False))
_float("DEPTHWISE_CONV_2D")(lambda ctx, op: _conv(ctx, op, True))


@_float("FULLY_CONNECTED")
def _fully_connected(ctx: TfliteContext, op: TfliteOp) -> None:
    """x is flattened to rows of K (TFLite's rule); the output gets the file's shape back."""
    o = op.options(tflite.FullyConnectedOptions)
    x, y = _io(ctx, op)
    w = _weight(ctx, op.inputs[1], 2)
    n, k = w.shape
    if x.type.size % k or (o is not None and o.WeightsFormat() != 0):
        raise ctx.unsupported(f"weights {list(w.shape)} (format {o.WeightsFormat() if o else 0}) do not fit "
                              f"input {list(x.shape)}")
    attrs = GemmAttrs(fused_activation(ctx, o.FusedActivationFunction() if o is not None else 0))
    rows = x.type.size // k
    x2, bias = reshaped(ctx, x, (rows, k)), _bias(ctx, op, n)
    if tuple(y.shape) == (rows, n):
        ctx.add("gemm", [x2, w, bias], [y], attrs)
        return
    y2 = ctx.temp(y, (rows, n), "rows")
    ctx.add("gemm", [x2, w, bias], [y2], attrs)
    _reshaped_into(ctx, y2, y)


# -- pooling -------------------------------------------------------------------------------------
def _pool(ctx: TfliteContext, op: TfliteOp, kind: str) -> None:
    """TFLite's average divides by the taps inside the input (count_include_pad False)."""
    o = op.options(tflite.Pool2DOptions)
    x, y = _io(ctx, op)
    kernel, strides = (o.FilterHeight(), o.FilterWidth()), (o.StrideH(), o.StrideW())
    pads = _window_pads(o.Padding(), x.shape[1:3], kernel, strides, (1, 1))
    attrs = PoolAttrs(kernel, strides, pads, (1, 1), False, False, True)
    _with_act(ctx, o.FusedActivationFunction(), y, lambda out: ctx.add(kind, [x], [out], attrs))


_float("MAX_POOL_2D")(lambda ctx, op: _pool(ctx, op, "max_pool"))
_float("AVERAGE_POOL_2D")(lambda ctx, op: _pool(ctx, op, "avg_pool"))


# -- element-wise --------------------------------------------------------------------------------
_BINARY_OPTIONS = {"ADD": tflite.AddOptions, "SUB": tflite.SubOptions, "MUL": tflite.MulOptions}


@_float("ADD", "SUB", "MUL")
def _binary(ctx: TfliteContext, op: TfliteOp) -> None:
    o = op.options(_BINARY_OPTIONS[op.kind])
    a = _f32(ctx, ctx.value(op.inputs[0]), "input")
    b = _f32(ctx, ctx.value(op.inputs[1]), "input")
    y = _f32(ctx, ctx.output(op.outputs[0]), "output")
    act = fused_activation(ctx, o.FusedActivationFunction() if o is not None else 0)
    ctx.add(op.kind.lower(), [a, b], [y], BinaryAttrs(act))


# TFLite builtin -> (edgec pointwise op, its alpha, beta)
_UNARY = {"RELU": ("relu", 0.0, 0.0), "RELU6": ("clip", 0.0, 6.0), "RELU_N1_TO_1": ("clip", -1.0, 1.0),
          "LOGISTIC": ("sigmoid", 0.0, 0.0), "TANH": ("tanh", 0.0, 0.0), "HARD_SWISH": ("hard_swish", 0.0, 0.0)}


@_float(*_UNARY)
def _unary(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    kind, alpha, beta = _UNARY[op.kind]
    ctx.add(kind, [x], [y], PointwiseAttrs(alpha, beta))


@_float("LEAKY_RELU")
def _leaky_relu(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    ctx.add("leaky_relu", [x], [y], PointwiseAttrs(float(op.options(tflite.LeakyReluOptions).Alpha())))


@_float("SOFTMAX")
def _softmax(ctx: TfliteContext, op: TfliteOp) -> None:
    """softmax(beta * x) over the last axis; beta != 1 scales x first (an affine node)."""
    x, y = _io(ctx, op)
    beta = float(op.options(tflite.SoftmaxOptions).Beta())
    if beta != 1.0:
        xb = ctx.temp(x, x.shape, "beta")
        ctx.add("affine", [x], [xb], PointwiseAttrs(beta, 0.0))
        x = xb
    ctx.add("softmax", [x], [y], SoftmaxAttrs(x.type.rank - 1))


# -- data movement, reductions -------------------------------------------------------------------
@_float("CONCATENATION")
def _concat(ctx: TfliteContext, op: TfliteOp) -> None:
    o = op.options(tflite.ConcatenationOptions)
    xs = [_f32(ctx, ctx.value(i), "input") for i in op.inputs]
    y = _f32(ctx, ctx.output(op.outputs[0]), "output")
    attrs = ConcatAttrs(o.Axis() % y.type.rank)
    _with_act(ctx, o.FusedActivationFunction(), y, lambda out: ctx.add("concat", xs, [out], attrs))


@_float("PAD", "PADV2")
def _pad(ctx: TfliteContext, op: TfliteOp) -> None:
    """Constant pad with 0, or PADV2's constant value."""
    x, y = _io(ctx, op)
    p = ctx.const(op.inputs[1], "the paddings").reshape(-1, 2)
    value = 0.0
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = float(ctx.const(op.inputs[2], "the pad value").reshape(-1)[0])
    pads = tuple(int(v) for v in p[:, 0]) + tuple(int(v) for v in p[:, 1])
    ctx.add("pad", [x], [y], PadAttrs(pads, "constant", value))


@_float("MEAN")
def _mean(ctx: TfliteContext, op: TfliteOp) -> None:
    x, y = _io(ctx, op)
    r = x.type.rank
    axes = tuple(sorted({int(a) % r for a in ctx.const(op.inputs[1], "the axes").reshape(-1)}))
    if any(x.shape[a] == 0 for a in axes):
        raise ctx.unsupported("mean over an empty axis")
    keep = bool(op.options(tflite.ReducerOptions).KeepDims())
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keep else \
        tuple(d for i, d in enumerate(x.shape) if i not in axes)
    if shape == tuple(y.shape):
        ctx.add("reduce", [x], [y], ReduceAttrs("mean", axes, keep))
        return
    t = ctx.temp(y, shape, "mean")
    ctx.add("reduce", [x], [t], ReduceAttrs("mean", axes, keep))
    _reshaped_into(ctx, t, y)
