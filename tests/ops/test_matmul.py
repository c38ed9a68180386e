"""Gemm / MatMul: float refs vs onnxruntime, the IR the importers choose, weight packing."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgec.frontend.onnx_loader import import_onnx
from edgec.ops import REGISTRY
from edgec.ops.base import Activation
from edgec.ops.matmul import FC_BLOCK, GemmAttrs, MatMulAttrs, pack_fc_weights
from tests.ops.onnx_single import (assert_ref_matches_ort, check_c, check_onnx_node_case, random_feeds,
                                    single_node_model)

M, K, N = 3, 5, 4
_RNG = np.random.default_rng(7)
_C_SHAPES = [None, (), (N,), (1, N), (M, 1), (M, N), (1, 1)]


def _gemm_model(trans_a, trans_b, alpha, beta, c_shape, b_const, c_const):
    a_shape, b_shape = ((K, M) if trans_a else (M, K)), ((N, K) if trans_b else (K, N))
    ins = {"a": a_shape, "b": _RNG.standard_normal(b_shape).astype(np.float32) if b_const else b_shape}
    if c_shape is not None:
        ins["c"] = _RNG.standard_normal(c_shape).astype(np.float32) if c_const else c_shape
    return single_node_model("Gemm", ins, transA=trans_a, transB=trans_b, alpha=alpha, beta=beta)


_GEMM_GRID = [case for case in itertools.product(
    [0, 1], [0, 1], [1.0, 0.5], [1.0, 2.0, 0.0],      # transA, transB, alpha, beta
    _C_SHAPES, [(True, True), (False, True), (True, False), (False, False)])  # C, (B const, C const)
    if case[4] is not None or case[5][1]]             # without C, C's constness means nothing


@pytest.mark.parametrize("trans_a,trans_b,alpha,beta,c_shape,consts", _GEMM_GRID)
def test_gemm_ref_matches_onnxruntime(trans_a, trans_b, alpha, beta, c_shape, consts):
    assert_ref_matches_ort(_gemm_model(trans_a, trans_b, alpha, beta, c_shape, *consts))


def test_gemm_with_constant_b_imports_as_fully_connected_with_folded_alpha_beta():
    g = import_onnx(_gemm_model(0, 1, 0.5, 2.0, (N,), True, True))
    assert [n.op for n in g.nodes] == ["gemm"]
    gemm = g.nodes[0]
    assert gemm.inputs[1].shape == (N, K) and gemm.inputs[2].shape == (N,)


def test_gemm_with_full_c_adds_it_after_the_fully_connected():
    g = import_onnx(_gemm_model(0, 0, 1.0, 1.0, (M, N), True, True))
    assert [n.op for n in g.nodes] == ["gemm", "add"]


def test_gemm_with_trans_a_or_runtime_b_uses_matmul():
    assert [n.op for n in import_onnx(_gemm_model(1, 0, 1.0, 1.0, None, True, True)).nodes] == ["matmul"]
    assert [n.op for n in import_onnx(_gemm_model(0, 0, 2.0, 1.0, (N,), False, True)).nodes] == \
        ["matmul", "affine", "add"]


def test_gemm_with_constant_transposed_a_folds_the_transpose():
    ins = {"a": _RNG.standard_normal((K, M)).astype(np.float32), "b": (K, N)}
    m = single_node_model("Gemm", ins, transA=1)
    assert import_onnx(m).nodes[0].attrs == MatMulAttrs(False, False)
    assert_ref_matches_ort(m)


_MATMUL_SHAPES = [
    ((K,), (K,)), ((K,), (K, N)), ((M, K), (K,)), ((M, K), (K, N)), ((2, M, K), (K, N)),
    ((2, M, K), (2, K, N)), ((2, 1, M, K), (3, K, N)), ((M, K), (2, K, N)), ((K,), (2, K, N)),
    ((2, M, K), (K,)), ((1, 2, 1, M, K), (1, 3, K, N)),
]


@pytest.mark.parametrize("a_shape,b_shape", _MATMUL_SHAPES)
@pytest.mark.parametrize("b_const", [False, True])
def test_matmul_ref_matches_onnxruntime(a_shape, b_shape, b_const):
    b = _RNG.standard_normal(b_shape).astype(np.float32) if b_const else b_shape
    assert_ref_matches_ort(single_node_model("MatMul", {"a": a_shape, "b": b}))


@pytest.mark.parametrize("a_shape,want", [((M, K), ["gemm"]), ((2, M, K), ["reshape", "gemm", "reshape"]),
                                          ((K,), ["reshape", "gemm", "reshape"])])
def test_matmul_with_constant_2d_b_imports_as_fully_connected(a_shape, want):
    b = _RNG.standard_normal((K, N)).astype(np.float32)
    g = import_onnx(single_node_model("MatMul", {"a": a_shape, "b": b}))
    assert [n.op for n in g.nodes] == want


def test_matmul_transposes_act_on_the_last_two_dims():
    a, b = _RNG.standard_normal((2, K, M)), _RNG.standard_normal((1, N, K))
    got = REGISTRY["matmul"].ref(MatMulAttrs(True, True), [a, b])[0]
    np.testing.assert_allclose(got, np.swapaxes(a, -1, -2) @ np.swapaxes(b, -1, -2), rtol=1e-5)


def test_gemm_ref_applies_fused_activation():
    x, w, b = _RNG.standard_normal((M, K)), _RNG.standard_normal((N, K)), _RNG.standard_normal(N)
    got = REGISTRY["gemm"].ref(GemmAttrs(Activation("relu")), [x, w, b])[0]
    np.testing.assert_allclose(got, np.maximum(x @ w.T + b, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [1, FC_BLOCK, 2 * FC_BLOCK + 3])
def test_pack_fc_weights_stores_blocks_k_major_without_padding(n):
    w = _RNG.standard_normal((n, K)).astype(np.float32)
    packed = pack_fc_weights(w)
    assert packed.size == w.size
    for n0 in range(0, n, FC_BLOCK):
        width = min(FC_BLOCK, n - n0)
        block = packed[n0 * K:(n0 + width) * K].reshape(K, width)
        np.testing.assert_array_equal(block, w[n0:n0 + width].T)


# -- the compiled C vs onnxruntime ----------------------------------------------------------------
_GEMM_C_GRID = [case for case in _GEMM_GRID if case[3] != 0.0 or case[5][1]][::6]


@pytest.mark.parametrize("trans_a,trans_b,alpha,beta,c_shape,consts", _GEMM_C_GRID)
def test_gemm_c_matches_onnxruntime(trans_a, trans_b, alpha, beta, c_shape, consts):
    check_c(_gemm_model(trans_a, trans_b, alpha, beta, c_shape, *consts))


def test_gemm_c_with_beta_zero_ignores_runtime_c():
    # C is then an unused graph input of the compiled function
    check_c(_gemm_model(0, 1, 1.0, 0.0, (M, N), True, False))


@pytest.mark.parametrize("a_shape,b_shape", _MATMUL_SHAPES)
@pytest.mark.parametrize("b_const", [False, True])
def test_matmul_c_matches_onnxruntime(a_shape, b_shape, b_const):
    b = _RNG.standard_normal(b_shape).astype(np.float32) if b_const else b_shape
    check_c(single_node_model("MatMul", {"a": a_shape, "b": b}))


def _gemm_relu_model(m: int, k: int, n: int):
    w = (_RNG.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w"),
                               numpy_helper.from_array(_RNG.standard_normal(n).astype(np.float32), "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("m,k,n", [(1, 1000, 100), (5, 300, 37), (1, 25088, 64), (3, 50, 16)])
def test_fully_connected_with_fused_relu_c_matches_onnxruntime(m, k, n):
    model = _gemm_relu_model(m, k, n)
    check_c(model, random_feeds(model), rtol=1e-4, atol=1e-4)


# -- onnx's own node test cases ---------------------------------------------------------------------
_NODE_CASES = {
    "gemm": ["test_gemm_default_zero_bias", "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
             "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
             "test_gemm_default_matrix_bias", "test_gemm_transposeA", "test_gemm_transposeB", "test_gemm_alpha",
             "test_gemm_beta", "test_gemm_all_attributes"],
    "matmul": ["test_matmul_2d", "test_matmul_3d", "test_matmul_4d", "test_matmul_bcast", "test_matmul_1d_3d",
               "test_matmul_4d_1d", "test_matmul_1d_1d"],
}


@pytest.mark.parametrize("module,name", [(m, n) for m, names in _NODE_CASES.items() for n in names])
def test_onnx_node_case_c_matches_expected_output(module, name):
    check_onnx_node_case(module, name)
