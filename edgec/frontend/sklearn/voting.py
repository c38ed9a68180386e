"""VotingClassifier / VotingRegressor -> the members' graphs and their (weighted) average or vote.

Sums run member by member in the members' order and are divided by the weights' sum last, as
numpy's average does. Members were fitted on label-encoded targets, so their labels are class
indices; hard voting adds one-hot votes (times the weights) and takes the first class with the
largest total, as np.argmax(np.bincount(...)) does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.blocks import binary, one_hot, scalar
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.ensemble import VotingClassifier, VotingRegressor


def member_weights(est: Any) -> list[float] | None:
    """The weights of the members that were fitted (scikit-learn drops 'drop' members' weights)."""
    w = est._weights_not_none
    return None if w is None else [float(v) for v in w]


def weighted_sum(ctx: SkContext, parts: list[Value], weights: list[float] | None, hint: str) -> Value:
    """sum_i parts[i] * weights[i] in order (no multiply when weights is None)."""
    total = None
    for i, p in enumerate(parts):
        if weights is not None:
            p = binary(ctx, "mul", p, scalar(ctx, weights[i], f"{hint}_w{i}"), f"{hint}_weighted{i}")
        total = p if total is None else binary(ctx, "add", total, p, f"{hint}_sum{i}")
    return total


def weighted_mean(ctx: SkContext, parts: list[Value], weights: list[float] | None, hint: str) -> Value:
    """np.average(parts, weights=weights): the weighted sum divided by the weights' sum."""
    scale = float(np.sum(np.asarray(weights, np.float64))) if weights is not None else float(len(parts))
    return binary(ctx, "div", weighted_sum(ctx, parts, weights, hint), scalar(ctx, scale, f"{hint}_n"), hint)


@converter(VotingClassifier)
def voting_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    members = [ctx.convert(m, x) for m in est.estimators_]
    weights, classes = member_weights(est), est.classes_
    if est.voting == "soft":
        for m, sub in zip(members, est.estimators_):
            if m.proba is None:
                raise UnsupportedOpError("VotingClassifier", "voting",
                                         f"soft voting needs predict_proba of {type(sub).__name__}")
        proba = weighted_mean(ctx, [m.proba for m in members], weights, "soft_vote")
        return Outputs(label=ctx.argmax_label(proba, classes), proba=proba, classes=classes)
    votes = [one_hot(ctx, m.label, range(len(classes)), f"vote{i}") for i, m in enumerate(members)]
    return Outputs(label=ctx.argmax_label(weighted_sum(ctx, votes, weights, "hard_vote"), classes), classes=classes)


@converter(VotingRegressor)
def voting_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    values = []
    for m, sub in zip((ctx.convert(m, x) for m in est.estimators_), est.estimators_):
        if m.value is None or m.value.shape[1] != 1:
            raise UnsupportedOpError("VotingRegressor", type(sub).__name__, "members must predict one value")
        values.append(m.value)
    return Outputs(value=weighted_mean(ctx, values, member_weights(est), "average"))
