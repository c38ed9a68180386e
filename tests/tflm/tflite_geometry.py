"""Clamps and padding: edgec's explicit int8 parameters re-expressed as TFLite's implicit ones.

TFLite derives an op's output clamp from its fused activation and output qparams, and its spatial
padding from SAME/VALID. These helpers pick the TFLite form that is exactly equivalent to an
edgec node's [act_min, act_max] and pads, and otherwise add explicit ops (MAXIMUM/MINIMUM for a
clamp, PAD before a VALID window) that compute the same integers.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

from edgec.ir.graph import QParams, Value
from tests.tflm.tflite_model import ModelBuilder, TfliteWriteError

QMIN, QMAX = -128, 127
AF = fb.ActivationFunctionType
BO = fb.BuiltinOperator


def _quantize(real: float, q: QParams) -> int:
    """TFLite's zero_point + round_half_away(float32(real) / float32(scale))."""
    r = float(np.float32(real) / np.float32(q.scale[0]))
    return int(q.zero_point[0] + np.sign(r) * np.floor(abs(r) + 0.5))


def activation_ranges(q: QParams) -> dict[int, tuple[int, int]]:
    """TFLite's CalculateActivationRangeQuantized (int8) for each fused activation on `q`."""
    lo0 = max(QMIN, _quantize(0.0, q))
    return {AF.NONE: (QMIN, QMAX), AF.RELU: (lo0, QMAX), AF.RELU6: (lo0, min(QMAX, _quantize(6.0, q))),
            AF.RELU_N1_TO_1: (max(QMIN, _quantize(-1.0, q)), min(QMAX, _quantize(1.0, q)))}


def fused_activation(lo: int, hi: int, q: QParams) -> int | None:
    """The fused activation whose TFLite clamp on `q` is exactly [lo, hi], or None."""
    for code, rng in activation_ranges(q).items():
        if rng == (lo, hi):
            return code
    return None


def clamp_ops(b: ModelBuilder, src: int, out: Value, lo: int, hi: int, have: tuple[int, int] = (QMIN, QMAX)) -> None:
    """out = clamp(src, lo, hi) for `src` already within `have`: int8 MAXIMUM / MINIMUM with
    scalar constants (raw values are compared; the constants carry `out`'s qparams)."""
    steps = [(BO.MAXIMUM, lo)] * (lo > have[0]) + [(BO.MINIMUM, hi)] * (hi < have[1])
    for k, (code, bound) in enumerate(steps):
        dst = b.value(out) if k == len(steps) - 1 else b.like(out, f"_clamp{k}")
        c = b.const(np.array([bound], np.int8), f"{out.name}_bound{k}", out.type.qparams)
        b.op(code, [src, c], [dst])
        src = dst
    if not steps:
        raise TfliteWriteError(f"'{out.name}': empty clamp")


def with_clamp(b: ModelBuilder, out: Value, lo: int, hi: int, emit: Callable[[int, int], None]) -> None:
    """Calls emit(fused_activation_code, output_tensor) so that `out` ends up clamped to [lo, hi]:
    a fused activation when one matches, else NONE into a temporary plus explicit clamp ops."""
    code = fused_activation(lo, hi, out.type.qparams)
    if code is not None:
        emit(code, b.value(out))
        return
    tmp = b.like(out, "_unclamped")
    emit(AF.NONE, tmp)
    clamp_ops(b, tmp, out, lo, hi)


# -- spatial padding ---------------------------------------------------------------------------------
def _eff(k: int, d: int) -> int:
    return (k - 1) * d + 1


def same_or_valid(in_hw, out_hw, kernel, strides, dilations, pads) -> int | None:
    """Padding.VALID / Padding.SAME when TFLite's geometry equals edgec's for a window whose
    out-of-input taps count for nothing: same output size and same top/left pads (the
    bottom/right pads then only cover taps that are skipped), else None."""
    valid = [(i - _eff(k, d)) // s + 1 for i, k, s, d in zip(in_hw, kernel, strides, dilations)]
    if list(out_hw) == valid and pads[0] == pads[1] == 0:
        return fb.Padding.VALID
    same_out = [-(-i // s) for i, s in zip(in_hw, strides)]
    total = [max((o - 1) * s + _eff(k, d) - i, 0) for i, o, k, s, d in zip(in_hw, same_out, kernel, strides, dilations)]
    if list(out_hw) == same_out and list(pads[:2]) == [t // 2 for t in total]:
        return fb.Padding.SAME
    return None


def explicit_pad(b: ModelBuilder, x: Value, node_name: str, in_hw, out_hw, kernel, strides, dilations, pads,
                 fill: int, grow: bool) -> int:
    """PAD x (NHWC) with `fill` so that a VALID window gives edgec's output: pads (t, l, b, r),
    the bottom/right grown (when `grow`) to cover windows that overhang the pads (ceil mode)."""
    t, l, bt, r = pads
    if grow:
        need = [(o - 1) * s + _eff(k, d) - i - p for i, o, k, s, d, p in zip(in_hw, out_hw, kernel, strides, dilations,
                                                                              (t, l))]
        bt, r = max(bt, need[0]), max(r, need[1])
    size = [i + p0 + p1 for i, p0, p1 in zip(in_hw, (t, l), (bt, r))]
    if [(n - _eff(k, d)) // s + 1 for n, k, s, d in zip(size, kernel, strides, dilations)] != list(out_hw):
        raise TfliteWriteError(f"node '{node_name}': pads {list(pads)} have no TFLite equivalent")
    n, _, _, c = x.shape
    paddings = np.array([[0, 0], [t, bt], [l, r], [0, 0]], np.int32)
    xp = b.like(x, f"_{node_name}_padded", (n, size[0], size[1], c))
    value = b.const(np.array([fill], np.int8), f"{node_name}_pad_value", x.type.qparams)
    b.op(BO.PADV2, [b.value(x), b.const(paddings, f"{node_name}_paddings"), value], [xp])
    return xp
