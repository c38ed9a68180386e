"""Integer requantization arithmetic: the Python twin of runtime_c/include/ec_fixedpoint.h.

The rounding follows TensorFlow Lite (Micro)'s reference kernels, so results are bit-exact with
them: a real multiplier M becomes (m, shift) with M = m * 2^(shift - 31), m in [2^30, 2^31);
applying it is a saturating rounding doubling high multiply followed by a rounding (half away
from zero) arithmetic right shift. All functions accept numpy arrays and work in int64.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2 ** 31)
INT32_MAX = 2 ** 31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(m, shift) with real ~= m * 2^(shift - 31); shift > 0 is a left shift. As TFLite's
    QuantizeMultiplier: frexp, round half away from zero, clamp shifts outside [-31, 30]."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    m = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    if abs(m) == (1 << 31):
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return INT32_MAX, 30
    return m, shift


def srdhm(a, b):
    """Saturating rounding doubling high multiply: round(a * b / 2^31) with ties away from zero
    in the int64 product's nudge, saturating the one overflow case (INT32_MIN * INT32_MIN)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C's int64 division truncates toward zero
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, q).astype(np.int64)


def rounding_divide_by_pot(x, exponent):
    """x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, m, shift):
    """round(x * m * 2^(shift - 31)) with TFLite's double rounding; x, m int32 range."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # the left shift happens in int32 in C: wrap like two's complement
    shifted = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)
    return rounding_divide_by_pot(srdhm(shifted, m), right)


def quantize_scale_tensor(scales) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (m, shift) int32 arrays for an array of real multipliers."""
    pairs = [quantize_multiplier(float(s)) for s in np.asarray(scales, dtype=np.float64).reshape(-1)]
    return np.array([p[0] for p in pairs], np.int32), np.array([p[1] for p in pairs], np.int32)
