"""BaggingClassifier / BaggingRegressor -> each member on its feature subset, summed, / n_estimators.

The sums follow scikit-learn's: members in order within each parallel job (the same partition of
estimators as `_partition_estimators`), the jobs' sums added in order, then one division by
n_estimators. A classifier member adds its predict_proba (placed in the bagging classes' columns
when it saw fewer classes) or, without predict_proba, a one-hot vote for its predicted class.
Decision trees are joined into one tree_ensemble (same leaf values, same summing order).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.blocks import binary, columns, one_hot, scalar
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.frontend.sklearn.trees import classifier_leaf_values, join_trees, tree_arrays, tree_ensemble
from edgec.ir.graph import Value

from sklearn.ensemble import BaggingClassifier, BaggingRegressor
from sklearn.ensemble._base import _partition_estimators
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

PLAIN_TREES = (DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor)


def job_sum(ctx: SkContext, est: Any, parts: list[Value], hint: str) -> Value:
    """sum(job sums) with each job summing its members in order (scikit-learn's reduction)."""
    n_jobs, _, starts = _partition_estimators(est.n_estimators, est.n_jobs)
    total = None
    for j in range(n_jobs):
        job = None
        for i in range(starts[j], starts[j + 1]):
            job = parts[i] if job is None else binary(ctx, "add", job, parts[i], f"{hint}_job{j}_{i}")
        total = job if total is None else binary(ctx, "add", total, job, f"{hint}_jobs{j}")
    return total


def mean_of(ctx: SkContext, est: Any, parts: list[Value], hint: str) -> Value:
    if len(parts) != est.n_estimators:
        raise UnsupportedOpError(type(est).__name__, "estimators_",
                                 f"{len(parts)} fitted members for n_estimators={est.n_estimators}")
    return binary(ctx, "div", job_sum(ctx, est, parts, hint), scalar(ctx, float(est.n_estimators), f"{hint}_n"), hint)


def place_columns(ctx: SkContext, proba: Value, member_classes: np.ndarray, n_classes: int, hint: str) -> Value:
    """A member's proba over its own classes (class indices) -> [1, n_classes], zeros elsewhere
    (a gemm with a 0/1 placement matrix: exact)."""
    place = np.zeros((n_classes, len(member_classes)))
    place[np.asarray(member_classes, np.int64), np.arange(len(member_classes))] = 1.0
    return ctx.linear(proba, place, None, hint)


def _single_job(est: Any) -> bool:
    return _partition_estimators(est.n_estimators, est.n_jobs)[0] == 1


def _joined_trees(ctx: SkContext, est: Any, x: Value, n_classes: int | None) -> Value:
    """Bagged plain trees as one tree_ensemble: features mapped back to the input's, leaf values
    in the bagging classes' columns; the ensemble sums trees in member order from 0."""
    trees = []
    for tree, feats in zip(est.estimators_, est.estimators_features_):
        t = tree.tree_
        if n_classes is None:
            values = np.asarray(t.value[:, :, 0], np.float64)
        else:
            own = classifier_leaf_values(tree)
            values = np.zeros((own.shape[0], n_classes))
            values[:, np.asarray(tree.classes_, np.int64)] = own
        arrays = tree_arrays(t, values)
        arrays["feature"] = np.where(arrays["is_leaf"], -1, np.asarray(feats)[np.maximum(arrays["feature"], 0)])
        trees.append(arrays)
    width = n_classes if n_classes is not None else trees[0]["values"].shape[1]
    total = tree_ensemble(ctx, x, join_trees(trees, np.zeros(width)), "bagged_trees")
    return binary(ctx, "div", total, scalar(ctx, float(est.n_estimators), "bagging_n"), "bagging_mean")


def _all_plain_trees(est: Any) -> bool:
    return _single_job(est) and len(est.estimators_) == est.n_estimators and \
        all(type(m) in PLAIN_TREES and m.n_outputs_ == 1 for m in est.estimators_)


@converter(BaggingClassifier)
def bagging_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    classes, n = est.classes_, len(est.classes_)
    if _all_plain_trees(est):
        proba = _joined_trees(ctx, x=x, est=est, n_classes=n)
        return Outputs(label=ctx.argmax_label(proba, classes), proba=proba, classes=classes)
    parts, decisions = [], []
    for i, (member, feats) in enumerate(zip(est.estimators_, est.estimators_features_)):
        out = ctx.convert(member, columns(ctx, x, feats, f"features{i}"))
        if hasattr(member, "predict_proba"):
            if out.proba is None:
                raise UnsupportedOpError("BaggingClassifier", type(member).__name__,
                                         "its predict_proba is not converted")
            p = out.proba if len(member.classes_) == n else \
                place_columns(ctx, out.proba, member.classes_, n, f"place{i}")
        else:
            p = one_hot(ctx, out.label, range(n), f"vote{i}")
        parts.append(p)
        decisions.append(out.decision)
    proba = mean_of(ctx, est, parts, "bagging_proba")
    decision = None
    if all(d is not None for d in decisions) and len({d.shape for d in decisions}) == 1 \
            and hasattr(est, "decision_function"):
        decision = mean_of(ctx, est, decisions, "bagging_decision")
    return Outputs(label=ctx.argmax_label(proba, classes), proba=proba, decision=decision, classes=classes)


@converter(BaggingRegressor)
def bagging_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    if _all_plain_trees(est):
        return Outputs(value=_joined_trees(ctx, est, x, None))
    values = []
    for i, (member, feats) in enumerate(zip(est.estimators_, est.estimators_features_)):
        out = ctx.convert(member, columns(ctx, x, feats, f"features{i}"))
        if out.value is None:
            raise UnsupportedOpError("BaggingRegressor", type(member).__name__, "the member is not a regressor")
        values.append(out.value)
    return Outputs(value=mean_of(ctx, est, values, "bagging_mean"))
