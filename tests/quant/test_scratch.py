"""Kernel scratch lives in the caller's arena: the C size functions and the ops' `scratch` rules
agree, the kernels stay bit-exact inside exactly that many bytes (guard bytes around it stay
intact), and the planner reserves it beside the live tensors without beating TFLM's yardstick."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cffi
import numpy as np
import pytest

import edgec
from edgec.backend.build import build_shared
from edgec.backend.c import runtime_files
from edgec.backend.plan import plan_memory, scratch_bytes
from edgec.backend.planner import align_up
from edgec.ir.graph import Graph, Node, TensorType, Value
from edgec.ops import base
from edgec.ops.conv_s8 import CONV_S8_KALIGN, ConvS8Attrs, _params, pad_rows
from edgec.ops.matmul_s8 import FC_S8_KALIGN, FullyConnectedS8Attrs
from tests.quant.s8_node import const, int8_value
from tests.tflm_yardstick import graph_requests, greedy_by_size

ROOT = Path(__file__).resolve().parents[2]
GUARD = 64          # guard bytes each side of the scratch (a multiple of 8: keeps it aligned)
GUARD_BYTE = 0xA5   # also the scratch's initial garbage: the kernels must not read it first

CDEF = """
typedef struct { int32_t n, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w,
                 pad_top, pad_left, dil_h, dil_w, groups, input_offset, output_offset, act_min, act_max;
} ec_conv2d_s8_params;
typedef struct { int32_t m, k, n, input_offset, output_offset, act_min, act_max; } ec_fc_s8_params;
void ec_conv2d_s8(const ec_conv2d_s8_params *, const int8_t *, const int8_t *, const int32_t *,
                  const int32_t *, const int32_t *, int8_t *, void *);
int32_t ec_conv2d_s8_scratch_size(const ec_conv2d_s8_params *);
void ec_fully_connected_s8(const ec_fc_s8_params *, const int8_t *, const int8_t *, const int32_t *,
                           const int32_t *, const int32_t *, int8_t *, void *);
int32_t ec_fully_connected_s8_scratch_size(const ec_fc_s8_params *);
"""

# (n, h, w, in_c, out_c, kernel, stride, pad, dilation, group): short and long im2col rows (K below
# KALIGN, == KALIGN, == KCHUNK, over KCHUNK), OCg below and over OC_BLOCK, groups, odd pixel counts.
CONV_CASES = [
    (1, 8, 8, 1, 16, 3, 1, 1, 1, 1),
    (1, 5, 5, 3, 8, 3, 1, 1, 1, 1),
    (2, 4, 5, 16, 12, 1, 1, 0, 1, 1),
    (1, 6, 6, 8, 8, 3, 1, 1, 2, 2),
    (1, 7, 6, 64, 70, 3, 2, 1, 1, 1),
    (1, 3, 3, 512, 5, 1, 1, 0, 1, 1),
    (1, 3, 3, 600, 130, 1, 1, 0, 1, 1),
    (1, 5, 4, 24, 9, 2, 1, 0, 1, 3),
]
# (m, k, n): one row and several (the kernel's 4-row path and its tail), short and chunked K.
FC_CASES = [(1, 10, 3), (1, 32, 10), (1, 700, 130), (3, 512, 64), (4, 33, 70), (9, 1100, 5), (5, 16, 4)]


@pytest.fixture(scope="module")
def c_lib():
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    return ffi, ffi.dlopen(str(build_shared(runtime_files({"ec_conv2d_s8", "ec_fully_connected_s8"}))))


def _requant(rng: np.random.Generator, channels: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-channel Q31 multipliers and shifts that keep outputs of K-long sums mostly unsaturated."""
    mult = tuple(int(v) for v in rng.integers(1 << 30, (1 << 31) - 1, channels))
    shift = tuple(int(v) for v in -(int(np.log2(k)) + 6) + rng.integers(-1, 2, channels))
    return mult, shift


def _conv(case, seed: int):
    """(attrs, x, w OHWI, bias, input Value, output Value) of a random conv_s8 case."""
    n, h, w, c, oc, k, s, pad, d, g = case
    rng = np.random.default_rng(seed)
    mult, shift = _requant(rng, oc, k * k * c // g)
    attrs = ConvS8Attrs((k, k), (s, s), (pad,) * 4, (d, d), g, int(rng.integers(-127, 129)),
                        int(rng.integers(-128, 128)), mult, shift, 0.05)
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    wt = rng.integers(-127, 128, (oc, k, k, c // g), dtype=np.int8)
    bias = rng.integers(-5000, 5000, oc, dtype=np.int32)
    xv = int8_value("x", x.shape)
    out_t = base.get("conv_s8").infer(attrs, [xv.type, TensorType(wt.shape), TensorType(bias.shape)])[0]
    return attrs, x, wt, bias, xv, Value("y", out_t)


def _fc(case, seed: int):
    m, k, n = case
    rng = np.random.default_rng(seed)
    mult, shift = _requant(rng, n, k)
    attrs = FullyConnectedS8Attrs(int(rng.integers(-127, 129)), int(rng.integers(-128, 128)), mult, shift, 0.05)
    x = rng.integers(-128, 128, (m, k), dtype=np.int8)
    wt = rng.integers(-127, 128, (n, k), dtype=np.int8)
    bias = rng.integers(-5000, 5000, n, dtype=np.int32)
    return attrs, x, wt, bias


def _fc_fields(a: FullyConnectedS8Attrs, m: int, k: int, n: int) -> dict:
    return {"m": m, "k": k, "n": n, "input_offset": a.input_offset, "output_offset": a.output_offset,
            "act_min": a.act_min, "act_max": a.act_max}


def _run_guarded(ffi, kernel, size: int, args: list) -> np.ndarray:
    """Calls `kernel(*args, scratch)` with exactly `size` bytes of scratch between guard bytes,
    all set to GUARD_BYTE first; asserts the guards are intact and that the kernel wrote both
    ends of its scratch (so `size` is no larger than it uses). Returns the whole buffer."""
    buf = np.full((GUARD * 2 + size + 7) // 8, int.from_bytes([GUARD_BYTE] * 8, "little"), np.uint64)
    raw = buf.view(np.uint8)
    kernel(*args, ffi.from_buffer("uint8_t[]", raw) + GUARD)
    assert (raw[:GUARD] == GUARD_BYTE).all(), "kernel wrote below its scratch"
    assert (raw[GUARD + size:] == GUARD_BYTE).all(), "kernel wrote past its scratch"
    scratch = raw[GUARD:GUARD + size]
    assert (scratch[:4] != GUARD_BYTE).any() and (scratch[-2:] != GUARD_BYTE).any(), "scratch larger than used"
    return raw


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_s8_scratch_size_matches_the_ops_rule(c_lib, case):
    ffi, lib = c_lib
    attrs, x, wt, bias, xv, yv = _conv(case, 0)
    p = ffi.new("ec_conv2d_s8_params *", _params(attrs, xv, yv))
    rule = base.get("conv_s8").scratch(attrs, [xv.type, TensorType(wt.shape), TensorType(bias.shape)], [yv.type])
    assert lib.ec_conv2d_s8_scratch_size(p) == rule <= 5 * 1024


def test_small_conv_needs_small_scratch():
    """3x3 conv of 1 channel into 16: accumulators 16 x 4 int32 + columns 4 x 16 int16."""
    attrs, _, wt, bias, xv, yv = _conv(CONV_CASES[0], 0)
    assert base.get("conv_s8").scratch(attrs, [xv.type, TensorType(wt.shape)], [yv.type]) == 16 * 4 * 4 + 4 * 16 * 2


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_s8_is_bit_exact_within_exactly_its_scratch(c_lib, case):
    ffi, lib = c_lib
    attrs, x, wt, bias, xv, yv = _conv(case, 1)
    p = ffi.new("ec_conv2d_s8_params *", _params(attrs, xv, yv))
    want = base.get("conv_s8").ref(attrs, [x, wt, bias])[0]
    y = np.zeros(yv.shape, np.int8)
    keep = [pad_rows(wt, CONV_S8_KALIGN).astype(np.int8), np.array(attrs.multipliers, np.int32),
            np.array(attrs.shifts, np.int32)]
    fb = lambda t, a: ffi.from_buffer(t, a)
    _run_guarded(ffi, lib.ec_conv2d_s8, lib.ec_conv2d_s8_scratch_size(p),
                 [p, fb("int8_t[]", x), fb("int8_t[]", keep[0]), fb("int32_t[]", bias),
                  fb("int32_t[]", keep[1]), fb("int32_t[]", keep[2]), fb("int8_t[]", y)])
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("case", FC_CASES)
def test_fully_connected_s8_scratch_size_matches_the_ops_rule(c_lib, case):
    ffi, lib = c_lib
    attrs, x, wt, bias = _fc(case, 0)
    p = ffi.new("ec_fc_s8_params *", _fc_fields(attrs, *case))
    rule = base.get("fully_connected_s8").scratch(attrs, [TensorType(x.shape), TensorType(wt.shape)],
                                                  [TensorType((case[0], case[2]))])
    assert lib.ec_fully_connected_s8_scratch_size(p) == rule <= 5 * 1024


@pytest.mark.parametrize("case", FC_CASES)
def test_fully_connected_s8_is_bit_exact_within_exactly_its_scratch(c_lib, case):
    ffi, lib = c_lib
    attrs, x, wt, bias = _fc(case, 1)
    p = ffi.new("ec_fc_s8_params *", _fc_fields(attrs, *case))
    want = base.get("fully_connected_s8").ref(attrs, [x, wt, bias])[0]
    y = np.zeros(want.shape, np.int8)
    keep = [pad_rows(wt, FC_S8_KALIGN).astype(np.int8), np.array(attrs.multipliers, np.int32),
            np.array(attrs.shifts, np.int32)]
    fb = lambda t, a: ffi.from_buffer(t, a)
    _run_guarded(ffi, lib.ec_fully_connected_s8, lib.ec_fully_connected_s8_scratch_size(p),
                 [p, fb("int8_t[]", x), fb("int8_t[]", keep[0]), fb("int32_t[]", bias),
                  fb("int32_t[]", keep[1]), fb("int32_t[]", keep[2]), fb("int8_t[]", y)])
    np.testing.assert_array_equal(y, want)


# -- the memory plan -------------------------------------------------------------------------------
def test_plan_grows_by_the_scratch_of_a_lone_conv(monkeypatch):
    """A conv between the caller's buffers has no intermediates: its arena is exactly its
    scratch, and nothing without the `scratch` rule."""
    attrs, _, wt, bias, xv, yv = _conv(CONV_CASES[4], 0)
    node = Node("conv_s8", [xv, const("w", wt), const("b", bias)], [yv], attrs, "conv")
    g = Graph("g", [xv], [yv], [node])
    need = scratch_bytes(node)
    assert need == base.get("conv_s8").scratch(attrs, [xv.type, TensorType(wt.shape), TensorType(bias.shape)],
                                               [yv.type])
    assert plan_memory(g).arena_bytes == align_up(need)
    monkeypatch.setitem(base.REGISTRY, "conv_s8", dataclasses.replace(base.get("conv_s8"), scratch=None))
    assert plan_memory(g).arena_bytes == 0


@pytest.fixture(scope="module")
def int8_cnn():
    d = ROOT / "examples" / "cnn"
    return edgec.compile(str(d / "digits_cnn.onnx"), quant="int8", calib=str(d / "digits_calib.npz"))


def _lifetimes(g: Graph) -> dict[int, tuple[Value, int, int]]:
    """value id -> (value, first step, last step) of every value produced by a node."""
    life: dict[int, tuple[Value, int, int]] = {}
    for step, n in enumerate(g.nodes):
        for v in n.outputs:
            life[id(v)] = (v, step, step)
        for v in n.inputs:
            if v is not None and id(v) in life:
                life[id(v)] = (life[id(v)][0], life[id(v)][1], step)
    return life


def test_example_cnn_scratch_never_overlaps_a_live_tensor(int8_cnn):
    g, mem = int8_cnn.c.graph, int8_cnn.c.memory
    convs = [(s, n) for s, n in enumerate(g.nodes) if n.op == "conv_s8"]
    assert convs and all(scratch_bytes(n) > 0 for _, n in convs)
    life = _lifetimes(g)
    for step, n in enumerate(g.nodes):
        size = scratch_bytes(n)
        if not size:
            continue
        lo = mem.offsets[id(n)]
        assert lo + size <= mem.arena_bytes
        for v, first, last in life.values():
            if first <= step <= last and id(v) in mem.offsets:
                v_lo = mem.offsets[id(v)]
                assert v_lo + v.type.nbytes <= lo or lo + size <= v_lo, f"scratch of {n.name} overlaps {v.name}"


def test_example_cnn_arena_fits_the_largest_conv_scratch_and_beats_tflm(int8_cnn):
    """The scratch costs memory (the arena is at least the largest scratch plus what is live
    beside it) yet stays within TFLM's greedy planner given the same one-step scratch requests."""
    g, mem = int8_cnn.c.graph, int8_cnn.c.memory
    life = _lifetimes(g)
    step, big = max(enumerate(g.nodes), key=lambda sn: scratch_bytes(sn[1]) if sn[1].op == "conv_s8" else 0)
    live = {mem.offsets[i]: v.type.nbytes for i, (v, f, last) in life.items()
            if f <= step <= last and i in mem.offsets}   # aliases share an offset: count once
    assert mem.arena_bytes >= scratch_bytes(big) + sum(live.values())
    assert mem.arena_bytes <= greedy_by_size(graph_requests(g, scratch_bytes))
