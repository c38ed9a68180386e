"""Choosing int8 quantization parameters (TFLite / CMSIS-NN convention)."""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import QParams

QMIN, QMAX = -128, 127


def activation_qparams(lo: float, hi: float) -> QParams:
    """Asymmetric int8 for a real range: the range is widened to contain 0 (so 0 is exact) and
    the zero point is rounded and clamped into [-128, 127]."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-12:
        return QParams((1.0 / 256.0,), (0,))
    scale = (hi - lo) / (QMAX - QMIN)
    zp = int(np.clip(np.round(QMIN - lo / scale), QMIN, QMAX))
    return QParams((float(np.float32(scale)),), (zp,))


def fixed_qparams(scale: float, zero_point: int) -> QParams:
    """Ranges fixed by an op's definition (logistic 1/256 with zero point -128, tanh 1/128, ...)."""
    return QParams((float(scale),), (int(zero_point),))


def weight_per_channel(w: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel in [-127, 127]: (int8 weights, float scales)."""
    w = np.asarray(w, dtype=np.float32)
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    amax = np.max(np.abs(moved), axis=1) if moved.size else np.zeros(w.shape[axis])
    scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b: np.ndarray, input_scale: float, weight_scales: np.ndarray) -> np.ndarray:
    """int32 bias with scale input_scale * weight_scale per channel."""
    s = np.float64(input_scale) * weight_scales.astype(np.float64)
    return np.clip(np.round(np.asarray(b, np.float64) / s), -(2 ** 31), 2 ** 31 - 1).astype(np.int32)


def quantize_array(x: np.ndarray, q: QParams) -> np.ndarray:
    """float -> int8 as TFLite's Quantize and ec_quantize_f32: x / scale in float32, rounded half
    away from zero (exactly, as roundf), plus the zero point, clamped."""
    r = (np.asarray(x, np.float32) / np.float32(q.scale[0])).astype(np.float64)
    r = np.sign(r) * np.floor(np.abs(r) + 0.5)
    return np.clip(r + q.zero_point[0], QMIN, QMAX).astype(np.int8)


def dequantize_array(x: np.ndarray, q: QParams) -> np.ndarray:
    return ((np.asarray(x, np.int32) - q.zero_point[0]) * np.float32(q.scale[0])).astype(np.float32)


def quantize_real(value: float, q: QParams) -> int | None:
    """TFLite's Quantize of one real: zp + round_half_away(float32(value) / float32(scale)).

    None when the quotient is not finite (an unbounded side of a clip). Not clamped to int8.
    """
    with np.errstate(all="ignore"):
        r = float(np.float32(value) / np.float32(q.scale[0]))
    if not np.isfinite(r):
        return None
    return int(q.zero_point[0] + np.sign(r) * np.floor(abs(r) + 0.5))


def clamp_range(act, q: QParams) -> tuple[int, int] | None:
    """[act_min, act_max] of a fused relu/clip on output qparams `q`, as TFLite's
    CalculateActivationRangeQuantized, intersected with [-128, 127] (lo <= hi always);
    (-128, 127) without an activation; None for an activation that is not a clamp."""
    if act is None:
        return QMIN, QMAX
    if act.kind == "relu":
        bounds = (0.0, np.inf)
    elif act.kind == "clip":
        bounds = (act.alpha, act.beta)
    else:
        return None
    lo_q, hi_q = (quantize_real(b, q) if np.isfinite(b) else None for b in bounds)
    lo = QMIN if lo_q is None else int(np.clip(lo_q, QMIN, QMAX))
    hi = QMAX if hi_q is None else int(np.clip(hi_q, QMIN, QMAX))
    return lo, max(lo, hi)
