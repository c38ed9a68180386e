"""int8 matrix products (fully_connected_s8, batch_matmul_s8): the C kernels equal the integer
reference bit for bit, the reference equals TFLite Micro's loops, int8 stays close to float, and
a hand-computed case pins the arithmetic."""
import itertools

import numpy as np
import pytest
from onnx import helper

from edgec.ops.matmul_s8 import BatchMatMulS8Attrs, FullyConnectedS8Attrs
from edgec.quant import fixedpoint as fp
from edgec.testing import check_int8
from tests.quant.s8_node import const, feeds, int8_value, onnx_model, run_node


def _ops(art):
    return [n.op for n in art.graph.nodes]


def _gemm_model(m, k, n, bias=True, trans_b=True, after=None, seed=0, **attrs):
    rng = np.random.default_rng(seed)
    inits = {"w": (rng.standard_normal((n, k) if trans_b else (k, n)) / np.sqrt(k)).astype(np.float32)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rng.standard_normal(n).astype(np.float32)
        ins.append("b")
    nodes = [helper.make_node("Gemm", ins, ["g" if after else "y"], transB=int(trans_b), **attrs)]
    if after:
        nodes.append(helper.make_node(after, ["g"], ["y"]))
    return onnx_model(nodes, {"x": (m, k)}, inits)


# (M, K, N): single row, 4-row tiles plus a remainder, K over one 512 chunk, N over one 64 block
GEMMS = [(1, 16, 10), (3, 7, 5), (6, 600, 70), (1, 2000, 3), (5, 33, 131)]


@pytest.mark.parametrize("m,k,n", GEMMS, ids=[f"{m}x{k}x{n}" for m, k, n in GEMMS])
def test_gemm_c_matches_integer_ref_and_float(m, k, n):
    calib = feeds({"x": (m, k)}, 4, 1)
    art, _, _ = check_int8(_gemm_model(m, k, n), calib, calib[:2], min_sqnr_db=30)
    assert _ops(art) == ["fully_connected_s8"]


def test_gemm_without_bias_untransposed_weight_with_alpha():
    calib = feeds({"x": (2, 12)}, 4, 1)
    check_int8(_gemm_model(2, 12, 9, bias=False, trans_b=False, alpha=0.5), calib, calib[:2], min_sqnr_db=30)


def test_gemm_with_k_4096():
    calib = feeds({"x": (1, 4096)}, 3, 1)
    check_int8(_gemm_model(1, 4096, 20), calib, min_sqnr_db=30)


@pytest.mark.parametrize("act", ["Relu", "Clip"])
def test_gemm_with_fused_clamp(act):
    model = _gemm_model(2, 20, 8, after=act)
    if act == "Clip":   # Clip(-0.5, 0.5) through attributes-as-inputs
        model = onnx_model([model.graph.node[0], helper.make_node("Clip", ["g", "lo", "hi"], ["y"])], {"x": (2, 20)},
                           {"w": _init(model, "w"), "b": _init(model, "b"), "lo": np.array(-0.5, np.float32),
                            "hi": np.array(0.5, np.float32)})
    calib = feeds({"x": (2, 20)}, 4, 1)
    art, got, _ = check_int8(model, calib, min_sqnr_db=30)
    assert _ops(art) == ["fully_connected_s8"]
    fc = art.graph.nodes[0].attrs
    lo, hi = (0.0, np.inf) if act == "Relu" else (-0.5, 0.5)
    assert all(np.min(o["y"]) >= lo - fc.out_scale and np.max(o["y"]) <= hi + fc.out_scale for o in got)


def _init(model, name):
    from onnx import numpy_helper
    return next(numpy_helper.to_array(t) for t in model.graph.initializer if t.name == name)


@pytest.mark.parametrize("w_shape", [(24, 7), (1, 24, 7)], ids=["matrix", "batch_of_one"])
def test_matmul_with_constant_matrix_is_fully_connected_over_rows(w_shape):
    rng = np.random.default_rng(3)
    model = onnx_model([helper.make_node("MatMul", ["x", "w"], ["y"])], {"x": (2, 3, 24)},
                       {"w": (rng.standard_normal(w_shape) / 5).astype(np.float32)})
    calib = feeds({"x": (2, 3, 24)}, 4, 1)
    art, _, _ = check_int8(model, calib, min_sqnr_db=30)
    assert "fully_connected_s8" in _ops(art)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4, 5), (3, 5, 6)), ((2, 1, 4, 8), (3, 8, 5)), ((6, 9), (9,)),
                                             ((9,), (2, 9, 4))])
def test_matmul_of_two_activations(a_shape, b_shape):
    model = onnx_model([helper.make_node("MatMul", ["a", "b"], ["y"])], {"a": a_shape, "b": b_shape}, {})
    calib = feeds({"a": a_shape, "b": b_shape}, 4, 1)
    art, _, _ = check_int8(model, calib, min_sqnr_db=30)
    assert _ops(art) == ["batch_matmul_s8"]


def test_gemm_of_two_activations_with_transposed_b():
    model = onnx_model([helper.make_node("Gemm", ["a", "b"], ["y"], transB=1)], {"a": (5, 16), "b": (7, 16)}, {})
    calib = feeds({"a": (5, 16), "b": (7, 16)}, 4, 1)
    art, _, _ = check_int8(model, calib, min_sqnr_db=30)
    assert _ops(art) == ["batch_matmul_s8"] and art.graph.nodes[0].attrs.trans_b


def test_matmul_with_batched_constant_is_batch_matmul():
    rng = np.random.default_rng(4)
    model = onnx_model([helper.make_node("MatMul", ["x", "w"], ["y"])], {"x": (2, 3, 10)},
                       {"w": rng.standard_normal((2, 10, 4)).astype(np.float32)})
    calib = feeds({"x": (2, 3, 10)}, 4, 1)
    art, _, _ = check_int8(model, calib, min_sqnr_db=30)
    assert _ops(art) == ["batch_matmul_s8"]


# -- integer reference == TFLM loops; golden ----------------------------------------------------
def _tflm_fc(x, w, bias, a: FullyConnectedS8Attrs):
    """A literal transcription of TFLM's FullyConnectedPerChannel."""
    y = np.zeros((x.shape[0], w.shape[0]), np.int64)
    for b, o in itertools.product(range(x.shape[0]), range(w.shape[0])):
        acc = sum(int(w[o, d]) * (int(x[b, d]) + a.input_offset) for d in range(x.shape[1])) + int(bias[o])
        v = int(fp.multiply_by_quantized_multiplier(acc, a.multipliers[o], a.shifts[o]))
        y[b, o] = min(max(v + a.output_offset, a.act_min), a.act_max)
    return y


@pytest.mark.parametrize("m,k,n,off", [(1, 40, 9, 128), (5, 530, 6, -127), (4, 3, 70, 0)])
def test_fc_integer_ref_and_c_equal_tflm_loops(m, k, n, off):
    rng = np.random.default_rng(m * k * n)
    x = rng.integers(-128, 128, (m, k)).astype(np.int8)
    w = rng.integers(-127, 128, (n, k)).astype(np.int8)
    bias = rng.integers(-5000, 5000, n).astype(np.int32)
    a = FullyConnectedS8Attrs(off, int(rng.integers(-9, 9)), tuple(int(v) for v in rng.integers(1 << 30, 1 << 31, n)),
                              tuple(int(v) for v in rng.integers(-14, 1, n)), 0.1, -120, 125)
    ref, got = run_node("fully_connected_s8", [int8_value("x", (m, k)), const("w", w), const("b", bias)], a, {"x": x})
    want = _tflm_fc(x, w, bias, a)
    np.testing.assert_array_equal(ref, want)
    np.testing.assert_array_equal(got, want)


def test_batch_matmul_integer_ref_and_c_equal_tflm_loops():
    rng = np.random.default_rng(7)
    a_arr = rng.integers(-128, 128, (2, 3, 5)).astype(np.int8)
    b_arr = rng.integers(-128, 128, (2, 5, 4)).astype(np.int8)
    attrs = BatchMatMulS8Attrs(False, False, 128, -3, 5, 1518500250, -9, 0.1)
    ref, got = run_node("batch_matmul_s8", [int8_value("a", a_arr.shape), int8_value("b", b_arr.shape)], attrs,
                        {"a": a_arr, "b": b_arr})
    acc = np.einsum("bik,bkj->bij", a_arr.astype(np.int64) + 128, b_arr.astype(np.int64) - 3)
    want = np.clip(fp.multiply_by_quantized_multiplier(acc, 1518500250, -9) + 5, -128, 127)
    np.testing.assert_array_equal(ref, want)
    np.testing.assert_array_equal(got, want)


def test_fc_without_bias_reads_null_as_zeros():
    rng = np.random.default_rng(9)
    x = rng.integers(-128, 128, (2, 20)).astype(np.int8)
    a = FullyConnectedS8Attrs(3, 0, (1 << 30,) * 5, (-6,) * 5, 0.1)
    w = const("w", rng.integers(-127, 128, (5, 20)).astype(np.int8))
    ref, got = run_node("fully_connected_s8", [int8_value("x", (2, 20)), w, None], a, {"x": x})
    np.testing.assert_array_equal(got, ref)


def test_golden_fully_connected_arithmetic():
    """Hand-computed: x = [3, -1] with zero point 1 (offset -1), W = [[2, 5], [-4, 1]], bias [1, 0],
    output zero point -2, scales 0.5 (m = 2^30, shift 0) and 2.0 (m = 2^30, shift 2).
      y0: 2*2 + 5*(-2) + 1 = -5  -> -2.5 -> -2 (SRDHM tie rounds up) -> -4
      y1: -4*2 + 1*(-2) + 0 = -10 -> -20 -> -22"""
    a = FullyConnectedS8Attrs(-1, -2, (1 << 30, 1 << 30), (0, 2), 0.1)
    w = np.array([[2, 5], [-4, 1]], np.int8)
    ref, got = run_node("fully_connected_s8", [int8_value("x", (1, 2)), const("w", w),
                                               const("b", np.array([1, 0], np.int32))], a,
                        {"x": np.array([[3, -1]], np.int8)})
    np.testing.assert_array_equal(ref, [[-4, -22]])
    np.testing.assert_array_equal(got, [[-4, -22]])
