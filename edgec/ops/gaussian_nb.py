"""gaussian_nb_jll: GaussianNB's joint log likelihood, with scikit-learn's float32 arithmetic.

Inputs: x [N, F], theta [C, F], var [C, F], log_prior [C], norm [C] (all float32; constants but
x). Output [N, C]:
    jll[n, c] = log_prior[c] + (norm[c] - 0.5 * S[n, c]),   S = sum_f (x[n, f] - theta[c, f])^2 / var[c, f]
each step rounded to float32 in that order, and S summed the way numpy's `sum` along a
contiguous axis does (pairwise: blocks of at most 128 terms with 8 interleaved partial sums,
larger ranges split in halves), so a model fitted on float32 rows gets scikit-learn's own values
bit for bit. That matters: a class whose feature never varies gets a variance of ~1e-9, its terms
reach 1e9 and the classes' likelihoods can tie to the last bit (digits), where any other summation
order picks another class.
"""
from __future__ import annotations

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import NoAttrs, OpDef, register

BLOCK = 128   # numpy's PW_BLOCKSIZE: longer ranges are split in two


def pairwise_sum(a: np.ndarray) -> np.float32:
    """numpy's float32 pairwise sum of a 1-D array, step by step (what the C kernel does)."""
    n = a.shape[0]
    if n > BLOCK:
        half = n // 2 - (n // 2) % 8
        return np.float32(pairwise_sum(a[:half]) + pairwise_sum(a[half:]))
    m = 0 if n < 8 else n - n % 8
    r = np.zeros(8, np.float32)
    for i in range(0, m, 8):
        r = (r + a[i:i + 8]).astype(np.float32)
    res = np.float32(0)
    if m:
        res = np.float32(np.float32(r[0] + r[1]) + np.float32(r[2] + r[3]))
        res = np.float32(res + np.float32(np.float32(r[4] + r[5]) + np.float32(r[6] + r[7])))
    for i in range(m, n):
        res = np.float32(res + a[i])
    return res


def _infer(a: NoAttrs, types: list[TensorType]) -> list[TensorType]:
    x, theta, var, prior, norm = types
    c, f = theta.shape if theta.rank == 2 else (0, 0)
    if (x.rank != 2 or x.shape[1] != f or var.shape != theta.shape or prior.shape != (c,)
            or norm.shape != (c,) or any(t.dtype != DType.F32 for t in types)):
        raise ShapeError(f"gaussian_nb_jll takes float32 x [N, F], theta and var [C, F], log prior "
                         f"and norm [C]; got {', '.join(str(t) for t in types)}")
    return [TensorType((x.shape[0], c), DType.F32)]


def _ref(a: NoAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    x, theta, var, prior, norm = (np.asarray(v, np.float32) for v in xs)
    out = np.empty((x.shape[0], theta.shape[0]), np.float32)
    for n in range(x.shape[0]):
        q = (((x[n] - theta) ** 2) / var).astype(np.float32)
        for c in range(theta.shape[0]):
            s = np.float32(np.float32(0.5) * pairwise_sum(q[c]))
            out[n, c] = np.float32(prior[c] + np.float32(norm[c] - s))
    return [out]


def _emit(ctx, node) -> None:
    """One call per row (the kernels take one; scikit-learn graphs have one), a loop for more."""
    x, theta, var, prior, norm = node.inputs
    y = node.outputs[0]
    c, f = theta.shape
    kind = "seq" if f < 8 else "block" if f <= BLOCK else "wide"
    ctx.use(f"ec_gnb_{kind}_f32")
    p = ctx.struct("ec_gnb_f32_params", {
        "n_classes": c, "n_features": f, "theta": ctx.ptr(theta), "var": ctx.ptr(var),
        "log_prior": ctx.ptr(prior), "norm": ctx.ptr(norm)}, "gnb")
    fn, n = f"ec_gnb_{kind}_f32", x.shape[0]
    if n == 1:
        ctx.call(fn, p, ctx.ptr(x), ctx.ptr(y))
        return
    ctx.steps[-1].lines.extend([
        "{", "    int32_t s;", f"    for (s = 0; s < {n}; ++s) {{",
        f"        {fn}({p}, {ctx.ptr(x)} + s * {f}, {ctx.ptr(y)} + s * {c});", "    }", "}"])


def _macs(a: NoAttrs, ins, outs) -> int:
    return ins[0].shape[0] * ins[1].shape[0] * ins[1].shape[1]


GAUSSIAN_NB = register(OpDef("gaussian_nb_jll", _infer, _ref, _emit, macs=_macs))
