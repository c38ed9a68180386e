"""The fixed-point helpers exist once in C and once in Python; they agree bit for bit."""
import itertools

import cffi
import numpy as np
import pytest

from edgec.backend.build import build_shared
from edgec.quant import fixedpoint as fp
from edgec.resources import runtime_dir

WRAPPERS = """
#include "ec_fixedpoint.h"
int32_t t_srdhm(int32_t a, int32_t b) { return ec_srdhm(a, b); }
int32_t t_rdpot(int32_t x, int32_t e) { return ec_rounding_divide_by_pot(x, e); }
int32_t t_mbqm(int32_t x, int32_t m, int32_t s) { return ec_mul_by_quantized_mul(x, m, s); }
"""
EDGES = [0, 1, -1, 2, -2, 3, 7, -7, 100, -100, 12345, -12345, 2 ** 15, -(2 ** 15), 2 ** 30, -(2 ** 30),
         2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1, 2 ** 30 + 1, 1 << 20, -(1 << 20) - 1]


@pytest.fixture(scope="module")
def c_lib():
    files = {"t.c": WRAPPERS, "ec_fixedpoint.h": (runtime_dir() / "include" / "ec_fixedpoint.h").read_text()}
    ffi = cffi.FFI()
    ffi.cdef("int32_t t_srdhm(int32_t, int32_t); int32_t t_rdpot(int32_t, int32_t);"
             "int32_t t_mbqm(int32_t, int32_t, int32_t);")
    return ffi.dlopen(str(build_shared(files)))


def test_srdhm_matches_c_on_edges(c_lib):
    for a, b in itertools.product(EDGES, EDGES):
        assert int(fp.srdhm(a, b)) == c_lib.t_srdhm(a, b), (a, b)


def test_srdhm_saturates_int32_min_squared():
    assert int(fp.srdhm(fp.INT32_MIN, fp.INT32_MIN)) == fp.INT32_MAX


@pytest.mark.parametrize("exponent", range(0, 32))
def test_rounding_divide_by_pot_matches_c(c_lib, exponent):
    xs = EDGES + [(1 << exponent) // 2 * s + d for s in (1, -1, 3, -3) for d in (-1, 0, 1)]
    xs = [x for x in xs if fp.INT32_MIN <= x <= fp.INT32_MAX]
    for x in xs:
        assert int(fp.rounding_divide_by_pot(x, exponent)) == c_lib.t_rdpot(x, exponent), (x, exponent)


def test_rounding_boundary_rounds_half_away_from_zero():
    assert int(fp.rounding_divide_by_pot(5, 1)) == 3    # 2.5 -> 3
    assert int(fp.rounding_divide_by_pot(-5, 1)) == -3  # -2.5 -> -3
    assert int(fp.rounding_divide_by_pot(-6, 2)) == -2  # -1.5 -> -2
    assert int(fp.rounding_divide_by_pot(6, 2)) == 2    # 1.5 -> 2
    assert int(fp.rounding_divide_by_pot(-5, 2)) == -1  # -1.25 -> -1


@pytest.mark.parametrize("shift", range(-31, 31))
def test_multiply_by_quantized_multiplier_matches_c(c_lib, shift):
    rng = np.random.default_rng(shift + 100)
    ms = [1 << 30, (1 << 31) - 1, 1518500250, int(rng.integers(1 << 30, 1 << 31))]
    limit = (1 << 31) >> max(shift, 0)   # TFLite's contract: x << shift stays in int32
    xs = [x for x in EDGES if -limit <= x < limit] + list(rng.integers(-limit, limit, 50))
    for x, m in itertools.product(xs, ms):
        assert int(fp.multiply_by_quantized_multiplier(x, m, shift)) == c_lib.t_mbqm(int(x), m, shift), (x, m, shift)


def test_vectorised_python_equals_scalar():
    rng = np.random.default_rng(0)
    x = rng.integers(-(1 << 20), 1 << 20, 1000)
    m, s = fp.quantize_multiplier(0.00123)
    vec = fp.multiply_by_quantized_multiplier(x, m, s)
    assert [int(v) for v in vec] == [int(fp.multiply_by_quantized_multiplier(int(v), m, s)) for v in x]


@pytest.mark.parametrize("real", [1e-9, 1e-5, 0.00390625, 0.1, 0.5, 0.75, 0.999999999, 1.0, 1.5, 3.7, 1000.0])
def test_quantize_multiplier_represents_the_real_value(real):
    m, shift = fp.quantize_multiplier(real)
    assert (1 << 30) <= m < (1 << 31)
    assert abs(m * 2.0 ** (shift - 31) - real) <= real * 2 ** -30


def test_quantize_multiplier_edges():
    assert fp.quantize_multiplier(0.0) == (0, 0)
    assert fp.quantize_multiplier(2.0 ** -40) == (0, 0)     # shift below -31: zero
    m, s = fp.quantize_multiplier(1.0 - 2 ** -40)           # rounds up to 2^31: renormalised
    assert (m, s) == (1 << 30, 1)
    m, s = fp.quantize_multiplier(0.25)
    # double rounding, as TFLite: 997 -> round(997 / 2) = 499 -> round(499 / 2) = 250 (single: 249)
    assert int(fp.multiply_by_quantized_multiplier(997, m, s)) == 250
    assert int(fp.multiply_by_quantized_multiplier(996, m, s)) == 249


# -- gemmlowp exp / reciprocal / logistic / tanh and the int16 helpers --------------------------
GEMM_WRAPPERS = """
#include "ec_fixedpoint.h"
#define T_MAP(name, expr) void name(const int32_t *a, const int32_t *b, int32_t *y, int32_t n, int32_t k) \\
    { int32_t i; for (i = 0; i < n; ++i) { y[i] = (expr); } (void)b; (void)k; }
T_MAP(t_sls, ec_sat_left_shift(a[i], k))
T_MAP(t_rhs, ec_rounding_half_sum(a[i], b[i]))
T_MAP(t_exp_q, ec_exp_on_interval_neg_quarter(a[i]))
T_MAP(t_exp, ec_exp_on_negative_values(a[i], k))
T_MAP(t_1o1px, ec_one_over_one_plus_x(a[i]))
T_MAP(t_1mx, ec_one_minus_x_over_one_plus_x(a[i]))
T_MAP(t_logistic, ec_logistic_q31(a[i], k))
T_MAP(t_tanh, ec_tanh_q31(a[i], k))
T_MAP(t_clz, ec_clz_u32((uint32_t)a[i]))
T_MAP(t_srdhm16, ec_srdhm_s16((int16_t)a[i], (int16_t)b[i]))
T_MAP(t_sdhm16, ec_sdhm_s16((int16_t)a[i], (int16_t)b[i]))
T_MAP(t_sls16, ec_sat_left_shift_s16((int16_t)a[i], k))
T_MAP(t_sadd, ec_saturating_add(a[i], b[i]))
T_MAP(t_ssub, ec_saturating_sub(a[i], b[i]))
T_MAP(t_slsp, ec_sat_left_shift_param(a[i], b[i]))
T_MAP(t_log, ec_log_x_ge_1(a[i], k, 5))
void t_recip(const int32_t *a, int32_t *y, int32_t *nbits, int32_t n, int32_t k)
{ int32_t i; for (i = 0; i < n; ++i) { y[i] = ec_reciprocal_q31(a[i], k, &nbits[i]); } }
"""
GEMM_FNS = ["t_sls", "t_rhs", "t_exp_q", "t_exp", "t_1o1px", "t_1mx", "t_logistic", "t_tanh", "t_clz",
            "t_srdhm16", "t_sdhm16", "t_sls16", "t_sadd", "t_ssub", "t_slsp", "t_log"]


@pytest.fixture(scope="module")
def gemm():
    files = {"t.c": GEMM_WRAPPERS, "ec_fixedpoint.h": (runtime_dir() / "include" / "ec_fixedpoint.h").read_text()}
    ffi = cffi.FFI()
    ffi.cdef("".join(f"void {f}(const int32_t *, const int32_t *, int32_t *, int32_t, int32_t);" for f in GEMM_FNS)
             + "void t_recip(const int32_t *, int32_t *, int32_t *, int32_t, int32_t);")
    lib = ffi.dlopen(str(build_shared(files)))

    def call(fn, a, b=None, k=0):
        a = np.ascontiguousarray(a, np.int32)
        b = np.ascontiguousarray(a if b is None else b, np.int32)
        y = np.zeros(a.size, np.int32)
        getattr(lib, fn)(ffi.from_buffer("int32_t[]", a), ffi.from_buffer("int32_t[]", b),
                         ffi.from_buffer("int32_t[]", y), a.size, k)
        return y.astype(np.int64)

    def recip(x, k):
        x = np.ascontiguousarray(x, np.int32)
        y, n = np.zeros(x.size, np.int32), np.zeros(x.size, np.int32)
        lib.t_recip(ffi.from_buffer("int32_t[]", x), ffi.from_buffer("int32_t[]", y),
                    ffi.from_buffer("int32_t[]", n), x.size, k)
        return y.astype(np.int64), n.astype(np.int64)

    call.recip = recip
    return call


def _negatives(rng, lo: int, n: int = 4000) -> np.ndarray:
    """Edges and random values in [lo, 0], including every quarter boundary of Q5 and its +-1."""
    edges = [0, -1, -2, lo, lo + 1, -(1 << 24), -(1 << 29) - 1]
    quarters = [-(q << 24) + d for q in range(0, 4 * 31 + 1) for d in (-1, 0, 1)]
    vals = np.array(edges + quarters + list(rng.integers(lo, 1, n)), np.int64)
    return vals[(vals >= lo) & (vals <= 0)]


@pytest.mark.parametrize("ib", [0, 1, 4, 5, 6, 12])
def test_exp_on_negative_values_matches_c_and_exp(gemm, ib):
    rng = np.random.default_rng(ib)
    a = _negatives(rng, fp.INT32_MIN)
    got = fp.exp_on_negative_values(a, ib)
    np.testing.assert_array_equal(got, gemm("t_exp", a, k=ib))
    want = np.exp(a / 2.0 ** (31 - ib)) * 2.0 ** 31
    assert np.max(np.abs(got - want)) < 2 ** 31 * 1e-6


def test_exp_on_interval_neg_quarter_matches_c_on_its_domain(gemm):
    a = np.concatenate([np.arange(-(1 << 29), -(1 << 29) + 2000), np.arange(-2000, 0),
                        np.random.default_rng(1).integers(-(1 << 29), 0, 20000)])
    got = fp.exp_on_interval_neg_quarter(a)
    np.testing.assert_array_equal(got, gemm("t_exp_q", a))
    assert got.max() <= fp.INT32_MAX and got.min() > 0


def test_exp_of_zero_is_one_and_of_minus_32_is_tiny():
    assert int(fp.exp_on_negative_values(0, 5)) == fp.INT32_MAX
    assert int(fp.exp_on_negative_values(-(1 << 26) * 16, 5)) == 242          # exp(-16) in Q0
    assert int(fp.exp_on_negative_values(-(1 << 25) * 33, 6)) == 0            # clamped below -32


def test_one_over_one_plus_x_and_one_minus_x_match_c(gemm):
    a = np.concatenate([[0, 1, 2, fp.INT32_MAX, fp.INT32_MAX - 1, 1 << 30, (1 << 30) - 1],
                        np.random.default_rng(2).integers(0, 1 << 31, 20000)])
    r1, r2 = fp.one_over_one_plus_x(a), fp.one_minus_x_over_one_plus_x(a)
    np.testing.assert_array_equal(r1, gemm("t_1o1px", a))
    np.testing.assert_array_equal(r2, gemm("t_1mx", a))
    x = a / 2.0 ** 31
    assert np.max(np.abs(r1 / 2.0 ** 31 - 1 / (1 + x))) < 1e-8
    assert np.max(np.abs(r2 / 2.0 ** 31 - (1 - x) / (1 + x))) < 1e-8


@pytest.mark.parametrize("ib", [4, 5])
def test_logistic_and_tanh_q31_match_c_and_float(gemm, ib):
    lim = 15 << (31 - ib) if ib == 4 else 30 << (31 - ib)
    a = np.concatenate([[0, 1, -1, lim - 1, -lim + 1, 1 << (31 - ib), -(1 << (31 - ib))],
                        np.random.default_rng(ib).integers(-lim + 1, lim, 20000)])
    lg, th = fp.logistic_q31(a, ib), fp.tanh_q31(a, ib)
    np.testing.assert_array_equal(lg, gemm("t_logistic", a, k=ib))
    np.testing.assert_array_equal(th, gemm("t_tanh", a, k=ib))
    x = a / 2.0 ** (31 - ib)
    assert np.max(np.abs(lg / 2.0 ** 31 - 1 / (1 + np.exp(-x)))) < 1e-6
    assert np.max(np.abs(th / 2.0 ** 31 - np.tanh(x))) < 1e-6
    assert int(fp.logistic_q31(0, ib)) == 1 << 30 and int(fp.tanh_q31(0, ib)) == 0


def test_reciprocal_matches_c_and_inverts(gemm):
    x = np.concatenate([[1, 2, 3, 1 << 19, (1 << 19) + 1, 1 << 30, fp.INT32_MAX],
                        np.random.default_rng(3).integers(1, 1 << 31, 20000)])
    r, n = fp.reciprocal_q31(x, 12)
    cr, cn = gemm.recip(x, 12)
    np.testing.assert_array_equal(r, cr)
    np.testing.assert_array_equal(n, cn)
    real = x / 2.0 ** 19
    assert np.max(np.abs(r / 2.0 ** 31 * 2.0 ** -n.astype(np.float64) * real - 1)) < 1e-8


def test_count_leading_zeros_matches_c(gemm):
    x = np.array([0, 1, 2, 3, 255, 256, 1 << 19, fp.INT32_MAX, -1, fp.INT32_MIN], np.int64)
    np.testing.assert_array_equal(fp.count_leading_zeros(x & 0xFFFFFFFF), gemm("t_clz", x))


@pytest.mark.parametrize("exponent", [1, 2, 4, 5, 12, 30])
def test_saturating_left_shift_matches_c(gemm, exponent):
    t = (1 << (31 - exponent))
    x = np.array(EDGES + [t - 1, t, -t, -t + 1, -t - 1], np.int64)
    np.testing.assert_array_equal(fp.saturating_left_shift(x, exponent), gemm("t_sls", x, k=exponent))


def test_rounding_half_sum_rounds_half_away_from_zero(gemm):
    a = np.array(EDGES, np.int64)
    for b in EDGES:
        np.testing.assert_array_equal(fp.rounding_half_sum(a, b), gemm("t_rhs", a, np.full(a.size, b)))
    assert [int(fp.rounding_half_sum(a, b)) for a, b in [(1, 2), (-1, -2), (-1, 0)]] == [2, -2, -1]


def test_int16_multiplies_match_c_exhaustively_on_a_grid(gemm):
    vals = np.array(sorted(set(list(range(-40, 41)) + [-32768, -32767, 32767, 32766, 16384, -16384, 12345,
                                                         -12345, 181, 255 * 128, -255 * 128])), np.int64)
    a, b = np.meshgrid(vals, vals)
    a, b = a.ravel(), b.ravel()
    np.testing.assert_array_equal(fp.srdhm_s16(a, b), gemm("t_srdhm16", a, b))
    np.testing.assert_array_equal(fp.sdhm_s16(a, b), gemm("t_sdhm16", a, b))
    assert int(fp.srdhm_s16(-32768, -32768)) == 32767 and int(fp.sdhm_s16(-32768, -32768)) == 32767
    assert int(fp.srdhm_s16(1, 16384)) == 1 and int(fp.sdhm_s16(1, 16384)) == 0      # 0.5: nearest vs toward 0
    assert int(fp.srdhm_s16(-1, 16384)) == 0 and int(fp.srdhm_s16(-3, 16384)) == -1  # ties round up
    assert int(fp.sdhm_s16(-3, 16384)) == -1


@pytest.mark.parametrize("amount", [0, 1, 3, 8, 15, 30])
def test_int16_saturating_left_shift_matches_c(gemm, amount):
    x = np.array([0, 1, -1, 255, -255, 32767, -32768, 1000, -1000], np.int64)
    np.testing.assert_array_equal(fp.saturating_left_shift_s16(x, amount), gemm("t_sls16", x, k=amount))


def test_downscale_multiplier_s16_rounds_and_saturates():
    assert fp.downscale_multiplier_s16(1 << 30) == 1 << 14
    assert fp.downscale_multiplier_s16((1 << 30) + (1 << 15)) == (1 << 14) + 1
    assert fp.downscale_multiplier_s16(fp.INT32_MAX - (1 << 15)) == fp.INT16_MAX


def test_quantize_multiplier_unclamped_keeps_shift_31():
    assert fp.quantize_multiplier_unclamped(2.0 ** 31 - 1) == (2 ** 31 - 1, 31)
    for real in [1e-5, 0.3, 1.0, 3.7, 2.0 ** 20]:
        assert fp.quantize_multiplier_unclamped(real) == fp.quantize_multiplier(real)


@pytest.mark.parametrize("ib", [12, 5, 20])
def test_log_x_ge_1_matches_c_and_log(gemm, ib):
    one = 1 << (31 - ib)
    x = np.concatenate([[one, one + 1, 2 * one, 3 * one, fp.INT32_MAX, fp.INT32_MAX - 1],
                        np.random.default_rng(ib).integers(one, 1 << 31, 20000)])
    got = fp.log_x_ge_1(x, ib, 5)
    np.testing.assert_array_equal(got, gemm("t_log", x, k=ib))
    assert int(got[0]) == 0
    assert np.max(np.abs(got / 2.0 ** 26 - np.log(x / one))) < 1e-6


def test_saturating_add_sub_and_param_shift_match_c(gemm):
    a = np.array(EDGES, np.int64)
    for b in EDGES:
        bb = np.full(a.size, b)
        np.testing.assert_array_equal(fp.saturating_add(a, b), gemm("t_sadd", a, bb))
        np.testing.assert_array_equal(fp.saturating_sub(a, b), gemm("t_ssub", a, bb))
    for e in [0, 1, 7, 25, 30]:
        np.testing.assert_array_equal(fp.saturating_left_shift_param(a, e), gemm("t_slsp", a, np.full(a.size, e)))
