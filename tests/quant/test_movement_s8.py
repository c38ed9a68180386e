"""int8 data movement through the float ops' element-size kernels: C == integer simulator bit for
bit, qparams kept, pads filled with the zero point, concat inputs brought to one scale."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edgec.ir.graph import DType, QParams
from edgec.ops.movement_s8 import quantized_fill
from edgec.testing import check_int8
from tests.ops.onnx_single import single_node_model

S = (1, 3, 4, 5)


def _calib(shapes: dict, n: int = 2, seed: int = 0, gain: dict | None = None) -> list[dict]:
    rng = np.random.default_rng(seed)
    gain = gain or {}
    return [{k: (rng.standard_normal(s) * gain.get(k, 1.0)).astype(np.float32) for k, s in shapes.items()}
            for _ in range(n)]


def _i64(*v) -> np.ndarray:
    return np.array(v, np.int64)


def _exact(got, want) -> None:
    """Moving codes loses nothing beyond the input's quantization: within half a step of float."""
    for g, w in zip(got, want):
        for k in g:
            assert np.abs(g[k] - w[k].reshape(g[k].shape)).max() <= 0.05


CASES = {
    "transpose": (single_node_model("Transpose", {"x": S}, perm=[0, 2, 3, 1]), "transpose"),
    "reshape": (single_node_model("Reshape", {"x": S, "s": _i64(1, 12, 5)}), None),
    "flatten": (single_node_model("Flatten", {"x": S}, axis=2), None),
    "slice": (single_node_model("Slice", {"x": S, "a": _i64(1, 0), "b": _i64(4, 5), "c": _i64(2, 3),
                                          "d": _i64(2, 2)}), "slice"),
    "tile": (single_node_model("Tile", {"x": S, "r": _i64(1, 2, 1, 3)}), "tile"),
    "expand": (single_node_model("Expand", {"x": (3, 1, 5), "s": _i64(2, 3, 4, 5)}), "expand"),
    "resize": (single_node_model("Resize", {"x": S, "": None, "sc": np.array([1, 1, 2, 1.5], np.float32)},
                                 mode="nearest"), "resize"),
    "gather_const_indices": (single_node_model("Gather", {"x": S, "i": _i64(3, 0, 3)}, axis=3), "gather"),
    "pad_reflect": (single_node_model("Pad", {"x": S, "p": _i64(0, 0, 1, 2, 0, 0, 2, 1)}, mode="reflect"), "pad"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_movement_s8_c_matches_simulator_and_keeps_qparams(name):
    model, op = CASES[name]
    shapes = {vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim) for vi in model.graph.input}
    art, got, want = check_int8(model, _calib(shapes))
    _exact(got, want)
    for n in art.graph.nodes:
        assert n.outputs[0].type.qparams == n.inputs[0].type.qparams
    if op is not None:
        assert op in [n.op for n in art.graph.nodes]


@pytest.mark.parametrize("value", [0.0, 0.75])
def test_pad_s8_fills_the_quantized_constant(value):
    m = single_node_model("Pad", {"x": S, "p": _i64(0, 0, 1, 0, 0, 0, 2, 3), "v": np.array(value, np.float32)})
    art, got, want = check_int8(m, _calib({"x": S}))
    _exact(got, want)
    (pad,) = [n for n in art.graph.nodes if n.op == "pad"]
    assert pad.attrs.value == quantized_fill(value, pad.inputs[0].type.qparams)
    assert float(got[0]["y0"][0, 0, 0, 0]) == pytest.approx(value, abs=0.02)


def test_pad_s8_declines_a_fill_outside_the_input_range():
    m = single_node_model("Pad", {"x": S, "p": _i64(0, 0, 1, 0, 0, 0, 0, 0), "v": np.array(1e3, np.float32)})
    art, _, _ = check_int8(m, _calib({"x": S}), float_ops=True)
    assert art.float_islands and art.float_islands[0].startswith("pad")


def test_quantized_fill_is_the_zero_point_for_zero():
    q = QParams((0.02,), (-17,))
    assert quantized_fill(0.0, q) == -17
    assert quantized_fill(0.03, q) == -15          # 1.5 steps -> 2
    assert quantized_fill(-3.0, q) is None         # -167 does not fit int8


def test_concat_s8_requantizes_inputs_to_the_output_qparams():
    m = single_node_model("Concat", {"a": S, "b": S, "c": np.full((1, 2, 4, 5), 0.5, np.float32)}, axis=1)
    art, got, want = check_int8(m, _calib({"a": S, "b": S}, gain={"b": 4.0}), min_sqnr_db=30)
    (cat,) = [n for n in art.graph.nodes if n.op == "concat"]
    out_q = cat.outputs[0].type.qparams
    assert all(v.type.qparams == out_q for v in cat.inputs)
    assert [n.op for n in art.graph.nodes].count("requantize") == 1      # `b` sets the range; `a` moves


def _gather_runtime_model(table: np.ndarray | None) -> onnx.ModelProto:
    """Gather rows of a table (an initializer, or graph input "x") by run-time int64 indices."""
    ins = [helper.make_tensor_value_info("i", TensorProto.INT64, [4])]
    inits = []
    if table is None:
        ins.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 3]))
    else:
        inits.append(onnx.numpy_helper.from_array(table, "x"))
    g = helper.make_graph([helper.make_node("Gather", ["x", "i"], ["y"], axis=0)], "g", ins,
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 9
    return model


@pytest.mark.parametrize("const_table", [True, False])
def test_gather_s8_reads_int8_rows_by_runtime_indices(const_table):
    rng = np.random.default_rng(3)
    table = rng.standard_normal((6, 3)).astype(np.float32)
    idx = {"i": np.array([5, 0, -1, 2], np.int64)}
    feeds = [dict(idx, **({} if const_table else {"x": table}))]
    art, got, want = check_int8(_gather_runtime_model(table if const_table else None), feeds)
    _exact(got, want)
    (gather,) = [n for n in art.graph.nodes if n.op == "gather"]
    assert gather.inputs[0].type.dtype == DType.I8 and gather.inputs[1].type.dtype == DType.I64
