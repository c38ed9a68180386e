"""Linear models -> gemm (+ the link function and decision rule scikit-learn applies).

Regressors are one gemm. Classifiers share scikit-learn's LinearClassifierMixin rules: binary
`predict` is classes_[score > 0] (strict), multiclass the first arg max; predict_proba is the
model's own link (sigmoid, softmax, OvR-normalised sigmoids, modified Huber's clipped line).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.arith import binary, pointwise
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.linear_model import (ARDRegression, BayesianRidge, ElasticNet, ElasticNetCV, HuberRegressor, Lars,
                                  Lasso, LassoCV, LassoLars, LinearRegression, LogisticRegression,
                                  LogisticRegressionCV, Perceptron, Ridge, RidgeClassifier, RidgeClassifierCV,
                                  RidgeCV, SGDClassifier, SGDRegressor)
from sklearn.svm import LinearSVC, LinearSVR

# the smallest normal float32: a positive divisor floor that only matters when the sum is zero
_FLT_MIN = float(np.finfo(np.float32).tiny)


# every regressor whose predict is X @ coef_ + intercept_ (the CV variants and Bayesian ones too)
@converter(LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor, LinearSVR, RidgeCV, LassoCV, ElasticNetCV,
           BayesianRidge, ARDRegression, HuberRegressor, Lars, LassoLars)
def linear_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    coef = np.asarray(est.coef_, np.float64)
    intercept = np.asarray(est.intercept_, np.float64).reshape(-1)
    if coef.ndim == 1 and intercept.size != 1:
        raise UnsupportedOpError(type(est).__name__, "intercept_", f"{intercept.size} intercepts for one target")
    return Outputs(value=ctx.linear(x, coef, intercept if intercept.size else 0.0, "linear"))


def binary_label(ctx: SkContext, score: Value, classes: np.ndarray, threshold: float = 0.0) -> Value:
    """classes[1] when score > threshold (strictly), else classes[0]: arg max of [threshold, score]."""
    thr = ctx.const(np.full((1, 1), threshold, np.float32), "threshold")
    return ctx.argmax_label(ctx.node("concat", [thr, score], concat1(), "pair"), classes)


def class_label(ctx: SkContext, scores: Value, classes: np.ndarray) -> Value:
    """LinearClassifierMixin.predict: one score column -> strict > 0, several -> first arg max."""
    if scores.shape[1] == 1:
        return binary_label(ctx, scores, classes)
    return ctx.argmax_label(scores, classes)


def two_column_proba(ctx: SkContext, p: Value) -> Value:
    """[1 - p, p] for the positive-class probability p [1, 1]."""
    one = ctx.const(np.ones((1, 1), np.float32), "one")
    return ctx.node("concat", [binary(ctx, "sub", one, p, "q"), p], concat1(), "proba")


def normalise_rows(ctx: SkContext, p: Value) -> Value:
    """p / sum(p) along the classes; a zero sum leaves zeros (scikit-learn divides where != 0)."""
    from edgec.ops.reduce import ReduceAttrs
    s = ctx.node("reduce", [p], ReduceAttrs("sum", (1,), True), "row_sum")
    s = pointwise(ctx, "clip", s, _FLT_MIN, float(np.finfo(np.float32).max), "row_sum_floor")
    return binary(ctx, "div", p, s, "proba")


def ovr_sigmoid_proba(ctx: SkContext, scores: Value) -> Value:
    """LinearClassifierMixin._predict_proba_lr: sigmoid; binary [1-p, p], else sigmoids divided by
    their sum. That ratio is computed as softmax(log sigmoid(s)), log sigmoid(s) = -softplus(-s):
    equal in exact arithmetic, and it stays right when every sigmoid underflows float32 (large
    negative scores, which float64 still resolves)."""
    from edgec.ops.reduce import SoftmaxAttrs
    if scores.shape[1] == 1:
        return two_column_proba(ctx, pointwise(ctx, "sigmoid", scores))
    log_p = pointwise(ctx, "neg", pointwise(ctx, "softplus", pointwise(ctx, "neg", scores)), hint="log_sigmoid")
    return ctx.node("softmax", [log_p], SoftmaxAttrs(1), "proba")


def modified_huber_proba(ctx: SkContext, scores: Value) -> Value:
    """SGDClassifier(loss='modified_huber').predict_proba: (clip(s, -1, 1) + 1) / 2, binary as
    [1-p, p]; multiclass normalised by the row sum, and uniform when every class scores 0.

    The all-zero case is detected without a comparison op: a positive row sum of such terms is
    at least 2**-25 in float32, so min(1, sum * 2**26) is 1 for it and 0 only for a zero sum."""
    from edgec.ops.reduce import ReduceAttrs
    c = pointwise(ctx, "clip", scores, -1.0, 1.0)
    p = pointwise(ctx, "affine", c, 0.5, 0.5, "huber_p")   # (c + 1) / 2 == c/2 + 1/2 exactly
    if scores.shape[1] == 1:
        return two_column_proba(ctx, p)
    k = scores.shape[1]
    s = ctx.node("reduce", [p], ReduceAttrs("sum", (1,), True), "row_sum")
    nonzero = pointwise(ctx, "clip", pointwise(ctx, "affine", s, 2.0 ** 26, 0.0, "scaled"), 0.0, 1.0, "nonzero")
    zero = pointwise(ctx, "affine", nonzero, -1.0, 1.0, "all_zero")       # 1 - nonzero
    p = binary(ctx, "add", p, zero, "huber_fill")
    s = binary(ctx, "add", s, pointwise(ctx, "affine", zero, float(k), 0.0, "fill_sum"), "sum")
    return binary(ctx, "div", p, s, "proba")


@converter(LogisticRegression, LogisticRegressionCV)
def logistic_regression(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    scores = ctx.linear(x, est.coef_, est.intercept_, "logit")
    classes = est.classes_
    if scores.shape[1] == 1:
        proba = ovr_sigmoid_proba(ctx, scores)
    else:
        proba = ctx.node("softmax", [scores], SoftmaxAttrs(1), "proba")
    return Outputs(label=class_label(ctx, scores, classes), proba=proba, decision=scores, classes=classes)


@converter(SGDClassifier, Perceptron)
def sgd_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    scores = ctx.linear(x, est.coef_, est.intercept_, "score")
    loss = getattr(est, "loss", "")
    proba = None
    if loss == "log_loss":
        proba = ovr_sigmoid_proba(ctx, scores)
    elif loss == "modified_huber":
        proba = modified_huber_proba(ctx, scores)
    return Outputs(label=class_label(ctx, scores, est.classes_), proba=proba, decision=scores, classes=est.classes_)


@converter(LinearSVC, RidgeClassifier, RidgeClassifierCV)
def margin_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """Linear classifiers without probabilities: decision_function and predict only."""
    lb = getattr(est, "_label_binarizer", None)
    if lb is not None and str(lb.y_type_).startswith("multilabel"):
        raise UnsupportedOpError(type(est).__name__, "y", "multilabel targets")
    scores = ctx.linear(x, est.coef_, est.intercept_, "score")
    return Outputs(label=class_label(ctx, scores, est.classes_), decision=scores, classes=est.classes_)


def concat1():
    from edgec.ops.movement import ConcatAttrs
    return ConcatAttrs(1)

