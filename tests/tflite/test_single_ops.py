"""Every supported TFLite operator, alone in a hand-built int8 .tflite, compiles with edgec and
gives TFLM's outputs element for element (and edgec's simulator agrees with its C)."""
from __future__ import annotations

import numpy as np
import pytest

from edgec.ir.graph import DType
from tests.tflite.single_op import AF, BO, OneOp, check_vs_tflm, fb, options, q

X = (1, 9, 9, 3)
XQ = q(0.05, 3)


def conv(padding=fb.Padding.SAME, stride=1, dil=1, act=AF.NONE, per_tensor=False, bias=True, oc=8, out=(1, 9, 9, 8),
         k=3):
    m = OneOp(1)
    x = m.input(X, XQ)
    w, s = m.weights((oc, k, k, 3), 0, per_tensor)
    ins = [x, w, m.bias(oc, XQ.scale[0], s) if bias else -1]
    o = options(fb.Conv2DOptionsT, padding=padding, strideH=stride, strideW=stride, dilationHFactor=dil,
                dilationWFactor=dil, fusedActivationFunction=act)
    return m.finish(BO.CONV_2D, ins, out, q(0.08, -5), o)


def depthwise(mult=2, stride=2, act=AF.RELU6, padding=fb.Padding.SAME, out=(1, 5, 5, 6)):
    m = OneOp(2)
    x = m.input(X, XQ)
    oc = 3 * mult
    w, s = m.weights((1, 3, 3, oc), 3)
    o = options(fb.DepthwiseConv2DOptionsT, padding=padding, strideH=stride, strideW=stride, depthMultiplier=mult,
                dilationHFactor=1, dilationWFactor=1, fusedActivationFunction=act)
    return m.finish(BO.DEPTHWISE_CONV_2D, [x, w, m.bias(oc, XQ.scale[0], s)], out, q(0.04, -20), o)


def fully_connected(x_shape=(2, 16), out=(2, 10), act=AF.NONE, per_tensor=True, keep=False):
    m = OneOp(3)
    x = m.input(x_shape, q(0.1, -7))
    w, s = m.weights((10, 16), 0, per_tensor)
    o = options(fb.FullyConnectedOptionsT, fusedActivationFunction=act, keepNumDims=keep)
    return m.finish(BO.FULLY_CONNECTED, [x, w, m.bias(10, 0.1, s)], out, q(0.2, 4), o)


def pool(code, k=3, stride=2, padding=fb.Padding.SAME, act=AF.NONE, out=(1, 5, 5, 3)):
    m = OneOp()
    x = m.input(X, XQ)
    o = options(fb.Pool2DOptionsT, padding=padding, strideH=stride, strideW=stride, filterHeight=k, filterWidth=k,
                fusedActivationFunction=act)
    return m.finish(code, [x], out, XQ, o)


def binary(code, b_shape=X, const=False, act=AF.NONE):
    m = OneOp(4)
    a = m.input(X, q(0.05, 3))
    bq = q(0.03, -10)
    b = m.const(m.rng.integers(-128, 128, b_shape).astype(np.int8), bq) if const else m.input(b_shape, bq)
    cls = {BO.ADD: fb.AddOptionsT, BO.SUB: fb.SubOptionsT, BO.MUL: fb.MulOptionsT}[code]
    return m.finish(code, [a, b], X, q(0.07 if code != BO.MUL else 0.01, 2), options(cls, fusedActivationFunction=act))


def unary(code, out_q, in_q=XQ, opts=None, shape=X):
    m = OneOp()
    return m.finish(code, [m.input(shape, in_q)], shape, out_q, opts)


def reshape_like(code, out, extra=None, opts=None):
    m = OneOp()
    ins = [m.input(X, XQ)] + ([m.ints(extra)] if extra is not None else [])
    return m.finish(code, ins, out, XQ, opts)


def pad(code=BO.PAD, value=None):
    m = OneOp()
    ins = [m.input(X, XQ), m.const(np.array([[0, 0], [1, 2], [2, 0], [0, 1]], np.int32))]
    if value is not None:
        ins.append(m.const(np.array([value], np.int8), XQ))
    return m.finish(code, ins, (1, 12, 11, 4), XQ)


def concat(axis=3):
    m = OneOp()
    a, b = m.input(X, XQ), m.input((1, 9, 9, 2), XQ)
    return m.finish(BO.CONCATENATION, [a, b], (1, 9, 9, 5), XQ, options(fb.ConcatenationOptionsT, axis=axis))


def mean(axes=(1, 2), keep=True, out=(1, 1, 1, 3), out_q=q(0.02, -4)):
    m = OneOp()
    ins = [m.input(X, XQ), m.ints(axes)]
    return m.finish(BO.MEAN, ins, out, out_q, options(fb.ReducerOptionsT, keepDims=keep))


def transpose():
    m = OneOp()
    return m.finish(BO.TRANSPOSE, [m.input(X, XQ), m.ints([0, 3, 1, 2])], (1, 3, 9, 9), XQ)


def strided_slice(begin, end, strides, out, **masks):
    m = OneOp()
    ins = [m.input(X, XQ), m.ints(begin), m.ints(end), m.ints(strides)]
    return m.finish(BO.STRIDED_SLICE, ins, out, XQ, options(fb.StridedSliceOptionsT, **masks))


def squeeze():
    m = OneOp()
    o = options(fb.SqueezeOptionsT, squeezeDims=[0, 2])
    return m.finish(BO.SQUEEZE, [m.input((1, 9, 1, 3), XQ)], (9, 3), XQ, o)


def quantize_float():
    m = OneOp()
    return m.finish(BO.QUANTIZE, [m.input(X, None, DType.F32)], X, q(0.03, -4))


def dequantize():
    m = OneOp()
    return m.finish(BO.DEQUANTIZE, [m.input(X, XQ)], X, None, out_dtype=DType.F32)


SIGMOID_Q, TANH_Q, SOFTMAX_Q = q(1 / 256, -128), q(1 / 128, 0), q(1 / 256, -128)

CASES = {
    "conv_same": lambda: conv(),
    "conv_valid_stride2": lambda: conv(fb.Padding.VALID, 2, out=(1, 4, 4, 8)),
    "conv_same_stride2_relu": lambda: conv(stride=2, act=AF.RELU, out=(1, 5, 5, 8)),
    "conv_dilated_relu6": lambda: conv(dil=2, act=AF.RELU6),
    "conv_relu_n1_to_1": lambda: conv(act=AF.RELU_N1_TO_1),
    "conv_same_odd_total_pad": lambda: conv(k=4, stride=2, out=(1, 5, 5, 8)),
    "conv_per_tensor_no_bias": lambda: conv(per_tensor=True, bias=False),
    "depthwise_mult2_stride2_relu6": lambda: depthwise(),
    "depthwise_mult1_valid": lambda: depthwise(1, 1, AF.NONE, fb.Padding.VALID, (1, 7, 7, 3)),
    "fully_connected": lambda: fully_connected(),
    "fully_connected_4d_input_relu": lambda: fully_connected((1, 1, 1, 16), (1, 10), AF.RELU),
    "fully_connected_per_channel": lambda: fully_connected(per_tensor=False),
    "fully_connected_keep_num_dims": lambda: fully_connected((1, 3, 16), (1, 3, 10), keep=True),
    "avg_pool_same": lambda: pool(BO.AVERAGE_POOL_2D),
    "avg_pool_valid": lambda: pool(BO.AVERAGE_POOL_2D, 2, 2, fb.Padding.VALID, out=(1, 4, 4, 3)),
    "avg_pool_global": lambda: pool(BO.AVERAGE_POOL_2D, 9, 1, fb.Padding.VALID, out=(1, 1, 1, 3)),
    "max_pool_same_relu": lambda: pool(BO.MAX_POOL_2D, act=AF.RELU),
    "max_pool_same_odd_total_pad": lambda: pool(BO.MAX_POOL_2D, 4, 2),
    "avg_pool_same_odd_total_pad": lambda: pool(BO.AVERAGE_POOL_2D, 2, 1, out=X),
    "max_pool_valid": lambda: pool(BO.MAX_POOL_2D, 2, 2, fb.Padding.VALID, out=(1, 4, 4, 3)),
    "add": lambda: binary(BO.ADD),
    "add_broadcast_const_relu": lambda: binary(BO.ADD, (1, 1, 1, 3), const=True, act=AF.RELU),
    "sub": lambda: binary(BO.SUB),
    "sub_broadcast": lambda: binary(BO.SUB, (1, 9, 1, 3)),
    "mul": lambda: binary(BO.MUL),
    "mul_broadcast_relu6": lambda: binary(BO.MUL, (1, 1, 9, 1), act=AF.RELU6),
    "reshape": lambda: reshape_like(BO.RESHAPE, (1, 81, 3), [1, 81, 3],
                                    options(fb.ReshapeOptionsT, newShape=[1, 81, 3])),
    "squeeze": lambda: squeeze(),
    "expand_dims": lambda: reshape_like(BO.EXPAND_DIMS, (1, 9, 1, 9, 3), [2]),
    "softmax": lambda: unary(BO.SOFTMAX, SOFTMAX_Q, q(0.1, 5), options(fb.SoftmaxOptionsT, beta=1.0), (3, 10)),
    "softmax_beta": lambda: unary(BO.SOFTMAX, SOFTMAX_Q, q(0.05, -3), options(fb.SoftmaxOptionsT, beta=0.7), (2, 33)),
    "logistic": lambda: unary(BO.LOGISTIC, SIGMOID_Q, q(0.04, 10)),
    "tanh": lambda: unary(BO.TANH, TANH_Q, q(0.03, -6)),
    "relu": lambda: unary(BO.RELU, q(0.03, -128)),
    "relu6": lambda: unary(BO.RELU6, XQ),
    "leaky_relu": lambda: unary(BO.LEAKY_RELU, q(0.04, 20), opts=options(fb.LeakyReluOptionsT, alpha=0.2)),
    "hard_swish": lambda: unary(BO.HARD_SWISH, q(0.03, -50)),
    "pad": lambda: pad(),
    "padv2": lambda: pad(BO.PADV2, value=-7),
    "concat": lambda: concat(),
    "concat_negative_axis": lambda: concat(-1),
    "mean_hw_keepdims": lambda: mean(),
    "mean_channels": lambda: mean((3,), False, (1, 9, 9)),
    "mean_same_qparams": lambda: mean(out_q=XQ),
    "mean_same_qparams_channels": lambda: mean((3,), True, (1, 9, 9, 1), out_q=XQ),
    "transpose": lambda: transpose(),
    "strided_slice": lambda: strided_slice([0, 1, 0, 0], [1, 8, 9, 3], [1, 2, 3, 1], (1, 4, 3, 3)),
    "strided_slice_masks_shrink": lambda: strided_slice([0, -3, 5, 1], [1, 0, 0, 0], [1, 1, -1, 1], (1, 3, 5),
                                                        endMask=0b0010, beginMask=0, shrinkAxisMask=0b1000),
    "strided_slice_begin_mask_negative": lambda: strided_slice([0, 7, 0, 0], [1, -10, 9, 3], [1, -2, 1, 1],
                                                               (1, 5, 9, 3), beginMask=0b0010),
    "quantize_float_to_int8": lambda: quantize_float(),
    "quantize_requantize": lambda: unary(BO.QUANTIZE, q(0.02, 11)),
    "dequantize": lambda: dequantize(),
}



@pytest.mark.parametrize("name", sorted(CASES))
def test_single_op_tflite_is_bit_exact_with_tflm(name, tmp_path):
    check_vs_tflm(CASES[name](), tmp_path)
