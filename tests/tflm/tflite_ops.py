"""One mapper per edgec int8 IR op: the TFLite builtin operator(s) computing the same integers.

Every quantization parameter comes from the IR: tensor qparams (per-tensor activations,
per-channel weight scales) and the int32 bias data. TFLM derives its multipliers from those, so
a bit-exact comparison checks edgec's "prepare" arithmetic as well as its kernels. Attributes
TFLite keeps implicit (fused activation, SAME/VALID padding, LeakyRelu's alpha) are re-derived
from the node's explicit integer attributes, or the mapper raises TfliteWriteError.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

from edgec.ir.graph import DType, Node, QParams, TensorType, Value
from edgec.ops.activation_s8 import LeakyReluAttrs
from tests.tflm.tflite_geometry import AF, BO, QMAX, QMIN, clamp_ops, explicit_pad, same_or_valid, with_clamp
from tests.tflm.tflite_model import ModelBuilder, TfliteWriteError

Mapper = Callable[[ModelBuilder, Node], None]


def _fail(node: Node, reason: str) -> TfliteWriteError:
    return TfliteWriteError(f"node '{node.name}' ({node.op}): {reason}")


def _single(q: QParams) -> tuple[float, int]:
    return float(np.float32(q.scale[0])), int(q.zero_point[0])


# -- convolution, pooling ----------------------------------------------------------------------------
def _window_input(b: ModelBuilder, node: Node, kernel, strides, dilations, pads, fill: int | None) -> tuple[int, int]:
    """(input tensor, padding) of a windowed op whose out-of-input taps count for nothing: x with
    SAME/VALID, or x padded with `fill` and VALID (fill None: no equivalent, raise)."""
    x, y = node.inputs[0], node.outputs[0]
    in_hw, out_hw = x.shape[1:3], y.shape[1:3]
    pad = same_or_valid(in_hw, out_hw, kernel, strides, dilations, pads)
    if pad is not None:
        return b.value(x), pad
    if fill is None:
        raise _fail(node, f"pads {list(pads)} are neither SAME nor VALID and cannot be made explicit")
    return explicit_pad(b, x, node.name, in_hw, out_hw, kernel, strides, dilations, pads, fill, True), fb.Padding.VALID


def _conv(depthwise: bool) -> Mapper:
    def mapper(b: ModelBuilder, node: Node) -> None:
        a, (x, w), y = node.attrs, node.inputs[:2], node.outputs[0]
        bias = node.inputs[2] if len(node.inputs) > 2 else None
        xi, padding = _window_input(b, node, a.kernel, a.strides, a.dilations, a.pads, -a.input_offset)

        def emit(act: int, yi: int) -> None:
            o = fb.DepthwiseConv2DOptionsT() if depthwise else fb.Conv2DOptionsT()
            if depthwise:
                o.depthMultiplier = y.shape[3] // x.shape[3]
            o.padding, (o.strideH, o.strideW), (o.dilationHFactor, o.dilationWFactor) = padding, a.strides, a.dilations
            o.fusedActivationFunction = act
            code = BO.DEPTHWISE_CONV_2D if depthwise else BO.CONV_2D
            b.op(code, [xi, b.value(w), b.value(bias)], [yi], o)
        with_clamp(b, y, a.act_min, a.act_max, emit)
    return mapper


def _fully_connected(b: ModelBuilder, node: Node) -> None:
    a, (x, w), y = node.attrs, node.inputs[:2], node.outputs[0]
    bias = node.inputs[2] if len(node.inputs) > 2 else None

    def emit(act: int, yi: int) -> None:
        o = fb.FullyConnectedOptionsT()
        o.fusedActivationFunction, o.keepNumDims = act, x.type.rank != 2
        b.op(BO.FULLY_CONNECTED, [b.value(x), b.value(w), b.value(bias)], [yi], o)
    with_clamp(b, y, a.act_min, a.act_max, emit)


def _pool(is_max: bool) -> Mapper:
    def mapper(b: ModelBuilder, node: Node) -> None:
        a, y = node.attrs, node.outputs[0]
        if a.dilations != (1, 1):
            raise _fail(node, "TFLite pools have no dilation")
        x = node.inputs[0]
        if not is_max and a.count_include_pad and any(a.pads):
            # pad taps count and add the zero point: TFLite's SAME would not count them
            xi, padding = explicit_pad(b, x, node.name, x.shape[1:3], y.shape[1:3], a.kernel, a.strides, (1, 1),
                                       a.pads, a.zero_point, False), fb.Padding.VALID
        else:   # max: a pad of -128 never wins; average: only TFLite's own SAME counting is equivalent
            xi, padding = _window_input(b, node, a.kernel, a.strides, (1, 1), a.pads, QMIN if is_max else None)

        def emit(act: int, yi: int) -> None:
            o = fb.Pool2DOptionsT()
            o.padding, (o.strideH, o.strideW), (o.filterHeight, o.filterWidth) = padding, a.strides, a.kernel
            o.fusedActivationFunction = act
            b.op(BO.MAX_POOL_2D if is_max else BO.AVERAGE_POOL_2D, [xi], [yi], o)
        with_clamp(b, y, a.act_min, a.act_max, emit)
    return mapper


# -- element-wise ----------------------------------------------------------------------------------
_BINARY = {"add_s8": (BO.ADD, fb.AddOptionsT), "sub_s8": (BO.SUB, fb.SubOptionsT), "mul_s8": (BO.MUL, fb.MulOptionsT)}


def _binary(b: ModelBuilder, node: Node) -> None:
    code, options = _BINARY[node.op]
    a = node.attrs

    def emit(act: int, yi: int) -> None:
        o = options()
        o.fusedActivationFunction = act
        b.op(code, [b.value(v) for v in node.inputs], [yi], o)
    with_clamp(b, node.outputs[0], a.act_min, a.act_max, emit)


def _conv_add(b: ModelBuilder, node: Node) -> None:
    """conv_add_s8 is CONV_2D into the conv's int8 output, then ADD in the kept operand order."""
    a, r, y = node.attrs, node.inputs[0], node.outputs[0]
    h = Value(f"{node.name}_conv", TensorType(y.shape, DType.I8, QParams((a.conv.out_scale,), (a.conv.output_offset,))))
    MAPPERS["conv_s8"](b, Node("conv_s8", list(node.inputs[1:]), [h], a.conv, f"{node.name}_conv"))
    _binary(b, Node("add_s8", [h, r] if a.conv_first else [r, h], [y], a.add, node.name))


def _batch_matmul(b: ModelBuilder, node: Node) -> None:
    a = node.attrs

    def emit(act: int, yi: int) -> None:
        if act != AF.NONE:
            raise _fail(node, "TFLite BATCH_MATMUL has no fused activation")
        o = fb.BatchMatMulOptionsT()
        o.adjX, o.adjY = bool(a.trans_a), bool(a.trans_b)
        b.op(BO.BATCH_MATMUL, [b.value(v) for v in node.inputs], [yi], o)
    with_clamp(b, node.outputs[0], a.act_min, a.act_max, emit)


def _requantize(b: ModelBuilder, node: Node) -> None:
    """int8 -> int8 rescale by s_in / s_out, clamped: RELU when the clamp starts at or above the
    output zero point (RELU's own floor), else QUANTIZE; clamp ops add what the op leaves out.
    TFLM computes both ops' multiplier from double(s_in) / double(s_out)."""
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    floor = max(QMIN, _single(y.type.qparams)[1])
    op = BO.RELU if QMIN < floor <= a.act_min else BO.QUANTIZE
    if op == BO.QUANTIZE:
        floor = QMIN
    if (a.act_min, a.act_max) == (floor, QMAX):
        b.op(op, [b.value(x)], [b.value(y)])
        return
    tmp = b.like(y, "_unclamped")
    b.op(op, [b.value(x)], [tmp])
    clamp_ops(b, tmp, y, a.act_min, a.act_max, (floor, QMAX))


def _unary(code: int, options: Callable[[Node], object] | None = None) -> Mapper:
    def mapper(b: ModelBuilder, node: Node) -> None:
        b.op(code, [b.value(node.inputs[0])], [b.value(node.outputs[0])], options(node) if options else None)
    return mapper


def _leaky_alpha(node: Node) -> fb.LeakyReluOptionsT:
    """LeakyRelu's alpha: a float32 near alpha_multiplier * s_out / s_in for which TFLite's Prepare
    (as edgec computes it) gives back exactly the node's multipliers."""
    a, in_q, out_q = node.attrs, node.inputs[0].type.qparams, node.outputs[0].type.qparams
    real = a.alpha_multiplier * 2.0 ** (a.alpha_shift - 31) * _single(out_q)[0] / _single(in_q)[0]
    up = down = np.float32(real)
    for _ in range(256):
        for cand in (up, down):
            if LeakyReluAttrs.prepare(in_q, out_q, float(cand)) == a:
                o = fb.LeakyReluOptionsT()
                o.alpha = float(cand)
                return o
        up, down = np.nextafter(up, np.float32(math.inf)), np.nextafter(down, np.float32(-math.inf))
    raise _fail(node, f"no float32 alpha near {real} reproduces the multipliers")


def _softmax(code: int) -> Mapper:
    """SOFTMAX / LOG_SOFTMAX (beta 1) over the last dim; an axis followed by size-1 dims is the
    same rows, so such inputs are reshaped to [rows, depth] around the op."""
    def mapper(b: ModelBuilder, node: Node) -> None:
        x, y = node.inputs[0], node.outputs[0]
        axis = node.attrs.axis % x.type.rank
        o = None
        if code == BO.SOFTMAX:
            o = fb.SoftmaxOptionsT()
            o.beta = 1.0
        if axis == x.type.rank - 1:
            b.op(code, [b.value(x)], [b.value(y)], o)
            return
        rows = (x.type.size // x.shape[axis], x.shape[axis])
        xr, yr = b.like(x, "_rows", rows), b.like(y, "_rows", rows)
        b.op(BO.RESHAPE, [b.value(x), b.ints(rows, f"{node.name}_rows")], [xr], _reshape_options(rows))
        b.op(code, [xr], [yr], o)
        b.op(BO.RESHAPE, [yr, b.ints(y.shape, f"{node.name}_shape")], [b.value(y)], _reshape_options(y.shape))
    return mapper


# -- data movement, reductions -----------------------------------------------------------------------
def _reshape_options(shape) -> fb.ReshapeOptionsT:
    o = fb.ReshapeOptionsT()
    o.newShape = [int(d) for d in shape]
    return o


def _reshape(b: ModelBuilder, node: Node) -> None:
    shape = node.outputs[0].shape
    b.op(BO.RESHAPE, [b.value(node.inputs[0]), b.ints(shape, f"{node.name}_shape")], [b.value(node.outputs[0])],
         _reshape_options(shape))


def _transpose(b: ModelBuilder, node: Node) -> None:
    b.op(BO.TRANSPOSE, [b.value(node.inputs[0]), b.ints(node.attrs.perm, f"{node.name}_perm")],
         [b.value(node.outputs[0])])


def _concat(b: ModelBuilder, node: Node) -> None:
    q = node.outputs[0].type.qparams
    if any(v.type.qparams != q for v in node.inputs):
        raise _fail(node, "TFLite int8 CONCATENATION needs the output's qparams on every input")
    o = fb.ConcatenationOptionsT()
    o.axis, o.fusedActivationFunction = node.attrs.axis, AF.NONE
    b.op(BO.CONCATENATION, [b.value(v) for v in node.inputs], [b.value(node.outputs[0])], o)


def _pad(b: ModelBuilder, node: Node) -> None:
    a, x = node.attrs, node.inputs[0]
    r = x.type.rank
    if a.mode != "constant" or min(a.pads) < 0:
        raise _fail(node, f"mode {a.mode} / pads {list(a.pads)}: TFLite PAD is constant and never crops")
    paddings = np.array([a.pads[:r], a.pads[r:]], np.int32).T
    value = b.const(np.array([int(a.value)], np.int8), f"{node.name}_value", x.type.qparams)
    b.op(BO.PADV2, [b.value(x), b.const(paddings, f"{node.name}_paddings"), value], [b.value(node.outputs[0])])


def _slice(b: ModelBuilder, node: Node) -> None:
    """SLICE (unit steps) or STRIDED_SLICE (positive steps), both with full-rank begin/end."""
    a, x = node.attrs, node.inputs[0]
    begin, end, steps = [0] * x.type.rank, list(x.shape), [1] * x.type.rank
    for ax, st, en, sp in zip(a.axes, a.starts, a.ends, a.steps):
        begin[ax], end[ax], steps[ax] = st, en, sp
    if min(steps) < 1:
        raise _fail(node, "negative slice steps are not mapped")
    ins = [b.value(x), b.ints(begin, f"{node.name}_begin")]
    if max(steps) == 1:
        b.op(BO.SLICE, ins + [b.ints(node.outputs[0].shape, f"{node.name}_size")], [b.value(node.outputs[0])])
        return
    ins += [b.ints(end, f"{node.name}_end"), b.ints(steps, f"{node.name}_strides")]
    b.op(BO.STRIDED_SLICE, ins, [b.value(node.outputs[0])], fb.StridedSliceOptionsT())


def _gather(b: ModelBuilder, node: Node) -> None:
    a, x = node.attrs, node.inputs[0]
    if a.indices is None:
        raise _fail(node, "run-time gather indices are not mapped")
    n = x.shape[a.axis]
    idx = np.array([i % n for i in a.indices], np.int32).reshape(a.indices_shape)
    o = fb.GatherOptionsT()
    o.axis = a.axis
    b.op(BO.GATHER, [b.value(x), b.const(idx, f"{node.name}_indices")], [b.value(node.outputs[0])], o)


_REDUCERS = {"mean": BO.MEAN, "sum": BO.SUM, "max": BO.REDUCE_MAX, "min": BO.REDUCE_MIN}


def _reduce(b: ModelBuilder, node: Node) -> None:
    a = node.attrs
    if not a.axes:
        raise _fail(node, "a reduction over no axes")
    o = fb.ReducerOptionsT()
    o.keepDims = bool(a.keepdims)
    b.op(_REDUCERS[a.kind], [b.value(node.inputs[0]), b.ints(a.axes, f"{node.name}_axes")],
         [b.value(node.outputs[0])], o)


MAPPERS: dict[str, Mapper] = {
    "conv_s8": _conv(False), "depthwise_conv_s8": _conv(True), "fully_connected_s8": _fully_connected,
    "batch_matmul_s8": _batch_matmul,
    "max_pool_s8": _pool(True), "avg_pool_s8": _pool(False),
    "conv_add_s8": _conv_add, "add_s8": _binary, "sub_s8": _binary, "mul_s8": _binary, "requantize": _requantize,
    "logistic_s8": _unary(BO.LOGISTIC), "tanh_s8": _unary(BO.TANH), "hard_swish_s8": _unary(BO.HARD_SWISH),
    "leaky_relu_s8": _unary(BO.LEAKY_RELU, _leaky_alpha),
    "softmax_s8": _softmax(BO.SOFTMAX), "log_softmax_s8": _softmax(BO.LOG_SOFTMAX),
    "reshape": _reshape, "transpose": _transpose, "concat": _concat, "pad": _pad,
    "slice": _slice, "gather": _gather, "reduce_s8": _reduce,
}
