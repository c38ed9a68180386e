"""int8 add/sub/mul and standalone relu/clip: C == integer simulator bit for bit, close to float,
and TFLite Micro's rounding at hand-checked edges."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edgec.ir.graph import QParams
from edgec.ops.base import Activation
from edgec.ops.elementwise_s8 import (act_range, add_attrs, add_s8_ref, clamp_requantize_attrs, mul_attrs,
                                      mul_s8_ref)
from edgec.ops.quant_io import requantize_ref
from edgec.testing import check_int8
from tests.ops.onnx_single import single_node_model

S = (1, 3, 6, 7)


def _calib(shapes: dict, n: int = 3, seed: int = 0, gain: dict | None = None) -> list[dict]:
    rng = np.random.default_rng(seed)
    gain = gain or {}
    return [{k: (rng.standard_normal(s) * gain.get(k, 1.0)).astype(np.float32) for k, s in shapes.items()}
            for _ in range(n)]


def _ops(art) -> list[str]:
    return [n.op for n in art.graph.nodes]


def _q(scale: float, zp: int) -> QParams:
    return QParams((float(np.float32(scale)),), (zp,))


def _chain(first: str, inputs: dict, second: str, **second_attrs) -> onnx.ModelProto:
    """first(inputs) -> second (e.g. Add -> Relu, which the int8 pipeline fuses)."""
    ins = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(s)) for k, s in inputs.items()]
    nodes = [helper.make_node(first, list(inputs), ["t"]), helper.make_node(second, ["t"], ["y"], **second_attrs)]
    g = helper.make_graph(nodes, "g", ins, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    m.ir_version = 9
    return m


# -- C == simulator over shapes and broadcasts ----------------------------------------------------
BROADCASTS = [(S, S), (S, (7,)), (S, (1, 3, 1, 1)), ((1, 1, 6, 1), (1, 3, 1, 7)), ((2, 3, 4, 5, 6), (3, 1, 5, 1))]


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul"])
@pytest.mark.parametrize("shapes", BROADCASTS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_binary_s8_c_matches_simulator(op, shapes):
    a, b = shapes
    art, got, want = check_int8(single_node_model(op, {"a": a, "b": b}), _calib({"a": a, "b": b}, gain={"b": 3.0}),
                                min_sqnr_db=30)
    assert _ops(art) == [f"{op.lower()}_s8"]


@pytest.mark.parametrize("op", ["Add", "Mul"])
def test_binary_s8_quantizes_constant_operand_per_tensor(op):
    c = np.array([0.5, -2.0, 3.0], np.float32).reshape(3, 1, 1)
    art, _, _ = check_int8(single_node_model(op, {"a": S, "c": c}), _calib({"a": S}), min_sqnr_db=30)
    const = [v for v in art.graph.nodes[0].inputs if v.is_const]
    assert len(const) == 1 and const[0].type.qparams.axis is None


@pytest.mark.parametrize("act, attrs", [("Relu", {}), ("Clip", {"min": -0.5, "max": 1.0})])
def test_add_s8_fuses_relu_and_clip_as_output_clamp(act, attrs):
    m = _chain("Add", {"a": S, "b": S}, act, **attrs)
    art, got, want = check_int8(m, _calib({"a": S, "b": S}), min_sqnr_db=30)
    assert _ops(art) == ["add_s8"]
    node = art.graph.nodes[0]
    assert node.attrs.act_min == act_range(Activation(act.lower(), *attrs.values()), node.outputs[0].type.qparams)[0]


def test_mul_s8_clamps_a_fused_relu():
    art, got, _ = check_int8(_chain("Mul", {"a": S, "b": S}, "Relu"), _calib({"a": S, "b": S}), min_sqnr_db=30)
    assert _ops(art) == ["mul_s8"]
    assert min(float(o["y"].min()) for o in got) == 0.0


@pytest.mark.parametrize("op, attrs", [("Relu", {}), ("Clip", {"min": -0.25, "max": 0.75})])
def test_standalone_clamp_is_a_requantize_with_its_range(op, attrs):
    inputs = {"a": S, **{k: np.array(v, np.float32) for k, v in attrs.items()}}
    art, got, want = check_int8(single_node_model(op, inputs), _calib({"a": S}), min_sqnr_db=30)
    assert _ops(art) == ["requantize"]
    lo, step = attrs.get("min", 0.0), art.graph.outputs[0].type.qparams.scale[0]
    assert all(float(o["y0"].min()) >= lo - step / 2 for o in got)   # the bound is the nearest code


# -- arithmetic edges ----------------------------------------------------------------------------
def test_add_s8_rounds_half_away_from_zero():
    """Equal unit input scales, output scale 2: 3 + 4 = 3.5 -> 4 and -3.5 -> -4."""
    a = add_attrs(_q(1.0, 0), _q(1.0, 0), _q(2.0, 0), None)
    x1, x2 = np.array([3, -3, 1, -1], np.int8), np.array([4, -4, 0, 0], np.int8)
    assert add_s8_ref(a, x1, x2, False).tolist() == [4, -4, 1, -1]   # 0.5 -> 1, -0.5 -> -1


def test_sub_s8_subtracts_and_saturates():
    a = add_attrs(_q(1.0, 0), _q(1.0, 0), _q(1.0, 0), None, subtract=True)
    x1, x2 = np.array([100, -100, 5, 127], np.int8), np.array([-100, 100, 7, 127], np.int8)
    assert add_s8_ref(a, x1, x2, True).tolist() == [127, -128, -2, 0]


def test_add_s8_removes_zero_points_and_adds_the_output_one():
    a = add_attrs(_q(0.5, 10), _q(0.5, -20), _q(0.5, 3), None)
    x1, x2 = np.array([10, 12, 0], np.int8), np.array([-20, -18, -30], np.int8)
    assert add_s8_ref(a, x1, x2, False).tolist() == [3, 7, -17]


def test_add_s8_declines_an_output_scale_too_small_for_tflm():
    assert add_attrs(_q(1.0, 0), _q(1.0, 0), _q(1e-7, 0), None) is None


def test_mul_s8_halves_in_the_doubling_high_multiply():
    """Multiplier 0.5 is (2^30, shift 0): the halving happens in srdhm, whose nudge rounds ties
    up (1.5 -> 2, 2.5 -> 3, but -1.5 -> -1) as TFLM's MUL does; products saturate."""
    a = mul_attrs(_q(1.0, 0), _q(1.0, 0), _q(2.0, 0), None)
    x1, x2 = np.array([3, -3, 5, 127, -128], np.int8), np.array([1, 1, 1, 127, 127], np.int8)
    assert (a.multiplier, a.shift) == (1 << 30, 0)
    assert mul_s8_ref(a, x1, x2).tolist() == [2, -1, 3, 127, -128]


def test_mul_s8_offsets_both_inputs():
    a = mul_attrs(_q(0.25, 4), _q(0.5, -2), _q(0.125, 1), None)
    x1, x2 = np.array([8, 4, 0], np.int8), np.array([2, 9, -6], np.int8)
    # (8-4)*(2+2) = 16 at scale 1/8 -> 16 codes; 0 * ... = 0; (-4)*(-4) = 16
    assert mul_s8_ref(a, x1, x2).tolist() == [17, 1, 17]


def test_act_range_follows_tflite_quantize_and_intersects_int8():
    q = _q(1 / 64, -10)
    assert act_range(None, q) == (-128, 127)
    assert act_range(Activation("relu"), q) == (-10, 127)
    assert act_range(Activation("clip", -1.0, 1.0), q) == (-74, 54)
    assert act_range(Activation("clip", -np.inf, 0.5), q) == (-128, 22)
    assert act_range(Activation("clip", -100.0, 100.0), q) == (-128, 127)
    lo, hi = act_range(Activation("clip", 5.0, 6.0), q)       # entirely above the range: lo == hi
    assert lo == hi == 127


def test_relu_requantize_clamps_at_the_output_zero_point():
    a = clamp_requantize_attrs(_q(0.1, 5), _q(0.05, -128), Activation("relu"))
    x = np.array([5, 4, -128, 6, 127], np.int8)
    assert (a.act_min, a.act_max) == (-128, 127)
    assert requantize_ref(a, x).tolist() == [-128, -128, -128, -126, 116]
