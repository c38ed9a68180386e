"""AdaBoost (SAMME classifier, R2 regressor) over decision trees -> tree_ensemble (+ weighted_median).

Classifier: each tree votes +w for the class it predicts and -w/(K-1) for the others (scikit-learn
1.9's SAMME decision_function); the votes are leaf values, so one tree_ensemble sums them, and the
sum is divided by the total weight as scikit-learn does. Regressor: the weighted median of the
trees' predictions (its own op, see edgec/ops/weighted_median.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter, estimator_name
from edgec.frontend.sklearn.graph_ops import binary, concat_columns, scalar, unary
from edgec.frontend.sklearn.trees import (classifier_leaf_values, join_trees, regressor_leaf_values,
                                          tree_arrays, tree_ensemble)
from edgec.ir.graph import Value

from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
from sklearn.tree import BaseDecisionTree


def _trees_of(est: Any) -> list[tuple[Any, float]]:
    """(tree, weight) pairs of the fitted members (boosting may stop before n_estimators)."""
    members = list(zip(est.estimators_, np.asarray(est.estimator_weights_, np.float64)))
    for t, _ in members:
        if not isinstance(t, BaseDecisionTree):
            raise UnsupportedOpError(type(est).__name__, estimator_name(est),
                                     f"base estimator {type(t).__name__}: only decision trees are supported")
    return members


@converter(AdaBoostClassifier)
def adaboost_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    classes, k = est.classes_, len(est.classes_)
    if k < 2:
        raise UnsupportedOpError(type(est).__name__, estimator_name(est), "a single class: nothing to predict")
    total = float(np.asarray(est.estimator_weights_, np.float64).sum())
    members = []
    for tree, w in _trees_of(est):
        vals = classifier_leaf_values(tree)
        vote = np.arange(k)[None, :] == np.argmax(vals, axis=1)[:, None]   # the tree's predicted class
        if k == 2:   # decision = votes(class 1) - votes(class 0), each +-w: one column of +-2w
            members.append(tree_arrays(tree.tree_, np.where(vote[:, 1:], 2.0 * w, -2.0 * w)))
        else:
            members.append(tree_arrays(tree.tree_, np.where(vote, w, -w / (k - 1))))
    votes = tree_ensemble(ctx, x, join_trees(members, np.zeros(1 if k == 2 else k)), "votes")
    decision = binary(ctx, "div", votes, scalar(ctx, total, "total_weight"), "decision")
    if k == 2:
        zero = scalar(ctx, 0.0, "zero")
        label = ctx.argmax_label(concat_columns(ctx, [zero, decision], "pair"), classes)   # class 1 iff > 0
        half = binary(ctx, "mul", decision, scalar(ctx, 0.5, "half"), "half")
        logits = concat_columns(ctx, [unary(ctx, "neg", half, "neg"), half], "logits")
    else:
        label = ctx.argmax_label(decision, classes)
        logits = binary(ctx, "div", decision, scalar(ctx, float(k - 1), "k_minus_1"), "logits")
    proba = ctx.node("softmax", [logits], SoftmaxAttrs(1), "proba")
    return Outputs(label=label, proba=proba, decision=decision, classes=classes)


@converter(AdaBoostRegressor)
def adaboost_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.weighted_median import weighted_median_attrs
    members = _trees_of(est)
    if any(t.n_outputs_ != 1 for t, _ in members):
        raise UnsupportedOpError(type(est).__name__, estimator_name(est), "multi-output regression is not supported")
    cols = [tree_ensemble(ctx, x, join_trees([tree_arrays(t.tree_, regressor_leaf_values(t))], np.zeros(1)), f"tree{i}")
            for i, (t, _) in enumerate(members)]
    preds = concat_columns(ctx, cols, "predictions")
    value = ctx.node("weighted_median", [preds], weighted_median_attrs([w for _, w in members]), "predict")
    return Outputs(value=value)

