"""Gradient boosting (GradientBoosting*, HistGradientBoosting*) -> tree_ensemble + the loss's link.

Boosting sums one tree per stage and per raw-score column onto an initial raw prediction, then
applies the inverse link of its loss. Each column gets its own tree_ensemble (one leaf value per
leaf, no zero padding for the other columns); the columns are concatenated before the link.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter, estimator_name, labels_of
from edgec.frontend.sklearn.graph_ops import binary, concat_columns, scalar, unary
from edgec.frontend.sklearn.trees import join_trees, tree_arrays, tree_ensemble
from edgec.ir.graph import Value

from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor)


def inverse_link(ctx: SkContext, est: Any, raw: Value) -> Value:
    """The loss link's inverse applied to the raw scores (regressors: predict; classifiers: the
    positive-class probability or the softmax)."""
    from edgec.ops.reduce import SoftmaxAttrs
    link = type(est._loss.link).__name__
    if link == "IdentityLink":
        return raw
    if link == "LogLink":
        return unary(ctx, "exp", raw, "exp")
    if link == "LogitLink":
        return unary(ctx, "sigmoid", raw, "sigmoid")
    if link == "HalfLogitLink":
        return unary(ctx, "sigmoid", binary(ctx, "mul", raw, scalar(ctx, 2.0, "two"), "twice"), "sigmoid")
    if link == "MultinomialLogit":
        return ctx.node("softmax", [raw], SoftmaxAttrs(1), "proba")
    raise UnsupportedOpError(type(est).__name__, estimator_name(est), f"loss link {link} is not supported")


def classifier_outputs(ctx: SkContext, est: Any, raw: Value, binary_at_zero: str) -> Outputs:
    """label / proba / decision of a boosted classifier from its raw scores [1, K].

    binary_at_zero: how a binary model treats raw == 0: ">=" (GradientBoosting predicts the
    positive class) or ">" (HistGradientBoosting predicts the negative one)."""
    classes = est.classes_
    if len(classes) > 2:
        proba = inverse_link(ctx, est, raw)
        return Outputs(label=ctx.argmax_label(raw, classes), proba=proba, decision=raw, classes=classes)
    zero = scalar(ctx, 0.0, "zero")
    # arg_max keeps the first of equal scores, so the class that wins at raw == 0 goes first
    if binary_at_zero == ">=":
        from edgec.ops.select import ArgMaxAttrs
        label = ctx.node("arg_max", [concat_columns(ctx, [raw, zero], "pair")],
                         ArgMaxAttrs(labels_of(classes)[::-1]), "predict")
    else:
        label = ctx.argmax_label(concat_columns(ctx, [zero, raw], "pair"), classes)
    p = inverse_link(ctx, est, raw)
    proba = concat_columns(ctx, [binary(ctx, "sub", scalar(ctx, 1.0, "one"), p, "q"), p], "proba")
    return Outputs(label=label, proba=proba, decision=raw, classes=classes)


# -- GradientBoosting --------------------------------------------------------------------------

def _gb_initial_raw(est: Any) -> np.ndarray:
    """[K] raw prediction of the init estimator; it must not depend on X (zero or a Dummy*)."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    k = est.estimators_.shape[1]
    if isinstance(est.init_, str) and est.init_ == "zero":
        return np.zeros(k)
    if isinstance(est.init_, (DummyClassifier, DummyRegressor)) and getattr(est.init_, "strategy", "") != "stratified":
        return np.asarray(est._raw_predict_init(np.zeros((1, est.n_features_in_))), np.float64).reshape(k)
    raise UnsupportedOpError(type(est).__name__, estimator_name(est),
                             f"init estimator {type(est.init_).__name__} depends on the input; "
                             "only init='zero' and the default prior are supported")


def gb_raw(ctx: SkContext, est: Any, x: Value) -> Value:
    """[1, K] raw scores: init + sum over stages of learning_rate * leaf, per column.

    Leaf values are float32(learning_rate * value), the float64 product scikit-learn adds."""
    base = _gb_initial_raw(est)
    cols = []
    for k in range(est.estimators_.shape[1]):
        members = [tree_arrays(t.tree_, est.learning_rate * np.asarray(t.tree_.value[:, :, 0], np.float64))
                   for t in est.estimators_[:, k]]
        cols.append(tree_ensemble(ctx, x, join_trees(members, base[k:k + 1]), f"boost{k}"))
    return concat_columns(ctx, cols, "raw")


@converter(GradientBoostingClassifier)
def gradient_boosting_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    return classifier_outputs(ctx, est, gb_raw(ctx, est, x), ">=")


@converter(GradientBoostingRegressor)
def gradient_boosting_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    return Outputs(value=gb_raw(ctx, est, x))


# -- HistGradientBoosting ----------------------------------------------------------------------

def hist_float32_threshold(t: np.ndarray) -> np.ndarray:
    """float32 thresholds for HistGradientBoosting, which (unlike the other trees) compares float64
    X with float64 thresholds: midpoints between bin edges or data values (quantile bins). The C
    sees float32(x): each float32 v must stand for one float64 data value, and which side v
    goes only matters when t and that value round to the same float32, i.e. when t is a data
    value up to float64 noise:
    - t within a few float64 ulps of the shortest decimal d that rounds to v = float32(t)
      (short-decimal data: 2.4699999999999998 = (2.46 + 2.48) / 2 beside the data value 2.47):
      v goes where scikit-learn sends d, so the noise is reproduced (2.47 > t goes right);
    - otherwise (long data values such as diabetes' 0.05071724879143135, or t a float32
      already): v = round-to-nearest(t), so x == t goes left as in float64.
    Inputs already rounded to float32 in float64 arrays are not matched at such thresholds."""
    t = np.asarray(t, np.float64)
    v = t.astype(np.float32)
    out = v.copy()
    for i in np.flatnonzero((v.astype(np.float64) != t) & np.isfinite(t)):
        d = float(str(v[i]))
        if d > t[i] and d - t[i] <= 4 * np.spacing(abs(t[i])):
            out[i] = np.nextafter(v[i], np.float32(-np.inf))
    return out


def _hist_tree(est: Any, predictor: Any) -> dict[str, np.ndarray]:
    n = predictor.nodes
    if getattr(est, "is_categorical_", None) is not None:   # columns re-ordered by an encoder
        from edgec.frontend.sklearn.hist_categorical import expand_hist_tree
        return expand_hist_tree(est, predictor, hist_float32_threshold)
    leaf = n["is_leaf"].astype(bool)
    thr = np.where(leaf, 0.0, hist_float32_threshold(n["num_threshold"]))
    return {"feature": np.where(leaf, -1, n["feature_idx"]).astype(np.int64), "threshold": thr,
            "left": np.where(leaf, 0, n["left"]).astype(np.int64), "right": np.where(leaf, 0, n["right"]).astype(np.int64),
            "missing_left": n["missing_go_to_left"].astype(bool) & ~leaf, "is_leaf": leaf,
            "values": np.asarray(n["value"], np.float64).reshape(-1, 1)}


def hist_raw(ctx: SkContext, est: Any, x: Value) -> Value:
    """[1, K] raw scores: baseline + the predictors' leaf values (shrinkage already in them)."""
    base = np.asarray(est._baseline_prediction, np.float64).reshape(-1)
    cols = []
    for k in range(est.n_trees_per_iteration_):
        members = [_hist_tree(est, it[k]) for it in est._predictors]
        cols.append(tree_ensemble(ctx, x, join_trees(members, base[k:k + 1]), f"hist{k}"))
    return concat_columns(ctx, cols, "raw")


@converter(HistGradientBoostingClassifier)
def hist_gradient_boosting_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    return classifier_outputs(ctx, est, hist_raw(ctx, est, x), ">")


@converter(HistGradientBoostingRegressor)
def hist_gradient_boosting_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    return Outputs(value=inverse_link(ctx, est, hist_raw(ctx, est, x)))

