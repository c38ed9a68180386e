"""svm_kernel / svm_ovo_decision / ovo_vote / svm_dual_sum: numpy reference vs the C kernels,
and the references against direct float64 formulas."""
from __future__ import annotations

import numpy as np
import pytest

from edgec.artifact import Artifact
from edgec.backend.c import emit_c
from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import DType, Graph, TensorType, Value
from edgec.ops.svm import (OvoVoteAttrs, SvmKernelAttrs, SvmOvoAttrs, dual_sum_ref, pairs, powi,
                           vote_ref)
from edgec.sim.interpreter import run_graph

RNG = np.random.default_rng(3)


def _run(op: str, x: np.ndarray, consts: list[np.ndarray], attrs) -> tuple[np.ndarray, np.ndarray]:
    """(C output, simulator output) of one `op` node on run-time input x and constant inputs."""
    ctx = SkContext()
    xv = Value("x", TensorType(x.shape, DType.F32))
    y = ctx.node(op, [xv] + [ctx.const(c, f"c{i}") for i, c in enumerate(consts)], attrs, "y")
    y.name = "y"
    g = Graph("t", [xv], [y], ctx.nodes)
    art = Artifact("svm_op", g, g, emit_c(g, "svm_op"), None, quant="float", float_graph=g)
    x = x.astype(np.float32)
    return art.run({"x": x})["y"].reshape(y.shape), run_graph(g, {"x": x})["y"]


@pytest.mark.parametrize("kind", ["linear", "poly", "rbf", "sigmoid"])
@pytest.mark.parametrize("n_sv", [5, 16, 37])
def test_svm_kernel_c_matches_reference(kind, n_sv):
    x = RNG.standard_normal((3, 7)).astype(np.float32)
    sv = RNG.standard_normal((n_sv, 7)).astype(np.float32)
    attrs = SvmKernelAttrs(kind, gamma=0.3, coef0=0.5, degree=3)
    got, sim = _run("svm_kernel", x, [sv], attrs)
    np.testing.assert_allclose(got, sim, rtol=2e-6, atol=1e-6)
    x64, sv64 = x.astype(np.float64), sv.astype(np.float64)
    dot = x64 @ sv64.T
    exact = {"linear": dot, "poly": (0.3 * dot + 0.5) ** 3, "sigmoid": np.tanh(0.3 * dot + 0.5),
             "rbf": np.exp(-0.3 * ((x64[:, None] - sv64[None]) ** 2).sum(-1))}[kind]
    np.testing.assert_allclose(sim, exact, rtol=1e-5, atol=1e-5)


def test_rbf_uses_the_difference_form():
    # far from the origin, |x|^2 + |sv|^2 - 2 x.sv cancels to garbage in float32; (x - sv)^2 does not
    x = np.full((1, 4), 3000.0, np.float32)
    sv = x + np.array([[0.5, -0.25, 0.0, 1.0]], np.float32)
    got, _ = _run("svm_kernel", x, [sv], SvmKernelAttrs("rbf", gamma=1.0))
    np.testing.assert_allclose(got, np.exp(-(0.25 + 0.0625 + 1.0)), rtol=1e-6)


def test_powi_is_repeated_squaring():
    b = np.array([1.5, -2.0, 0.3], np.float32)
    for d in range(0, 7):
        np.testing.assert_allclose(powi(b, d), b.astype(np.float64) ** d, rtol=1e-6)


def test_ovo_decision_c_matches_reference_and_libsvm_sums():
    n_support = (3, 4, 2, 5)
    s, c = sum(n_support), len(n_support)
    k = RNG.standard_normal((2, s)).astype(np.float32)
    coef = RNG.standard_normal((c - 1, s)).astype(np.float32)
    b = RNG.standard_normal(c * (c - 1) // 2).astype(np.float32)
    got, sim = _run("svm_ovo_decision", k, [coef, b], SvmOvoAttrs(n_support))
    np.testing.assert_allclose(got, sim, rtol=1e-6, atol=1e-6)
    start = np.cumsum((0,) + n_support)
    for p, (i, j) in enumerate(pairs(c)):
        si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
        want = k[:, si].astype(np.float64) @ coef[j - 1, si] + k[:, sj].astype(np.float64) @ coef[i, sj] + b[p]
        np.testing.assert_allclose(sim[:, p], want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("zero_to_first", [False, True])
def test_ovo_vote_c_matches_reference(zero_to_first):
    dec = np.array([[1.0, -1.0, 0.0, 2.0, -0.5, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]], np.float32)
    attrs = OvoVoteAttrs(4, zero_to_first)
    got, sim = _run("ovo_vote", dec, [], attrs)
    np.testing.assert_array_equal(got, sim)
    # pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3); a zero goes to j in libsvm, to i with zero_to_first
    first = [[1, 0, 1, 1, 0, 1], [1] * 6] if zero_to_first else [[1, 0, 0, 1, 0, 0], [0] * 6]
    for r in range(2):
        want = np.zeros(4)
        for p, (i, j) in enumerate(pairs(4)):
            want[i if first[r][p] else j] += 1
        np.testing.assert_array_equal(sim[r], want)
    np.testing.assert_array_equal(vote_ref(attrs, dec), sim)


@pytest.mark.parametrize("kind", ["linear", "poly", "rbf", "sigmoid"])
def test_dual_sum_c_matches_float64(kind):
    x = RNG.standard_normal((4, 6)).astype(np.float32)
    sv = RNG.standard_normal((23, 6)).astype(np.float32)
    coef = (RNG.standard_normal(23) * 100).astype(np.float32)
    b = np.array([3.25], np.float32)
    attrs = SvmKernelAttrs(kind, gamma=0.123456789012, coef0=0.3, degree=3)
    got, sim = _run("svm_dual_sum", x, [sv, coef, b], attrs)
    np.testing.assert_allclose(got, sim, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(sim, dual_sum_ref(attrs, x, sv, coef, b))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_pair_proba_c_matches_reference(k):
    from edgec.ops.svm import SvmPairProbaAttrs, split_double
    n_pairs = k * (k - 1) // 2
    dec = RNG.standard_normal((3, n_pairs)).astype(np.float32) * 2
    attrs = SvmPairProbaAttrs(k, tuple(RNG.uniform(-4, -1, n_pairs)), tuple(RNG.uniform(-0.5, 0.5, n_pairs)))
    got, sim = _run("svm_pair_proba", dec, [], attrs)
    np.testing.assert_allclose(got, sim, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sim.sum(1), 1.0, atol=1e-6)
    hi_lo = split_double(attrs.prob_a)
    np.testing.assert_allclose(hi_lo[:, 0].astype(np.float64) + hi_lo[:, 1], attrs.prob_a, rtol=1e-13)


@pytest.mark.parametrize("kind", ["poly", "rbf", "sigmoid"])
def test_ovo_dual_c_matches_reference_and_float32_path(kind):
    from edgec.ops.svm import SvmOvoDualAttrs, kernel_ref
    n_support = (4, 2, 5)
    s, c = sum(n_support), len(n_support)
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    sv = RNG.standard_normal((s, 5)).astype(np.float32)
    coef = RNG.standard_normal((c - 1, s)).astype(np.float32)
    b = RNG.standard_normal(c * (c - 1) // 2).astype(np.float32)
    kattrs = SvmKernelAttrs(kind, gamma=0.2, coef0=0.1, degree=3)
    got, sim = _run("svm_ovo_dual", x, [sv, coef, b], SvmOvoDualAttrs(kattrs, n_support))
    np.testing.assert_allclose(got, sim, rtol=1e-6, atol=1e-6)
    # the same values as the float32 kernel + svm_ovo_decision path, to float32 accuracy
    from edgec.ops.svm import ovo_ref
    fast = ovo_ref(SvmOvoAttrs(n_support), kernel_ref(kattrs, x, sv), coef, b)
    np.testing.assert_allclose(sim, fast, rtol=1e-4, atol=1e-5)


def _sequential_sums(x: np.ndarray, sv: np.ndarray, dtype, rbf: bool) -> np.ndarray:
    """[N, S] per-vector feature sums one feature after another in `dtype` (libsvm's order)."""
    x, sv = x.astype(dtype), sv.astype(dtype)
    acc = np.zeros((x.shape[0], sv.shape[0]), dtype)
    for f in range(x.shape[1]):
        t = x[:, f:f + 1] - sv[None, :, f] if rbf else x[:, f:f + 1] * sv[None, :, f]
        acc = (acc + (t * t if rbf else t)).astype(dtype)
    return acc


@pytest.mark.parametrize("n_sv,n_features", [(3, 4), (8, 13), (16, 4), (21, 7), (44, 4), (61, 64)])
def test_blocked_kernel_sums_keep_each_vectors_feature_order(n_sv, n_features):
    # the kernels sum eight vectors side by side; each vector's sum must stay the sequential one
    x = (RNG.standard_normal((2, n_features)) * 10.0 ** RNG.integers(-3, 4, n_features)).astype(np.float32)
    sv = (RNG.standard_normal((n_sv, n_features)) * 10.0 ** RNG.integers(-3, 4, n_features)).astype(np.float32)
    got, _ = _run("svm_kernel", x, [sv], SvmKernelAttrs("linear"))
    assert got.tobytes() == _sequential_sums(x, sv, np.float32, rbf=False).tobytes()
    # the double dual sum: the sequential double distances, their kernel values added in vector order
    coef = RNG.standard_normal(n_sv).astype(np.float32)
    got, _ = _run("svm_dual_sum", x, [sv, coef], SvmKernelAttrs("rbf", gamma=0.125))
    d = _sequential_sums(x, sv, np.float64, rbf=True)
    want = (np.exp(-0.125 * d) * coef.astype(np.float64)[None, :])
    total = np.zeros(x.shape[0])
    for v in range(n_sv):
        total = total + want[:, v]
    np.testing.assert_allclose(got.reshape(-1), total.astype(np.float32), rtol=1e-6, atol=1e-7)
