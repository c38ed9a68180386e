"""int8 logistic, tanh, hard swish, leaky relu, softmax and log-softmax: the integer references equal the C
kernels bit for bit (every int8 input, a grid of quantization parameters), stay within an LSB or
two of float, survive whole-model compilation (C == simulator), and equal TensorFlow Lite Micro."""
import cffi
import numpy as np
import pytest
from onnx import helper

from edgec.backend.build import build_shared
from edgec.errors import UnsupportedOpError
from edgec.ir.graph import QParams
from edgec.ops import activation_s8 as A
from edgec.quant.qparams import activation_qparams
from edgec.resources import runtime_dir
from edgec.testing import check_int8
from tests.quant.s8_node import feeds, int8_value, onnx_model, run_node
from tests.quant.test_integer_only import _compile_integer_only

ALL = np.arange(-128, 128, dtype=np.int8)
SCALES = [1e-3, 1 / 256, 0.02, 0.05, 0.1, 0.3, 1.0, 10.0]
ZPS = [-128, -5, 0, 90, 127]
GRID = [QParams((float(np.float32(s)),), (z,)) for s in SCALES for z in ZPS]
KERNELS = ["ec_logistic_s8", "ec_tanh_s8", "ec_hard_swish_s8", "ec_leaky_relu_s8", "ec_softmax_s8",
           "ec_log_softmax_s8"]

WRAPPERS = """
#include "ec_activation_s8.h"
void t_logistic(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_logistic_tanh_s8_params p = {q[0], q[1], q[2], q[3], q[4]}; ec_logistic_s8(&p, x, y); }
void t_tanh(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_logistic_tanh_s8_params p = {q[0], q[1], q[2], q[3], q[4]}; ec_tanh_s8(&p, x, y); }
void t_hard_swish(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_hard_swish_s8_params p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6]}; ec_hard_swish_s8(&p, x, y); }
void t_leaky_relu(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_leaky_relu_s8_params p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6]}; ec_leaky_relu_s8(&p, x, y); }
void t_softmax(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_softmax_s8_params p = {q[0], q[1], q[2], q[3], q[4]}; ec_softmax_s8(&p, x, y); }
void t_log_softmax(const int8_t *x, int8_t *y, const int32_t *q)
{ const ec_log_softmax_s8_params p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6]}; ec_log_softmax_s8(&p, x, y); }
"""


@pytest.fixture(scope="module")
def kernel():
    """kernel(name, x, fields) -> the C kernel's output for int8 `x` and params struct `fields`."""
    inc, src = runtime_dir() / "include", runtime_dir() / "src"
    files = {"t.c": WRAPPERS, **{h: (inc / h).read_text() for h in
                                  ("ec_types.h", "ec_fixedpoint.h", "ec_activation_s8.h")},
             **{f"{k}.c": (src / f"{k}.c").read_text() for k in KERNELS}}
    ffi = cffi.FFI()
    ffi.cdef("".join(f"void t_{n}(const int8_t *, int8_t *, const int32_t *);"
                     for n in ("logistic", "tanh", "hard_swish", "leaky_relu", "softmax", "log_softmax")))
    lib = ffi.dlopen(str(build_shared(files)))

    def run(name: str, x: np.ndarray, fields: list[int]) -> np.ndarray:
        x = np.ascontiguousarray(x, np.int8)
        y = np.zeros_like(x)
        q = np.array(fields, np.int32)
        getattr(lib, f"t_{name}")(ffi.from_buffer("int8_t[]", x), ffi.from_buffer("int8_t[]", y),
                                  ffi.from_buffer("int32_t[]", q))
        return y
    return run


def _deq(q: np.ndarray, qp: QParams) -> np.ndarray:
    return (q.astype(np.float64) - qp.zero_point[0]) * qp.scale[0]


def _range(qp: QParams) -> tuple[float, float]:
    return float(_deq(np.array(-128), qp)), float(_deq(np.array(127), qp))


def _hard_swish(x):
    return x * np.clip(x / 6 + 0.5, 0, 1)


def _out_qparams(fn, in_q: QParams) -> QParams:
    """Output qparams calibrated as the compiler would: on the range of fn over the input grid."""
    y = fn(_deq(ALL, in_q))
    return activation_qparams(float(y.min()), float(y.max()))


def _lt_fields(a: A.LogisticTanhAttrs) -> list[int]:
    return [256, a.input_zero_point, a.input_range_radius, a.input_multiplier, a.input_left_shift]


def _hs_fields(a: A.HardSwishAttrs) -> list[int]:
    return [256, a.input_zero_point, a.output_zero_point, a.output_multiplier, a.output_shift,
            a.reluish_multiplier, a.reluish_shift]


def _lr_fields(a: A.LeakyReluAttrs) -> list[int]:
    return [256, a.input_zero_point, a.output_zero_point, a.identity_multiplier, a.identity_shift,
            a.alpha_multiplier, a.alpha_shift]


# -- integer reference == C, every int8 input ------------------------------------------------------
@pytest.mark.parametrize("name,ref", [("logistic", A.logistic_ref), ("tanh", A.tanh_ref)])
def test_logistic_tanh_s8_match_integer_ref_on_every_input(kernel, name, ref):
    for in_q in GRID:
        a = A.LogisticTanhAttrs.prepare(in_q)
        np.testing.assert_array_equal(kernel(name, ALL, _lt_fields(a)), ref(a, ALL), err_msg=str(in_q))


def test_hard_swish_s8_matches_integer_ref_on_every_input(kernel):
    for in_q in GRID:
        calibrated = A.hard_swish_out_qparams(in_q, _out_qparams(_hard_swish, in_q))
        assert A.HardSwishAttrs.prepare(in_q, calibrated) is not None
        for out_q in [calibrated, QParams((0.02,), (-100,)), QParams((in_q.scale[0],), (3,))]:
            a = A.HardSwishAttrs.prepare(in_q, out_q)
            if a is None:                       # TFLite needs s_out > s_in / 128
                assert in_q.scale[0] / out_q.scale[0] >= 64
                continue
            np.testing.assert_array_equal(kernel("hard_swish", ALL, _hs_fields(a)), A.hard_swish_ref(a, ALL),
                                          err_msg=f"{in_q} {out_q}")


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.0, 3.0, -0.5, 0.0])
def test_leaky_relu_s8_matches_integer_ref_on_every_input(kernel, alpha):
    for in_q in GRID:
        for out_q in [_out_qparams(lambda x: np.where(x >= 0, x, alpha * x), in_q), QParams((0.01,), (20,))]:
            a = A.LeakyReluAttrs.prepare(in_q, out_q, alpha)
            if a is None:
                continue
            np.testing.assert_array_equal(kernel("leaky_relu", ALL, _lr_fields(a)), A.leaky_relu_ref(a, ALL),
                                          err_msg=f"{in_q} {out_q}")


@pytest.mark.parametrize("depth", [1, 2, 5, 10, 64, 1000, 4095])
def test_softmax_and_log_softmax_s8_match_integer_ref_on_random_rows(kernel, depth):
    rng = np.random.default_rng(depth)
    for scale in [1e-3, 0.02, 0.1, 0.5, 4.0, 40.0]:
        a = A.SoftmaxS8Attrs.prepare(QParams((scale,), (0,)))
        x = rng.integers(-128, 128, (3, depth)).astype(np.int8)
        x[1, : depth // 2] = 127                     # ties at the max
        fields = [3, depth, a.input_multiplier, a.input_left_shift, a.diff_min]
        np.testing.assert_array_equal(kernel("softmax", x, fields), A.softmax_s8_ref(a, x), err_msg=str(scale))
        la = A.LogSoftmaxS8Attrs.prepare(QParams((scale,), (0,)))
        fields = [3, depth, la.input_multiplier, la.input_left_shift, la.reverse_scaling_divisor,
                  la.reverse_scaling_shift, la.diff_min]
        np.testing.assert_array_equal(kernel("log_softmax", x, fields), A.log_softmax_s8_ref(la, x), err_msg=str(scale))


# -- close to float -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn", [("logistic", lambda x: 1 / (1 + np.exp(-x))), ("tanh", np.tanh)])
def test_logistic_tanh_s8_within_one_lsb_of_float(name, fn):
    out_q = A.LOGISTIC_QPARAMS if name == "logistic" else A.TANH_QPARAMS
    ref = A.logistic_ref if name == "logistic" else A.tanh_ref
    for in_q in [q for q in GRID if q.scale[0] < 8]:   # from 8 on TFLM saturates every input, even 0
        got = _deq(ref(A.LogisticTanhAttrs.prepare(in_q), ALL), out_q)
        assert np.max(np.abs(got - fn(_deq(ALL, in_q)))) <= out_q.scale[0] * 1.01, str(in_q)


def test_hard_swish_and_leaky_relu_s8_within_two_lsb_of_float():
    for in_q in GRID:
        out_q = A.hard_swish_out_qparams(in_q, _out_qparams(_hard_swish, in_q))
        got = _deq(A.hard_swish_ref(A.HardSwishAttrs.prepare(in_q, out_q), ALL), out_q)
        assert np.max(np.abs(got - _hard_swish(_deq(ALL, in_q)))) <= 2 * out_q.scale[0], str(in_q)
        leaky = lambda x: np.where(x >= 0, x, 0.1 * x)   # noqa: E731
        out_q = _out_qparams(leaky, in_q)
        got = _deq(A.leaky_relu_ref(A.LeakyReluAttrs.prepare(in_q, out_q, 0.1), ALL), out_q)
        assert np.max(np.abs(got - leaky(_deq(ALL, in_q)))) <= 1.01 * out_q.scale[0], str(in_q)


def test_softmax_s8_within_one_lsb_of_float():
    rng = np.random.default_rng(7)
    for scale in [0.01, 0.05, 0.2]:
        x = rng.integers(-128, 128, (20, 12)).astype(np.int8)
        got = _deq(A.softmax_s8_ref(A.SoftmaxS8Attrs.prepare(QParams((scale,), (0,))), x), A.SOFTMAX_QPARAMS)
        xi = x.astype(np.float64)
        e = np.exp(scale * (xi - xi.max(axis=1, keepdims=True)))
        assert np.max(np.abs(got - e / e.sum(axis=1, keepdims=True))) <= 1.01 / 256


def test_log_softmax_s8_within_one_lsb_of_float():
    rng = np.random.default_rng(8)
    for scale in [0.01, 0.05, 0.2]:
        x = rng.integers(-128, 128, (20, 12)).astype(np.int8)
        got = _deq(A.log_softmax_s8_ref(A.LogSoftmaxS8Attrs.prepare(QParams((scale,), (0,))), x),
                   A.LOG_SOFTMAX_QPARAMS)
        xi = scale * x.astype(np.float64)
        want = xi - xi.max(axis=1, keepdims=True)
        want = want - np.log(np.exp(want).sum(axis=1, keepdims=True))
        representable = want >= _range(A.LOG_SOFTMAX_QPARAMS)[0]
        assert np.max(np.abs(got - want)[representable]) <= 1.01 * 16 / 256
        assert np.all(got[~representable] == _range(A.LOG_SOFTMAX_QPARAMS)[0])


# -- golden cases of the arithmetic ----------------------------------------------------------------
def test_logistic_tanh_prepare_matches_tflm_formula():
    a = A.LogisticTanhAttrs.prepare(QParams((1 / 256,), (3,)))
    assert a == A.LogisticTanhAttrs(3, 1920, 1 << 30, 20)     # 2^-8 * 2^27 = 0.5 * 2^20; 15 * 2^27 / 2^20
    huge = A.LogisticTanhAttrs.prepare(QParams((20.0,), (0,)))
    assert huge.input_range_radius == 0                        # every input saturates
    assert list(A.logistic_ref(huge, np.array([-1, 0, 1], np.int8))) == [-128, -128, 127]


def test_logistic_tanh_s8_centre_and_saturation():
    a = A.LogisticTanhAttrs.prepare(QParams((0.1,), (-7,)))
    x = np.array([-7, -128, 127], np.int8)
    assert list(A.logistic_ref(a, x)) == [0, -128, 127]          # 0.5 exactly; 0; ~1
    assert list(A.tanh_ref(a, x)) == [0, -128, 127]


def test_softmax_s8_golden_rows():
    a = A.SoftmaxS8Attrs.prepare(QParams((0.1,), (0,)))
    assert list(A.softmax_s8_ref(a, np.full((1, 4), 9, np.int8))[0]) == [-64] * 4     # 1/4 = 64/256
    row = np.array([[127, -128, -128]], np.int8)                                     # exp(-25.5) ~ 0
    assert list(A.softmax_s8_ref(a, row)[0]) == [127, -128, -128]
    # sums of 512 or more make TFLM abort; edgec rounds those quotients (< 1/512) to 0
    assert set(A.softmax_s8_ref(a, np.zeros((1, 600), np.int8))[0]) == {-128}


def test_softmax_s8_prepare_caps_multiplier_and_diff_min():
    a = A.SoftmaxS8Attrs.prepare(QParams((40.0,), (0,)))
    assert (a.input_multiplier, a.input_left_shift, a.diff_min) == (2 ** 31 - 1, 31, 0)
    assert A.SoftmaxS8Attrs.prepare(QParams((2.0 ** -27,), (0,))) is None


def test_leaky_relu_s8_negative_alpha_flips_sign():
    q = QParams((0.1,), (0,))
    a = A.LeakyReluAttrs.prepare(q, q, -0.5)
    x = np.array([-10, -3, -1, 0, 5], np.int8)
    # TFLM scales by |alpha| (ties round up: -1.5 -> -1, -0.5 -> 0) and then negates
    assert list(A.leaky_relu_ref(a, x)) == [5, 1, 0, 0, 5]
    assert list(A.leaky_relu_ref(A.LeakyReluAttrs.prepare(q, q, 0.5), x)) == [-5, -1, 0, 0, 5]


# -- whole models: C == simulator, SQNR ------------------------------------------------------------------
def _single(op: str, shape, **attrs):
    return onnx_model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": shape}, {})


@pytest.mark.parametrize("op,attrs,shape,sqnr", [
    ("Sigmoid", {}, (2, 8, 8, 3), 35), ("Tanh", {}, (2, 8, 8, 3), 30), ("HardSwish", {}, (1, 40), 30),
    ("LeakyRelu", {"alpha": 0.1}, (3, 17), 35), ("Softmax", {"axis": -1}, (4, 10), 25),
    ("Softmax", {"axis": 1}, (2, 30, 1), 20), ("LogSoftmax", {"axis": -1}, (4, 10), 30)])
def test_activation_s8_compiles_bit_exact_with_simulator(op, attrs, shape, sqnr):
    art, _, _ = check_int8(_single(op, shape, **attrs), feeds({"x": shape}, 4, seed=1), min_sqnr_db=sqnr)
    want = {"Sigmoid": "logistic_s8", "Tanh": "tanh_s8", "HardSwish": "hard_swish_s8",
            "LeakyRelu": "leaky_relu_s8", "Softmax": "softmax_s8", "LogSoftmax": "log_softmax_s8"}[op]
    assert [n.op for n in art.graph.nodes] == [want]


def test_softmax_s8_on_inner_axis_is_declined():
    model = _single("Softmax", (2, 5, 3), axis=1)
    with pytest.raises(UnsupportedOpError):
        check_int8(model, feeds({"x": (2, 5, 3)}, 2, seed=2))
    art, _, _ = check_int8(model, feeds({"x": (2, 5, 3)}, 2, seed=2), float_ops=True)
    assert any(s.startswith("softmax") for s in art.float_islands)


def test_activation_s8_chain_runs_in_place_bit_exact_without_float(tmp_path):
    """Chained activations reuse buffers in place; the C still equals the simulator and has no
    floating point (gcc -mgeneral-regs-only)."""
    nodes = [helper.make_node("Tanh", ["x"], ["a"]), helper.make_node("HardSwish", ["a"], ["b"]),
             helper.make_node("LeakyRelu", ["b"], ["c"], alpha=-0.3),
             helper.make_node("Softmax", ["c"], ["d"], axis=-1), helper.make_node("Sigmoid", ["d"], ["e"]),
             helper.make_node("LogSoftmax", ["e"], ["y"], axis=-1)]
    art, _, _ = check_int8(onnx_model(nodes, {"x": (3, 6, 20)}, {}), feeds({"x": (3, 6, 20)}, 3, seed=4))
    assert [n.op for n in art.graph.nodes] == ["tanh_s8", "hard_swish_s8", "leaky_relu_s8", "softmax_s8",
                                               "logistic_s8", "log_softmax_s8"]
    _compile_integer_only(art.c.files, tmp_path)


def test_logistic_s8_node_emits_and_matches_ref():
    a = A.LogisticTanhAttrs.prepare(QParams((0.05,), (10,)))
    ref, got = run_node("logistic_s8", [int8_value("x", (256,), 0.05, 10)], a, {"x": ALL})
    np.testing.assert_array_equal(ref, got)


# -- TensorFlow Lite Micro itself ------------------------------------------------------------------------
def _tflm_model(op: str, shape, in_q: QParams, out_q: QParams, alpha: float = 0.0) -> bytes:
    """A one-operator int8 .tflite flatbuffer."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    def tensor(name, q, buf):
        t, qp = fb.TensorT(), fb.QuantizationParametersT()
        t.name, t.shape, t.type, t.buffer = name, list(shape), fb.TensorType.INT8, buf
        qp.scale, qp.zeroPoint = [float(q.scale[0])], [int(q.zero_point[0])]
        t.quantization = qp
        return t
    code = getattr(fb.BuiltinOperator, op)
    oc, o, sg, m = fb.OperatorCodeT(), fb.OperatorT(), fb.SubGraphT(), fb.ModelT()
    oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
    o.opcodeIndex, o.inputs, o.outputs = 0, [0], [1]
    if op == "SOFTMAX":
        o.builtinOptionsType, o.builtinOptions = fb.BuiltinOptions.SoftmaxOptions, fb.SoftmaxOptionsT()
        o.builtinOptions.beta = 1.0
    if op == "LEAKY_RELU":
        o.builtinOptionsType, o.builtinOptions = fb.BuiltinOptions.LeakyReluOptions, fb.LeakyReluOptionsT()
        o.builtinOptions.alpha = alpha
    if op == "LOG_SOFTMAX":
        o.builtinOptionsType, o.builtinOptions = fb.BuiltinOptions.LogSoftmaxOptions, fb.LogSoftmaxOptionsT()
    sg.tensors, sg.inputs, sg.outputs, sg.operators = [tensor("x", in_q, 1), tensor("y", out_q, 2)], [0], [1], [o]
    m.version, m.operatorCodes, m.subgraphs, m.buffers = 3, [oc], [sg], [fb.BufferT() for _ in range(3)]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _tflm(op: str, x: np.ndarray, in_q: QParams, out_q: QParams, alpha: float = 0.0) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime   # a test dependency: never skipped
    interp = runtime.Interpreter.from_bytes(_tflm_model(op, x.shape, in_q, out_q, alpha), arena_size=65536 + 4 * x.size)
    interp.set_input(x, 0)
    interp.invoke()
    return interp.get_output(0)


def test_pointwise_s8_equal_tflite_micro():
    x = ALL.reshape(1, 256)
    for in_q in GRID[::3]:
        a = A.LogisticTanhAttrs.prepare(in_q)
        np.testing.assert_array_equal(A.logistic_ref(a, x), _tflm("LOGISTIC", x, in_q, A.LOGISTIC_QPARAMS))
        np.testing.assert_array_equal(A.tanh_ref(a, x), _tflm("TANH", x, in_q, A.TANH_QPARAMS))
        out_q = A.hard_swish_out_qparams(in_q, _out_qparams(_hard_swish, in_q))
        np.testing.assert_array_equal(A.hard_swish_ref(A.HardSwishAttrs.prepare(in_q, out_q), x),
                                      _tflm("HARD_SWISH", x, in_q, out_q), err_msg=f"{in_q} {out_q}")
        for alpha, out_q in [(0.2, QParams((0.01,), (60,))), (-0.5, QParams((0.0123,), (0,))), (1.0, out_q)]:
            np.testing.assert_array_equal(A.leaky_relu_ref(A.LeakyReluAttrs.prepare(in_q, out_q, alpha), x),
                                          _tflm("LEAKY_RELU", x, in_q, out_q, alpha), err_msg=f"{in_q} {alpha}")


def test_softmax_and_log_softmax_s8_equal_tflite_micro():
    rng = np.random.default_rng(11)
    for depth, scale in [(1, 0.1), (3, 0.02), (10, 0.05), (100, 0.001), (511, 0.3), (1000, 0.5), (16, 40.0)]:
        in_q = QParams((scale,), (int(rng.integers(-128, 128)),))
        x = rng.integers(-128, 128, (3, depth)).astype(np.int8)
        if depth < 512:
            x[1] = 127                       # a full row of ties: the largest sum TFLM's softmax accepts
        np.testing.assert_array_equal(A.softmax_s8_ref(A.SoftmaxS8Attrs.prepare(in_q), x),
                                      _tflm("SOFTMAX", x, in_q, A.SOFTMAX_QPARAMS), err_msg=f"{depth} {scale}")
        x[1] = 127
        np.testing.assert_array_equal(A.log_softmax_s8_ref(A.LogSoftmaxS8Attrs.prepare(in_q), x),
                                      _tflm("LOG_SOFTMAX", x, in_q, A.LOG_SOFTMAX_QPARAMS), err_msg=f"{depth} {scale}")
