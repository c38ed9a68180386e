"""cmsis target, host build (the plain C path of every ecm_* kernel): bit-exact with the integer
simulator on random layers, edge cases included (odd channel counts, padding, strides,
dilations, batches, clamps, extreme zero points); the table picks the cmsis kernel where it
applies and the portable one elsewhere; the compile-time preparation (folded bias, packed
weights) and the scratch sizes agree with the C."""
import zlib

import numpy as np
import pytest

from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.backend.cmsis_ops import folded_bias, pack_pairs
from edgec.errors import EdgecError
from edgec.sim.interpreter import run_graph
from tests.cortexm import cmsis_cases as cc


def _run(g, target="cmsis", seed=0):
    src = emit_c(g, "t", target=target)
    model = CompiledModel(src.signature(), build_shared(src.files))
    rng = np.random.default_rng(seed)
    for _ in range(2):
        f = cc.feeds(rng, g)
        want = run_graph(g, f)
        got = model.run(f)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
    return src


# id: input NHWC, out channels, kernel, strides, pads (t, l, b, r), dilations, bias
CONV = [
    ("3x3_pad1_odd_channels", (1, 7, 6, 3), 5, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), True),
    ("stride2_asymmetric_pads", (1, 9, 8, 4), 6, (3, 3), (2, 2), (0, 1, 2, 0), (1, 1), True),
    ("kws_first_layer", (1, 49, 10, 1), 8, (10, 4), (2, 2), (4, 1, 5, 2), (1, 1), True),
    ("dilated_no_bias", (1, 9, 9, 5), 3, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), False),
    ("batch2_odd_pixels", (2, 5, 3, 6), 7, (2, 2), (1, 1), (0, 0, 0, 0), (1, 1), True),
    ("k_not_multiple_of_4", (1, 5, 5, 3), 1, (1, 3), (1, 2), (0, 1, 0, 1), (1, 1), True),
    ("kernel_covers_input", (1, 3, 3, 2), 4, (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), True),
    ("wide_k_64_channels", (1, 4, 4, 64), 10, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), True),
]


@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_conv_bit_exact(case):
    _, shape, oc, k, s, p, d, bias = case
    rng = np.random.default_rng(zlib.crc32(case[0].encode()))
    x = cc.input_value(rng, shape)
    n = cc.conv_node(rng, x, oc, k, s, p, d, bias=bias)
    src = _run(cc.graph([x], [n]))
    assert "ecm_conv2d_s8(" in src.files["t.c"]


# id: input NHWC, out channels, strides, bias
POINTWISE = [
    ("odd_in_and_out", (1, 5, 3, 7), 9, (1, 1), True),
    ("kws_like", (1, 25, 5, 64), 64, (1, 1), True),
    ("stride2", (1, 7, 6, 8), 5, (2, 2), False),
    ("batch3_one_output", (3, 2, 3, 16), 1, (1, 1), True),
]


@pytest.mark.parametrize("case", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_conv1x1_bit_exact(case):
    _, shape, oc, s, bias = case
    rng = np.random.default_rng(zlib.crc32(case[0].encode()))
    x = cc.input_value(rng, shape)
    src = _run(cc.graph([x], [cc.conv_node(rng, x, oc, (1, 1), s, bias=bias)]))
    assert "ecm_conv1x1_s8(" in src.files["t.c"]


# id: input NHWC, kernel, strides, pads, dilations, bias
DEPTHWISE = [
    ("3x3_pad1_64ch", (1, 25, 5, 64), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), True),
    ("3x3_stride2_odd_channels", (1, 9, 8, 13), (3, 3), (2, 2), (0, 1, 1, 0), (1, 1), True),
    ("5x3_dilated_no_bias", (1, 8, 9, 6), (5, 3), (1, 1), (4, 1, 4, 1), (2, 1), False),
    ("3_channels_batch2", (2, 4, 4, 3), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), True),
    ("kernel_covers_input_17ch", (1, 3, 3, 17), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), True),
]


@pytest.mark.parametrize("case", DEPTHWISE, ids=[c[0] for c in DEPTHWISE])
def test_depthwise_bit_exact(case):
    _, shape, k, s, p, d, bias = case
    rng = np.random.default_rng(zlib.crc32(case[0].encode()))
    x = cc.input_value(rng, shape)
    src = _run(cc.graph([x], [cc.conv_node(rng, x, shape[3], k, s, p, d, depthwise=True, bias=bias)]))
    assert "ecm_depthwise_conv2d_s8(" in src.files["t.c"]


@pytest.mark.parametrize("m,k,n", [(1, 640, 128), (1, 7, 3), (2, 33, 5), (5, 64, 12), (4, 1, 1)])
def test_fully_connected_bit_exact(m, k, n):
    rng = np.random.default_rng(m * 1000 + k + n)
    x = cc.input_value(rng, (m, k))
    src = _run(cc.graph([x], [cc.fc_node(rng, x, n, bias=k != 7)]))
    assert "ecm_fully_connected_s8(" in src.files["t.c"]


@pytest.mark.parametrize("conv_first", [True, False])
def test_conv_add_bit_exact(conv_first):
    rng = np.random.default_rng(int(conv_first))
    x = cc.input_value(rng, (1, 6, 5, 3))
    r = cc.input_value(rng, (1, 6, 5, 7), "r")
    src = _run(cc.graph([x, r], [cc.conv_add_node(rng, x, r, (3, 3), (1, 1, 1, 1), conv_first)]))
    assert "ecm_conv2d_add_s8(" in src.files["t.c"]


def test_extreme_zero_points_and_chained_layers():
    """Input zero points at both ends of the int8 range (offsets -127 and 128) through a chain of
    every kernel; padding taps then read those zero points."""
    rng = np.random.default_rng(7)
    x = cc._i8("x", (1, 6, 6, 5), -128)
    c1 = cc.conv_node(rng, x, 6, (3, 3), pads=(1, 1, 1, 1), name="c1")
    dw = cc.conv_node(rng, c1.outputs[0], 6, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="dw", in_zp=127)
    pw = cc.conv_node(rng, dw.outputs[0], 4, (1, 1), name="pw", in_zp=127)
    _run(cc.graph([x], [c1, dw, pw]))


def test_int32_wraparound_of_huge_biases():
    """Biases near the int32 limits: the folded bias and the sums wrap exactly as the
    simulator's int32 accumulator does."""
    rng = np.random.default_rng(8)
    x = cc._i8("x", (3, 40), 127)
    n = cc.fc_node(rng, x, 6)
    n.inputs[2].data[:] = np.array([2**31 - 1, -2**31, 2**31 - 200, -2**31 + 300, 5, -5], np.int32)
    c = cc.conv_node(rng, cc._i8("xc", (1, 4, 4, 6), 127), 5, (3, 3), pads=(1, 1, 1, 1), name="c")
    c.inputs[2].data[:] = np.array([2**31 - 1, -2**31, 2**31 - 2000, -2**31 + 3000, 0], np.int32)
    _run(cc.graph([x], [n]))
    _run(cc.graph([c.inputs[0]], [c]))


def test_portable_kernels_remain_where_cmsis_has_none():
    """Grouped convolution and a depthwise channel multiplier keep the portable kernels."""
    rng = np.random.default_rng(3)
    x = cc.input_value(rng, (1, 6, 6, 4))
    dw = cc.conv_node(rng, x, 8, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="dw")
    src = _run(cc.graph([x], [dw]))
    assert "ec_depthwise_conv2d_s8(" in src.files["t.c"] and "ecm_" not in src.files["t.c"]


def test_portable_target_unchanged_and_unknown_target_rejected():
    rng = np.random.default_rng(4)
    x = cc.input_value(rng, (1, 5, 5, 3))
    g = cc.graph([x], [cc.conv_node(rng, x, 4, (3, 3), pads=(1, 1, 1, 1))])
    assert "ecm_" not in emit_c(g, "t").files["t.c"]
    with pytest.raises(EdgecError, match="--target"):
        emit_c(g, "t", target="neon")


def test_folded_bias_wraps_like_int32_sums():
    w = np.full((2, 3), 127, np.int8)
    got = folded_bias(w, np.array([2**31 - 1, -5], np.int64), 128)
    want = (np.array([2**31 - 1, -5], np.int64) + 128 * 381 + 2**31) % 2**32 - 2**31
    np.testing.assert_array_equal(got, want.astype(np.int32))


def test_pack_pairs_layout():
    w = np.arange(3 * 5, dtype=np.int8).reshape(3, 5)    # 3 channels (odd), K = 5 -> k4 = 8
    p = pack_pairs(w)
    assert p.shape == (4, 8)
    flat = p.reshape(-1)
    # pair 0, group 0: channel 0 then channel 1, four weights each
    assert list(flat[:8]) == [0, 1, 2, 3, 5, 6, 7, 8]
    # pair 0, group 1: K tail zero-padded
    assert list(flat[8:16]) == [4, 0, 0, 0, 9, 0, 0, 0]
    # pair 1: channel 2 and the zero row
    assert list(flat[16:24]) == [10, 11, 12, 13, 0, 0, 0, 0]


def test_scratch_rules_equal_the_c_functions():
    """The planner's scratch bytes (Python rules) equal each kernel's C _scratch_size()."""
    import cffi

    from edgec.backend.c import runtime_files
    from edgec.backend.cmsis import select_kernels
    from edgec.ops.conv_s8 import _params
    rng = np.random.default_rng(5)
    x = cc.input_value(rng, (1, 7, 6, 5))
    r = cc.input_value(rng, (1, 7, 6, 9), "r")
    nodes = [cc.conv_node(rng, x, 9, (3, 2), (1, 1), (1, 0, 1, 1), name="c"),
             cc.conv_node(rng, x, 3, (1, 1), name="p"),
             cc.conv_node(rng, x, 5, (5, 3), (1, 1), (2, 1, 2, 1), depthwise=True, name="d"),
             cc.conv_add_node(rng, x, r, (3, 3), (1, 1, 1, 1), True, name="a")]
    xf = cc.input_value(rng, (3, 37))
    fc = cc.fc_node(rng, xf, 11)
    files = runtime_files({"ecm_conv2d_s8", "ecm_conv1x1_s8", "ecm_depthwise_conv2d_s8", "ecm_conv2d_add_s8",
                           "ecm_fully_connected_s8", "ecm_add_s8"})
    ffi = cffi.FFI()
    ffi.cdef("""typedef struct { int32_t n, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w,
                pad_top, pad_left, dil_h, dil_w, groups, input_offset, output_offset, act_min, act_max; }
                ec_conv2d_s8_params;
                typedef struct { int32_t m, k, n, input_offset, output_offset, act_min, act_max; } ec_fc_s8_params;
                int32_t ecm_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p);
                int32_t ecm_conv1x1_s8_scratch_size(const ec_conv2d_s8_params *p);
                int32_t ecm_depthwise_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p);
                int32_t ecm_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *p);
                int32_t ecm_fully_connected_s8_scratch_size(const ec_fc_s8_params *p);""")
    lib = ffi.dlopen(str(build_shared(files)))
    fns = {"c": "ecm_conv2d_s8", "p": "ecm_conv1x1_s8", "d": "ecm_depthwise_conv2d_s8", "a": "ecm_conv2d_add_s8"}
    for n in nodes:
        want = select_kernels(cc.graph([x], [n]), "cmsis")[id(n)].scratch
        conv = n.attrs.conv if n.op == "conv_add_s8" else n.attrs
        xin = n.inputs[1] if n.op == "conv_add_s8" else n.inputs[0]
        p = ffi.new("ec_conv2d_s8_params *", _params(conv, xin, n.outputs[0]))
        assert getattr(lib, f"{fns[n.name]}_scratch_size")(p) == want, n.name
    p = ffi.new("ec_fc_s8_params *", {"m": 3, "k": 37, "n": 11, "input_offset": 0, "output_offset": 0,
                                     "act_min": -128, "act_max": 127})
    assert lib.ecm_fully_connected_s8_scratch_size(p) == select_kernels(cc.graph([xf], [fc]), "cmsis")[id(fc)].scratch
