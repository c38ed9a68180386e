"""cmsis target, Helium paths (Cortex-M55 under QEMU) of the kernels' fast cases: bit-exact with
the integer simulator on layers chosen to take each path and its edges.
- Depthwise: sixteen channels at a time with two taps summed in int16 (whole blocks of 16, then
  8, then a predicated tail), eight channels with stride 1 as two pixels at a time, odd and even
  tap counts, a weight of -128 or more than 31 taps (back to eight at a time), the saturating
  and the clamped output, layers with left shifts and with right shifts only.
- Convolution: the im2col shortcut for a kernel inside the image (one step or more per kernel
  row) beside the runs at the edges.
- Matrix kernels: one row against four channels per load (fully connected), with channels and K
  left over; K = 8 with two rows side by side.
- Pools: the vector channel loops. Residual add rows: every shift pattern.
The M4 runs the depthwise cases too (its DSP path shares the kernel's setup and scratch)."""
import dataclasses
import zlib

import numpy as np
import pytest

from edgec.backend.c import emit_c
from edgec.sim.interpreter import run_graph
from tests.cortexm import cmsis_cases as cc
from tests.cortexm.cmsis_qemu import run_model, toolchain_available

pytestmark = pytest.mark.skipif(not toolchain_available(), reason="arm-none-eabi-gcc / qemu-system-arm not installed")


def _exact(g, cpu, seed):
    rng = np.random.default_rng(seed)
    feeds = cc.feeds(rng, g)
    src = emit_c(g, "t", target="cmsis")
    got = run_model(src.files, src.signature(), feeds, cpu).outputs
    want = run_graph(g, feeds)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=cpu)


# id: input NHWC, kernel, strides, pads (t, l, b, r), dilations, clamp (None: random), weight -128
DEPTHWISE = [
    ("16ch_3x3_int8_clamp", (1, 6, 5, 16), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (-128, 127), False),
    ("40ch_16_16_8_relu", (1, 5, 6, 40), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (-20, 127), False),
    ("20ch_tail4_stride2", (1, 9, 8, 20), (3, 3), (2, 2), (0, 1, 1, 0), (1, 1), None, False),
    ("8ch_two_pixels_per_block", (1, 7, 7, 8), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (-128, 127), False),
    ("8ch_odd_width_5x3_dilated", (1, 9, 11, 8), (5, 3), (1, 1), (2, 1, 2, 2), (1, 2), (-60, 127), False),
    ("8ch_stride2_one_pixel", (1, 9, 8, 8), (3, 3), (2, 2), (0, 1, 1, 0), (1, 1), None, False),
    ("8ch_weight_int8_min", (1, 6, 6, 8), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (-128, 127), True),
    ("32ch_5x5_odd_taps", (1, 7, 6, 32), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), (-100, 90), False),
    ("48ch_1x4_even_taps", (1, 4, 9, 48), (1, 4), (1, 2), (0, 1, 0, 2), (1, 1), None, False),
    ("16ch_7x7_too_many_taps", (1, 8, 8, 16), (7, 7), (1, 1), (3, 3, 3, 3), (1, 1), (-128, 127), False),
    ("16ch_weight_int8_min", (1, 5, 5, 16), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (-128, 127), True),
    ("24ch_dilated_batch2", (2, 7, 7, 24), (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), None, False),
    ("64ch_kernel_covers_input", (1, 3, 3, 64), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), (-1, 127), False),
]


@pytest.mark.parametrize("right_only", [None, 0, -1], ids=["any_shift", "no_left_shift", "right_shifts"])
@pytest.mark.parametrize("cpu", ["cortex-m55", "cortex-m4"])
@pytest.mark.parametrize("case", DEPTHWISE, ids=[c[0] for c in DEPTHWISE])
def test_depthwise_paths_bit_exact(case, cpu, right_only):
    """right_only: every shift <= 0 (with zeros) or < 0 (Helium's shorter requantization)."""
    name, shape, k, s, p, d, clamp, int8_min = case
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = cc.input_value(rng, shape)
    n = cc.conv_node(rng, x, shape[3], k, s, p, d, depthwise=True)
    if clamp is not None:
        n.attrs = dataclasses.replace(n.attrs, act_min=clamp[0], act_max=clamp[1])
    if right_only is not None:
        n.attrs = dataclasses.replace(n.attrs, shifts=tuple(min(v, right_only) for v in n.attrs.shifts))
    if int8_min:   # one weight of -128: two products no longer fit int16
        n.inputs[1].data.reshape(-1)[5] = -128
    _exact(cc.graph([x], [n]), cpu, 1)


# id: input NHWC, out channels, kernel, strides, pads, dilations
CONV = [
    ("3ch_3x3_stride2_rows_of_9", (1, 11, 10, 3), 8, (3, 3), (2, 2), (0, 0, 1, 1), (1, 1)),
    ("8ch_3x3_rows_of_24", (1, 6, 7, 8), 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ("1ch_10x4_kws_like", (1, 20, 8, 1), 10, (10, 4), (2, 2), (4, 1, 5, 2), (1, 1)),
    ("2ch_dilated_falls_back", (1, 9, 9, 2), 4, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),
    ("5ch_k_tail_no_pad_batch2", (2, 5, 6, 5), 3, (2, 3), (1, 1), (0, 0, 0, 0), (1, 1)),
]


@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_conv_im2col_paths_bit_exact(case):
    name, shape, oc, k, s, p, d = case
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = cc.input_value(rng, shape)
    _exact(cc.graph([x], [cc.conv_node(rng, x, oc, k, s, p, d)]), "cortex-m55", 2)


@pytest.mark.parametrize("m,k,n", [(1, 64, 64), (1, 40, 10), (1, 33, 7), (1, 16, 4), (1, 5, 3), (2, 48, 9)])
def test_fully_connected_one_row_bit_exact(m, k, n):
    rng = np.random.default_rng(m * 1000 + k + n)
    x = cc.input_value(rng, (m, k))
    _exact(cc.graph([x], [cc.fc_node(rng, x, n)]), "cortex-m55", 3)


# op, input NHWC, kernel, strides, pads, count_include_pad, clamp
POOL = [
    ("max_pool_s8", (1, 8, 8, 16), (2, 2), (2, 2), (0, 0, 0, 0), False, (-128, 127)),
    ("max_pool_s8", (1, 7, 6, 21), (3, 3), (2, 2), (1, 1, 1, 1), False, (-30, 100)),
    ("avg_pool_s8", (1, 25, 5, 64), (25, 5), (1, 1), (0, 0, 0, 0), False, (-128, 127)),
    ("avg_pool_s8", (2, 6, 7, 7), (3, 3), (2, 2), (1, 0, 1, 2), True, (-50, 127)),
]


@pytest.mark.parametrize("case", POOL, ids=[f"{c[0]}_{c[1][3]}ch" for c in POOL])
def test_pool_channel_steps_bit_exact(case):
    from edgec.ir.graph import Graph, Node, Value
    from edgec.ops import base
    from edgec.ops.pool_s8 import PoolS8Attrs
    op, shape, k, s, p, inc, clamp = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = cc.input_value(rng, shape)
    zp = x.type.qparams.zero_point[0]
    a = PoolS8Attrs(k, s, p, channels_last=True, count_include_pad=inc, scale=0.05, zero_point=zp,
                    act_min=clamp[0], act_max=clamp[1])
    y = Value("y", base.get(op).infer(a, [x.type])[0])
    g = Graph("t", [x], [y], [Node(op, [x], [y], a, "pool")])
    _exact(g, "cortex-m55", 4)


# input shifts (1, 2), output shift, residual first, row length (out_w * channels)
ADD = [(-1, -2, -19, False, (3, 16)), (-2, 0, -18, False, (5, 7)), (0, -3, -17, True, (4, 9)),
       (0, 0, -20, False, (3, 4)), (-1, -1, 0, True, (2, 6))]


@pytest.mark.parametrize("case", ADD, ids=[f"shifts_{c[0]}_{c[1]}_{c[2]}{'_residual_first' if c[3] else ''}" for c in ADD])
def test_conv_add_row_shift_patterns_bit_exact(case):
    """The residual add's rows: every right-shift pattern of the Helium fast loop (an input shift of
    0 on either side), the general loop (an output shift of 0, no input right shift), the residual
    as either operand, rows not a multiple of four."""
    from edgec.ops.elementwise_s8 import AddS8Attrs
    s1, s2, so, residual_first, (w, c) = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = cc.input_value(rng, (1, 3, w, c))
    r = cc.input_value(rng, (1, 3, w, c), "r")
    n = cc.conv_add_node(rng, x, r, (1, 1), (0, 0, 0, 0), True, name="ca")
    m = [int(v) for v in rng.integers(1 << 30, (1 << 31) - 1, 3)]
    add = AddS8Attrs(int(rng.integers(-128, 128)), r.type.qparams.zero_point[0], int(rng.integers(-128, 128)),
                     m[0], s1, m[1], s2, m[2], so, 0.05, -120, 110)
    n.attrs = dataclasses.replace(n.attrs, add=add, conv_first=not residual_first)
    _exact(cc.graph([x, r], [n]), "cortex-m55", 5)


@pytest.mark.parametrize("shape,oc,stride", [((1, 5, 7, 8), 6, 1), ((1, 4, 4, 8), 16, 1), ((1, 7, 6, 8), 10, 2),
                                             ((1, 3, 3, 5), 4, 1)])
def test_pointwise_eight_inputs_bit_exact(shape, oc, stride):
    """K = 8 with both rows side by side (one load, masked halves), odd pixel counts, a stride
    that parts the rows and a K of 5 (the usual path)."""
    rng = np.random.default_rng(oc * 10 + stride + shape[3])
    x = cc.input_value(rng, shape)
    _exact(cc.graph([x], [cc.conv_node(rng, x, oc, (1, 1), (stride, stride))]), "cortex-m55", 6)


def test_fully_connected_eight_inputs_bit_exact():
    rng = np.random.default_rng(8)
    x = cc.input_value(rng, (5, 8))
    _exact(cc.graph([x], [cc.fc_node(rng, x, 12)]), "cortex-m55", 7)
