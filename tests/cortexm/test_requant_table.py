"""The cmsis target's short requantization (ecm_rq in runtime_c/include/ecm_gemm_s8.h): one
rounding high multiply of acc << (lsh + 1) and one rounding shift, equal to TFLite's two-step
rounding (the simulator's multiply_by_quantized_multiplier) plus the output offset, which the
table's rounding term carries, for every accumulator the table's bound admits; the table is
withheld where the bound fails."""
import numpy as np
import pytest

from edgec.backend.cmsis_ops import requant_table
from edgec.quant import fixedpoint as fp


def _short(acc, q):
    """ecm_rqs / ecm_rq in integer numpy (int32 wrapping where the C wraps)."""
    m, l1, rnd, rsh = (q[:, i].astype(np.int64) for i in range(4))
    x = ((acc.astype(np.int64) << l1) + (1 << 31)) % (1 << 32) - (1 << 31)
    s = (x * m + (1 << 31)) >> 32
    t = ((2 * s + (s >> 31) + rnd) + (1 << 31)) % (1 << 32) - (1 << 31)
    return t >> rsh


@pytest.mark.parametrize("off", [0, -128, 127, 5])
def test_short_requantization_equals_the_two_step_rounding_within_the_bound(off):
    rng = np.random.default_rng(5)
    n, k = 64, 96
    w = rng.integers(-127, 128, (n, k))
    bias = rng.integers(-50000, 50000, n).astype(np.int32)
    m = rng.integers(1 << 30, (1 << 31) - 1, n)
    m[:8] = 1 << 30
    sh = rng.integers(-20, 2, n)
    sh[8:12] = 0
    q = requant_table(w, bias, m, sh, off)
    assert q is not None and q.shape == (n, 4)
    bound = np.abs(bias.astype(np.int64)) + 128 * np.abs(w).sum(axis=1)
    for _ in range(20):
        acc = rng.integers(-bound, bound + 1)
        acc[:16] = np.where(rng.random(16) < 0.5, bound[:16], -bound[:16])   # the extremes
        want = fp.multiply_by_quantized_multiplier(acc, m, sh) + off
        np.testing.assert_array_equal(_short(acc, q), want)
    # rounding ties: accumulators whose scaled value lands exactly on a half
    r = np.maximum(-sh, 0)
    tie = ((1 << r) // 2) * np.where(np.arange(n) % 2, 1, -1)
    acc = np.where(m == 1 << 30, tie * 2 >> np.maximum(sh, 0), 0)
    np.testing.assert_array_equal(_short(acc, q), fp.multiply_by_quantized_multiplier(acc, m, sh) + off)


def test_table_is_withheld_where_the_bound_fails():
    w = np.ones((2, 8), np.int64)
    assert requant_table(w, np.array([0, 0]), [1 << 30, 1 << 30], [-31, -8]) is None        # r + 1 > 31
    assert requant_table(w, np.array([1 << 29, 0]), [1 << 30, 1 << 30], [1, -8]) is None    # acc << 2 overflows
    q = requant_table(w, np.array([5, -5]), [1 << 30, (1 << 31) - 1], [-3, 2])
    np.testing.assert_array_equal(q, [[1 << 30, 1, 8, 4], [(1 << 31) - 1, 3, 1, 1]])
    assert requant_table(w, np.array([5, -5]), [1 << 30, 1 << 30], [-29, -8], -128) is None  # offset 2^30 out of int32
    q = requant_table(w, np.array([5, -5]), [1 << 30, (1 << 31) - 1], [-3, 2], -7)
    np.testing.assert_array_equal(q[:, 2], [8 - 7 * 16, 1 - 7 * 2])
