"""Data-movement ops: float refs and the kernel twin vs onnxruntime on one-node models,
import-time shape folding, permute rules checked numerically, importer refusals."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from onnx import TensorProto, helper

from edgec.errors import UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import TensorType
from edgec.ops import REGISTRY
from edgec.ops.base import NoAttrs
from edgec.ops.movement import ConcatAttrs, GatherAttrs, TransposeAttrs
from edgec.ops.movement_index import ExpandAttrs, PadAttrs, ResizeAttrs, SliceAttrs, TileAttrs, plan_remap
from tests.ops.movement_helpers import (RNG, assert_model_matches_ort, check, embedding_model, graph_model, i64,
                                        resize_model)
from tests.ops.onnx_single import single_node_model


# -- reshape family --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,allowzero", [((0, -1), 0), ((-1,), 0), ((4, 0, 2), 0), ((2, 3, 2, 2), 0),
                                             ((3, -1, 2), 1), ((1, 24), 1)])
def test_reshape_ref_matches_onnxruntime(shape, allowzero):
    m = single_node_model("Reshape", {"x": (2, 3, 4), "s": i64(*shape)}, allowzero=allowzero)
    check(m, rtol=0, atol=0)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 4])
def test_flatten_ref_matches_onnxruntime(axis):
    check(single_node_model("Flatten", {"x": (2, 3, 1, 5)}, axis=axis))


@pytest.mark.parametrize("axes", [None, i64(1), i64(-1, 1)])
def test_squeeze_ref_matches_onnxruntime(axes):
    inputs = {"x": (2, 1, 3, 1)} if axes is None else {"x": (2, 1, 3, 1), "a": axes}
    check(single_node_model("Squeeze", inputs))


@pytest.mark.parametrize("axes", [i64(0), i64(-1), i64(0, 3), i64(1, -1)])
def test_unsqueeze_ref_matches_onnxruntime(axes):
    check(single_node_model("Unsqueeze", {"x": (2, 3), "a": axes}))


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
    check(single_node_model("Transpose", {"x": shape}, **kw))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concat_ref_matches_onnxruntime(axis):
    shapes = [[2, 3, 4]] * 3
    for k, s in enumerate(shapes):
        shapes[k] = [d + k if i == axis % 3 else d for i, d in enumerate(s)]
    m = single_node_model("Concat", {f"x{k}": tuple(s) for k, s in enumerate(shapes)} | {"c": RNG.standard_normal(
        shapes[0]).astype(np.float32)}, axis=axis)
    check(m)


# -- slice / split ---------------------------------------------------------------------------------
SLICES = [((1,), (3,), None, None), ((0, 1), (-1, 100), (0, 2), None), ((-2,), (-100,), (1,), (-1,)),
           ((5, 100), (-100, 0), (2, 1), (-2, -1)), ((1, 0), (4, 6), (-1, 1), (2, 3)),
           ((0,), (0,), (0,), (1,)), ((3,), (1,), (2,), (1,)), ((9,), (-9,), (2,), (-3,))]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
def test_slice_ref_matches_onnxruntime(starts, ends, axes, steps):
    inputs = {"x": (4, 5, 6), "s": i64(*starts), "e": i64(*ends)}
    if axes is not None:
        inputs["a"] = i64(*axes)
    if steps is not None:
        inputs["st"] = i64(*steps)
    check(single_node_model("Slice", inputs))


@pytest.mark.parametrize("split,kw,n,opset", [(None, {}, 3, 13), (i64(1, 4, 1), {}, 3, 13),
                                              (None, {"num_outputs": 4}, 4, 18), (None, {"axis": -1}, 2, 13)])
def test_split_ref_matches_onnxruntime(split, kw, n, opset):
    inputs = {"x": (6, 6, 4)} if split is None else {"x": (6, 6, 4), "sp": split}
    check(single_node_model("Split", inputs, n_outputs=n, opset=opset, axis=kw.get("axis", 1),
                                             **{k: v for k, v in kw.items() if k != "axis"}))


# -- pad -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize("pads", [(0, 0, 1, 2, 0, 0, 2, 1), (0, 1, 0, 3, 1, 0, 3, 0), (0, 0, -1, 2, 0, 0, 1, -2)])
def test_pad_ref_matches_onnxruntime(mode, pads):
    inputs = {"x": (2, 3, 4, 5), "p": i64(*pads), "v": np.asarray(1.5, np.float32)}
    check(single_node_model("Pad", inputs, mode=mode, opset=19))


def test_pad_with_axes_input_matches_onnxruntime():
    inputs = {"x": (2, 3, 4, 5), "p": i64(1, 2, 3, 0), "": None, "a": i64(-1, 1)}
    check(single_node_model("Pad", inputs, opset=18, mode="edge"))


# -- gather ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("indices,axis", [(np.int64(2), 0), (i64(0, -1, 2), 1), (i64(3, 0), -1),
                                          (np.array([[0, 1], [-2, 2]], np.int64), 2), (np.int32(1), 1)])
def test_gather_constant_indices_ref_matches_onnxruntime(indices, axis):
    check(single_node_model("Gather", {"x": (3, 4, 5), "i": np.asarray(indices)}, axis=axis))



def test_gather_runtime_int64_indices_into_constant_table():
    m = embedding_model()
    check(m, {"ids": i64(3, 0, 9, -1).reshape(1, 4)})
    g = import_onnx(m)
    assert g.nodes[0].op == "gather" and len(g.nodes[0].inputs) == 2 and g.nodes[0].inputs[0].is_const


# -- tile / expand ---------------------------------------------------------------------------------
@pytest.mark.parametrize("repeats", [(1, 1, 1), (2, 1, 3), (1, 3, 1), (2, 2, 2)])
def test_tile_ref_matches_onnxruntime(repeats):
    check(single_node_model("Tile", {"x": (2, 3, 4), "r": i64(*repeats)}))


@pytest.mark.parametrize("shape,target", [((3, 1), (2, 3, 4)), ((1, 4), (3, 1)), ((2, 1, 4), (2, 3, 4)),
                                          ((3,), (1, 1, 3)), ((2, 3), (2, 3))])
def test_expand_ref_matches_onnxruntime(shape, target):
    check(single_node_model("Expand", {"x": shape, "s": i64(*target)}))


# -- resize (nearest) ------------------------------------------------------------------------------
_COORD = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"]
_NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
_TARGETS = [("scales", (1, 1, 2, 2)), ("scales", (1, 1, 0.5, 0.6)), ("scales", (1, 1, 1.7, 3.3)),
            ("scales", (1, 1, 0.333, 2.5)), ("sizes", (1, 2, 9, 3)), ("sizes", (1, 2, 10, 14)),
            ("sizes", (1, 2, 1, 4))]


@pytest.mark.parametrize("coord,nearest", list(itertools.product(_COORD, _NEAREST)))
@pytest.mark.parametrize("kind,target", _TARGETS)
def test_resize_nearest_ref_matches_onnxruntime(coord, nearest, kind, target):
    m = resize_model(kind, target, coordinate_transformation_mode=coord, nearest_mode=nearest)
    check(m, rtol=0, atol=0)


_LENGTHS = [(n_in, n_out) for n_in in (3, 5, 7, 10, 12, 14) for n_out in (1, 2, 4, 6, 8, 9, 11, 12, 16, 19, 22)]
_SCALES = [(n_in, s) for n_in in (2, 3, 7, 10, 12, 14) for s in (0.3, 0.6, 0.7, 0.8, 1.3, 1.7, 1.75, 1.999, 3.3)]


@pytest.mark.parametrize("coord,nearest", list(itertools.product(_COORD, _NEAREST)))
@pytest.mark.parametrize("kind", ["sizes", "scales"])
def test_resize_index_tables_match_onnxruntime_rounding(coord, nearest, kind):
    """Many 1-D resizes in one model: onnxruntime's float32 ties and near-integers round alike."""
    nodes, inputs, inits, feeds = [], {}, {"roi": np.zeros(0, np.float32)}, {}
    for k, (n_in, t) in enumerate(_LENGTHS if kind == "sizes" else _SCALES):
        target = i64(1, t) if kind == "sizes" else np.asarray([1, t], np.float32)
        inits[f"t{k}"] = target
        ins = [f"x{k}", "roi"] + (["", f"t{k}"] if kind == "sizes" else [f"t{k}"])
        nodes.append(helper.make_node("Resize", ins, [f"y{k}"], mode="nearest",
                                      coordinate_transformation_mode=coord, nearest_mode=nearest))
        inputs[f"x{k}"] = ((1, n_in), TensorProto.FLOAT)
        feeds[f"x{k}"] = np.arange(n_in, dtype=np.float32)[None]
    m = graph_model(nodes, inputs, [f"y{k}" for k in range(len(nodes))], inits)
    assert_model_matches_ort(m, feeds)


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
def test_resize_sizes_with_axes_and_aspect_policy_matches_onnxruntime(policy):
    inputs = {"x": (1, 2, 5, 7), "": None, "sc": np.asarray([], np.float32)}
    inputs = {"x": (1, 2, 5, 7), "roi": np.asarray([], np.float32), "sc": np.asarray([], np.float32), "sz": i64(8, 9)}
    m = single_node_model("Resize", inputs, opset=19, mode="nearest", axes=[2, 3], keep_aspect_ratio_policy=policy)
    check(m, rtol=0, atol=0)


def test_resize_tf_crop_and_resize_extrapolates():
    m = resize_model("sizes", (1, 2, 6, 5), roi=[0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3],
                      coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-7.0)
    check(m, rtol=0, atol=0)


@pytest.mark.parametrize("op,opset,scales", [("Upsample", 9, (1, 1, 2, 3)), ("Upsample", 9, (1, 1, 1.7, 1.3)),
                                              ("Upsample", 7, (1, 1, 1.5, 2.5)), ("Resize", 10, (1, 1, 0.6, 0.7)),
                                              ("Resize", 10, (1, 1, 0.5, 1.5))])
def test_legacy_upsample_and_resize10_keep_their_rounding(op, opset, scales):
    """Before opset 11 nearest meant asymmetric coordinates; the opset converter forgets that."""
    sc = np.asarray(scales, np.float32)
    if opset == 7:
        m = single_node_model(op, {"x": (1, 2, 5, 7)}, opset=opset, mode="nearest", scales=[float(s) for s in sc])
    else:
        m = single_node_model(op, {"x": (1, 2, 5, 7), "sc": sc}, opset=opset, mode="nearest")
    check(m, rtol=0, atol=0)


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
             helper.make_node("ConstantOfShape", ["s"], ["c"],
                              value=helper.make_tensor("v", TensorProto.FLOAT, [1], [2.5])),
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


def test_plan_remap_merges_contiguous_dims_without_tables():
    # transpose of [2, 3, 4] by (0, 1, 2) is a plain copy: one affine run of 24, no table
    base, dims = plan_remap([np.arange(2) * 12, np.arange(3) * 4, np.arange(4)])
    assert base == 0 and [(d.n, d.stride, d.table) for d in dims] == [(24, 1, None)]
    # NCHW -> NHWC of [1, 3, 2, 2]: size-1 N dropped, H and W merge, C is strided
    base, dims = plan_remap([np.array([0]), np.arange(2) * 2, np.arange(2), np.arange(3) * 4])
    assert [(d.n, d.stride) for d in dims] == [(4, 1), (3, 4)]
    # a slice start folds into the base offset; a pad dim keeps its table
    base, dims = plan_remap([np.arange(2, 5) * 10, np.array([-1, 0, 1, -1])])
    assert base == 20 and dims[0].stride == 10 and list(dims[1].table) == [-1, 0, 1, -1]
