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
    """Saturating rounding doubling high multiply: round(a * b / 2^31), ties rounded up (1.5 -> 2,
    -1.5 -> -1) by the int64 product's nudge and C's truncating division, as gemmlowp/TFLite;
    saturates the one overflow case (INT32_MIN * INT32_MIN)."""
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


# -- gemmlowp fixed point: exp, 1/(1+x), logistic, tanh (TFLite's int8 LOGISTIC, TANH, SOFTMAX) --
# A raw int32 `a` in format Q(ib) stands for a / 2^(31 - ib): `ib` integer bits, 31 - ib
# fractional bits. Results of the transcendental functions are Q0 (raw / 2^31, so 1.0 is
# INT32_MAX). Every rounding step is gemmlowp's, so the results equal TFLite's bit for bit.

_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))   # (e, Q0 of exp(-2^e))
_EXP_MINUS_EIGHTH = 1895147668                           # Q0 of exp(-1/8)
_ONE_THIRD = 715827883                                   # Q0 of 1/3
_48_OVER_17 = 1515870810                                 # Q2 of 48/17
_NEG_32_OVER_17 = -1010580540                            # Q2 of -32/17


def quantize_multiplier_unclamped(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier in its default (double-rounding) build: like
    `quantize_multiplier` but shifts above 30 are kept (softmax can need 31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    m = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    if abs(m) == (1 << 31):
        m //= 2
        shift += 1
    return (0, 0) if shift < -31 else (m, shift)


def _trunc_div(a, d: int):
    """C's integer division (toward zero) of int64 arrays by a positive constant."""
    return np.where(a >= 0, a // d, -((-a) // d))


def saturating_left_shift(x, exponent: int):
    """x * 2^exponent saturated to int32; exponent in [1, 30] (gemmlowp's
    SaturatingRoundingMultiplyByPOT with a positive exponent)."""
    x = np.asarray(x, dtype=np.int64)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, x << exponent))


def rounding_half_sum(a, b):
    """(a + b) / 2 rounded half away from zero."""
    s = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    return _trunc_div(s + np.where(s >= 0, 1, -1), 2)


def exp_on_interval_neg_quarter(a):
    """exp(a) for a Q0 `a` in [-1/4, 0): a 4th-order Taylor expansion around -1/8."""
    x = np.asarray(a, dtype=np.int64) + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    poly = rounding_divide_by_pot(srdhm(rounding_divide_by_pot(x4, 2) + x3, _ONE_THIRD) + x2, 1)
    return _EXP_MINUS_EIGHTH + srdhm(_EXP_MINUS_EIGHTH, x + poly)


def exp_on_negative_values(a, integer_bits: int):
    """exp(a) as Q0 for a Q(integer_bits) `a` <= 0: the interval [-1/4, 0) by polynomial, whole
    quarters by multiplying exp(-2^e) for each set bit; exp(0) is INT32_MAX."""
    a = np.asarray(a, dtype=np.int64)
    fb = 31 - integer_bits
    quarter = 1 << (fb - 2)
    amq = (a & (quarter - 1)) - quarter
    r = exp_on_interval_neg_quarter(saturating_left_shift(amq, integer_bits) if integer_bits else amq)
    remainder = amq - a
    for e, m in _EXP_BARREL:
        if integer_bits > e:
            r = np.where(remainder & (1 << (fb + e)), srdhm(r, m), r)
    if integer_bits > 5:
        r = np.where(a < -(1 << (36 - integer_bits)), 0, r)
    return np.where(a == 0, INT32_MAX, r)


def _newton_reciprocal(a):
    """Q2 of 1 / ((1 + a) / 2) for a Q0 `a` in [0, 1): three Newton-Raphson steps from 48/17 - 32/17 d."""
    hd = rounding_half_sum(a, INT32_MAX)
    x = _48_OVER_17 + srdhm(hd, _NEG_32_OVER_17)
    for _ in range(3):
        one_minus = (1 << 29) - srdhm(hd, x)
        x = x + saturating_left_shift(srdhm(x, one_minus), 2)
    return x


def one_over_one_plus_x(a):
    """Q0 of 1 / (1 + a) for a Q0 `a` in [0, 1)."""
    return saturating_left_shift(_newton_reciprocal(a), 1)


def one_minus_x_over_one_plus_x(a):
    """Q0 of (1 - a) / (1 + a) for a Q0 `a` in [0, 1)."""
    return saturating_left_shift(_newton_reciprocal(a) - (1 << 29), 2)


def logistic_q31(a, integer_bits: int):
    """Q0 of 1 / (1 + exp(-a)) for a Q(integer_bits) `a` (|a| < 2^31); logistic(0) = 1 << 30."""
    a = np.asarray(a, dtype=np.int64)
    pos = one_over_one_plus_x(exp_on_negative_values(-np.abs(a), integer_bits))
    return np.where(a == 0, 1 << 30, np.where(a > 0, pos, INT32_MAX - pos))


def tanh_q31(a, integer_bits: int):
    """Q0 of tanh(a) for a Q(integer_bits) `a` (|a| < 2^31): (1 - e^-2|a|) / (1 + e^-2|a|), signed."""
    a = np.asarray(a, dtype=np.int64)
    t = one_minus_x_over_one_plus_x(exp_on_negative_values(-np.abs(a), integer_bits + 1))
    return np.where(a == 0, 0, np.where(a < 0, -t, t))


def count_leading_zeros(x):
    """Leading zero bits of uint32 `x` (32 for 0)."""
    x = np.asarray(x, dtype=np.int64)
    _, e = np.frexp(x.astype(np.float64))   # exact: x < 2^32
    return np.where(x == 0, 32, 32 - e).astype(np.int64)


def reciprocal_q31(x, integer_digits: int):
    """TFLite's GetReciprocal: for a Q(integer_digits) `x` > 0, (r, n) with r a Q0 and
    1/x ~= r * 2^-n."""
    x = np.asarray(x, dtype=np.int64)
    hpo = count_leading_zeros(x)
    shifted_minus_one = ((x << hpo) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x(shifted_minus_one), integer_digits - hpo


# -- int16 fixed point (TFLite's int8 HARD_SWISH) ------------------------------------------------
INT16_MIN = -(2 ** 15)
INT16_MAX = 2 ** 15 - 1


def srdhm_s16(a, b):
    """int16 saturating rounding doubling high multiply: a * b / 2^15 to nearest, ties up (gemmlowp's nudge)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    q = _trunc_div(ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14)), 1 << 15)
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, q)


def sdhm_s16(a, b):
    """int16 saturating doubling high multiply rounding toward zero: trunc(a * b / 2^15)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    q = _trunc_div(a * b, 1 << 15)
    return np.where((a == INT16_MIN) & (b == INT16_MIN), INT16_MAX, q)


def saturating_left_shift_s16(x, amount: int):
    """x * 2^amount clamped to int16; amount in [0, 30]."""
    return np.clip(np.asarray(x, dtype=np.int64) << amount, INT16_MIN, INT16_MAX)


def downscale_multiplier_s16(m: int) -> int:
    """A Q31 multiplier in [0, 2^31) rounded to Q15 (TFLite's DownScaleInt32ToInt16Multiplier)."""
    return INT16_MAX if m >= INT32_MAX - (1 << 15) else (m + (1 << 15)) >> 16



# -- gemmlowp-style log (TFLite's int8 LOG_SOFTMAX) ------------------------------------------------
_LOG_2 = 1488522236             # Q0 of log(2)
_SQRT_SQRT_HALF = 1805811301    # Q0 of 0.5^(1/4)
_SQRT_HALF = 1518500250         # Q0 of 0.5^(1/2)
_ALPHA_N = 117049297            # Q0 of 11/240 * 2^(1/4)
_ALPHA_D = 127690142            # Q0 of 1/20 * 2^(1/4)
_ALPHA_I = 1057819769           # Q0 of 2 / 2^(1/4) - 2^(1/4)
_ALPHA_F = 638450708            # Q0 of 1/4 * 2^(1/4)


def saturating_add(a, b):
    return np.clip(np.asarray(a, dtype=np.int64) + b, INT32_MIN, INT32_MAX)


def saturating_sub(a, b):
    return np.clip(np.asarray(a, dtype=np.int64) - b, INT32_MIN, INT32_MAX)


def saturating_left_shift_param(x, exponent):
    """saturating_left_shift with a run-time (per-element) exponent in [0, 30]; 0 is identity."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    threshold = (np.int64(1) << (31 - exponent)) - 1
    shifted = np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, x << exponent))
    return np.where(exponent == 0, x, shifted)


def log_x_ge_1(x, input_bits: int, output_bits: int):
    """Q(output_bits) of log(x) for a Q(input_bits) x >= 1 (TFLite's
    log_x_for_x_greater_than_or_equal_to_1): x = 2^k * r with r in [sqrt(1/2), 1) (or r times
    sqrt(1/2)), log(r) from a rational approximation around 2^(-1/4). Accumulates with one
    extra integer bit."""
    acc_bits = output_bits + 1
    x = np.asarray(x, dtype=np.int64)
    quarter = rounding_divide_by_pot(1 << 29, acc_bits)
    hpo_a = count_leading_zeros(x)
    r_a = saturating_left_shift_param(srdhm(saturating_left_shift_param(x, hpo_a - 1), _SQRT_HALF), 1)
    pow_a = saturating_add(saturating_left_shift_param(input_bits - hpo_a, 31 - acc_bits), quarter)
    hr_b = count_leading_zeros(srdhm(x, _SQRT_HALF)) - 1
    r_b = saturating_left_shift_param(x, hr_b)
    pow_b = saturating_sub(saturating_left_shift_param(input_bits - hr_b, 31 - acc_bits), quarter)
    r = np.minimum(r_a, r_b)
    p = rounding_half_sum(r, _SQRT_SQRT_HALF)
    q = 2 * (r - _SQRT_SQRT_HALF)
    sq = srdhm(q, q)
    num = srdhm(q, r) + srdhm(srdhm(q, sq), _ALPHA_N)
    denom_minus_one = srdhm(p, _ALPHA_I + q + srdhm(_ALPHA_D, sq)) + srdhm(_ALPHA_F, q)
    acc = srdhm(np.maximum(pow_a, pow_b), _LOG_2) + srdhm(rounding_divide_by_pot(num, acc_bits),
                                                         one_over_one_plus_x(denom_minus_one))
    return saturating_left_shift(acc, acc_bits - output_bits)
