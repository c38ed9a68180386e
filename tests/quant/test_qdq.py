"""Pre-quantized ONNX models (QDQ and QOperator): compiled with their own scales and zero points,
no calibration; the C is bit-exact with the integer simulator and within 1 LSB of onnxruntime."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as TP
from onnx import helper as oh
from onnx import numpy_helper as nh
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

import edgec
from edgec.compiler import optimise
from edgec.errors import EdgecError, UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import DType, QParams, TensorType, Value
from edgec.quant.qparams import quantize_array
from edgec.quant.quantize import QuantContext

X_SHAPE = (1, 3, 12, 12)


def _init(rng, name, shape, std):
    return nh.from_array((rng.standard_normal(shape) * std).astype(np.float32), name)


def _float_cnn() -> onnx.ModelProto:
    """conv+relu, depthwise conv, residual add, max pool, flatten, gemm."""
    rng = np.random.default_rng(0)
    inits = [_init(rng, "w1", (8, 3, 3, 3), 0.3), _init(rng, "b1", (8,), 0.1),
             _init(rng, "w2", (8, 1, 3, 3), 0.3), _init(rng, "b2", (8,), 0.1),
             _init(rng, "wf", (10, 8 * 6 * 6), 0.1), _init(rng, "bf", (10,), 0.1)]
    nodes = [oh.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             oh.make_node("Relu", ["c1"], ["r1"]),
             oh.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], group=8),
             oh.make_node("Add", ["r1", "c2"], ["a"]),
             oh.make_node("MaxPool", ["a"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             oh.make_node("Flatten", ["p"], ["f"]),
             oh.make_node("Gemm", ["f", "wf", "bf"], ["y"], transB=1)]
    g = oh.make_graph(nodes, "cnn", [oh.make_tensor_value_info("x", TP.FLOAT, X_SHAPE)],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 10))], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])


def _samples(n: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"x": rng.standard_normal(X_SHAPE).astype(np.float32)} for _ in range(n)]


class _Reader(CalibrationDataReader):
    def __init__(self, feeds):
        self.it = iter(feeds)

    def get_next(self):
        return next(self.it, None)


def _ort_quantize(tmp, model, activation_type, **kw) -> onnx.ModelProto:
    src, dst = tmp / "float.onnx", tmp / f"qdq_{activation_type.name}.onnx"
    onnx.save(model, src)
    quantize_static(str(src), str(dst), _Reader(_samples(16, 1)), quant_format=kw.pop("quant_format", QuantFormat.QDQ),
                    per_channel=True, activation_type=activation_type, weight_type=QuantType.QInt8, **kw)
    return onnx.load(str(dst))


@pytest.fixture(scope="module", params=[QuantType.QInt8, QuantType.QUInt8], ids=["s8", "u8"])
def qdq_model(request, tmp_path_factory):
    return _ort_quantize(tmp_path_factory.mktemp("qdq"), _float_cnn(), request.param)


def _check_against_ort(model: onnx.ModelProto, feeds: list[dict[str, np.ndarray]], within: float = 0.99,
                       max_lsb: int | None = None, **compile_kw):
    """int8 compile without calibration: C == simulator, and a share `within` of the outputs
    within 1 LSB of onnxruntime's int8 result (its float output quantized with the output's
    qparams), none further than max_lsb when given."""
    art = edgec.compile(model, quant="int8", **compile_kw)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    diffs = []
    for f in feeds:
        q = art.quantize_inputs(f)
        got, sim = art.run(q), art.simulate(q)
        want = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, f)))
        for v in art.graph.outputs:
            np.testing.assert_array_equal(got[v.name], sim[v.name].reshape(got[v.name].shape))
            ref = quantize_array(want[v.name], v.type.qparams).reshape(got[v.name].shape)
            diffs.append(np.abs(got[v.name].astype(np.int32) - ref.astype(np.int32)).reshape(-1))
    d = np.concatenate(diffs)
    assert np.mean(d <= 1) >= within, f"only {100 * np.mean(d <= 1):.1f}% within 1 LSB (max {d.max()})"
    assert max_lsb is None or d.max() <= max_lsb, f"{d.max()} LSB off"
    return art


@pytest.mark.parametrize("example,act_type", [("cnn", QuantType.QUInt8), ("mlp", QuantType.QInt8)])
def test_example_models_quantized_by_ort(example, act_type, tmp_path):
    """The bundled digits models, through onnxruntime's recommended flow (quant_pre_process, which
    folds the CNN's BatchNormalization, then quantize_static). The MLP flattens its input before
    the first QuantizeLinear, so the input's qparams come back up through the reshape."""
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from pathlib import Path
    d = Path(__file__).resolve().parents[2] / "examples" / example
    images = np.load(d / "digits_calib.npz")["image"]
    feeds = [{"image": x} for x in images]
    model = onnx.load(str(d / f"digits_{example}.onnx"))
    src, pre, dst = tmp_path / "f.onnx", tmp_path / "pre.onnx", tmp_path / "q.onnx"
    onnx.save(model, src)
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)  # static shapes; needs no sympy
    quantize_static(str(pre), str(dst), _Reader(feeds[:32]), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=act_type, weight_type=QuantType.QInt8)
    art = _check_against_ort(onnx.load(str(dst)), feeds[32:64])
    assert art.float_islands == []


# -- import ---------------------------------------------------------------------------------------
def test_qdq_weights_import_as_float_constants_with_model_scales(qdq_model):
    g = import_onnx(qdq_model)
    inits = {t.name: nh.to_array(t) for t in qdq_model.graph.initializer}
    conv = next(n for n in g.nodes if n.op == "conv")
    w = conv.inputs[1]
    assert w.is_const and w.type.dtype == DType.F32
    assert w.type.qparams == QParams(tuple(float(s) for s in inits["w1_scale"]), (0,) * 8, 0)
    expect = inits["w1_quantized"].astype(np.float32) * inits["w1_scale"].reshape(-1, 1, 1, 1)
    np.testing.assert_array_equal(w.data, expect)
    assert conv.inputs[2].type.qparams is None                       # int32 bias: a plain float constant


def test_qdq_activations_carry_int8_qparams(qdq_model):
    """uint8 zero points become int8 ones (z - 128): the same real values."""
    g = import_onnx(qdq_model)
    inits = {t.name: nh.to_array(t) for t in qdq_model.graph.initializer}
    zp = inits["x_zero_point"]
    shift = 128 if zp.dtype == np.uint8 else 0
    assert g.inputs[0].type.qparams == QParams((float(inits["x_scale"]),), (int(zp) - shift,))
    for n in g.nodes:
        for v in n.outputs:
            assert v.type.qparams is not None, f"{v.name} ({n.op}) has no qparams"


def test_folded_relu_is_modelled_where_the_zero_point_clamps(qdq_model):
    """onnxruntime drops Relu into the quantization (zero point at the lowest code)."""
    assert "Relu" not in {n.op_type for n in qdq_model.graph.node}
    g = import_onnx(qdq_model)
    relus = [n for n in g.nodes if n.op == "relu"]
    assert len(relus) == 1 and relus[0].outputs[0].type.qparams.zero_point == (-128,)


def test_qparams_survive_the_int8_passes(qdq_model):
    g = optimise(import_onnx(qdq_model), quant="int8")
    inits = {t.name: nh.to_array(t) for t in qdq_model.graph.initializer}
    convs = [n for n in g.nodes if n.op == "conv"]
    assert [n.attrs.channels_last for n in convs] == [True, True]
    assert convs[0].attrs.act is not None and convs[0].attrs.act.kind == "relu"
    for n, name in zip(convs, ["w1", "w2"]):
        w = n.inputs[1]                                              # OHWI, channel axis still 0
        assert w.type.qparams.axis == 0 and w.type.qparams.scale == tuple(float(s) for s in inits[f"{name}_scale"])
    fc = next(n for n in g.nodes if n.op == "gemm")
    assert fc.inputs[1].type.qparams.axis == 0 and len(fc.inputs[1].type.qparams.scale) == 10
    for v in g.values():
        if not v.is_const:
            assert v.type.qparams is not None, f"'{v.name}' lost its qparams"


# -- int8 compile -----------------------------------------------------------------------------------
def test_qdq_model_compiles_without_calibration(qdq_model):
    art = _check_against_ort(qdq_model, _samples(8, 7))
    assert art.float_islands == []


def test_qdq_model_uses_the_models_int8_weights(qdq_model):
    """The weights the int8 pass makes are the model's int8 weights, scales unchanged."""
    g = optimise(import_onnx(qdq_model), quant="int8")
    w = next(n for n in g.nodes if n.op == "conv").inputs[1]
    wq, scales = QuantContext(None).weights(w, 0)
    inits = {t.name: nh.to_array(t) for t in qdq_model.graph.initializer}
    np.testing.assert_array_equal(wq.data, inits["w1_quantized"].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(scales, inits["w1_scale"])


def test_float_compile_of_qdq_model_is_close_to_ort(qdq_model):
    """Float C of a QDQ model: only the model's rounding of activations is left out, so it is
    about as close to onnxruntime's int8 result as the float model is (the folded relus count)."""
    art = edgec.compile(qdq_model)
    sess = ort.InferenceSession(qdq_model.SerializeToString(), providers=["CPUExecutionProvider"])
    for f in _samples(4, 9):
        want = sess.run(None, f)[0]
        np.testing.assert_allclose(art.run(f)["y"], want, atol=0.04 * np.abs(want).max())


def test_unquantized_values_need_calibration(tmp_path):
    """A value the model leaves in float (the Gemm is not quantized): clear error without
    --calib; with calibration data it compiles, the model's own qparams still preferred."""
    model = _ort_quantize(tmp_path, _float_cnn(), QuantType.QInt8,
                          op_types_to_quantize=["Conv", "Add", "MaxPool", "Flatten"])
    with pytest.raises(EdgecError, match="--calib"):
        edgec.compile(model, quant="int8")
    art = edgec.compile(model, quant="int8", calib=_samples(4, 3))
    x_scale = float(nh.to_array(next(t for t in model.graph.initializer if t.name == "x_scale")))
    assert art.graph.inputs[0].type.qparams.scale == (x_scale,)


def test_float_model_still_needs_calibration():
    with pytest.raises(EdgecError, match="needs calibration data"):
        edgec.compile(_float_cnn(), quant="int8")


# -- QuantContext ------------------------------------------------------------------------------------
def _const(data, qp):
    return Value("w", TensorType(data.shape, DType.F32, qp), data.astype(np.float32))


def test_quant_context_prefers_given_activation_qparams():
    qp = QParams((0.05,), (-3,))
    v = Value("a", TensorType((1, 4), DType.F32, qp))
    assert QuantContext({id(v): (-100.0, 100.0)}).qparams(v) == qp
    assert QuantContext(None).qparams(v) == qp
    with pytest.raises(EdgecError, match="--calib"):
        QuantContext(None).qparams(Value("b", TensorType((1, 4))))


def test_weights_use_given_per_channel_and_per_tensor_scales():
    q = np.array([[127, -3, 0], [-128, 5, 64]], np.int64)
    scales = np.array([0.01, 0.5], np.float32)
    w = _const(q * scales[:, None], QParams(tuple(float(s) for s in scales), (0, 0), 0))
    wq, got = QuantContext(None).weights(w, 0)
    np.testing.assert_array_equal(wq.data, q)
    np.testing.assert_array_equal(got, scales)
    w = _const(q * np.float32(0.25), QParams((0.25,), (0,)))     # per tensor: one scale per channel
    wq, got = QuantContext(None).weights(w, 0)
    np.testing.assert_array_equal(wq.data, q)
    np.testing.assert_array_equal(got, [0.25, 0.25])


def test_asymmetric_given_weights_are_requantized_symmetric():
    data = np.array([[0.1, -0.2, 0.3]], np.float32)
    wq, scales = QuantContext(None).weights(_const(data, QParams((0.01,), (5,))), 0)
    assert wq.type.qparams.zero_point == (0,)
    np.testing.assert_allclose(scales, [0.3 / 127], rtol=1e-6)


# -- hand-built QDQ and QOperator models -----------------------------------------------------------
def _qlinear_model(act_type: np.dtype) -> onnx.ModelProto:
    """Q -> QLinearConv -> com.microsoft QLinearAdd -> Reshape (on int8) -> QLinearMatMul (per
    column) -> DQ; the scales cover the ranges of _qlinear_feeds; act_type: int8 or uint8."""
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (6, 4, 3, 3)).astype(np.int8)
    w_scale = (rng.uniform(0.5, 1.5, 6) * 0.002).astype(np.float32)
    bias = rng.integers(-2000, 2000, 6).astype(np.int32)
    wm = rng.integers(-127, 128, (216, 5)).astype(np.int8)
    wm_scale = (rng.uniform(0.5, 1.5, 5) * 0.002).astype(np.float32)
    zp = (lambda z: np.array(z + (128 if act_type == np.uint8 else 0), act_type))
    t = {"xs": 0.02, "xz": zp(3), "x2s": 0.03, "x2z": zp(-5), "cs": 0.04, "cz": zp(0),
         "as": 0.05, "az": zp(0), "ys": 0.12, "yz": zp(30)}
    inits = [nh.from_array(np.array(v, np.float32) if isinstance(v, float) else v, k) for k, v in t.items()]
    inits += [nh.from_array(w, "w"), nh.from_array(w_scale, "w_s"), nh.from_array(np.zeros(6, np.int8), "w_z"),
              nh.from_array(bias, "bias"), nh.from_array(wm, "wm"), nh.from_array(wm_scale, "wm_s"),
              nh.from_array(np.zeros(5, np.int8), "wm_z"), nh.from_array(np.array([1, 216], np.int64), "shape")]
    nodes = [oh.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             oh.make_node("QuantizeLinear", ["x2", "x2s", "x2z"], ["x2q"]),
             oh.make_node("QLinearConv", ["xq", "xs", "xz", "w", "w_s", "w_z", "cs", "cz", "bias"], ["cq"],
                          pads=[1, 1, 1, 1], name="qconv"),
             oh.make_node("QLinearAdd", ["cq", "cs", "cz", "x2q", "x2s", "x2z", "as", "az"], ["aq"],
                          domain="com.microsoft", name="qadd"),
             oh.make_node("Reshape", ["aq", "shape"], ["fq"]),
             oh.make_node("QLinearMatMul", ["fq", "as", "az", "wm", "wm_s", "wm_z", "ys", "yz"], ["yq"], name="qmm"),
             oh.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    g = oh.make_graph(nodes, "qlinear", [oh.make_tensor_value_info("x", TP.FLOAT, (1, 4, 6, 6)),
                                         oh.make_tensor_value_info("x2", TP.FLOAT, (1, 6, 6, 6))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 5))], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13), oh.make_opsetid("com.microsoft", 1)])


def _qlinear_feeds(n: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    return [{"x": rng.uniform(-2, 2, (1, 4, 6, 6)).astype(np.float32),
             "x2": rng.uniform(-3, 3, (1, 6, 6, 6)).astype(np.float32)} for _ in range(n)]


@pytest.mark.parametrize("act_type", [np.int8, np.uint8], ids=["s8", "u8"])
def test_qlinear_ops_compile_without_calibration(act_type):
    model = _qlinear_model(act_type)
    g = import_onnx(model)
    assert [n.op for n in g.nodes if n.op in ("conv", "add", "gemm")] == ["conv", "add", "gemm"]
    _check_against_ort(model, _qlinear_feeds(6))


def test_qlinear_ops_float_compile_is_close_to_ort():
    model = _qlinear_model(np.int8)
    art = edgec.compile(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for f in _qlinear_feeds(3):
        np.testing.assert_allclose(art.run(f)["y"], sess.run(None, f)[0], atol=3 * 0.12)


def test_ort_qoperator_model_compiles(tmp_path):
    """onnxruntime's own QOperator output (QLinearConv, com.microsoft QLinearAdd, ...)."""
    model = _ort_quantize(tmp_path, _float_cnn(), QuantType.QUInt8, quant_format=QuantFormat.QOperator)
    assert {"QLinearConv", "QLinearAdd"} <= {n.op_type for n in model.graph.node}
    _check_against_ort(model, _samples(4, 8))


def _float_mixed() -> onnx.ModelProto:
    """conv, leaky relu, mul by a second input, average pool, sigmoid, flatten, matmul."""
    rng = np.random.default_rng(6)
    inits = [_init(rng, "w", (4, 3, 3, 3), 0.3), _init(rng, "wm", (4 * 3 * 3, 6), 0.3)]
    nodes = [oh.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             oh.make_node("LeakyRelu", ["c"], ["l"], alpha=0.1),
             oh.make_node("Mul", ["l", "x2"], ["m"]),
             oh.make_node("AveragePool", ["m"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             oh.make_node("Sigmoid", ["p"], ["s"]),
             oh.make_node("Flatten", ["s"], ["f"]),
             oh.make_node("MatMul", ["f", "wm"], ["y"])]
    g = oh.make_graph(nodes, "mixed", [oh.make_tensor_value_info("x", TP.FLOAT, (1, 3, 6, 6)),
                                       oh.make_tensor_value_info("x2", TP.FLOAT, (1, 4, 6, 6))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 6))], inits)
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])


def _mixed_feeds(n: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32),
             "x2": rng.standard_normal((1, 4, 6, 6)).astype(np.float32)} for _ in range(n)]


@pytest.mark.parametrize("fmt", [QuantFormat.QDQ, QuantFormat.QOperator], ids=["qdq", "qoperator"])
def test_ort_mixed_model_compiles(fmt, tmp_path):
    """QLinearLeakyRelu, QLinearMul, QLinearAveragePool, QLinearSigmoid, QLinearMatMul (per
    column) in QOperator form; logistic's fixed-range result is requantized to the model's
    parameters. Looser than the CNN: average pooling rounds ties away from zero (TFLM) where
    onnxruntime rounds them to even, and the sigmoid's fine output scale multiplies such a
    1 LSB difference about 4 times."""
    src, dst = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(_float_mixed(), src)
    quantize_static(str(src), str(dst), _Reader(_mixed_feeds(16, 1)), quant_format=fmt, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    model = onnx.load(str(dst))
    if fmt == QuantFormat.QOperator:
        assert {"QLinearLeakyRelu", "QLinearMul", "QLinearAveragePool", "QLinearSigmoid",
                "QLinearMatMul"} <= {n.op_type for n in model.graph.node}
    art = _check_against_ort(model, _mixed_feeds(8, 2), within=0.8, max_lsb=6)
    assert art.float_islands == []
    assert "requantize" in [n.op for n in art.graph.nodes]


def test_quantized_float_weights_are_fake_quantized():
    """QuantizeLinear on a float constant (PyTorch's export of weights) rounds it onto the grid."""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((4, 2, 1, 1)).astype(np.float32)
    scale = np.array([0.1, 0.2, 0.05, 0.3], np.float32)
    nodes = [oh.make_node("QuantizeLinear", ["w", "s", "z"], ["wq"], axis=0),
             oh.make_node("DequantizeLinear", ["wq", "s", "z"], ["wd"], axis=0),
             oh.make_node("Conv", ["x", "wd"], ["y"])]
    inits = [nh.from_array(w, "w"), nh.from_array(scale, "s"), nh.from_array(np.zeros(4, np.int8), "z")]
    g = oh.make_graph(nodes, "fq", [oh.make_tensor_value_info("x", TP.FLOAT, (1, 2, 3, 3))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 4, 3, 3))], inits)
    ir = import_onnx(oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)]))
    wd = ir.nodes[-1].inputs[1]
    np.testing.assert_array_equal(wd.data, np.rint(w / scale.reshape(-1, 1, 1, 1)) * scale.reshape(-1, 1, 1, 1))
    assert wd.type.qparams.axis == 0


@pytest.mark.parametrize("case", ["per_channel_activation", "int16", "zero_scale"])
def test_unsupported_quantization_is_refused(case):
    scale = np.array([0.1, 0.2], np.float32) if case == "per_channel_activation" else np.float32(
        0.0 if case == "zero_scale" else 0.1)
    zp = np.zeros(scale.shape, np.int16 if case == "int16" else np.int8)
    nodes = [oh.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
             oh.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)]
    g = oh.make_graph(nodes, "bad", [oh.make_tensor_value_info("x", TP.FLOAT, (1, 2, 3))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 2, 3))],
                      [nh.from_array(np.asarray(scale), "s"), nh.from_array(zp, "z")])
    with pytest.raises(UnsupportedOpError):
        import_onnx(oh.make_model(g, opset_imports=[oh.make_opsetid("", 21)]))


# -- plumbing ----------------------------------------------------------------------------------------
def test_qparams_follow_transposes_and_reshapes():
    from edgec.passes.common import carry_qparams, permuted_type
    per_channel = QParams((0.1, 0.2), (0, 0), 1)
    assert per_channel.permuted((0, 2, 3, 1)).axis == 3
    t = TensorType((1, 2, 3, 4), DType.F32, per_channel)
    assert permuted_type(t, (0, 2, 3, 1)).qparams.axis == 3
    assert carry_qparams(TensorType((2, 12)), t).qparams is None                 # reshape: per tensor only
    per_tensor = TensorType((1, 2, 3, 4), DType.F32, QParams((0.1,), (4,)))
    assert carry_qparams(TensorType((2, 12)), per_tensor).qparams == per_tensor.qparams


def test_conv_transpose_weight_keeps_its_channel_axis_in_nhwc():
    """ConvTranspose weights [IC, OC, KH, KW] are quantized along axis 1; NHWC makes it axis 3."""
    rng = np.random.default_rng(4)
    w = rng.integers(-127, 128, (3, 4, 2, 2)).astype(np.int8)
    scale = np.array([0.01, 0.02, 0.03, 0.04], np.float32)
    nodes = [oh.make_node("DequantizeLinear", ["w", "s", "z"], ["wd"], axis=1),
             oh.make_node("ConvTranspose", ["x", "wd"], ["y"], strides=[2, 2])]
    inits = [nh.from_array(w, "w"), nh.from_array(scale, "s"), nh.from_array(np.zeros(4, np.int8), "z")]
    g = oh.make_graph(nodes, "ct", [oh.make_tensor_value_info("x", TP.FLOAT, (1, 3, 4, 4))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 4, 8, 8))], inits)
    opt = optimise(import_onnx(oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])))
    wv = next(n for n in opt.nodes if n.op == "conv_transpose").inputs[1]
    assert wv.shape == (3, 2, 2, 4) and wv.type.qparams == QParams(tuple(float(s) for s in scale), (0,) * 4, 3)


def test_int8_graph_input_is_dequantized():
    """An int8 model input read by DequantizeLinear (float C: exact real values)."""
    nodes = [oh.make_node("DequantizeLinear", ["xq", "s", "z"], ["x"]), oh.make_node("Relu", ["x"], ["y"])]
    g = oh.make_graph(nodes, "i8", [oh.make_tensor_value_info("xq", TP.INT8, (1, 8))],
                      [oh.make_tensor_value_info("y", TP.FLOAT, (1, 8))],
                      [nh.from_array(np.array(0.1, np.float32), "s"), nh.from_array(np.array(3, np.int8), "z")])
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])
    xq = np.arange(-60, 68, 16, dtype=np.int8).reshape(1, 8)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"xq": xq})[0]
    np.testing.assert_array_equal(edgec.compile(model).run({"xq": xq})["y"], want)


def test_cli_compiles_qdq_model_without_calib(qdq_model, tmp_path):
    import subprocess
    import sys
    path = tmp_path / "qdq.onnx"
    onnx.save(qdq_model, path)
    cmd = [sys.executable, "-m", "edgec", "compile", str(path), "--quant", "int8", "-o", str(tmp_path / "c")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "int8" in r.stdout
