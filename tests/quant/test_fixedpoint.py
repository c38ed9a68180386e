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
