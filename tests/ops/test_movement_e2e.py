"""Data-movement ops end to end: ONNX's own node test cases through the importer and refs, and
the C kernels (compiled by gcc through the whole compiler) against onnxruntime."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgec.errors import EdgecError
from edgec.frontend.onnx_loader import import_onnx
from edgec.sim.interpreter import run_graph
from tests.ops.movement_helpers import RNG, embedding_model, graph_model, i64, resize_model
from tests.ops.onnx_single import random_feeds, single_node_model
from tests.ops.test_movement import SLICES


# -- ONNX's own node test cases (onnx.backend.test.case) --------------------------------------------
_CONFORMANCE_OPS = {"Reshape", "Transpose", "Concat", "Slice", "Split", "Pad", "Gather", "Resize", "Upsample", "Tile",
                    "Expand", "Flatten", "Squeeze", "Unsqueeze", "Constant", "ConstantOfShape", "Shape", "Size",
                    "Cast", "CastLike", "Range", "Identity", "Dropout"}
_FOLDED_INPUT0 = {"ConstantOfShape", "Range"}


def _conformance_cases():
    from onnx.backend.test.case.node import collect_testcases
    with np.errstate(all="ignore"):
        cases = collect_testcases()
    return [c for c in cases if len(c.model.graph.node) == 1 and "_expanded" not in c.name
            and c.model.graph.node[0].op_type in _CONFORMANCE_OPS]


class Unrepresentable(Exception):
    """A test tensor of an element type numpy (and so edgec) has no dtype for."""


def _as_array(x) -> np.ndarray:
    """A test case tensor as numpy; raises Unrepresentable for element types edgec has no DType for."""
    arr = numpy_helper.to_array(x) if isinstance(x, onnx.TensorProto) else x
    ieee = (np.float16, np.float32, np.float64)
    if not isinstance(arr, (np.ndarray, np.generic)) or np.asarray(arr).dtype.kind not in "fiub" \
            or (arr.dtype.kind == "f" and arr.dtype not in ieee):
        raise Unrepresentable(f"element type {getattr(arr, 'dtype', type(arr).__name__)}")
    return np.asarray(arr)


def _as_constants_model(case) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """Input 0 stays a graph input (unless the op needs it constant); the rest become initializers."""
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    g, (inputs, outputs) = m.graph, case.data_sets[0]
    op, keep, feeds = g.node[0].op_type, [], {}
    for k, (vi, arr) in enumerate(zip(list(g.input), inputs)):
        arr = _as_array(arr)
        if k == 0 and op not in _FOLDED_INPUT0:
            keep.append(vi)
            feeds[vi.name] = np.asarray(arr)
        else:
            g.initializer.append(numpy_helper.from_array(np.asarray(arr), vi.name))
    del g.input[:]
    g.input.extend(keep)
    return m, feeds


@pytest.mark.parametrize("case", _conformance_cases(), ids=lambda c: c.name)
def test_onnx_node_case_matches_or_is_refused(case):
    """Every ONNX conformance case of this family either matches or is refused with an EdgecError."""
    try:
        model, feeds = _as_constants_model(case)
    except Unrepresentable:
        with pytest.raises(EdgecError):     # the model itself must be refused, clearly
            import_onnx(case.model)
        return
    try:
        g = import_onnx(model)
    except EdgecError:
        return   # refused with a clear error: an accepted outcome for this conformance sweep
    got = run_graph(g, feeds)
    for v, want in zip(g.outputs, case.data_sets[0][1]):
        want = _as_array(want)
        # a run-time cast to float16 is computed in float32 by design: allow float16's rounding
        rtol = 1e-3 if want.dtype == np.float16 and not v.is_const else 1e-5
        assert got[v.name].shape == want.shape
        np.testing.assert_allclose(got[v.name].astype(np.float64), want.astype(np.float64), rtol=rtol, atol=1e-6)


# -- C kernels through the whole compiler ---------------------------------------------------------
def _e2e_models():
    """(id, model, feeds or None): one model per kernel path, compiled and run as C."""
    sm = single_node_model
    yield "reshape_dropout", graph_model([helper.make_node("Flatten", ["x"], ["f"]),
                                          helper.make_node("Dropout", ["f"], ["y"])],
                                         {"x": ((2, 3, 4), TensorProto.FLOAT)}, ["y"]), None
    for perm in [(0, 2, 3, 1), (0, 3, 1, 2), (3, 1, 0, 2)]:
        yield f"transpose{perm}", sm("Transpose", {"x": (2, 3, 4, 5)}, perm=perm), None
    yield "transpose_rank6", sm("Transpose", {"x": (2, 3, 1, 2, 2, 3)}, perm=(5, 4, 3, 2, 1, 0)), None
    yield "concat_axis1", sm("Concat", {"a": (2, 3, 4), "b": (2, 1, 4), "c": RNG.standard_normal((2, 2, 4))
                                        .astype(np.float32)}, axis=1), None
    yield "concat_axis_last", sm("Concat", {"a": (2, 3, 4), "b": (2, 3, 1)}, axis=-1), None
    for k, (st, en, ax, sp) in enumerate(SLICES[:5]):
        inputs = {"x": (4, 5, 6), "s": i64(*st), "e": i64(*en)}
        if ax is not None:
            inputs["a"] = i64(*ax)
        if sp is not None:
            inputs["st"] = i64(*sp)
        yield f"slice{k}", sm("Slice", inputs), None
    yield "split", sm("Split", {"x": (6, 6, 4), "sp": i64(1, 4, 1)}, n_outputs=3, opset=13, axis=1), None
    for mode in ["constant", "reflect", "edge", "wrap"]:
        yield f"pad_{mode}", sm("Pad", {"x": (2, 3, 4, 5), "p": i64(0, 0, -1, 2, 0, 0, 1, -2),
                                        "v": np.asarray(1.5, np.float32)}, mode=mode), None
    yield "gather_const", sm("Gather", {"x": (3, 4, 5), "i": i64(3, 0, -1)}, axis=1), None
    yield "gather_embedding", embedding_model(), {"ids": i64(3, 0, 9, -1).reshape(1, 4)}
    yield "tile", sm("Tile", {"x": (2, 3, 4), "r": i64(2, 1, 3)}), None
    yield "expand", sm("Expand", {"x": (3, 1), "s": i64(2, 3, 4)}), None
    yield "resize_up_nearest", resize_model("scales", (1, 1, 2, 2)), None
    yield "resize_sizes_asym", resize_model("sizes", (1, 2, 9, 3), coordinate_transformation_mode="asymmetric",
                                             nearest_mode="floor"), None
    yield "resize_crop", resize_model("sizes", (1, 2, 6, 5), roi=[0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3],
                                       coordinate_transformation_mode="tf_crop_and_resize",
                                       extrapolation_value=-7.0), None
    yield "output_is_input", graph_model([helper.make_node("Identity", ["x"], ["y"])],
                                         {"x": ((2, 3), TensorProto.FLOAT)}, ["y"]), None
    int_out = graph_model([helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Identity", ["x"], ["y"])],
                          {"x": ((2, 3), TensorProto.FLOAT)}, ["s", "y"])
    int_out.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
    yield "int64_constant_output", int_out, None
    yield "big_splat_fill", graph_model(
        [helper.make_node("ConstantOfShape", ["s"], ["c"],
                          value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.25])),
         helper.make_node("Add", ["x", "c"], ["y"])], {"x": ((64, 80), TensorProto.FLOAT)}, ["y"],
        {"s": i64(64, 80)}), None


_E2E = list(_e2e_models())


@pytest.mark.parametrize("model,feeds", [(m, f) for _, m, f in _E2E], ids=[i for i, _, _ in _E2E])
def test_c_kernels_match_onnxruntime(model, feeds):
    from edgec.testing import check_onnx
    check_onnx(model, feeds if feeds is not None else random_feeds(model), rtol=0, atol=0)


def test_movement_between_convs_keeps_channels_last_and_matches():
    """Resize, slice, concat and pad between NHWC convs take the transposes through them."""
    import edgec
    from edgec.testing import check_onnx
    w1 = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    w2 = RNG.standard_normal((5, 7, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Resize", ["r1", "roi", "sc"], ["up"], mode="nearest"),
             helper.make_node("Slice", ["r1", "s", "e", "a"], ["cut"]),
             helper.make_node("Resize", ["cut", "roi", "sc"], ["up2"], mode="nearest"),
             helper.make_node("Concat", ["up", "up2"], ["cat"], axis=1),
             helper.make_node("Pad", ["cat", "p"], ["pd"], mode="reflect"),
             helper.make_node("Conv", ["pd", "w2"], ["c3"]),
             helper.make_node("Flatten", ["c3"], ["y"])]
    m = graph_model(nodes, {"x": ((1, 3, 8, 8), TensorProto.FLOAT)}, ["y"],
                    {"w1": w1, "w2": w2, "roi": np.zeros(0, np.float32), "sc": np.array([1, 1, 2, 2], np.float32),
                     "s": i64(1), "e": i64(4), "a": i64(1), "p": i64(0, 0, 1, 1, 0, 0, 1, 1)})
    ops = [n.op for n in edgec.compile(m).graph.nodes]
    assert ops.count("transpose") == 2, ops   # graph input to NHWC, last conv back to NCHW
    check_onnx(m, {"x": RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)})
