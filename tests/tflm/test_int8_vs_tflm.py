"""edgec's int8 C equals TensorFlow Lite Micro's reference kernels, element for element.

Each model is compiled to int8 by edgec, its int8 IR graph is written as a .tflite flatbuffer
carrying edgec's quantization parameters (tests/tflm/tflite_writer.py), and the same int8 inputs
go through edgec's C and TFLM's Python interpreter. Models: the bundled digit classifiers and one
single-op model per int8 op with a TFLite counterpart (tests/tflm/cases.py), plus IR-level nodes
for the clamps and paddings that TFLite can only express with extra ops.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import edgec
from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.activation_s8 import (HardSwishAttrs, LeakyReluAttrs, LogisticTanhAttrs, LogSoftmaxS8Attrs,
                                     SoftmaxS8Attrs)
from edgec.ops.base import Activation
from edgec.ops.conv_s8 import ConvS8Attrs, channel_rescale
from edgec.ops.elementwise_s8 import add_attrs, clamp_requantize_attrs, mul_attrs
from edgec.ops.matmul_s8 import FullyConnectedS8Attrs
from edgec.ops.pool_s8 import PoolS8Attrs
from edgec.ops.quant_io import RequantizeAttrs
from tests.tflm.cases import sample_feeds, single_op_cases
from tests.tflm.tflite_geometry import AF, activation_ranges
from tests.tflm.tflite_writer import TfliteWriteError, write_tflite
from tests.tflm.tflm_run import TflmModel, tflite_ops

ROOT = Path(__file__).resolve().parents[2] / "examples"
N_INPUTS = 20
CASES = single_op_cases()


def assert_c_equals_tflm(graph: Graph, int8_feeds: list[dict[str, np.ndarray]], run_c) -> bytes:
    """Runs every feed through edgec's C (`run_c`) and TFLM (graph written as .tflite); asserts
    every output is equal element for element. Returns the .tflite bytes."""
    data = write_tflite(graph)
    tflm = TflmModel(data, len(graph.outputs))
    for k, q in enumerate(int8_feeds):
        c = run_c(q)
        t = tflm.run([q[v.name] for v in graph.inputs])
        for v, tv in zip(graph.outputs, t):
            got, want = c[v.name], tv.reshape(c[v.name].shape)
            diff = got.astype(np.int32) - want.astype(np.int32)
            assert not diff.any(), (f"input {k}, output '{v.name}': edgec C != TFLM at {np.count_nonzero(diff)} of "
                                    f"{diff.size} elements (max |diff| {np.abs(diff).max()}); TFLite ops "
                                    f"{tflite_ops(data)}, edgec ops {[n.op for n in graph.nodes]}")
    return data


def _compiled_example(name: str):
    d = ROOT / name
    art = edgec.compile(str(d / f"digits_{name}.onnx"), quant="int8", calib=str(d / "digits_calib.npz"))
    images = np.load(d / "digits_test.npz")["image"][:N_INPUTS]
    return art, [art.quantize_inputs({"image": x}) for x in images]


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_example_int8_c_equals_tflm(name):
    art, feeds = _compiled_example(name)
    assert_c_equals_tflm(art.graph, feeds, art.run)


def test_example_cnn_arena_is_not_larger_than_tflm():
    """TFLM's arena holds its planned tensors (model input and output included) and its own
    bookkeeping; edgec's arena holds the intermediate tensors only (the caller owns input and
    output buffers). Both are printed; edgec's must not exceed TFLM's total."""
    art, feeds = _compiled_example("cnn")
    tflm = TflmModel(write_tflite(art.graph), 1)
    tflm.run([feeds[0]["image"]])
    arena, mine = tflm.arena(), art.memory()["arena_bytes"]
    io = sum(v.type.nbytes for v in art.graph.inputs + art.graph.outputs)
    print(f"\ndigits_cnn arena: edgec {mine} B (+ {io} B caller-owned input/output) vs TFLM {arena.total} B "
          f"= {arena.head} B tensors incl. input/output + {arena.tail} B bookkeeping")
    assert mine <= arena.total


@pytest.mark.parametrize("case", sorted(CASES))
def test_single_op_int8_c_equals_tflm(case):
    model, scale = CASES[case]
    art = edgec.compile(model, quant="int8", calib=sample_feeds(model, scale, 8, seed=0))
    assert not art.float_islands
    feeds = [art.quantize_inputs(f) for f in sample_feeds(model, scale, N_INPUTS, seed=1)]
    assert_c_equals_tflm(art.graph, feeds + [_every_code(art.graph)], art.run)


def _every_code(g: Graph) -> dict[str, np.ndarray]:
    """One feed holding every int8 code (repeated to fill), reversed on odd-numbered inputs."""
    ramp = np.arange(-128, 128, dtype=np.int8)
    return {v.name: np.resize(ramp[::-1] if k % 2 else ramp, v.shape).astype(np.int8) for k, v in enumerate(g.inputs)}


# -- IR-level nodes: clamps and pads that TFLite expresses with a fused activation or extra ops ----
_rng = np.random.default_rng(3)


def _q(scale: float, zp: int) -> QParams:
    return QParams((float(np.float32(scale)),), (zp,))


def _x(shape, q: QParams) -> Value:
    return Value("x", TensorType(tuple(shape), DType.I8, q))


def _parallel_graph(inputs: list[Value], attrs: dict) -> Graph:
    """One node per op (key of `attrs`), all reading `inputs`, each output a graph output."""
    nodes = []
    for op, a in attrs.items():
        assert a is not None, op
        y = Value(f"y_{op}", base.get(op).infer(a, [v.type for v in inputs])[0])
        nodes.append(Node(op, list(inputs), [y], a, op))
    return Graph("ir_case", [v for v in inputs if not v.is_const], [n.outputs[0] for n in nodes], nodes)


def _check_graph(g: Graph, feeds: list[dict[str, np.ndarray]]) -> list[str]:
    """The graph's C (emitted straight from the IR) vs TFLM on `feeds`; returns the TFLite ops."""
    src = emit_c(g, g.name)
    model = CompiledModel(src.signature(), build_shared(src.files))
    return tflite_ops(assert_c_equals_tflm(g, feeds, model.run))


def _check_ir(op: str, inputs: list[Value], attrs) -> list[str]:
    """C of one int8 node vs TFLM on random int8 inputs; returns the TFLite ops used."""
    g = _parallel_graph(inputs, {op: attrs})
    return _check_graph(g, [{v.name: _rng.integers(-128, 128, v.shape).astype(np.int8) for v in g.inputs}
                            for _ in range(N_INPUTS)])


def _conv_node(out_q: QParams, pads, clamp: tuple[int, int]):
    in_q = _q(0.05, 4)
    w = _rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    w_scales = _rng.uniform(0.002, 0.01, 4)
    wv = Value("w", TensorType(w.shape, DType.I8, QParams(tuple(map(float, w_scales)), (0,) * 4, 0)), w)
    bias = _rng.integers(-3000, 3000, 4).astype(np.int32)
    bv = Value("b", TensorType((4,), DType.I32, QParams(tuple(0.05 * w_scales), (0,) * 4, 0)), bias)
    mult, shift = channel_rescale(in_q.scale[0], w_scales, out_q.scale[0])
    attrs = ConvS8Attrs((3, 3), (1, 1), pads, (1, 1), 1, -4, out_q.zero_point[0], mult, shift, out_q.scale[0], *clamp)
    return [_x((1, 6, 7, 3), in_q), wv, bv], attrs


@pytest.mark.parametrize("act", [AF.RELU, AF.RELU6])
def test_fused_relu_clamp_is_tflite_fused_activation(act):
    out_q = _q(0.03, -20)
    inputs, attrs = _conv_node(out_q, (1, 1, 1, 1), activation_ranges(out_q)[act])
    assert _check_ir("conv_s8", inputs, attrs) == ["CONV_2D"]


def test_other_clamp_becomes_maximum_minimum():
    inputs, attrs = _conv_node(_q(0.03, -20), (1, 1, 1, 1), (-50, 60))
    assert _check_ir("conv_s8", inputs, attrs) == ["CONV_2D", "MAXIMUM", "MINIMUM"]


def test_conv_pads_neither_same_nor_valid_become_pad():
    inputs, attrs = _conv_node(_q(0.03, 5), (0, 2, 1, 0), (-128, 127))
    assert _check_ir("conv_s8", inputs, attrs) == ["PADV2", "CONV_2D"]


def test_max_pool_explicit_pads_with_clamp():
    q = _q(0.05, -3)
    attrs = PoolS8Attrs((3, 3), (2, 2), (0, 1, 2, 1), channels_last=True, scale=q.scale[0], zero_point=-3,
                        act_min=-100, act_max=90)
    assert _check_ir("max_pool_s8", [_x((2, 7, 8, 5), q)], attrs) == ["PADV2", "MAX_POOL_2D", "MAXIMUM", "MINIMUM"]


def test_add_with_relu_clamp():
    q1, q2, qo = _q(0.04, 10), _q(0.07, -30), _q(0.09, -5)
    attrs = add_attrs(q1, q2, qo, Activation("relu"))
    y = Value("b", TensorType((2, 5, 6), DType.I8, q2))
    assert _check_ir("add_s8", [_x((2, 5, 6), q1), y], attrs) == ["ADD"]


def test_fully_connected_with_relu6_clamp():
    in_q, out_q = _q(0.05, -7), _q(0.02, -60)
    w = _rng.integers(-127, 128, (6, 12)).astype(np.int8)
    w_scales = _rng.uniform(0.002, 0.01, 6)
    wv = Value("w", TensorType(w.shape, DType.I8, QParams(tuple(map(float, w_scales)), (0,) * 6, 0)), w)
    mult, shift = channel_rescale(in_q.scale[0], w_scales, out_q.scale[0])
    attrs = FullyConnectedS8Attrs(7, -60, mult, shift, out_q.scale[0], *activation_ranges(out_q)[AF.RELU6])
    assert _check_ir("fully_connected_s8", [_x((3, 12), in_q), wv], attrs) == ["FULLY_CONNECTED"]


def test_clamped_requantize_maps_to_relu_then_minimum():
    """Writer only (no comparison): a standalone clip(0, 0.5) becomes TFLite RELU + MINIMUM. Not
    compared with TFLM: edgec's multiplier is float32(s_in) / float32(s_out), TFLM RELU's is
    double(s_in) / double(s_out), so at rounding ties (here s_in / s_out = 12.5 in float32 and
    12.4999996 in double, x = 4) edgec gives one more than TFLM."""
    in_q, out_q = _q(0.05, 3), _q(0.004, -20)
    attrs = clamp_requantize_attrs(in_q, out_q, Activation("clip", 0.0, 0.5))
    assert tflite_ops(write_tflite(_parallel_graph([_x((4, 9), in_q)], {"requantize": attrs}))) == ["RELU", "MINIMUM"]


_UNARY = {"requantize": lambda i, o: RequantizeAttrs.between(i, o),
          "leaky_relu_s8": lambda i, o: LeakyReluAttrs.prepare(i, o, 0.25),
          "hard_swish_s8": HardSwishAttrs.prepare,
          "logistic_s8": lambda i, o: LogisticTanhAttrs.prepare(i),
          "tanh_s8": lambda i, o: LogisticTanhAttrs.prepare(i),
          "softmax_s8": lambda i, o: SoftmaxS8Attrs.prepare(i),
          "log_softmax_s8": lambda i, o: LogSoftmaxS8Attrs.prepare(i)}


@pytest.mark.parametrize("s_in, s_out", [(0.5, 0.2), (0.125, 0.05), (0.07, 0.004), (0.3, 1 / 255)])
def test_unary_ops_at_rounding_ties_on_every_int8_input(s_in, s_out):
    """Scale ratios exact in float32 but not in double put values on rounding ties, where a
    multiplier computed in the other precision would be off by one; every int8 input is run."""
    in_q, out_q = _q(s_in, 3), _q(s_out, -7)
    x = _x((1, 256), in_q)
    g = _parallel_graph([x], {op: prepare(in_q, out_q) for op, prepare in _UNARY.items()})
    _check_graph(g, [{"x": np.arange(-128, 128, dtype=np.int8).reshape(1, 256)}])


@pytest.mark.parametrize("s1, s2, s_out", [(0.25, 0.3, 0.1), (0.25, 0.07, 0.02), (0.5, 0.2, 0.125)])
def test_add_mul_at_rounding_ties_on_every_int8_pair(s1, s2, s_out):
    """As above for ADD and MUL, on all 65536 pairs of int8 codes. (SUB is left out: edgec computes
    its multipliers in float32, TFLM in double; at these scales thousands of pairs differ by one.)"""
    q1, q2, qo = _q(s1, 3), _q(s2, -5), _q(s_out, 7)
    a, b = _x((1, 65536), q1), Value("b", TensorType((1, 65536), DType.I8, q2))
    g = _parallel_graph([a, b], {"add_s8": add_attrs(q1, q2, qo, None), "mul_s8": mul_attrs(q1, q2, qo, None)})
    codes = np.arange(-128, 128, dtype=np.int8)
    _check_graph(g, [{"x": np.repeat(codes, 256).reshape(1, -1), "b": np.tile(codes, 256).reshape(1, -1)}])


# -- the comparison itself -------------------------------------------------------------------------
def test_comparison_detects_a_changed_weight():
    """The harness is not vacuous: one weight changed by one in the .tflite gives a mismatch."""
    model, scale = CASES["gemm"]
    art = edgec.compile(model, quant="int8", calib=sample_feeds(model, scale, 8, seed=0))
    g = art.graph.copy()
    fc = g.nodes[0]
    w = fc.inputs[1]
    changed = w.data.copy()
    changed[0, 0] = changed[0, 0] + 1 if changed[0, 0] < 127 else 126
    fc.inputs[1] = Value(w.name, w.type, changed)
    feeds = [art.quantize_inputs(f) for f in sample_feeds(model, scale, 4, seed=1)]
    with pytest.raises(AssertionError, match="edgec C != TFLM"):
        assert_c_equals_tflm(g, feeds, art.run)


def test_op_without_tflite_mapping_is_named():
    model, scale = CASES["sigmoid"]
    art = edgec.compile(model, quant="int8", calib=sample_feeds(model, scale, 4, seed=0))
    g = art.graph.copy()
    g.nodes[0] = dataclasses.replace(g.nodes[0], op="erf_s8")
    with pytest.raises(TfliteWriteError, match="op 'erf_s8' has no TFLite mapping"):
        write_tflite(g)
