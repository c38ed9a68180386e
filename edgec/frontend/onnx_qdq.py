"""ONNX importers for pre-quantized models: QuantizeLinear and DequantizeLinear (the QDQ form that
onnxruntime's quantize_static and the PyTorch / TensorFlow exporters write), and the QOperator
ops QLinearConv, QLinearMatMul and com.microsoft's QGemm / QLinearAdd / QLinearMul /
QLinearSigmoid / QLinearLeakyRelu / QLinearAveragePool / QLinearGlobalAveragePool.

The IR stays float. An int8 / uint8 tensor of the model is represented by the float value it
stands for, real = scale * (q - zero_point), and that value carries the model's parameters in
TensorType.qparams, always in int8 terms (a uint8 zero point z becomes z - 128: the same real
values). The quantization pass uses them instead of calibrated ranges. So:
  DequantizeLinear(int8 constant W)   -> a float constant W * scale with W's (per-channel) QParams;
  DequantizeLinear(int32 bias)        -> a float constant (the int8 pass requantizes it);
  QuantizeLinear(x) -> DequantizeLinear -> x, annotated; an identity keeps the output's name.
    A zero point at the lowest code clamps at 0, which is how exporters fold a ReLU away, so a
    relu models it (the int8 pass folds it into the producer's output clamp);
  QLinearConv, QLinearMatMul, ...     -> the float op between such a dequantize and quantize.
A float compile of such a model leaves out only the rounding to the model's grid and the
saturation at the top of each range (in-range data: under one quantization step per tensor).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import onnx

from edgec.frontend.importer import IMPORTERS, ImportContext, importer
from edgec.ir.graph import DType, QParams, Value
from edgec.ops.elementwise import PointwiseAttrs
from edgec.ops.quant_io import AffineAttrs
from edgec.quant.qparams import QMIN

_INT_TYPES = {np.dtype(np.int8): DType.I8, np.dtype(np.uint8): DType.U8, np.dtype(np.int32): DType.I32}
_ONNX_INT8 = {onnx.TensorProto.INT8: DType.I8, onnx.TensorProto.UINT8: DType.U8}
_LIMITS = {DType.I8: (-128, 127), DType.U8: (0, 255), DType.I32: (-(2 ** 31), 2 ** 31 - 1)}
# ops whose output is >= 0; ops whose outputs lie within their input's range; and ops that
# commute with quantization (op(q(x)) == q(op(x)): movement and max, q being monotone)
_NONNEGATIVE = frozenset({"relu", "sigmoid", "exp", "abs", "sqrt", "softmax"})
_WITHIN_INPUT = frozenset({"identity", "copy", "reshape", "transpose", "max_pool", "avg_pool"})
_COMMUTING = frozenset({"identity", "copy", "reshape", "transpose", "max_pool"})


@dataclass(frozen=True)
class _Affine:
    """One scale / zero point pair as the model states it: per tensor (axis None) or per
    channel along `axis` of the quantized tensor."""

    scale: np.ndarray      # float32 [C], > 0
    zero: np.ndarray       # int64 [C], within dtype's range
    axis: int | None
    dtype: DType           # the integer type: I8, U8 (I32 for biases)

    def _shaped(self, a: np.ndarray, rank: int) -> np.ndarray:
        if self.axis is None:
            return a.reshape(())
        shape = [1] * rank
        shape[self.axis] = -1
        return a.reshape(shape)

    def real(self, q: np.ndarray) -> np.ndarray:
        """DequantizeLinear: (q - zero) * scale in float32."""
        q = np.asarray(q)
        diff = (q.astype(np.int64) - self._shaped(self.zero, q.ndim)).astype(np.float32)
        return diff * self._shaped(self.scale, q.ndim)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """QuantizeLinear: x / scale in float32 rounded half to even, plus zero, saturated."""
        x = np.asarray(x, np.float32)
        r = np.rint(x / self._shaped(self.scale, x.ndim)).astype(np.float64) + self._shaped(self.zero, x.ndim)
        lo, hi = _LIMITS[self.dtype]
        return np.clip(r, lo, hi).astype(np.int64)

    @property
    def qparams(self) -> QParams:
        """edgec's int8 form: uint8 zero points shifted by -128 (the same real values)."""
        shift = 128 if self.dtype == DType.U8 else 0
        return QParams(tuple(float(s) for s in self.scale), tuple(int(z) - shift for z in self.zero), self.axis)


def _annotate(v: Value, qp: QParams) -> Value:
    if v.type.dtype == DType.F32:
        v.type = replace(v.type, qparams=qp)
    return v


def _int_dtype(ctx: ImportContext, node: onnx.NodeProto, zp: np.ndarray | None, default: DType) -> DType:
    if zp is None:
        return default
    dt = _INT_TYPES.get(np.asarray(zp).dtype)
    if dt is None:
        raise ctx.unsupported(node, f"{np.asarray(zp).dtype} quantization (only int8, uint8, int32 biases)")
    return dt


def _affine(ctx: ImportContext, node: onnx.NodeProto, i: int, of: Value, dtype: DType | None,
            axis: int | None) -> _Affine:
    """The scale (input i) and zero point (input i + 1) applied to `of`; dtype None: from the
    zero point (uint8 when absent, as ONNX says). axis: the channel axis if per channel."""
    if int(ctx.attr(node, "block_size", 0) or 0):
        raise ctx.unsupported(node, "blocked quantization (block_size)")
    scale = np.asarray(ctx.const_input(node, i, "scale"), np.float32).reshape(-1)
    zp_data = ctx.const_input(node, i + 1, "zero point")
    if dtype is None:
        dtype = _int_dtype(ctx, node, zp_data, _ONNX_INT8.get(ctx.attr(node, "output_dtype", 0), DType.U8))
    elif zp_data is not None and _int_dtype(ctx, node, zp_data, dtype) != dtype:
        raise ctx.unsupported(node, f"zero point of type {zp_data.dtype} for a {dtype.value} tensor")
    if dtype not in _LIMITS:
        raise ctx.unsupported(node, f"{dtype.value} quantization (only int8, uint8, int32 biases)")
    zero = np.zeros(scale.size, np.int64) if zp_data is None else np.asarray(zp_data, np.int64).reshape(-1)
    if zero.size != scale.size or not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise ctx.unsupported(node, "scales must be positive and match the zero points in number")
    if scale.size == 1:
        return _Affine(scale, zero, None, dtype)
    rank = of.type.rank
    if axis is None or not -rank <= axis < rank or of.shape[axis % rank] != scale.size:
        where = "one scale expected" if axis is None else f"axis {axis}"
        raise ctx.unsupported(node, f"{scale.size} scales for a tensor of shape {list(of.shape)} ({where})")
    return _Affine(scale, zero, axis % rank, dtype)


def _producer(ctx: ImportContext, x: Value):
    return next((n for n in reversed(ctx.nodes) if any(o is x for o in n.outputs)), None)


def _backfill(ctx: ImportContext, x: Value, qp: QParams) -> None:
    """Gives qp to x and, up through ops that commute with quantization, to the values they
    read, as long as those have none (a model input flattened before its first quantization
    is then quantized as the model says)."""
    while x.type.qparams is None and not x.is_const:
        _annotate(x, qp)
        p = _producer(ctx, x)
        if p is None or p.op not in _COMMUTING:
            return
        x = p.inputs[0]


def _clamp_modelled(ctx: ImportContext, x: Value) -> bool:
    """Whether quantizing x needs a relu to model the clamp at 0: not for a graph input (the
    int8 input quantization clamps it) nor for values >= 0 by construction."""
    while True:
        p = _producer(ctx, x)
        if p is None or p.op in _NONNEGATIVE:
            return False
        if p.op not in _WITHIN_INPUT:
            return True
        x = p.inputs[0]


def _quantized(ctx: ImportContext, node: onnx.NodeProto, x: Value, aff: _Affine) -> Value:
    """x after node's quantization by `aff`, represented by its real value (see the module doc)."""
    name = node.output[0]
    if x.type.dtype != DType.F32:
        raise ctx.unsupported(node, f"quantizing a {x.type.dtype.value} tensor")
    if x.is_const:
        return _annotate(ctx.const(aff.real(aff.quantize(x.data)), name), aff.qparams)
    if aff.axis is not None:
        raise ctx.unsupported(node, "per-channel quantization of a run-time tensor (TFLite's int8 scheme "
                                    "quantizes activations per tensor)")
    qp = aff.qparams
    _backfill(ctx, x, qp)
    if qp.zero_point[0] == QMIN and _clamp_modelled(ctx, x):
        y = ctx.emit("relu", [x], PointwiseAttrs(), f"{name}_relu")[0]
    elif x.type.qparams != qp:
        y = ctx.emit("identity", [x], None, f"{name}_requant")[0]
    else:
        return x
    return _annotate(y, qp)


def _real(ctx: ImportContext, node: onnx.NodeProto, i: int, axis: int | None) -> Value:
    """Input i of `node`, an integer tensor with its scale and zero point at inputs i + 1, i + 2,
    as the float value it stands for (annotated with its QParams)."""
    x = ctx.input(node, i)
    if x.type.dtype == DType.F32:   # quantized earlier in the model: already its real value
        aff = _affine(ctx, node, i + 1, x, None, axis)
        if x.type.qparams is not None and x.type.qparams != aff.qparams:
            raise ctx.unsupported(node, f"'{x.name}' is read with a scale / zero point other than the ones it "
                                        "was quantized with")
        return _annotate(x, aff.qparams)
    aff = _affine(ctx, node, i + 1, x, x.type.dtype, axis)
    if x.is_const:
        v = ctx.const(aff.real(x.data), f"{x.name}_real")
        return _annotate(v, aff.qparams) if aff.dtype != DType.I32 else v
    if x.type.dtype != DType.I8 or aff.axis is not None:
        raise ctx.unsupported(node, f"run-time {x.type.dtype.value} tensor '{x.name}' (only int8, per tensor)")
    qp = aff.qparams
    y = ctx.emit("dequantize", [x], AffineAttrs(qp.scale[0], qp.zero_point[0]), f"{x.name}_real")[0]
    return _annotate(y, qp)


@importer("QuantizeLinear")
def _quantize_linear(ctx: ImportContext, node: onnx.NodeProto) -> None:
    x = ctx.input(node, 0)
    aff = _affine(ctx, node, 1, x, None, int(ctx.attr(node, "axis", 1)))
    ctx.bind(node, [_quantized(ctx, node, x, aff)])


@importer("DequantizeLinear")
def _dequantize_linear(ctx: ImportContext, node: onnx.NodeProto) -> None:
    x = ctx.input(node, 0)
    v = _real(ctx, node, 0, int(ctx.attr(node, "axis", 1)))
    if v is x:   # the identity gives a graph output its ONNX name; remove_identity drops it
        v = _annotate(ctx.emit("identity", [x], None, node.name or node.output[0])[0], x.type.qparams)
    ctx.bind(node, [v])


def _bias(ctx: ImportContext, node: onnx.NodeProto, i: int, scale: np.ndarray) -> Value | None:
    """Input i, an int32 bias with zero point 0 and `scale` (along its last axis), as floats."""
    if ctx.input(node, i) is None:
        return None
    q = np.asarray(ctx.const_input(node, i, "bias"))
    if q.dtype != np.int32:
        raise ctx.unsupported(node, f"{q.dtype} bias (expected int32)")
    return ctx.const((q.astype(np.float64) * scale.astype(np.float64)).astype(np.float32), f"{node.input[i]}_real")


def _float_op(ctx: ImportContext, node: onnx.NodeProto, op_type: str, inputs: list[Value | None],
              out_scale: int) -> None:
    """The float ONNX op `op_type` (with node's attributes) on real inputs, through its own
    importer, then quantized by the scale / zero point at input `out_scale` of node (if given)."""
    names = []
    for k, v in enumerate(inputs):
        names.append("" if v is None else f"{node.output[0]}/qlinear_input{k}")
        if v is not None:
            ctx.values[names[-1]] = v
    proxy = onnx.helper.make_node(op_type, names, [node.output[0]], name=node.name or node.output[0])
    proxy.attribute.extend(a for a in node.attribute if a.name != "channels_last")
    IMPORTERS[op_type](ctx, proxy)
    y = ctx.values[node.output[0]]
    if ctx.input(node, out_scale) is None:   # QGemm without y_scale: a float output
        return
    aff = _affine(ctx, node, out_scale, y, None, None)
    ctx.values[node.output[0]] = _quantized(ctx, node, y, aff)


@importer("QLinearConv")
def _qlinear_conv(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """y = Q(conv(DQ(x), DQ(w), bias)); bias int32 with scale x_scale * w_scale[c]."""
    x, w = _real(ctx, node, 0, None), _real(ctx, node, 3, 0)
    _float_op(ctx, node, "Conv", [x, w, _bias(ctx, node, 8, _product_scale(x, w))], 6)


@importer("QLinearMatMul")
def _qlinear_matmul(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """y = Q(DQ(a) @ DQ(b)); b may be quantized per column (its last axis)."""
    a = _real(ctx, node, 0, None)
    b = _real(ctx, node, 3, max(ctx.input(node, 3).type.rank - 1, 0))
    _float_op(ctx, node, "MatMul", [a, b], 6)


@importer("com.microsoft.QGemm")
def _qgemm(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """Y = Q(A' @ B' + C) on real values, C int32 with scale a_scale * b_scale[n]; B may be
    quantized per output column; Y stays float when y_scale is absent. alpha 1 only."""
    if float(ctx.attr(node, "alpha", 1.0)) != 1.0:
        raise ctx.unsupported(node, "alpha != 1")
    a = _real(ctx, node, 0, None)
    b = _real(ctx, node, 3, 0 if int(ctx.attr(node, "transB", 0)) else 1)
    _float_op(ctx, node, "Gemm", [a, b, _bias(ctx, node, 6, _product_scale(a, b))], 7)


def _product_scale(x: Value, w: Value) -> np.ndarray:
    """The scale of x @ w's int32 accumulator: x_scale * w_scale (per channel), float32 as ORT."""
    return np.float32(x.type.qparams.scale[0]) * np.asarray(w.type.qparams.scale, np.float32)


_QLINEAR_BINARY = {"QLinearAdd": "Add", "QLinearMul": "Mul"}
_QLINEAR_UNARY = {"QLinearSigmoid": "Sigmoid", "QLinearLeakyRelu": "LeakyRelu",
                  "QLinearAveragePool": "AveragePool", "QLinearGlobalAveragePool": "GlobalAveragePool"}


@importer(*(f"com.microsoft.{k}" for k in _QLINEAR_BINARY))
def _qlinear_binary(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """C = Q(DQ(A) op DQ(B)): inputs A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp."""
    _float_op(ctx, node, _QLINEAR_BINARY[node.op_type], [_real(ctx, node, 0, None), _real(ctx, node, 3, None)], 6)


@importer(*(f"com.microsoft.{k}" for k in _QLINEAR_UNARY))
def _qlinear_unary(ctx: ImportContext, node: onnx.NodeProto) -> None:
    """Y = Q(op(DQ(X))): inputs X, X_scale, X_zp, Y_scale, Y_zp; NCHW data only."""
    if int(ctx.attr(node, "channels_last", 0) or 0):
        raise ctx.unsupported(node, "channels_last=1 (only NCHW data)")
    _float_op(ctx, node, _QLINEAR_UNARY[node.op_type], [_real(ctx, node, 0, None)], 3)
