"""Data-movement ops: float refs vs onnxruntime on one-node models, import-time shape folding,
permute rules checked numerically, importer errors, and the C kernels vs onnxruntime."""
from __future__ import annotations

import itertools
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgec.errors import EdgecError, UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import TensorType
from edgec.ops import REGISTRY
from edgec.ops.movement import ConcatAttrs, GatherAttrs, TransposeAttrs
from edgec.ops.movement_index import (ExpandAttrs, PadAttrs, ResizeAttrs, SliceAttrs, TileAttrs,
                                      collapse_tables)
from edgec.sim.interpreter import run_graph
from tests.ops.onnx_single import assert_ref_matches_ort, run_ort, single_node_model


def i64(*values) -> np.ndarray:
    return np.asarray(values, np.int64)


def graph_model(nodes, inputs: dict[str, tuple[tuple[int, ...], int]], outputs: list[str],
                inits: dict[str, np.ndarray] | None = None, opset: int = 19,
                out_type: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A model from nodes; inputs map name -> (shape, TensorProto element type)."""
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, t, list(s)) for n, (s, t) in inputs.items()],
        [helper.make_tensor_value_info(o, out_type, None) for o in outputs],
        [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def assert_model_matches_ort(model, feeds) -> None:
    g = import_onnx(model)
    got = run_graph(g, feeds)
    for v, want in zip(g.outputs, run_ort(model, feeds)):
        assert got[v.name].shape == want.shape
        np.testing.assert_array_equal(got[v.name], want)


RNG = np.random.default_rng(0)


# -- reshape family --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,allowzero", [((0, -1), 0), ((-1,), 0), ((4, 0, 2), 0), ((2, 3, 2, 2), 0),
                                             ((3, -1, 2), 1), ((1, 24), 1)])
def test_reshape_ref_matches_onnxruntime(shape, allowzero):
    m = single_node_model("Reshape", {"x": (2, 3, 4), "s": i64(*shape)}, allowzero=allowzero)
    assert_ref_matches_ort(m, rtol=0, atol=0)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 4])
def test_flatten_ref_matches_onnxruntime(axis):
    assert_ref_matches_ort(single_node_model("Flatten", {"x": (2, 3, 1, 5)}, axis=axis))


@pytest.mark.parametrize("axes", [None, i64(1), i64(-1, 1)])
def test_squeeze_ref_matches_onnxruntime(axes):
    inputs = {"x": (2, 1, 3, 1)} if axes is None else {"x": (2, 1, 3, 1), "a": axes}
    assert_ref_matches_ort(single_node_model("Squeeze", inputs))


@pytest.mark.parametrize("axes", [i64(0), i64(-1), i64(0, 3), i64(1, -1)])
def test_unsqueeze_ref_matches_onnxruntime(axes):
    assert_ref_matches_ort(single_node_model("Unsqueeze", {"x": (2, 3), "a": axes}))


def test_import_emits_reshape_and_identity_nodes():
    m = graph_model([helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Dropout", ["f"], ["y"])],
                    {"x": ((2, 3, 4), TensorProto.FLOAT)}, ["y"])
    g = import_onnx(m)
    assert [n.op for n in g.nodes] == ["reshape", "identity"]
    assert g.nodes[0].attrs.shape == (2, 12)


# -- transpose / concat ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,perm", [((3, 4), None), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4, 5), (0, 2, 3, 1)),
                                        ((2, 3, 4, 5), (0, 3, 1, 2)), ((2, 1, 3, 4, 2), (4, 2, 0, 3, 1)),
                                        ((2, 3, 1, 2, 2, 3), (5, 4, 3, 2, 1, 0))])
def test_transpose_ref_matches_onnxruntime(shape, perm):
    kw = {} if perm is None else {"perm": perm}
    assert_ref_matches_ort(single_node_model("Transpose", {"x": shape}, **kw))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concat_ref_matches_onnxruntime(axis):
    shapes = [[2, 3, 4]] * 3
    for k, s in enumerate(shapes):
        shapes[k] = [d + k if i == axis % 3 else d for i, d in enumerate(s)]
    m = single_node_model("Concat", {f"x{k}": tuple(s) for k, s in enumerate(shapes)} | {"c": RNG.standard_normal(
        shapes[0]).astype(np.float32)}, axis=axis)
    assert_ref_matches_ort(m)


# -- slice / split ---------------------------------------------------------------------------------
_SLICES = [((1,), (3,), None, None), ((0, 1), (-1, 100), (0, 2), None), ((-2,), (-100,), (1,), (-1,)),
           ((5, 100), (-100, 0), (2, 1), (-2, -1)), ((1, 0), (4, 6), (-1, 1), (2, 3)),
           ((0,), (0,), (0,), (1,)), ((3,), (1,), (2,), (1,)), ((9,), (-9,), (2,), (-3,))]


@pytest.mark.parametrize("starts,ends,axes,steps", _SLICES)
def test_slice_ref_matches_onnxruntime(starts, ends, axes, steps):
    inputs = {"x": (4, 5, 6), "s": i64(*starts), "e": i64(*ends)}
    if axes is not None:
        inputs["a"] = i64(*axes)
    if steps is not None:
        inputs["st"] = i64(*steps)
    assert_ref_matches_ort(single_node_model("Slice", inputs))


@pytest.mark.parametrize("split,kw,n,opset", [(None, {}, 3, 13), (i64(1, 4, 1), {}, 3, 13),
                                              (None, {"num_outputs": 4}, 4, 18), (None, {"axis": -1}, 2, 13)])
def test_split_ref_matches_onnxruntime(split, kw, n, opset):
    inputs = {"x": (6, 6, 4)} if split is None else {"x": (6, 6, 4), "sp": split}
    assert_ref_matches_ort(single_node_model("Split", inputs, n_outputs=n, opset=opset, axis=kw.get("axis", 1),
                                             **{k: v for k, v in kw.items() if k != "axis"}))


# -- pad -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
@pytest.mark.parametrize("pads", [(0, 0, 1, 2, 0, 0, 2, 1), (0, 1, 0, 3, 1, 0, 3, 0), (0, 0, -1, 2, 0, 0, 1, -2)])
def test_pad_ref_matches_onnxruntime(mode, pads):
    inputs = {"x": (2, 3, 4, 5), "p": i64(*pads), "v": np.asarray(1.5, np.float32)}
    assert_ref_matches_ort(single_node_model("Pad", inputs, mode=mode))


def test_pad_with_axes_input_matches_onnxruntime():
    inputs = {"x": (2, 3, 4, 5), "p": i64(1, 2, 3, 0), "": None, "a": i64(-1, 1)}
    assert_ref_matches_ort(single_node_model("Pad", inputs, opset=18, mode="edge"))


# -- gather ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("indices,axis", [(np.int64(2), 0), (i64(0, -1, 2), 1), (i64(3, 0), -1),
                                          (np.array([[0, 1], [-2, 2]], np.int64), 2), (np.int32(1), 1)])
def test_gather_constant_indices_ref_matches_onnxruntime(indices, axis):
    assert_ref_matches_ort(single_node_model("Gather", {"x": (3, 4, 5), "i": np.asarray(indices)}, axis=axis))


def _embedding_model(v: int = 10, d: int = 6, n: int = 4):
    table = RNG.standard_normal((v, d)).astype(np.float32)
    return graph_model([helper.make_node("Gather", ["w", "ids"], ["y"], axis=0)],
                       {"ids": ((1, n), TensorProto.INT64)}, ["y"], {"w": table})


def test_gather_runtime_int64_indices_into_constant_table():
    m = _embedding_model()
    assert_model_matches_ort(m, {"ids": i64(3, 0, 9, -1).reshape(1, 4)})
    g = import_onnx(m)
    assert g.nodes[0].op == "gather" and len(g.nodes[0].inputs) == 2 and g.nodes[0].inputs[0].is_const


# -- tile / expand ---------------------------------------------------------------------------------
@pytest.mark.parametrize("repeats", [(1, 1, 1), (2, 1, 3), (1, 3, 1), (2, 2, 2)])
def test_tile_ref_matches_onnxruntime(repeats):
    assert_ref_matches_ort(single_node_model("Tile", {"x": (2, 3, 4), "r": i64(*repeats)}))


@pytest.mark.parametrize("shape,target", [((3, 1), (2, 3, 4)), ((1, 4), (3, 1)), ((2, 1, 4), (2, 3, 4)),
                                          ((3,), (1, 1, 3)), ((2, 3), (2, 3))])
def test_expand_ref_matches_onnxruntime(shape, target):
    assert_ref_matches_ort(single_node_model("Expand", {"x": shape, "s": i64(*target)}))


# -- resize (nearest) ------------------------------------------------------------------------------
_COORD = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"]
_NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
_TARGETS = [("scales", (1, 1, 2, 2)), ("scales", (1, 1, 0.5, 0.6)), ("scales", (1, 1, 1.7, 3.3)),
            ("scales", (1, 1, 0.333, 2.5)), ("sizes", (1, 2, 9, 3)), ("sizes", (1, 2, 10, 14)),
            ("sizes", (1, 2, 1, 4))]


def _resize_model(kind, target, opset=19, roi=None, **attrs):
    inputs = {"x": (1, 2, 5, 7), "roi": np.asarray(roi or [], np.float32)}
    if kind == "scales":
        inputs["sc"] = np.asarray(target, np.float32)
    else:
        inputs[""] = None
        inputs["sz"] = i64(*target)
    return single_node_model("Resize", inputs, opset=opset, mode="nearest", **attrs)


@pytest.mark.parametrize("coord,nearest", itertools.product(_COORD, _NEAREST))
@pytest.mark.parametrize("kind,target", _TARGETS)
def test_resize_nearest_ref_matches_onnxruntime(coord, nearest, kind, target):
    m = _resize_model(kind, target, coordinate_transformation_mode=coord, nearest_mode=nearest)
    assert_ref_matches_ort(m, rtol=0, atol=0)


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
def test_resize_sizes_with_axes_and_aspect_policy_matches_onnxruntime(policy):
    inputs = {"x": (1, 2, 5, 7), "": None, "sc": np.asarray([], np.float32)}
    inputs = {"x": (1, 2, 5, 7), "roi": np.asarray([], np.float32), "sc": np.asarray([], np.float32), "sz": i64(8, 9)}
    m = single_node_model("Resize", inputs, opset=19, mode="nearest", axes=[2, 3], keep_aspect_ratio_policy=policy)
    assert_ref_matches_ort(m, rtol=0, atol=0)


def test_resize_tf_crop_and_resize_extrapolates():
    m = _resize_model("sizes", (1, 2, 6, 5), roi=[0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3],
                      coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-7.0)
    assert_ref_matches_ort(m, rtol=0, atol=0)


def test_upsample_opset9_nearest_matches_onnxruntime():
    m = single_node_model("Upsample", {"x": (1, 2, 3, 4), "sc": np.asarray([1, 1, 2, 3], np.float32)}, opset=9,
                          mode="nearest")
    assert_ref_matches_ort(m, rtol=0, atol=0)


def test_resize_linear_is_unsupported():
    m = single_node_model("Resize", {"x": (1, 2, 5, 7), "roi": np.asarray([], np.float32),
                                     "sc": np.asarray([1, 1, 2, 2], np.float32)}, mode="linear")
    with pytest.raises(UnsupportedOpError, match="nearest"):
        import_onnx(m)


# -- constants and shape arithmetic ----------------------------------------------------------------
def test_shape_arithmetic_folds_into_one_reshape():
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape (PyTorch's flatten export) folds away."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b", "ax0"], ["bu"]),
             helper.make_node("Concat", ["bu", "minus1"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["y"])]
    m = graph_model(nodes, {"x": ((2, 3, 4), TensorProto.FLOAT)}, ["y"],
                    {"zero": np.asarray(0, np.int64), "ax0": i64(0), "minus1": i64(-1)})
    g = import_onnx(m)
    assert [n.op for n in g.nodes] == ["reshape"] and g.nodes[0].attrs.shape == (2, 12)
    assert_model_matches_ort(m, {"x": RNG.standard_normal((2, 3, 4)).astype(np.float32)})


def test_shape_start_end_size_range_constant_of_shape_fold_like_onnxruntime():
    nodes = [helper.make_node("Shape", ["x"], ["s"], start=1, end=-1),
             helper.make_node("Size", ["x"], ["n"]),
             helper.make_node("Range", ["r0", "n", "r2"], ["r"]),
             helper.make_node("ConstantOfShape", ["s"], ["c"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [2.5])),
             helper.make_node("Cast", ["r"], ["rf"], to=TensorProto.FLOAT),
             helper.make_node("Constant", [], ["k"], value_ints=[4, 5])]
    m = graph_model(nodes, {"x": ((2, 3, 4, 5), TensorProto.FLOAT)}, ["s", "n", "r", "c", "rf", "k"],
                    {"r0": np.asarray(3, np.int64), "r2": np.asarray(7, np.int64)})
    for o in m.graph.output:
        o.type.tensor_type.elem_type = TensorProto.FLOAT if o.name in ("c", "rf") else TensorProto.INT64
    assert_model_matches_ort(m, {"x": np.zeros((2, 3, 4, 5), np.float32)})
    assert import_onnx(m).nodes == []


def test_runtime_cast_float_to_int_is_unsupported():
    m = graph_model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.INT32)],
                    {"x": ((2, 3), TensorProto.FLOAT)}, ["y"], out_type=TensorProto.INT32)
    with pytest.raises(UnsupportedOpError, match="run-time cast"):
        import_onnx(m)


def test_runtime_cast_float_to_float16_is_identity():
    m = graph_model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)],
                    {"x": ((2, 3), TensorProto.FLOAT)}, ["y"], out_type=TensorProto.FLOAT16)
    assert [n.op for n in import_onnx(m).nodes] == ["identity"]


def test_dropout_in_training_mode_is_unsupported():
    m = graph_model([helper.make_node("Dropout", ["x", "r", "t"], ["y"])], {"x": ((2, 3), TensorProto.FLOAT)}, ["y"],
                    {"r": np.asarray(0.5, np.float32), "t": np.asarray(True)})
    with pytest.raises(UnsupportedOpError, match="training"):
        import_onnx(m)


# -- permute rules: op(transpose(x, perm)) == transpose(op'(x), perm) ------------------------------
_PERMUTE_CASES = [
    ("identity", None), ("copy", None),
    ("transpose", TransposeAttrs((2, 0, 3, 1))),
    ("concat", ConcatAttrs(1)),
    ("slice", SliceAttrs((1, 4), (3, -1), (1, 3), (1, -2))),
    ("pad", PadAttrs((0, 1, 2, 0, 1, 0, 3, 2), "reflect")),
    ("pad", PadAttrs((0, 1, 2, 0, 1, 0, -1, 2), "constant", 0.5)),
    ("tile", TileAttrs((1, 2, 1, 3))),
    ("expand", ExpandAttrs((3, 4, 5, 6))),
    ("resize", ResizeAttrs(((0, 1, 2), (0, 0, 1, 1, 2, 3), (4, 3, 2, 1, 0), (5, 4, 0, -1)), 9.0)),
    ("gather", GatherAttrs(2, (4, 0, -1), (3,))),
]


@pytest.mark.parametrize("op,attrs", _PERMUTE_CASES)
@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (0, 3, 1, 2), (3, 2, 1, 0)])
def test_permute_rule_commutes_with_transpose(op, attrs, perm):
    from edgec.ops.base import NoAttrs
    attrs = attrs or NoAttrs()
    opdef = REGISTRY[op]
    t = TensorType((3, 4, 5, 6))  # the shape the op sees, i.e. transpose(x, perm)'s
    inv = tuple(int(i) for i in np.argsort(perm))
    x = RNG.standard_normal(tuple(t.shape[i] for i in inv)).astype(np.float32)
    if op == "expand":
        x = x[:, :1, :, :1] if perm == (0, 2, 3, 1) else x[:1]
    xt = np.transpose(x, perm)
    xs, xts = [x], [xt]
    if op == "concat":
        xs, xts = [x, x * 2], [xt, xt * 2]
    want = opdef.ref(attrs, xts)[0]
    new = opdef.permute(attrs, perm, [TensorType(v.shape) for v in xts])
    assert new is not None
    got = np.transpose(opdef.ref(new, xs)[0], perm)
    np.testing.assert_array_equal(got, want)


def test_collapse_tables_merges_contiguous_dims():
    # transpose of [2, 3, 4] by (0, 1, 2) is a plain copy: one run of 24
    tabs = collapse_tables([np.arange(2) * 12, np.arange(3) * 4, np.arange(4)])
    assert len(tabs) == 1 and (tabs[0] == np.arange(24)).all()
    # NCHW -> NHWC of [1, 3, 2, 2]: size-1 N dropped, H and W merge
    tabs = collapse_tables([np.array([0]), np.arange(2) * 2, np.arange(2), np.arange(3) * 4])
    assert [len(t) for t in tabs] == [4, 3]


# -- C kernels through the whole compiler ---------------------------------------------------------
needs_backend = pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(__file__), "..", "..", "edgec",
                                                                   "passes", "pipeline.py")),
                                   reason="C back end not complete yet")
