"""Float32 .tflite models import into edgec's float ops: the float C matches TFLM's float reference
kernels (rtol 1e-4, atol 1e-5), and quant="int8" with calibration data quantizes them through the
normal calibration + quantization path (C == simulator bit for bit, SQNR vs float >= 30 dB)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tflite_micro.python.tflite_micro import runtime

import edgec
from edgec.frontend.tflite_loader import supported_ops
from edgec.ir.graph import DType
from edgec.report import sqnr_db
from edgec.testing import check_int8
from tests.tflite.single_op import AF, BO, OneOp, fb, options
from tests.tflm.tflite_model import ModelBuilder

F32 = DType.F32
X = (1, 9, 9, 3)
PAD = fb.Padding


def _write(tmp_path: Path, data: bytes) -> str:
    p = tmp_path / "m.tflite"
    p.write_bytes(data)
    return str(p)


def _feeds(art, rng, scale: float = 2.0) -> dict[str, np.ndarray]:
    return {v.name: (rng.standard_normal(v.shape) * scale).astype(np.float32) for v in art.graph.inputs}


def check_float_vs_tflm(data: bytes, tmp_path: Path, n: int = 2, seed: int = 0, scale: float = 2.0):
    """Compiles float .tflite `data` to float C and asserts it matches TFLM on n random inputs."""
    art = edgec.compile(_write(tmp_path, data))
    assert not any(nd.op.endswith("_s8") for nd in art.graph.nodes)
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        feeds = _feeds(art, rng, scale)
        for i, v in enumerate(art.graph.inputs):
            tflm.set_input(feeds[v.name], i)
        tflm.invoke()
        got = art.run(feeds)
        for i, v in enumerate(art.graph.outputs):
            want = np.asarray(tflm.get_output(i))
            assert want.dtype == np.float32
            np.testing.assert_allclose(got[v.name].reshape(want.shape), want, rtol=1e-4, atol=1e-5,
                                       err_msg=f"ops {[x.op for x in art.graph.nodes]}")
    return art


def _weights(m: OneOp, shape) -> int:
    return m.const((m.rng.standard_normal(shape) * 0.3).astype(np.float32))


def _bias(m: OneOp, n: int) -> int:
    return m.const((m.rng.standard_normal(n) * 0.1).astype(np.float32))


def one_op(code, in_shapes, out_shape, opts=None, extra=()) -> bytes:
    """A float model of one operator over run-time inputs `in_shapes` plus constant tensors `extra`
    (numpy arrays, appended to the operator's inputs)."""
    m = OneOp(5)
    ins = [m.input(s, None, F32) for s in in_shapes] + [m.const(np.asarray(e)) for e in extra]
    return m.finish(code, ins, out_shape, None, opts, out_dtype=F32)


# -- convolution, fully connected ----------------------------------------------------------------
@pytest.mark.parametrize("padding,stride,dil,act,bias,out", [
    (PAD.SAME, 1, 1, AF.NONE, True, (1, 9, 9, 8)),
    (PAD.SAME, 2, 1, AF.RELU6, True, (1, 5, 5, 8)),
    (PAD.VALID, 2, 1, AF.RELU, False, (1, 4, 4, 8)),
    (PAD.SAME, 1, 2, AF.RELU_N1_TO_1, True, (1, 9, 9, 8)),
    (PAD.SAME, 2, 1, AF.NONE, True, (1, 5, 5, 8)),
])
def test_conv2d_matches_tflm(tmp_path, padding, stride, dil, act, bias, out):
    m = OneOp(1)
    x = m.input(X, None, F32)
    ins = [x, _weights(m, (8, 3, 3, 3)), _bias(m, 8) if bias else -1]
    o = options(fb.Conv2DOptionsT, padding=padding, strideH=stride, strideW=stride, dilationHFactor=dil,
                dilationWFactor=dil, fusedActivationFunction=act)
    art = check_float_vs_tflm(m.finish(BO.CONV_2D, ins, out, None, o, out_dtype=F32), tmp_path)
    assert [n.op for n in art.graph.nodes] == ["conv"] and art.graph.nodes[0].attrs.channels_last


@pytest.mark.parametrize("mult,stride,act,padding,out", [
    (1, 1, AF.RELU, PAD.SAME, (1, 9, 9, 3)), (2, 2, AF.RELU6, PAD.SAME, (1, 5, 5, 6)),
    (2, 1, AF.NONE, PAD.VALID, (1, 7, 7, 6))])
def test_depthwise_conv_matches_tflm(tmp_path, mult, stride, act, padding, out):
    m = OneOp(2)
    x = m.input(X, None, F32)
    o = options(fb.DepthwiseConv2DOptionsT, padding=padding, strideH=stride, strideW=stride, depthMultiplier=mult,
                dilationHFactor=1, dilationWFactor=1, fusedActivationFunction=act)
    ins = [x, _weights(m, (1, 3, 3, 3 * mult)), _bias(m, 3 * mult)]
    art = check_float_vs_tflm(m.finish(BO.DEPTHWISE_CONV_2D, ins, out, None, o, out_dtype=F32), tmp_path)
    conv = art.graph.nodes[0]
    assert conv.op == "conv" and conv.attrs.group == 3 and conv.inputs[1].shape == (3 * mult, 3, 3, 1)


@pytest.mark.parametrize("x_shape,out,act,bias", [
    ((2, 16), (2, 10), AF.NONE, True), ((1, 2, 2, 4), (1, 10), AF.RELU, False), ((3, 16), (3, 10), AF.RELU6, True)])
def test_fully_connected_matches_tflm(tmp_path, x_shape, out, act, bias):
    m = OneOp(3)
    x = m.input(x_shape, None, F32)
    o = options(fb.FullyConnectedOptionsT, fusedActivationFunction=act)
    ins = [x, _weights(m, (10, 16)), _bias(m, 10) if bias else -1]
    art = check_float_vs_tflm(m.finish(BO.FULLY_CONNECTED, ins, out, None, o, out_dtype=F32), tmp_path)
    assert "gemm" in [n.op for n in art.graph.nodes]


# -- pooling, element-wise -----------------------------------------------------------------------
@pytest.mark.parametrize("code", [BO.MAX_POOL_2D, BO.AVERAGE_POOL_2D])
@pytest.mark.parametrize("padding,k,stride,act,out", [
    (PAD.SAME, 3, 2, AF.NONE, (1, 5, 5, 3)), (PAD.VALID, 2, 2, AF.RELU, (1, 4, 4, 3)),
    (PAD.SAME, 2, 1, AF.RELU6, (1, 9, 9, 3))])
def test_pools_match_tflm(tmp_path, code, padding, k, stride, act, out):
    o = options(fb.Pool2DOptionsT, padding=padding, strideH=stride, strideW=stride, filterHeight=k, filterWidth=k,
                fusedActivationFunction=act)
    check_float_vs_tflm(one_op(code, [X], out, o), tmp_path)


@pytest.mark.parametrize("code,cls", [(BO.ADD, fb.AddOptionsT), (BO.SUB, fb.SubOptionsT), (BO.MUL, fb.MulOptionsT)])
@pytest.mark.parametrize("b_shape,act", [(X, AF.NONE), ((1, 1, 1, 3), AF.RELU), ((3,), AF.RELU6)])
def test_binary_ops_match_tflm(tmp_path, code, cls, b_shape, act):
    check_float_vs_tflm(one_op(code, [X, b_shape], X, options(cls, fusedActivationFunction=act)), tmp_path)


def test_binary_op_with_a_constant_operand_matches_tflm(tmp_path):
    b = np.linspace(-1, 1, 3, dtype=np.float32)
    check_float_vs_tflm(one_op(BO.MUL, [X], X, options(fb.MulOptionsT), extra=[b]), tmp_path)


@pytest.mark.parametrize("code,opts", [
    (BO.RELU, None), (BO.RELU6, None), (BO.LOGISTIC, None), (BO.TANH, None), (BO.HARD_SWISH, None),
    (BO.LEAKY_RELU, options(fb.LeakyReluOptionsT, alpha=0.2))])
def test_activations_match_tflm(tmp_path, code, opts):
    check_float_vs_tflm(one_op(code, [(2, 5, 7)], (2, 5, 7), opts), tmp_path, scale=4.0)


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_softmax_matches_tflm(tmp_path, beta):
    check_float_vs_tflm(one_op(BO.SOFTMAX, [(3, 10)], (3, 10), options(fb.SoftmaxOptionsT, beta=beta)), tmp_path)


# -- data movement, reductions -------------------------------------------------------------------
def test_reshape_squeeze_expand_dims_match_tflm(tmp_path):
    shape = np.asarray([1, 3, 81], np.int32)
    check_float_vs_tflm(one_op(BO.RESHAPE, [X], (1, 3, 81), options(fb.ReshapeOptionsT, newShape=[1, 3, 81]),
                               extra=[shape]), tmp_path)
    check_float_vs_tflm(one_op(BO.SQUEEZE, [(1, 4, 1, 3)], (4, 3), options(fb.SqueezeOptionsT, squeezeDims=[0, 2])),
                        tmp_path)
    check_float_vs_tflm(one_op(BO.EXPAND_DIMS, [(4, 3)], (4, 1, 3), extra=[np.asarray([1], np.int32)]), tmp_path)


def test_transpose_concat_pad_match_tflm(tmp_path):
    check_float_vs_tflm(one_op(BO.TRANSPOSE, [X], (1, 3, 9, 9), extra=[np.asarray([0, 3, 1, 2], np.int32)]),
                        tmp_path)
    o = options(fb.ConcatenationOptionsT, axis=-1, fusedActivationFunction=AF.NONE)
    check_float_vs_tflm(one_op(BO.CONCATENATION, [X, (1, 9, 9, 2)], (1, 9, 9, 5), o), tmp_path)
    pads = np.asarray([[0, 0], [1, 2], [0, 1], [0, 0]], np.int32)
    check_float_vs_tflm(one_op(BO.PAD, [X], (1, 12, 10, 3), extra=[pads]), tmp_path)
    check_float_vs_tflm(one_op(BO.PADV2, [X], (1, 12, 10, 3), extra=[pads, np.asarray([-1.5], np.float32)]),
                        tmp_path)


def test_concat_with_fused_relu_is_a_separate_relu_node(tmp_path):
    """TFLM refuses a fused activation on CONCATENATION; TFLite applies it, and so does edgec."""
    o = options(fb.ConcatenationOptionsT, axis=3, fusedActivationFunction=AF.RELU)
    art = edgec.compile(_write(tmp_path, one_op(BO.CONCATENATION, [X, (1, 9, 9, 2)], (1, 9, 9, 5), o)))
    assert [n.op for n in art.graph.nodes] == ["concat", "relu"]
    rng = np.random.default_rng(0)
    feeds = _feeds(art, rng)
    want = np.maximum(np.concatenate(list(feeds.values()), axis=3), 0)
    np.testing.assert_array_equal(art.run(feeds)[art.graph.outputs[0].name].reshape(want.shape), want)


@pytest.mark.parametrize("axes,keep,out", [((1, 2), True, (1, 1, 1, 3)), ((1, 2), False, (1, 3)),
                                           ((3,), False, (1, 9, 9))])
def test_mean_matches_tflm(tmp_path, axes, keep, out):
    o = options(fb.ReducerOptionsT, keepDims=keep)
    check_float_vs_tflm(one_op(BO.MEAN, [X], out, o, extra=[np.asarray(axes, np.int32)]), tmp_path)


def test_strided_slice_matches_tflm(tmp_path):
    ints = [np.asarray(v, np.int32) for v in ([0, 1, 0, 0], [1, 8, 9, 2], [1, 2, 3, 1])]
    o = options(fb.StridedSliceOptionsT, beginMask=0b0100, endMask=0)
    check_float_vs_tflm(one_op(BO.STRIDED_SLICE, [X], (1, 4, 3, 2), o, extra=ints), tmp_path)


# -- a small CNN, float and int8 ------------------------------------------------------------------
def small_cnn(seed: int = 7) -> bytes:
    """conv3x3+relu6 -> depthwise3x3+relu -> add (residual) -> avgpool 2x2 -> fc -> softmax."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("small_cnn")

    def t(shape, name):
        return b.tensor(shape, F32, None, name)

    def c(data, name):
        return b.tensor(data.shape, F32, None, name, np.asarray(data, np.float32))

    x, h1, h2, h3, h4, h5, y = (t(s, n) for s, n in [((1, 12, 12, 3), "x"), ((1, 12, 12, 8), "conv"),
                                                  ((1, 12, 12, 8), "dw"), ((1, 12, 12, 8), "sum"),
                                                  ((1, 6, 6, 8), "pool"), ((1, 10), "logits"), ((1, 10), "probs")])
    b.op(BO.CONV_2D, [x, c(rng.standard_normal((8, 3, 3, 3)) * 0.3, "w1"), c(rng.standard_normal(8) * 0.1, "b1")],
         [h1], options(fb.Conv2DOptionsT, padding=PAD.SAME, strideH=1, strideW=1, dilationHFactor=1,
                       dilationWFactor=1, fusedActivationFunction=AF.RELU6))
    b.op(BO.DEPTHWISE_CONV_2D, [h1, c(rng.standard_normal((1, 3, 3, 8)) * 0.3, "w2"),
                                c(rng.standard_normal(8) * 0.1, "b2")],
         [h2], options(fb.DepthwiseConv2DOptionsT, padding=PAD.SAME, strideH=1, strideW=1, depthMultiplier=1,
                       dilationHFactor=1, dilationWFactor=1, fusedActivationFunction=AF.RELU))
    b.op(BO.ADD, [h1, h2], [h3], options(fb.AddOptionsT))
    b.op(BO.AVERAGE_POOL_2D, [h3], [h4], options(fb.Pool2DOptionsT, padding=PAD.VALID, strideH=2, strideW=2,
                                                 filterHeight=2, filterWidth=2))
    b.op(BO.FULLY_CONNECTED, [h4, c(rng.standard_normal((10, 288)) * 0.05, "w3"), c(rng.standard_normal(10) * 0.1,
                                                                                     "b3")],
         [h5], options(fb.FullyConnectedOptionsT))
    b.op(BO.SOFTMAX, [h5], [y], options(fb.SoftmaxOptionsT, beta=1.0))
    return b.finish([x], [y])


def test_small_cnn_float_matches_tflm(tmp_path):
    art = check_float_vs_tflm(small_cnn(), tmp_path, n=3, scale=1.0)
    assert {"conv", "add", "avg_pool", "gemm", "softmax"} <= {n.op for n in art.graph.nodes}


def test_small_cnn_quantizes_to_int8_through_calibration(tmp_path):
    path = _write(tmp_path, small_cnn())
    rng = np.random.default_rng(1)
    samples = [{"x": rng.uniform(-1, 1, (1, 12, 12, 3)).astype(np.float32)} for _ in range(8)]
    art, got, want = check_int8(path, samples[:6], samples[6:] + samples[:2], min_sqnr_db=30.0)
    assert art.quant == "int8"
    ops = {n.op for n in art.graph.nodes}
    assert {"conv_s8", "depthwise_conv_s8", "avg_pool_s8", "fully_connected_s8", "softmax_s8"} <= ops
    assert ops & {"add_s8", "conv_add_s8"}   # the residual add (fused into its conv when it can be)
    tflm = runtime.Interpreter.from_bytes(Path(path).read_bytes())
    tflm_out, c_out = [], []
    for f, g in zip(samples[6:] + samples[:2], got):
        tflm.set_input(f["x"], 0)
        tflm.invoke()
        tflm_out.append(np.asarray(tflm.get_output(0), np.float64))
        c_out.append(np.asarray(g["probs"], np.float64).reshape(tflm_out[-1].shape))
    assert sqnr_db(np.stack(tflm_out), np.stack(c_out)) >= 30.0


def test_int8_without_calibration_data_is_an_error(tmp_path):
    with pytest.raises(edgec.EdgecError, match="calibration"):
        edgec.compile(_write(tmp_path, small_cnn()), quant="int8")


def test_float_supported_ops_cover_the_issue():
    want = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "SUB", "MUL",
            "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU",
            "HARD_SWISH", "PAD", "CONCATENATION", "MEAN", "TRANSPOSE", "STRIDED_SLICE"}
    assert want <= set(supported_ops(float_model=True))
