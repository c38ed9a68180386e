"""Reductions, softmax and normalisations: float refs vs onnxruntime, loop plans, permute rules,
importer errors, and (when the C back end is present) the compiled C vs onnxruntime."""
from __future__ import annotations

import itertools

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgec.errors import UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import TensorType
from edgec.ops import REGISTRY
from edgec.ops.reduce import ReduceAttrs, SoftmaxAttrs, reduce_plan
from tests.ops.onnx_single import (assert_ref_matches_ort, check_c, node_cases, random_feeds, run_edgec_ref,
                                   single_node_model, with_constant_inputs)

_REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"]
_AXES_CASES = [  # (shape, axes); None: the attribute/input is absent (reduce everything)
    ((7,), [0]), ((3, 5), [1]), ((3, 5), [0]), ((3, 5), None), ((2, 3, 4), [-1]), ((2, 3, 4), [0, 2]),
    ((2, 3, 4, 5), [2, 3]), ((2, 3, 4, 5), [1]), ((2, 3, 4, 5), [-3, -1]), ((2, 3, 4, 5), [0, 1, 2, 3]),
    ((2, 1, 4, 5), [1]), ((2, 3, 1, 4, 3), [0, 2, 4]), ((1, 3, 4, 5), [0, 3]),
]


def _reduce_model(op: str, shape, axes, keepdims: int, opset: int, **attrs) -> onnx.ModelProto:
    """Axes as an input from opset 18 (ReduceSum: 13), as an attribute before."""
    inputs: dict = {"x": shape}
    since = 13 if op == "ReduceSum" else 18
    if axes is not None and opset >= since:
        inputs["axes"] = np.array(axes, np.int64)
    elif axes is not None:
        attrs["axes"] = axes
    return single_node_model(op, inputs, opset=opset, keepdims=keepdims, **attrs)


def _feeds(model: onnx.ModelProto, positive: bool = False, seed: int = 0) -> dict[str, np.ndarray]:
    feeds = random_feeds(model, seed)
    if positive:
        feeds = {k: np.abs(v) + 0.5 for k, v in feeds.items()}
    return feeds


@pytest.mark.parametrize("op", _REDUCE_OPS)
@pytest.mark.parametrize("shape,axes", _AXES_CASES)
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("opset", [13, 18])
def test_reduce_ref_matches_onnxruntime(op, shape, axes, keepdims, opset):
    m = _reduce_model(op, shape, axes, keepdims, opset)
    assert_ref_matches_ort(m, _feeds(m), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", _REDUCE_OPS)
def test_reduce_noop_with_empty_axes_is_identity(op):
    m = single_node_model(op, {"x": (2, 3, 4)}, opset=18, noop_with_empty_axes=1)
    x = random_feeds(m)["x"]
    np.testing.assert_array_equal(run_edgec_ref(m, {"x": x})[0], x)
    assert [n.op for n in import_onnx(m).nodes] == ["identity"]


def test_reduce_empty_axes_input_reduces_all():
    m = single_node_model("ReduceMean", {"x": (2, 3, 4), "axes": np.zeros(0, np.int64)}, opset=18, keepdims=0)
    assert_ref_matches_ort(m)


@pytest.mark.parametrize("op", ["ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"])
@pytest.mark.parametrize("shape,axes", [((2, 3, 4), [1]), ((2, 3, 4, 5), [2, 3]), ((3, 5), None)])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_composite_reductions_match_onnxruntime(op, shape, axes, keepdims):
    m = _reduce_model(op, shape, axes, keepdims, 18)
    assert_ref_matches_ort(m, _feeds(m, positive=op == "ReduceLogSum"), rtol=1e-5, atol=1e-5)


def test_reduce_log_sum_exp_does_not_overflow():
    m = _reduce_model("ReduceLogSumExp", (2, 6), [1], 1, 18)
    assert_ref_matches_ort(m, {"x": np.array([[100.0, 101, 99, 98, 0, -3], [-200, -201, -199, 0, 5, 300]], np.float32)})


def test_reduce_with_runtime_axes_is_unsupported():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    a = helper.make_tensor_value_info("a", TensorProto.INT64, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("ReduceSum", ["x", "a"], ["y"])], "g", [x, a], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    with pytest.raises(UnsupportedOpError, match="constant"):
        import_onnx(m)


def test_reduce_keepdims_false_is_a_keepdims_reduce_then_reshape():
    g = import_onnx(_reduce_model("ReduceMean", (2, 3, 4, 5), [2, 3], 0, 18))
    assert [n.op for n in g.nodes] == ["reduce", "reshape"]
    assert g.nodes[0].attrs == ReduceAttrs("mean", (2, 3), True)
    assert g.outputs[0].shape == (2, 3)


@pytest.mark.parametrize("shape,axes,expect", [
    # NHWC global pooling: H, W reduced, C contiguous inner run
    ((1, 7, 7, 64), (1, 2), ([], [], [49], [64], 64, 49)),
    # last axis: scalar path, contiguous reduced dim
    ((4, 10), (1,), ([4], [10], [10], [1], 1, 10)),
    # size-1 dims vanish; neighbours of the same kind merge
    ((2, 1, 3, 4, 5), (2, 3), ([2], [60], [12], [5], 5, 12)),
    # alternating kept/reduced dims
    ((2, 3, 4, 5), (0, 2), ([3], [20], [2, 4], [60, 5], 5, 8)),
    # nothing left to reduce: one pseudo-dim of size 1
    ((3, 1), (1,), ([], [], [1], [0], 3, 1)),
    ((6,), (0,), ([], [], [6], [1], 1, 6)),
])
def test_reduce_plan_merges_and_splits_dims(shape, axes, expect):
    p = reduce_plan(shape, axes)
    assert (p.outer_shape, p.outer_strides, p.red_shape, p.red_strides, p.inner, p.count) == expect


def _check_permute(op: str, attrs, shape, perm) -> None:
    """op(transpose(x, perm), attrs) == transpose(op(x, attrs'), perm)."""
    opdef = REGISTRY[op]
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    xt = np.transpose(x, perm)
    new = opdef.permute(attrs, perm, [TensorType(xt.shape)])
    assert new is not None
    want = opdef.ref(attrs, [xt])[0]
    got = np.transpose(opdef.ref(new, [x])[0], perm)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("perm", list(itertools.permutations(range(4)))[::5])
@pytest.mark.parametrize("kind,axes", [("sum", (1,)), ("max", (1, 2)), ("mean", (0, 3)), ("min", (3,))])
def test_reduce_permute_rule_commutes_with_transpose(perm, kind, axes):
    _check_permute("reduce", ReduceAttrs(kind, axes, True), (2, 3, 4, 5), perm)


def test_reduce_without_keepdims_does_not_permute():
    assert REGISTRY["reduce"].permute(ReduceAttrs("sum", (1,), False), (0, 2, 1), [TensorType((2, 3, 4))]) is None


@pytest.mark.parametrize("perm", list(itertools.permutations(range(4)))[::3])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, 3])
def test_softmax_permute_rule_commutes_with_transpose(perm, op, axis):
    _check_permute(op, SoftmaxAttrs(axis), (2, 3, 4, 5), perm)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 10), -1), ((3, 10), 0), ((2, 3, 4), 1),
                                        ((2, 3, 4, 5), -3), ((2, 3, 4, 5), 3), ((2, 3, 4, 5), 0)])
def test_softmax_ref_matches_onnxruntime(op, shape, axis):
    m = single_node_model(op, {"x": shape}, opset=13, axis=axis)
    assert_ref_matches_ort(m, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_default_axis_is_last(op):
    m = single_node_model(op, {"x": (2, 3, 4)}, opset=13)
    assert import_onnx(m).nodes[0].attrs == SoftmaxAttrs(2)
    assert_ref_matches_ort(m)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 999.0, -1000.0], [-1e30, 0.0, 1e30]], np.float32)
    for op in ["Softmax", "LogSoftmax"]:
        assert_ref_matches_ort(single_node_model(op, {"x": (2, 3)}, opset=13, axis=1), {"x": x})


def test_opset11_softmax_is_converted_to_one_axis_semantics():
    """Before opset 13, Softmax flattened [axis:]; the loader's version converter rewrites it."""
    m = single_node_model("Softmax", {"x": (2, 3, 4)}, opset=11, axis=1)
    assert_ref_matches_ort(m, rtol=1e-5, atol=1e-6)


def _bn_inputs(c: int, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"scale": rng.uniform(0.5, 2, c).astype(np.float32), "B": rng.standard_normal(c).astype(np.float32),
            "mean": rng.standard_normal(c).astype(np.float32), "var": rng.uniform(0.1, 3, c).astype(np.float32)}


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 7), (2, 3, 5, 6), (1, 4, 3, 4, 5)])
def test_batch_norm_ref_matches_onnxruntime(shape):
    m = single_node_model("BatchNormalization", {"x": shape, **_bn_inputs(shape[1])}, opset=15, epsilon=1e-3)
    assert_ref_matches_ort(m, rtol=1e-5, atol=1e-5)


def test_batch_norm_is_a_per_channel_mul_then_add():
    g = import_onnx(single_node_model("BatchNormalization", {"x": (2, 3, 7), **_bn_inputs(3)}, opset=15))
    assert [(n.op, n.name) for n in g.nodes] == [("mul", "y0_scale"), ("add", "y0_shift")]
    assert [n.inputs[1].shape for n in g.nodes] == [(3, 1), (3, 1)]


def test_opset6_batch_norm_is_converted_by_the_loader():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(v, k) for k, v in _bn_inputs(3).items()]
    node = helper.make_node("BatchNormalization", ["x", "scale", "B", "mean", "var"], ["y"], name="bn",
                            epsilon=1e-4, is_test=1)
    m = helper.make_model(helper.make_graph([node], "g", [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", 6)])
    m.ir_version = 7
    x, p = random_feeds(m)["x"], _bn_inputs(3)
    r = (-1, 1, 1)
    want = (x - p["mean"].reshape(r)) / np.sqrt(p["var"].reshape(r) + 1e-4) * p["scale"].reshape(r) + p["B"].reshape(r)
    np.testing.assert_allclose(run_edgec_ref(m, {"x": x})[0], want, rtol=1e-5, atol=1e-5)
    assert [n.name for n in import_onnx(m).nodes] == ["bn_scale", "bn_shift"]


def test_batch_norm_training_outputs_are_unsupported():
    m = single_node_model("BatchNormalization", {"x": (2, 3, 4), **_bn_inputs(3)}, n_outputs=3, opset=15,
                          training_mode=1)
    with pytest.raises(UnsupportedOpError, match="training"):
        import_onnx(m)


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 5, 6), (1, 2, 3, 4, 5)])
def test_instance_norm_ref_matches_onnxruntime(shape):
    p = _bn_inputs(shape[1])
    m = single_node_model("InstanceNormalization", {"x": shape, "scale": p["scale"], "B": p["B"]},
                          opset=13, epsilon=1e-4)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape,axis", [((2, 3, 8), -1), ((2, 3, 8), 1), ((4, 6), 0)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm_ref_matches_onnxruntime(shape, axis, with_bias):
    rng = np.random.default_rng(5)
    norm = shape[axis % len(shape):]
    inputs = {"x": shape, "scale": rng.uniform(0.5, 2, norm).astype(np.float32)}
    if with_bias:
        inputs["B"] = rng.standard_normal(norm).astype(np.float32)
    m = single_node_model("LayerNormalization", inputs, opset=17, axis=axis, epsilon=1e-5)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-5)


# -- the compiled C vs onnxruntime --------------------------------------------------------------
@pytest.mark.parametrize("op", _REDUCE_OPS)
@pytest.mark.parametrize("shape,axes", _AXES_CASES[::2] + [((1, 16, 9, 70), [1]), ((2, 130, 3), [2])])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_c_matches_onnxruntime(op, shape, axes, keepdims):
    m = _reduce_model(op, shape, axes, keepdims, 18)
    feeds = _feeds(m, positive=op == "ReduceProd")
    if op == "ReduceProd":
        feeds = {k: (v * 0.5 + 0.6).astype(np.float32) for k, v in feeds.items()}
    check_c(m, feeds, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,axis", [((3, 10), -1), ((2, 3, 4), 1), ((1, 21, 9, 70), 1),
                                        ((2, 3, 4, 5), 0), ((2, 1000), 1)])
def test_softmax_c_matches_onnxruntime(op, shape, axis):
    check_c(single_node_model(op, {"x": shape}, opset=13, axis=axis), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 7), (2, 3, 5, 6), (1, 4, 3, 4, 5)])
def test_batch_norm_c_matches_onnxruntime(shape):
    check_c(single_node_model("BatchNormalization", {"x": shape, **_bn_inputs(shape[1])}, opset=15))


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 5, 6), (1, 2, 3, 4, 5)])
def test_instance_norm_c_matches_onnxruntime(shape):
    p = _bn_inputs(shape[1])
    check_c(single_node_model("InstanceNormalization", {"x": shape, "scale": p["scale"], "B": p["B"]},
                               opset=13), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", ["ReduceSumSquare", "ReduceL2", "ReduceLogSumExp"])
def test_composite_reductions_c_match_onnxruntime(op):
    check_c(_reduce_model(op, (2, 3, 4, 5), [1, 3], 0, 18))


# -- ONNX's own node test cases (onnx.backend.test.case) ------------------------------------------
_NODE_OPS = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
             "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "Softmax", "LogSoftmax",
             "BatchNormalization", "InstanceNormalization", "LayerNormalization")
# case -> words its error must contain; "_empty_set" cases (zero-size dims) must fail too.
_NODE_ERRORS = {"test_reduce_max_bool_inputs": "bool", "test_reduce_min_bool_inputs": "bool",
                "test_batchnorm_example_training_mode": "training",
                "test_batchnorm_epsilon_training_mode": "training"}


@pytest.mark.parametrize("case", node_cases(_NODE_OPS), ids=lambda c: c.name)
def test_onnx_node_case_matches_in_ref_and_c_or_fails_clearly(case):
    import edgec
    from edgec.errors import EdgecError
    model, feeds, want = with_constant_inputs(case)
    if case.name in _NODE_ERRORS or "_empty_set" in case.name:
        with pytest.raises(EdgecError, match=_NODE_ERRORS.get(case.name)):
            edgec.compile(model)
        return
    for got, w in zip(run_edgec_ref(model, feeds), want):
        np.testing.assert_allclose(got, w.astype(np.float32), rtol=1e-5, atol=1e-5)
    check_c(model, feeds, rtol=1e-4, atol=1e-5)
