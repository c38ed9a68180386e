"""IsolationForest -> tree_ensemble of path lengths + scikit-learn's 2^(-mean / c(n)) score.

Each leaf holds what scikit-learn adds for a sample reaching it: the leaf's depth plus the
average path length of an unbuilt subtree over the leaf's training samples, minus one. The
ensemble sums these in float32 (scikit-learn: float64); the score, decision and the +1/-1 label
follow from the sum with one division, one power of two and one comparison.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter, estimator_name
from edgec.frontend.sklearn.graph_ops import binary, concat_columns, scalar, unary
from edgec.frontend.sklearn.trees import join_trees, tree_arrays, tree_ensemble
from edgec.ir.graph import Value

from sklearn.ensemble import IsolationForest


def _path_length_trees(est: Any) -> list[dict[str, np.ndarray]]:
    """Per tree: canonical arrays with leaf value depth + c(n_leaf) - 1 and features mapped back
    to the input columns when the forest subsampled them."""
    subsample = est._max_features != est.n_features_in_
    trees = []
    for tree, feats, depth, avg in zip(est.estimators_, est.estimators_features_,
                                       est._decision_path_lengths, est._average_path_length_per_tree):
        leaf_value = (np.asarray(depth, np.float64) + np.asarray(avg, np.float64) - 1.0).reshape(-1, 1)
        t = tree_arrays(tree.tree_, leaf_value)
        if subsample:
            t["feature"] = np.where(t["is_leaf"], -1, np.asarray(feats)[np.maximum(t["feature"], 0)])
        trees.append(t)
    return trees


@converter(IsolationForest)
def isolation_forest(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from sklearn.ensemble._iforest import _average_path_length
    denominator = len(est.estimators_) * float(_average_path_length([est._max_samples])[0])
    if denominator == 0:
        raise UnsupportedOpError(type(est).__name__, estimator_name(est),
                                 "max_samples=1: every score is the constant 0.5")
    depths = tree_ensemble(ctx, x, join_trees(_path_length_trees(est), np.zeros(1)), "path_length")
    # score_samples = -2^(-depths / denominator); dividing by -denominator negates exactly
    neg_mean = binary(ctx, "div", depths, scalar(ctx, -denominator, "c_n"), "neg_mean")
    score = unary(ctx, "neg", binary(ctx, "pow", scalar(ctx, 2.0, "two"), neg_mean, "anomaly"), "score_samples")
    decision = binary(ctx, "sub", score, scalar(ctx, est.offset_, "offset"), "decision")
    # predict: +1 when decision >= 0 else -1; arg_max keeps the first of equal scores
    label = ctx.argmax_label(concat_columns(ctx, [decision, scalar(ctx, 0.0, "zero")], "pair"), np.array([1, -1]))
    return Outputs(label=label, decision=decision, score=score)

