"""Pool and LRN ops: float refs vs onnxruntime, NHWC refs vs NCHW refs, importer errors."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from edgec.errors import EdgecError, ShapeError, UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import TensorType
from edgec.ops import REGISTRY
from edgec.ops.pool import LrnAttrs, PoolAttrs, pool_out_dim
from tests.ops.onnx_single import (assert_ref_matches_ort, check_c, check_onnx_node_case, run_edgec_ref,
                                    single_node_model)

_POOL_GRID = list(itertools.product(
    [(2, 2), (3, 3), (3, 2)],                  # kernel
    [(1, 1), (2, 2), (3, 2)],                  # strides
    [(0, 0, 0, 0), (1, 1, 1, 1), (1, 0, 0, 1)],  # pads
    [0, 1],                                    # ceil_mode
))


@pytest.mark.parametrize("kernel,strides,pads,ceil_mode", _POOL_GRID)
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_avg_pool_ref_matches_onnxruntime(kernel, strides, pads, ceil_mode, count_include_pad):
    m = single_node_model("AveragePool", {"x": (2, 3, 7, 8)}, kernel_shape=kernel, strides=strides,
                          pads=pads, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("kernel,strides,pads,ceil_mode", _POOL_GRID)
@pytest.mark.parametrize("dilations", [(1, 1), (2, 2), (1, 3)])
def test_max_pool_ref_matches_onnxruntime(kernel, strides, pads, ceil_mode, dilations):
    m = single_node_model("MaxPool", {"x": (2, 3, 9, 10)}, kernel_shape=kernel, strides=strides,
                          pads=pads, ceil_mode=ceil_mode, dilations=dilations)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("dilations,count_include_pad,ceil_mode", [
    ((2, 2), 0, 0), ((2, 2), 1, 0), ((2, 1), 1, 1), ((3, 2), 0, 1)])
def test_avg_pool_with_dilations_matches_onnxruntime(dilations, count_include_pad, ceil_mode):
    m = single_node_model("AveragePool", {"x": (1, 2, 9, 11)}, kernel_shape=(2, 3), strides=(2, 2),
                          pads=(1, 1, 1, 1), dilations=dilations, count_include_pad=count_include_pad,
                          ceil_mode=ceil_mode)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("strides", [(1, 1), (2, 2), (3, 2)])
def test_pool_auto_pad_matches_onnxruntime(op, auto_pad, strides):
    m = single_node_model(op, {"x": (1, 2, 8, 7)}, kernel_shape=(3, 2), strides=strides, auto_pad=auto_pad)
    assert_ref_matches_ort(m)


def test_max_pool_large_dilated_input_matches_onnxruntime():
    m = single_node_model("MaxPool", {"x": (1, 1, 1000, 1000)}, kernel_shape=(3, 3), strides=(2, 2),
                          dilations=(2, 2), pads=(1, 1, 1, 1), ceil_mode=1)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("op,extra", [("MaxPool", {}), ("MaxPool", {"dilations": [3]}),
                                      ("AveragePool", {"count_include_pad": 1})])
def test_pool_1d_matches_onnxruntime(op, extra):
    m = single_node_model(op, {"x": (1, 1, 220000)}, kernel_shape=[5], strides=[2], pads=[2, 1],
                          ceil_mode=1, **extra)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 4, 9), (1, 2, 3, 4, 5)])
def test_global_pool_matches_onnxruntime(op, shape):
    assert_ref_matches_ort(single_node_model(op, {"x": shape}))


def test_max_pool_indices_output_is_unsupported():
    m = single_node_model("MaxPool", {"x": (1, 1, 4, 4)}, n_outputs=2, kernel_shape=(2, 2))
    with pytest.raises(UnsupportedOpError, match="Indices"):
        import_onnx(m)


def test_pool_3d_is_unsupported():
    m = single_node_model("MaxPool", {"x": (1, 1, 4, 4, 4)}, kernel_shape=(2, 2, 2))
    with pytest.raises(UnsupportedOpError, match="3-D"):
        import_onnx(m)


def test_ceil_mode_drops_window_starting_in_trailing_pad():
    # in=5, k=2, s=2, pads 0/1: ceil((5+1-2)/2)+1 = 3 windows start at 0, 2, 4; all start inside.
    assert pool_out_dim(5, 2, 2, 1, 0, 1, True) == 3
    # in=4, k=1, s=2, pads 0/1: ceil(4/2)+1 = 3 would start the last window at 4 (in the pad).
    assert pool_out_dim(4, 1, 2, 1, 0, 1, True) == 2
    with pytest.raises(ShapeError):
        pool_out_dim(2, 3, 1, 1, 0, 0, False)


def _nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("op", ["max_pool", "avg_pool"])
@pytest.mark.parametrize("attrs", [
    PoolAttrs((3, 3), (2, 2), (1, 1, 1, 1), ceil_mode=True),
    PoolAttrs((2, 3), (1, 2), (0, 1, 1, 0), (2, 1), count_include_pad=True),
    PoolAttrs((5, 6)),
])
def test_pool_channels_last_ref_equals_nchw_ref(op, attrs):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)
    opdef, nhwc_attrs = REGISTRY[op], dataclasses.replace(attrs, channels_last=True)
    want = opdef.ref(attrs, [x])[0]
    got = opdef.ref(nhwc_attrs, [_nhwc(x)])[0]
    np.testing.assert_array_equal(got, _nhwc(want))
    assert opdef.infer(nhwc_attrs, [TensorType(_nhwc(x).shape)])[0].shape == got.shape


@pytest.mark.parametrize("size,alpha,beta,bias", [(5, 1e-4, 0.75, 1.0), (3, 0.5, 0.5, 2.0),
                                                  (1, 1.0, 0.3, 0.5), (9, 2e-3, 1.0, 1.0)])
def test_lrn_ref_matches_onnxruntime(size, alpha, beta, bias):
    m = single_node_model("LRN", {"x": (2, 7, 3, 4)}, size=size, alpha=alpha, beta=beta, bias=bias)
    assert_ref_matches_ort(m)


def _lrn_by_the_spec(x: np.ndarray, size: int, alpha: float, beta: float, bias: float) -> np.ndarray:
    """ONNX LRN written as the spec reads, one channel at a time (any rank >= 2)."""
    y = np.empty_like(x, dtype=np.float64)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - (size - 1) // 2), min(c, ch + int(np.ceil((size - 1) / 2)) + 1)
        sq = (x[:, lo:hi].astype(np.float64) ** 2).sum(axis=1)
        y[:, ch] = x[:, ch] / (bias + alpha / size * sq) ** beta
    return y


@pytest.mark.parametrize("size", [2, 4, 5])
@pytest.mark.parametrize("shape", [(2, 7, 3, 4), (1, 6, 5), (1, 5), (1, 4, 2, 3, 2)])
def test_lrn_even_size_and_other_ranks_follow_the_spec(size, shape):
    # onnxruntime only accepts odd sizes and rank 4, so these check against the spec's formula
    m = single_node_model("LRN", {"x": shape}, size=size, alpha=0.3, beta=0.75, bias=1.0)
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    got = run_edgec_ref(m, {"x": x})[0]
    np.testing.assert_allclose(got, _lrn_by_the_spec(x, size, 0.3, 0.75, 1.0), rtol=1e-5, atol=1e-6)


def test_lrn_channels_last_ref_equals_nchw_ref():
    x = np.random.default_rng(2).standard_normal((2, 7, 3, 4)).astype(np.float32)
    attrs = LrnAttrs(4, 0.1, 0.75, 1.5)
    want = REGISTRY["lrn"].ref(attrs, [x])[0]
    got = REGISTRY["lrn"].ref(dataclasses.replace(attrs, channels_last=True), [_nhwc(x)])[0]
    np.testing.assert_allclose(got, _nhwc(want), rtol=1e-6)


# -- the compiled C (NHWC kernels after the layout pass) vs onnxruntime ----------------------------
@pytest.mark.parametrize("kernel,strides,pads,ceil_mode", _POOL_GRID[::5])
@pytest.mark.parametrize("op,extra", [("MaxPool", {"dilations": (1, 2)}), ("AveragePool", {"count_include_pad": 0}),
                                      ("AveragePool", {"count_include_pad": 1})])
def test_pool_c_matches_onnxruntime(kernel, strides, pads, ceil_mode, op, extra):
    m = single_node_model(op, {"x": (2, 5, 9, 10)}, kernel_shape=kernel, strides=strides, pads=pads,
                          ceil_mode=ceil_mode, **extra)
    check_c(m)


@pytest.mark.parametrize("op,shape,attrs", [
    ("MaxPool", (1, 1, 1000, 1000), dict(kernel_shape=(3, 3), strides=(2, 2), dilations=(2, 2), pads=(1, 1, 1, 1))),
    ("MaxPool", (1, 1, 220000), dict(kernel_shape=[4], strides=[3], dilations=[2], ceil_mode=1)),
    ("AveragePool", (1, 2, 220000), dict(kernel_shape=[5], strides=[2], pads=[2, 2], count_include_pad=1)),
    ("AveragePool", (1, 64, 56, 56), dict(kernel_shape=(3, 3), strides=(2, 2), auto_pad="SAME_UPPER")),
    ("MaxPool", (1, 3, 11, 13), dict(kernel_shape=(2, 3), strides=(1, 2), auto_pad="SAME_LOWER")),
    ("GlobalAveragePool", (1, 2048, 7, 7), {}),
    ("GlobalMaxPool", (2, 3, 5, 6), {}),
    ("GlobalAveragePool", (1, 4, 220000), {}),
])
def test_pool_c_on_large_1d_and_global_inputs_matches_onnxruntime(op, shape, attrs):
    check_c(single_node_model(op, {"x": shape}, **attrs))


@pytest.mark.parametrize("size,shape", [(5, (1, 96, 27, 27)), (3, (2, 7, 3, 4)), (1, (1, 4, 2, 2))])
def test_lrn_c_matches_onnxruntime(size, shape):
    check_c(single_node_model("LRN", {"x": shape}, size=size, alpha=1e-2, beta=0.75, bias=2.0))


# -- onnx's own node test cases ---------------------------------------------------------------------
_NODE_CASES = {
    "averagepool": [
        "test_averagepool_2d_precomputed_pads", "test_averagepool_2d_precomputed_pads_count_include_pad",
        "test_averagepool_2d_precomputed_strides", "test_averagepool_2d_precomputed_same_upper",
        "test_averagepool_1d_default", "test_averagepool_2d_default", "test_averagepool_2d_same_upper",
        "test_averagepool_2d_same_lower", "test_averagepool_2d_pads", "test_averagepool_2d_pads_count_include_pad",
        "test_averagepool_2d_strides", "test_averagepool_2d_ceil", "test_averagepool_2d_ceil_last_window_starts_on_pad",
        "test_averagepool_2d_dilations"],
    "maxpool": [
        "test_maxpool_2d_precomputed_pads", "test_maxpool_2d_precomputed_strides",
        "test_maxpool_2d_precomputed_same_upper", "test_maxpool_1d_default", "test_maxpool_2d_default",
        "test_maxpool_2d_same_upper", "test_maxpool_2d_same_lower", "test_maxpool_2d_pads", "test_maxpool_2d_strides",
        "test_maxpool_2d_ceil", "test_maxpool_2d_ceil_output_size_reduce_by_one", "test_maxpool_2d_dilations"],
    "globalaveragepool": ["test_globalaveragepool", "test_globalaveragepool_precomputed"],
    "globalmaxpool": ["test_globalmaxpool", "test_globalmaxpool_precomputed"],
    "lrn": ["test_lrn", "test_lrn_default"],
}
_NODE_ERRORS = {  # case -> (module, words the error must contain)
    "test_averagepool_3d_default": ("averagepool", "3-D"),
    "test_averagepool_3d_dilations_small": ("averagepool", "3-D"),
    "test_maxpool_3d_default": ("maxpool", "3-D"),
    "test_maxpool_3d_dilations": ("maxpool", "3-D"),
    "test_maxpool_with_argmax_2d_precomputed_pads": ("maxpool", "Indices"),
    "test_maxpool_2d_uint8": ("maxpool", "float32 only"),
}


_NODE_ATOL = {"test_averagepool_2d_ceil_last_window_starts_on_pad": 1e-4}  # expected values rounded to 4 places


@pytest.mark.parametrize("module,name", [(m, n) for m, names in _NODE_CASES.items() for n in names])
def test_onnx_node_case_c_matches_expected_output(module, name):
    check_onnx_node_case(module, name, atol=_NODE_ATOL.get(name, 1e-5))


@pytest.mark.parametrize("name", sorted(_NODE_ERRORS))
def test_onnx_node_case_refused_with_clear_error(name):
    module, words = _NODE_ERRORS[name]
    with pytest.raises(EdgecError, match=words):
        check_onnx_node_case(module, name)
