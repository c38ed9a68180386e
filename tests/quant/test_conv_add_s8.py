"""conv_add_s8 (conv_s8 -> residual add_s8 fused, the conv computed row by row into scratch and
added into the residual's buffer): C == integer simulator bit for bit, the fused graph gives
exactly the unfused graph's outputs, the pass fuses only where it may, and the MLPerf Tiny
ResNet-8's arena drops below 80% of TFLM's."""
from pathlib import Path

import cffi
import numpy as np
import pytest
from onnx import helper

import edgec
import edgec.compiler
from edgec.backend.build import build_shared
from edgec.backend.c import runtime_files
from edgec.backend.plan import plan_memory
from edgec.ir.graph import TensorType
from edgec.ops import base
from edgec.ops.conv_s8 import ConvS8Attrs, _params
from edgec.testing import check_int8
from tests.quant.s8_node import feeds, onnx_model

MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "mlperf_tiny"
RESNET8 = MODELS / "pretrainedResnet_quant.tflite"
TFLM_RESNET8_ARENA = 55984   # bytes, TFLM's RecordingMicroAllocator (benchmarks/tflite_vs_tflm.py)


def _block(c: int, k: tuple[int, int], pads: list[int], conv_first: bool, relu_inside: bool, relu_after: bool,
           shortcut_stride2: bool = False, batch: int = 1, seed: int = 0):
    """x -> Conv+Relu -> r; r -> Conv+Relu -> Conv(k, pads) [+Relu] -> h; y = Add(h, r) or Add(r, h)
    [+Relu]. With shortcut_stride2, as ResNet's downsampling block: the main path's first conv
    has stride 2 and r is instead a 1x1 stride-2 conv of the block input (the fused conv)."""
    rng = np.random.default_rng(seed)
    w = lambda *s: (rng.standard_normal(s) * 0.4).astype(np.float32)
    inits = {"w0": w(c, 3, 3, 3), "w1": w(c, c, 3, 3), "w2": w(c, c, *k), "b2": w(c)}
    nodes = [helper.make_node("Conv", ["x", "w0"], ["c0"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c0"], ["r"])]
    s1 = [2, 2] if shortcut_stride2 else [1, 1]
    nodes += [helper.make_node("Conv", ["r", "w1"], ["c1"], pads=[1, 1, 1, 1], strides=s1),
              helper.make_node("Relu", ["c1"], ["h1"]),
              helper.make_node("Conv", ["h1", "w2", "b2"], ["c2" if relu_inside else "h"], pads=pads)]
    if relu_inside:
        nodes.append(helper.make_node("Relu", ["c2"], ["h"]))
    res = "r"
    if shortcut_stride2:
        inits["ws"] = w(c, c, 1, 1)
        nodes.append(helper.make_node("Conv", ["r", "ws"], ["s"], strides=[2, 2]))
        res = "s"
    operands = ["h", res] if conv_first else [res, "h"]
    nodes.append(helper.make_node("Add", operands, ["a" if relu_after else "y"]))
    if relu_after:
        nodes.append(helper.make_node("Relu", ["a"], ["y"]))
    return onnx_model(nodes, {"x": (batch, 3, 8, 7)}, inits)


CASES = [
    ("3x3_conv_first", dict(c=4, k=(3, 3), pads=[1, 1, 1, 1], conv_first=True, relu_inside=False, relu_after=True)),
    ("3x3_residual_first", dict(c=4, k=(3, 3), pads=[1, 1, 1, 1], conv_first=False, relu_inside=False,
                                relu_after=True)),
    ("relu_before_add", dict(c=5, k=(3, 3), pads=[1, 1, 1, 1], conv_first=True, relu_inside=True, relu_after=False)),
    ("both_relus_residual_first", dict(c=3, k=(3, 3), pads=[1, 1, 1, 1], conv_first=False, relu_inside=True,
                                       relu_after=True)),
    ("asymmetric_pads_2x2", dict(c=4, k=(2, 2), pads=[0, 1, 1, 0], conv_first=True, relu_inside=False,
                                 relu_after=False)),
    ("tall_kernel_5x1", dict(c=6, k=(5, 1), pads=[3, 0, 1, 0], conv_first=False, relu_inside=False, relu_after=True)),
    ("1x1", dict(c=4, k=(1, 1), pads=[0, 0, 0, 0], conv_first=True, relu_inside=False, relu_after=True)),
    ("batch2", dict(c=4, k=(3, 3), pads=[1, 1, 1, 1], conv_first=False, relu_inside=True, relu_after=True, batch=2)),
    ("stride2_shortcut", dict(c=4, k=(3, 3), pads=[1, 1, 1, 1], conv_first=True, relu_inside=False, relu_after=True,
                              shortcut_stride2=True)),
]


def _ops(art) -> list[str]:
    return [n.op for n in art.graph.nodes]


def _unfused(monkeypatch):
    monkeypatch.setattr(edgec.compiler, "_int8_passes", lambda g, verify_each: g)


@pytest.mark.parametrize("kw", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_fused_block_c_matches_simulator_and_unfused_graph(kw, monkeypatch):
    model = _block(**kw)
    calib = feeds({"x": (kw.get("batch", 1), 3, 8, 7)}, 3, seed=1)
    art, _, _ = check_int8(model, calib, min_sqnr_db=25)
    assert "conv_add_s8" in _ops(art) and "add_s8" not in _ops(art)
    fused = next(n for n in art.graph.nodes if n.op == "conv_add_s8")
    # the stride-2 block fuses the shortcut conv, the add's other operand
    assert fused.attrs.conv_first == (not kw["conv_first"] if kw.get("shortcut_stride2") else kw["conv_first"])
    with monkeypatch.context() as m:
        _unfused(m)
        ref, _, _ = check_int8(model, calib)
    assert "add_s8" in _ops(ref) and "conv_add_s8" not in _ops(ref)
    for f in calib:
        q = art.quantize_inputs(f)
        np.testing.assert_array_equal(art.run(q)["y"], ref.run(q)["y"])
        np.testing.assert_array_equal(art.simulate(q)["y"], ref.simulate(q)["y"])


def test_no_fusion_when_the_residual_outlives_the_add():
    """r is read again after the add (y = (h + r) * r): it does not die there, so the add stays."""
    model = _block(c=4, k=(3, 3), pads=[1, 1, 1, 1], conv_first=True, relu_inside=False, relu_after=False)
    model.graph.node[-1].output[0] = "a"
    model.graph.node.append(helper.make_node("Mul", ["a", "r"], ["y"]))
    art, _, _ = check_int8(model, feeds({"x": (1, 3, 8, 7)}, 2, seed=1))
    assert "add_s8" in _ops(art) and "conv_add_s8" not in _ops(art)


def test_no_fusion_of_a_broadcast_add():
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    model = onnx_model([helper.make_node("Conv", ["x", "w"], ["h"], pads=[1, 1, 1, 1]),
                        helper.make_node("Relu", ["z"], ["r"]), helper.make_node("Add", ["h", "r"], ["y"])],
                       {"x": (1, 3, 6, 6), "z": (1, 4, 1, 6)}, {"w": w})
    art, _, _ = check_int8(model, feeds({"x": (1, 3, 6, 6), "z": (1, 4, 1, 6)}, 2, seed=1))
    assert "conv_add_s8" not in _ops(art)


def test_scratch_rule_equals_the_c_size_function():
    ffi = cffi.FFI()
    ffi.cdef(_cdef())
    lib = ffi.dlopen(str(build_shared(runtime_files({"ec_conv2d_add_s8", "ec_conv2d_s8", "ec_add_s8"}))))
    from edgec.ops.conv_add_s8 import ConvAddS8Attrs
    from edgec.ops.elementwise_s8 import AddS8Attrs
    add = AddS8Attrs(0, 0, 0, 1 << 30, -1, 1 << 30, -1, 1 << 30, -1, 0.1)
    for (h, w, c, oc, k) in [(8, 7, 3, 4, 3), (32, 32, 16, 16, 3), (16, 16, 32, 32, 1), (5, 9, 70, 8, 5)]:
        conv = ConvS8Attrs((k, k), (1, 1), (k // 2,) * 4, (1, 1), 1, 0, 0, (1,) * oc, (0,) * oc, 0.1)
        x, wt = TensorType((1, h, w, c)), TensorType((oc, k, k, c))
        y = base.get("conv_s8").infer(conv, [x, wt])[0]
        rule = base.get("conv_add_s8").scratch(ConvAddS8Attrs(conv, add, True), [y, x, wt], [y])
        fields = _params(conv, type("V", (), {"shape": x.shape}), type("V", (), {"shape": y.shape}))
        assert lib.ec_conv2d_add_s8_scratch_size(ffi.new("ec_conv2d_s8_params *", fields)) == rule


def _cdef() -> str:
    fields = ("n in_h in_w in_c out_h out_w out_c k_h k_w stride_h stride_w pad_top pad_left dil_h dil_w groups "
              "input_offset output_offset act_min act_max").split()
    return ("typedef struct { " + " ".join(f"int32_t {f};" for f in fields) + " } ec_conv2d_s8_params;\n"
            "int32_t ec_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *cp);")


def test_mlperf_resnet8_arena_drops_below_80_percent_of_tflm(monkeypatch):
    """Every residual add fuses; the output stays equal to the unfused graph's (TFLM equality:
    tests/tflite/test_mlperf_tiny.py) and the arena falls from 50560 B (90%) to under 80%."""
    art = edgec.compile(str(RESNET8))
    assert _ops(art).count("conv_add_s8") == 3 and "add_s8" not in _ops(art)
    with monkeypatch.context() as m:
        _unfused(m)
        ref = edgec.compile(str(RESNET8))
    fused, unfused = plan_memory(art.graph).arena_bytes, plan_memory(ref.graph).arena_bytes
    print(f"ResNet-8 arena: fused {fused} B ({fused / TFLM_RESNET8_ARENA:.1%} of TFLM's {TFLM_RESNET8_ARENA}),"
          f" unfused {unfused} B ({unfused / TFLM_RESNET8_ARENA:.1%})")
    assert fused <= 0.8 * TFLM_RESNET8_ARENA < unfused
    x, y = art.graph.inputs[0], art.graph.outputs[0]
    rng = np.random.default_rng(3)
    for _ in range(3):
        feed = {x.name: rng.integers(-128, 128, x.shape).astype(np.int8)}
        np.testing.assert_array_equal(art.run(feed)[y.name], ref.run(feed)[y.name])
