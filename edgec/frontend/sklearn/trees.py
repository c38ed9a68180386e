"""Decision trees and tree ensembles -> tree_ensemble nodes."""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value
from edgec.ops.tree_ensemble import TreeEnsemble, TreeEnsembleAttrs, float32_threshold, make_ensemble

from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor


def tree_arrays(tree: Any, leaf_values: np.ndarray) -> dict[str, np.ndarray]:
    """One sklearn `tree_` as canonical node arrays; leaf_values [nodes, targets] per node."""
    left, right = tree.children_left.astype(np.int64), tree.children_right.astype(np.int64)
    is_leaf = left < 0
    missing = getattr(tree, "missing_go_to_left", None)
    missing = np.zeros(len(left), bool) if missing is None else np.asarray(missing).astype(bool)
    return {"feature": np.where(is_leaf, -1, tree.feature), "threshold": np.where(is_leaf, 0.0, float32_threshold(tree.threshold)),
            "left": np.where(is_leaf, 0, left), "right": np.where(is_leaf, 0, right),
            "missing_left": missing & ~is_leaf, "is_leaf": is_leaf, "values": np.asarray(leaf_values, np.float64)}


def join_trees(trees: list[dict[str, np.ndarray]], base: np.ndarray) -> TreeEnsemble:
    """Concatenates per-tree arrays (from `tree_arrays`) into one ensemble; leaf values are
    rounded to float32 once, here."""
    feats, thr, lefts, rights, miss, leaf, vals, roots = [], [], [], [], [], [], [], []
    offset = n_leaves = 0
    for t in trees:
        n = len(t["feature"])
        roots.append(offset)
        feats.append(t["feature"])
        thr.append(t["threshold"])
        lefts.append(np.where(t["is_leaf"], 0, t["left"] + offset))
        rights.append(np.where(t["is_leaf"], 0, t["right"] + offset))
        miss.append(t["missing_left"])
        idx = np.full(n, -1, np.int64)
        k = np.flatnonzero(t["is_leaf"])
        idx[k] = n_leaves + np.arange(len(k))
        leaf.append(idx)
        vals.append(t["values"][k])
        n_leaves += len(k)
        offset += n
    cat = np.concatenate
    return make_ensemble(cat(feats), cat(thr), cat(lefts), cat(rights), cat(miss), cat(leaf),
                         cat(vals).astype(np.float32), roots, base)


def tree_ensemble(ctx: SkContext, x: Value, trees: TreeEnsemble, hint: str) -> Value:
    return ctx.node("tree_ensemble", [x], TreeEnsembleAttrs(trees), hint)


def classifier_leaf_values(est: Any) -> np.ndarray:
    """[nodes, classes] per-node class probabilities of a single-output classifier tree: scikit-learn
    (>= 1.4) stores the class fractions in `tree_.value` and its predict_proba returns them as they are."""
    if est.n_outputs_ != 1:
        raise UnsupportedOpError(type(est).__name__, "estimator", "multi-output classification is not supported")
    return np.asarray(est.tree_.value[:, 0, :], np.float64)


def regressor_leaf_values(est: Any) -> np.ndarray:
    """[nodes, targets] per-node predictions of a regression tree."""
    return np.asarray(est.tree_.value[:, :, 0], np.float64)


@converter(DecisionTreeClassifier, ExtraTreeClassifier)
def decision_tree_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    trees = join_trees([tree_arrays(est.tree_, classifier_leaf_values(est))], np.zeros(len(est.classes_)))
    proba = tree_ensemble(ctx, x, trees, "tree")
    return Outputs(label=ctx.argmax_label(proba, est.classes_), proba=proba, classes=est.classes_)


@converter(DecisionTreeRegressor, ExtraTreeRegressor)
def decision_tree_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    v = regressor_leaf_values(est)
    trees = join_trees([tree_arrays(est.tree_, v)], np.zeros(v.shape[1]))
    return Outputs(value=tree_ensemble(ctx, x, trees, "tree"))


def divide(ctx: SkContext, v: Value, d: float, hint: str) -> Value:
    """v / d as scikit-learn writes it (a division, not a multiplication by 1/d, so the rounding
    is the same)."""
    from edgec.frontend.sklearn.graph_ops import binary, scalar
    return binary(ctx, "div", v, scalar(ctx, d, f"{hint}_divisor"), hint)


@converter(RandomForestClassifier, ExtraTreesClassifier)
def forest_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """predict_proba = (sum of the trees' class fractions) / n_trees; predict = argmax of that.
    The sum is float32 in tree order (scikit-learn: float64); agreement is measured in the tests."""
    members = [tree_arrays(t.tree_, classifier_leaf_values(t)) for t in est.estimators_]
    total = tree_ensemble(ctx, x, join_trees(members, np.zeros(len(est.classes_))), "forest")
    proba = divide(ctx, total, len(est.estimators_), "proba")
    return Outputs(label=ctx.argmax_label(proba, est.classes_), proba=proba, classes=est.classes_)


@converter(RandomForestRegressor, ExtraTreesRegressor)
def forest_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """predict = (sum of the trees' predictions) / n_trees, as scikit-learn averages them."""
    members = [tree_arrays(t.tree_, regressor_leaf_values(t)) for t in est.estimators_]
    total = tree_ensemble(ctx, x, join_trees(members, np.zeros(est.n_outputs_)), "forest")
    return Outputs(value=divide(ctx, total, len(est.estimators_), "predict"))
