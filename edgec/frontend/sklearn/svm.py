"""Kernel SVMs (SVC, NuSVC, SVR, NuSVR, OneClassSVM) -> svm_kernel + decision + libsvm's rules.

The kernel values against every support vector come from one `svm_kernel` node (float32; when
a measurement at compile time shows float32 loses the decision values, `svm_ovo_dual` computes
kernel and sums in double instead). Classifiers then
take the one-vs-one decision values (`svm_ovo_decision`, libsvm's pair order and sums) and vote
(`ovo_vote` + arg max: libsvm's predict, ties to the lower class). decision_function is the ovo
values (negated for two classes, as scikit-learn flips them) or scikit-learn's 'ovr' transform:
votes + s / (3 (|s| + 1)) with s the summed pairwise confidences. Regressors and OneClassSVM are
one `svm_dual_sum` (kernel and dual sum in double: their values, not only signs, must match). A linear kernel
is folded to its primal weights at compile time (exact in float64, and float32 keeps it stable).

predict_proba of SVC/NuSVC(probability=True) is libsvm's: Platt sigmoids of the pairwise values
and its iterative pairwise coupling, in double (`svm_pair_proba`); predict still votes, as in
scikit-learn, whatever the probabilities say. Precomputed or callable kernels and models fitted on sparse data raise
UnsupportedOpError.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.svm import SVC, SVR, NuSVC, NuSVR, OneClassSVM

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.arith import binary, pointwise
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.frontend.sklearn.linear import binary_label
from edgec.ir.graph import Value
from edgec.ops.svm import (KERNELS, OvoVoteAttrs, SvmKernelAttrs, SvmOvoAttrs, SvmOvoDualAttrs, SvmPairProbaAttrs,
                           kernel_ref, ovo_dual_ref, ovo_ref, pairs)


def check_supported(est: Any) -> None:
    name = type(est).__name__
    if not isinstance(est.kernel, str) or est.kernel not in KERNELS:
        raise UnsupportedOpError(name, "kernel", f"kernel={est.kernel!r}; supported: {', '.join(KERNELS)}")
    if getattr(est, "_sparse", False):
        raise UnsupportedOpError(name, "support_vectors_", "a model fitted on sparse data")
    if np.asarray(est.support_vectors_).shape[0] == 0:
        raise UnsupportedOpError(name, "support_vectors_", "no support vectors")


def kernel_values(ctx: SkContext, est: Any, x: Value) -> Value:
    sv = np.asarray(est.support_vectors_, np.float64)
    return ctx.node("svm_kernel", [x, ctx.const(sv.astype(np.float32), "support_vectors")], _kernel_attrs(est), "kernel")


def _kernel_attrs(est: Any) -> SvmKernelAttrs:
    return SvmKernelAttrs(est.kernel, float(est._gamma), float(est.coef0), int(est.degree))


@converter(SVC, NuSVC)
def support_vector_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    check_supported(est)
    classes = est.classes_
    c = len(classes)
    n_support = tuple(int(n) for n in est._n_support)
    if est.kernel == "linear":
        dec = ctx.linear(x, _ovo_primal(est._dual_coef_, est.support_vectors_, n_support), est._intercept_, "ovo")
    else:
        coef = ctx.const(np.asarray(est._dual_coef_, np.float64).astype(np.float32), "dual_coef")
        intercept = ctx.const(np.asarray(est._intercept_, np.float64).astype(np.float32), "intercept")
        if float32_is_enough(est, n_support):
            k = kernel_values(ctx, est, x)
            dec = ctx.node("svm_ovo_decision", [k, coef, intercept], SvmOvoAttrs(n_support), "ovo")
        else:
            sv = ctx.const(np.asarray(est.support_vectors_, np.float64).astype(np.float32), "support_vectors")
            dec = ctx.node("svm_ovo_dual", [x, sv, coef, intercept], SvmOvoDualAttrs(_kernel_attrs(est), n_support),
                           "ovo")
    votes = ctx.node("ovo_vote", [dec], OvoVoteAttrs(c), "votes")
    label = ctx.argmax_label(votes, classes)
    proba = _probabilities(ctx, est, dec, c)
    if c == 2:
        return Outputs(label=label, proba=proba, decision=pointwise(ctx, "neg", dec, hint="decision"), classes=classes)
    decision = dec
    if est.decision_function_shape == "ovr":
        decision = _ovr_decision(ctx, dec, c)
        if est.break_ties:
            label = ctx.argmax_label(decision, classes)
    return Outputs(label=label, proba=proba, decision=decision, classes=classes)


def _probabilities(ctx: SkContext, est: Any, dec: Value, c: int) -> Value | None:
    """predict_proba when the model was fitted with probability=True (it has Platt sigmoids)."""
    a, b = np.asarray(getattr(est, "_probA", ())), np.asarray(getattr(est, "_probB", ()))
    if a.size == 0 or b.size == 0:
        return None
    attrs = SvmPairProbaAttrs(c, tuple(float(v) for v in a), tuple(float(v) for v in b))
    return ctx.node("svm_pair_proba", [dec], attrs, "proba")


# largest error of the float32 one-vs-one values, relative to max(1, |value|), that keeps them
_FLOAT32_TOLERANCE = 1e-5
_PROBES = 256


def float32_is_enough(est: Any, n_support: tuple[int, ...]) -> bool:
    """Measures the float32 kernel + dual-sum path against the float64 one on (up to 256) support
    vectors, which sit on or inside the margins where decisions are close. Well-scaled models err
    ~1e-7 and keep the fast float32 kernels; models whose dual sums cancel (unscaled features,
    large nu-SVC coefficients) err 1e-3 and get svm_ovo_dual instead."""
    attrs = _kernel_attrs(est)
    sv = np.asarray(est.support_vectors_, np.float64).astype(np.float32)
    coef = np.asarray(est._dual_coef_, np.float64).astype(np.float32)
    b = np.asarray(est._intercept_, np.float64).astype(np.float32)
    probe = sv[:: max(1, sv.shape[0] // _PROBES)][:_PROBES]
    fast = ovo_ref(SvmOvoAttrs(n_support), kernel_ref(attrs, probe, sv), coef, b).astype(np.float64)
    exact = ovo_dual_ref(SvmOvoDualAttrs(attrs, n_support), probe, sv, coef, b).astype(np.float64)
    err = np.abs(fast - exact) / np.maximum(1.0, np.abs(exact))
    return bool(err.max() <= _FLOAT32_TOLERANCE)


def _ovo_primal(dual_coef: np.ndarray, sv: np.ndarray, n_support: tuple[int, ...]) -> np.ndarray:
    """Linear kernel: the weight vector of each one-vs-one pair, folded in float64 at compile time.

    The dual sum over support vectors cancels large terms (unscaled features): in float32 it
    loses the decision's sign, the primal x.w does not."""
    dual_coef, sv = np.asarray(dual_coef, np.float64), np.asarray(sv, np.float64)
    start = np.concatenate([[0], np.cumsum(n_support)]).astype(int)
    rows = []
    for i, j in pairs(len(n_support)):
        si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
        rows.append(dual_coef[j - 1, si] @ sv[si] + dual_coef[i, sj] @ sv[sj])
    return np.stack(rows)


def _dual_output(ctx: SkContext, est: Any, x: Value, with_intercept: bool, hint: str) -> Value:
    """K(x, SV) . dual_coef (+ intercept) in double (svm_dual_sum); for the linear kernel the
    primal x . (dual_coef . SV) instead."""
    b = est._intercept_ if with_intercept else None
    if est.kernel == "linear":
        w = np.asarray(est._dual_coef_, np.float64) @ np.asarray(est.support_vectors_, np.float64)
        return ctx.linear(x, w, b, hint)
    sv = ctx.const(np.asarray(est.support_vectors_, np.float64).astype(np.float32), "support_vectors")
    coef = ctx.const(np.asarray(est._dual_coef_, np.float64).reshape(-1).astype(np.float32), "dual_coef")
    inputs = [x, sv, coef]
    if b is not None:
        inputs.append(ctx.const(np.asarray(b, np.float64).reshape(1).astype(np.float32), "intercept"))
    return ctx.node("svm_dual_sum", inputs, _kernel_attrs(est), hint)


def _ovr_decision(ctx: SkContext, dec: Value, c: int) -> Value:
    """scikit-learn's _ovr_decision_function(dec < 0, -dec, c)."""
    from edgec.ops.matmul import GemmAttrs
    votes = ctx.node("ovo_vote", [dec], OvoVoteAttrs(c, zero_to_first=True), "ovr_votes")
    m = np.zeros((c, c * (c - 1) // 2), np.float32)
    for p, (i, j) in enumerate(pairs(c)):
        m[i, p], m[j, p] = 1.0, -1.0
    conf = ctx.node("gemm", [dec, ctx.const(m, "ovr_confidence"), None], GemmAttrs(), "confidence")
    denom = pointwise(ctx, "affine", pointwise(ctx, "abs", conf), 3.0, 3.0, "denominator")
    return binary(ctx, "add", votes, binary(ctx, "div", conf, denom, "squashed"), "decision")


@converter(SVR, NuSVR)
def support_vector_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    check_supported(est)
    return Outputs(value=_dual_output(ctx, est, x, True, "dual"))


@converter(OneClassSVM)
def one_class_svm(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """decision = K.dual_coef - rho; predict = 1 when it is > 0 else -1; score_samples without rho."""
    check_supported(est)
    score = _dual_output(ctx, est, x, False, "dual")
    decision = binary(ctx, "add", score, ctx.const(np.asarray(est._intercept_, np.float32).reshape(1, 1),
                                                    "intercept"), "decision")
    classes = np.array([-1, 1])
    return Outputs(label=binary_label(ctx, decision, classes), decision=decision, score=score, classes=classes)
