"""Decision trees and tree ensembles -> tree_ensemble nodes."""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value
from edgec.ops.tree_ensemble import TreeEnsemble, TreeEnsembleAttrs, make_ensemble

from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor


def float32_threshold(t: np.ndarray) -> np.ndarray:
    """The float32 t32 with (x <= t32) == (float64(x) <= t) for every float32 x: t rounded down."""
    t = np.asarray(t, np.float64)
    t32 = t.astype(np.float32)
    up = t32.astype(np.float64) > t
    t32[up] = np.nextafter(t32[up], np.float32(-np.inf))
    return t32


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
    """[nodes, classes] per-node class probabilities of a single-output classifier tree, as
    scikit-learn's predict_proba computes them (value normalised per node)."""
    if est.n_outputs_ != 1:
        raise UnsupportedOpError(type(est).__name__, "estimator", "multi-output classification is not supported")
    v = np.asarray(est.tree_.value[:, 0, :], np.float64)
    s = v.sum(axis=1, keepdims=True)
    return v / np.where(s == 0, 1.0, s)


@converter(DecisionTreeClassifier, ExtraTreeClassifier)
def decision_tree_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    trees = join_trees([tree_arrays(est.tree_, classifier_leaf_values(est))], np.zeros(len(est.classes_)))
    proba = tree_ensemble(ctx, x, trees, "tree")
    return Outputs(label=ctx.argmax_label(proba, est.classes_), proba=proba, classes=est.classes_)


@converter(DecisionTreeRegressor, ExtraTreeRegressor)
def decision_tree_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    v = np.asarray(est.tree_.value[:, :, 0], np.float64)
    trees = join_trees([tree_arrays(est.tree_, v)], np.zeros(v.shape[1]))
    return Outputs(value=tree_ensemble(ctx, x, trees, "tree"))
