"""int8 convolution (conv_s8, depthwise_conv_s8): the C kernels equal the integer reference bit for
bit, the integer reference equals a literal transcription of TFLite Micro's reference loops, int8
results stay close to float, and hand-computed cases pin the arithmetic (skipped padding taps,
rounding ties, saturation, clamps)."""
import itertools

import numpy as np
import pytest
from onnx import helper

from edgec.ir.graph import QParams
from edgec.ops.base import Activation
from edgec.ops.conv_s8 import ConvS8Attrs, conv_acc, fused_act_range, requantize_acc
from edgec.quant import fixedpoint as fp
from edgec.testing import check_int8
from tests.quant.s8_node import const, feeds, int8_value, onnx_model, run_node

# id: x shape (NCHW), weight shape (OIHW), Conv attributes, with bias
GRID = [
    ("3x3_pad1", (1, 3, 9, 9), (8, 3, 3, 3), dict(pads=[1, 1, 1, 1]), True),
    ("stride2_asymmetric_pads", (1, 4, 10, 11), (6, 4, 3, 3), dict(strides=[2, 2], pads=[0, 1, 2, 0]), True),
    ("strides_differ_per_axis", (2, 3, 8, 9), (5, 3, 3, 2), dict(strides=[1, 3], pads=[1, 0, 1, 1]), True),
    ("dilation2", (1, 3, 11, 11), (4, 3, 3, 3), dict(dilations=[2, 2], pads=[2, 2, 2, 2]), True),
    ("groups2", (1, 6, 7, 7), (8, 3, 3, 3), dict(group=2, pads=[1, 1, 1, 1]), True),
    ("groups4_two_outputs_each", (1, 8, 6, 6), (8, 2, 1, 3), dict(group=4, pads=[0, 1, 0, 1]), True),
    ("depthwise", (1, 8, 9, 9), (8, 1, 3, 3), dict(group=8, pads=[1, 1, 1, 1]), True),
    ("depthwise_multiplier3_stride2", (1, 4, 9, 8), (12, 1, 3, 3),
     dict(group=4, strides=[2, 2], pads=[1, 1, 0, 0]), True),
    ("depthwise_80_channels_dilated", (1, 80, 6, 6), (80, 1, 3, 3),
     dict(group=80, dilations=[2, 1], pads=[2, 1, 2, 1]), True),
    ("pointwise_70_outputs", (1, 16, 5, 5), (70, 16, 1, 1), {}, True),
    ("k_over_one_chunk", (1, 40, 6, 6), (9, 40, 5, 5), dict(pads=[2, 2, 2, 2]), True),
    ("no_bias", (1, 3, 7, 7), (4, 3, 3, 3), dict(pads=[1, 1, 1, 1]), False),
    ("batch3_odd_pixel_count", (3, 2, 5, 3), (3, 2, 2, 2), {}, True),
    ("kernel_covers_input", (1, 2, 3, 3), (4, 2, 3, 3), {}, True),
]


def _conv_model(x_shape, w_shape, attrs, bias, after=None, seed=0):
    rng = np.random.default_rng(seed)
    inits = {"w": (rng.standard_normal(w_shape) * 0.3).astype(np.float32)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rng.standard_normal(w_shape[0]).astype(np.float32)
        ins.append("b")
    nodes = [helper.make_node("Conv", ins, ["c" if after else "y"], **attrs)]
    if after:
        op, extra = after
        for k, v in extra.items():
            inits[k] = v
        nodes.append(helper.make_node(op, ["c", *extra], ["y"]))
    return onnx_model(nodes, {"x": x_shape}, inits)


def _ops(art):
    return [n.op for n in art.graph.nodes]


@pytest.mark.parametrize("x_shape,w_shape,attrs,bias", [c[1:] for c in GRID], ids=[c[0] for c in GRID])
def test_conv_c_matches_integer_ref_and_float(x_shape, w_shape, attrs, bias):
    model = _conv_model(x_shape, w_shape, attrs, bias)
    calib = feeds({"x": x_shape}, 4, 1)
    art, _, _ = check_int8(model, calib, calib[:2], min_sqnr_db=30)
    depthwise = w_shape[1] == 1 and attrs.get("group", 1) == x_shape[1] > 1
    assert ("depthwise_conv_s8" if depthwise else "conv_s8") in _ops(art)


def test_conv_1d_runs_as_2d_with_height_one():
    model = _conv_model((2, 3, 20), (4, 3, 5), dict(pads=[2, 1], strides=[2]), True)
    art, _, _ = check_int8(model, feeds({"x": (2, 3, 20)}, 4, 1), min_sqnr_db=30)
    assert "conv_s8" in _ops(art)


CLIP_0_6 = ("Clip", {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)})


@pytest.mark.parametrize("after", [("Relu", {}), CLIP_0_6], ids=["relu", "clip_0_6"])
def test_conv_with_fused_clamp(after):
    model = _conv_model((1, 3, 8, 8), (6, 3, 3, 3), dict(pads=[1, 1, 1, 1]), True, after)
    # scaled input so that Clip(0, 6) really clips
    calib = [{k: v * 4 for k, v in f.items()} for f in feeds({"x": (1, 3, 8, 8)}, 4, 1)]
    art, got, _ = check_int8(model, calib, min_sqnr_db=30)
    conv = next(n for n in art.graph.nodes if n.op == "conv_s8")
    assert "relu" not in _ops(art) and "clip" not in _ops(art)
    assert conv.attrs.act_min == conv.attrs.output_offset   # real 0 is the lowest output
    assert all(np.min(o["y"]) >= 0.0 for o in got)
    if after[0] == "Clip":
        assert max(np.max(o["y"]) for o in got) <= 6.0 + conv.attrs.out_scale


def test_conv_then_other_activation_keeps_full_output_range():
    model = _conv_model((1, 3, 6, 6), (4, 3, 3, 3), dict(pads=[1, 1, 1, 1]), True, ("LeakyRelu", {}))
    art, _, _ = check_int8(model, feeds({"x": (1, 3, 6, 6)}, 3, 1), float_ops=True)
    conv = next(n for n in art.graph.nodes if n.op == "conv_s8")
    assert (conv.attrs.act_min, conv.attrs.act_max) == (-128, 127)


def test_conv_with_fused_non_clamp_activation_is_declined():
    from edgec.ir.graph import Graph, Node, TensorType, Value
    from edgec.ops.conv import ConvAttrs
    from edgec.quant.quantize import quantize_graph
    x, y = Value("x", TensorType((1, 4, 4, 2))), Value("y", TensorType((1, 4, 4, 3)))
    w = Value("w", TensorType((3, 1, 1, 2)), np.ones((3, 1, 1, 2), np.float32))
    conv = Node("conv", [x, w], [y], ConvAttrs((1, 1), channels_last=True, act=Activation("leaky_relu", 0.1)), "c")
    result = quantize_graph(Graph("g", [x], [y], [conv]), {id(x): (-1.0, 1.0), id(y): (-1.0, 2.0)}, allow_float=True)
    assert result.float_islands == ["conv c"]


def test_conv_transpose_is_declined_and_stays_float():
    rng = np.random.default_rng(0)
    model = onnx_model([helper.make_node("ConvTranspose", ["x", "w"], ["y"])], {"x": (1, 2, 4, 4)},
                       {"w": rng.standard_normal((2, 3, 3, 3)).astype(np.float32)})
    art, _, _ = check_int8(model, feeds({"x": (1, 2, 4, 4)}, 2, 1), float_ops=True)
    assert any(s.startswith("conv_transpose") for s in art.float_islands)


# -- the integer reference is TFLM's loop nest ------------------------------------------------------
def _tflm_conv(x, w_ohwi, bias, a: ConvS8Attrs):
    """A literal, slow transcription of TFLM's ConvPerChannel (grouped via filter_input_depth)."""
    n, h, wd, c = x.shape
    oc, kh, kw, icg = w_ohwi.shape
    per_group = oc // (c // icg)
    (sh, sw), (dh, dw), (pt, pl, _, _) = a.strides, a.dilations, a.pads
    oh = (h + a.pads[0] + a.pads[2] - (kh - 1) * dh - 1) // sh + 1
    ow = (wd + a.pads[1] + a.pads[3] - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((n, oh, ow, oc), np.int64)
    for b, oy, ox, o in itertools.product(range(n), range(oh), range(ow), range(oc)):
        g, acc = o // per_group, 0
        for fy, fx in itertools.product(range(kh), range(kw)):
            iy, ix = oy * sh - pt + dh * fy, ox * sw - pl + dw * fx
            if 0 <= iy < h and 0 <= ix < wd:
                for i in range(icg):
                    acc += int(w_ohwi[o, fy, fx, i]) * (int(x[b, iy, ix, g * icg + i]) + a.input_offset)
        acc += int(bias[o])
        v = int(fp.multiply_by_quantized_multiplier(acc, a.multipliers[o], a.shifts[o]))
        y[b, oy, ox, o] = min(max(v + a.output_offset, a.act_min), a.act_max)
    return y


def _random_attrs(rng, oc, kernel, strides, pads, dilations, group, input_offset):
    mult = tuple(int(v) for v in rng.integers(1 << 30, 1 << 31, oc))
    shifts = tuple(int(v) for v in rng.integers(-12, 2, oc))
    return ConvS8Attrs(kernel, strides, pads, dilations, group, input_offset, int(rng.integers(-20, 20)), mult, shifts,
                       0.1, -100, 120)


# (x NHWC, weight OHWI, strides, pads, dilations, group, input offset, depthwise)
DIRECT = [
    ((1, 5, 6, 3), (4, 3, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 128, False),
    ((2, 4, 7, 4), (6, 2, 2, 2), (2, 1), (0, 2, 1, 0), (1, 2), 2, -127, False),
    ((1, 6, 5, 3), (6, 3, 2, 1), (1, 2), (2, 0, 0, 1), (2, 1), 3, 7, False),
    ((1, 6, 6, 18), (18, 3, 3, 1), (1, 1), (1, 1, 1, 1), (1, 1), 18, 128, True),
    ((1, 5, 5, 3), (6, 2, 3, 1), (2, 2), (0, 1, 1, 1), (1, 1), 3, -5, True),
]


@pytest.mark.parametrize("xs,ws,strides,pads,dil,group,off,dw", DIRECT)
def test_integer_ref_and_c_equal_tflm_loops(xs, ws, strides, pads, dil, group, off, dw):
    """Random int8 data, extreme input offsets, random multipliers and shifts (some left shifts)."""
    rng = np.random.default_rng(sum(xs) + sum(ws))
    x = rng.integers(-128, 128, xs).astype(np.int8)
    w = rng.integers(-127, 128, ws).astype(np.int8)
    bias = rng.integers(-3000, 3000, ws[0]).astype(np.int32)
    a = _random_attrs(rng, ws[0], ws[1:3], strides, pads, dil, group, off)
    want = _tflm_conv(x, w, bias, a)
    op, wdata = ("depthwise_conv_s8", w.transpose(3, 1, 2, 0)) if dw else ("conv_s8", w)
    ins = [int8_value("x", xs), const("w", np.ascontiguousarray(wdata)), const("b", bias)]
    ref, got = run_node(op, ins, a, {"x": x})
    np.testing.assert_array_equal(ref, want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["conv_s8", "depthwise_conv_s8"])
def test_conv_without_bias_reads_null_as_zeros(op):
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, (1, 5, 5, 4)).astype(np.int8)
    w = rng.integers(-127, 128, (1, 3, 3, 4) if op == "depthwise_conv_s8" else (4, 3, 3, 4)).astype(np.int8)
    a = ConvS8Attrs((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4 if op == "depthwise_conv_s8" else 1, 10, -2,
                    (1 << 30,) * 4, (-7,) * 4, 0.1)
    ref, got = run_node(op, [int8_value("x", x.shape), const("w", w), None], a, {"x": x})
    np.testing.assert_array_equal(got, ref)


def test_golden_conv_arithmetic():
    """Hand-computed: 1x2 kernel, left padding 1, input zero point -1, output zero point 3.

    x = [10, -3, 127]; oc0 w = [1, 2], bias 0, scale 0.5 (m = 2^30, shift 0);
    oc1 w = [-3, 1], bias 4, scale 0.25 (m = 2^30, shift -1); clamp [-4, 127].
      ow0 (pad, 10): acc0 = 11*2 = 22 -> 11;            acc1 = 11*1 + 4 = 15 -> 7.5 -> 8 -> 4
      ow1 (10, -3):  acc0 = 11*1 - 2*2 = 7 -> 3.5 -> 4;  acc1 = -33 - 2 + 4 = -31 -> -15 -> -7.5 -> -8
      ow2 (-3, 127): acc0 = -2 + 128*2 = 254 -> 127;     acc1 = 6 + 128 + 4 = 138 -> 69 -> 35
    SRDHM rounds ties up (-15.5 -> -15), the shift rounds ties away from zero (-7.5 -> -8).
    Plus 3: oc0 [14, 7, 130 -> 127 saturated], oc1 [7, -5 -> -4 clamped, 38]."""
    a = ConvS8Attrs((1, 2), (1, 1), (0, 1, 0, 0), (1, 1), 1, 1, 3, (1 << 30, 1 << 30), (0, -1), 0.1, -4, 127)
    x = np.array([10, -3, 127], np.int8).reshape(1, 1, 3, 1)
    w = np.array([[1, 2], [-3, 1]], np.int8).reshape(2, 1, 2, 1)
    ins = [int8_value("x", (1, 1, 3, 1)), const("w", w), const("b", np.array([0, 4], np.int32))]
    ref, got = run_node("conv_s8", ins, a, {"x": x})
    want = np.array([[14, 7], [7, -4], [127, 38]], np.int8).reshape(1, 1, 3, 2)
    np.testing.assert_array_equal(ref, want)
    np.testing.assert_array_equal(got, want)


def test_conv_acc_skips_padding_taps():
    a = ConvS8Attrs((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 5, 0, (1 << 30,), (0,), 1.0)
    acc = conv_acc(a, np.zeros((1, 2, 2, 1), np.int8), np.ones((1, 3, 3, 1), np.int8))
    np.testing.assert_array_equal(acc.reshape(-1), [20, 20, 20, 20])   # 4 in-image taps * (0 + 5)


def test_requantize_saturates_and_clamps():
    acc = np.array([[10 ** 6, -10 ** 6, 0]])
    y = requantize_acc(acc, (1 << 30,) * 3, (0,) * 3, 1, -50, 100)
    np.testing.assert_array_equal(y, [[100, -50, 1]])


@pytest.mark.parametrize("act,q,want", [
    (None, QParams((0.1,), (5,)), (-128, 127)),
    (Activation("relu"), QParams((0.1,), (-20,)), (-20, 127)),
    (Activation("clip", 0.0, 6.0), QParams((6 / 255,), (-128,)), (-128, 127)),
    (Activation("clip", -1.0, 1.0), QParams((0.1,), (5,)), (-5, 15)),
    (Activation("clip", 0.25, 100.0), QParams((0.1,), (0,)), (3, 127)),      # 2.5 rounds away from 0
    (Activation("clip", -np.inf, 0.5), QParams((0.1,), (0,)), (-128, 5)),
    (Activation("leaky_relu", 0.1), QParams((0.1,), (0,)), None),
])
def test_fused_activation_becomes_output_clamp(act, q, want):
    assert fused_act_range(act, q) == want
