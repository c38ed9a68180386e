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

from edgec.frontend import tflite_ops
from edgec.frontend.tflite_loader import FLOAT_CONVERTERS, TfliteContext, TfliteOp, converter, fused_activation
from edgec.frontend.tflite_ops import reshaped
from edgec.ir.graph import DType, TensorType, Value
from edgec.ops.base import Activation
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.matmul import GemmAttrs
from edgec.ops.movement import ConcatAttrs
from edgec.ops.movement_index import PadAttrs
from edgec.ops.pool import PoolAttrs
from edgec.ops.reduce import ReduceAttrs, SoftmaxAttrs

_SHARED = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE")
FLOAT_CONVERTERS.update({k: tflite_ops.CONVERTERS[k] for k in _SHARED})


def _float(name: str):
    return converter(name, table=FLOAT_CONVERTERS)


def _f32(ctx: TfliteContext, v: Value | None, what: str) -> Value:
    if v is None or v.type.dtype != DType.F32:
        raise ctx.unsupported(f"{what} '{v.name if v else '?'}' must be float32")
    return v


def _io(ctx: TfliteContext, op: TfliteOp) -> tuple[Value, Value]:
    """(float input 0, float output 0) of a one-in one-out operator."""
    return _f32(ctx, ctx.value(op.inputs[0]), "input"), _f32(ctx, ctx.output(op.outputs[0]), "output")


def _weight(ctx: TfliteContext, i: int) -> Value:
    w = _f32(ctx, ctx.value(i), "weights")
    if not w.is_const:
        raise ctx.unsupported(f"weights '{w.name}' must be a constant tensor")
    return w


def _bias(ctx: TfliteContext, op: TfliteOp, n: int) -> Value | None:
    b = ctx.value(op.inputs[2]) if len(op.inputs) > 2 else None
    if b is not None and (not b.is_const or b.type.dtype != DType.F32 or b.type.size != n):
        raise ctx.unsupported(f"bias '{b.name}' must be a constant float32 vector of {n}")
    return b if b is None or b.shape == (n,) else _const(b.data.reshape(n), b.name + "_vec")


def _const(data: np.ndarray, name: str) -> Value:
    data = np.ascontiguousarray(data, np.float32)
    return Value(name, TensorType(tuple(data.shape), DType.F32), data)


def _then_act(ctx: TfliteContext, code: int, y: Value) -> Value:
    """The value an op without attrs.act should write: y itself, or a temp followed by the fused
    activation as its own relu/clip node writing y."""
    act = fused_activation(ctx, code)
    if act is None:
        return y
    t = ctx.temp(y, y.shape, "pre")
    ctx.nodes.append(None)   # placeholder: the activation node goes after the producer
    _pending.append((len(ctx.nodes) - 1, act, t, y))
    return t


_pending: list = []


def _flush(ctx: TfliteContext) -> None:
    """Moves the activation nodes queued by _then_act behind their producers."""
    from edgec.ir.graph import Node
    while _pending:
        k, act, t, y = _pending.pop()
        ctx.nodes.pop(k)
        attrs = PointwiseAttrs() if act.kind == "relu" else PointwiseAttrs(act.alpha, act.beta)
        ctx.nodes.append(Node(act.kind, [t], [y], attrs, ctx.op.name + "_act"))
