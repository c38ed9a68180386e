"""StackingClassifier / StackingRegressor -> members, their outputs side by side, final estimator.

The final estimator sees what scikit-learn's transform gives it: per member the output of its
stack method (predict_proba without its first column in binary problems, decision_function, or
predict as a number), then the input features when passthrough=True. Members and the final
estimator were fitted on label-encoded targets, so the final label (a class index) is mapped back
to the stacking classifier's classes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.blocks import columns, concat, one_hot
from edgec.frontend.sklearn.core import Outputs, SkContext, converter, labels_of
from edgec.ir.graph import Value

from sklearn.ensemble import StackingClassifier, StackingRegressor


def label_as_number(ctx: SkContext, out: Outputs, hint: str) -> Value:
    """A classifier's int32 label as float32 [1, 1] (one-hot times the label values)."""
    labels = labels_of(out.classes)
    return ctx.linear(one_hot(ctx, out.label, labels, f"{hint}_onehot"), np.asarray([labels], np.float64), None, hint)


def stacked_column(ctx: SkContext, est: Any, member: Any, method: str, out: Outputs, binary: bool, hint: str) -> Value:
    name = type(member).__name__
    if method == "predict_proba" and out.proba is not None:
        return columns(ctx, out.proba, [1], f"{hint}_p1") if binary else out.proba
    if method == "decision_function" and out.decision is not None:
        return out.decision
    if method == "predict":
        if out.value is not None:
            return out.value
        if out.label is not None:
            return label_as_number(ctx, out, hint)
    raise UnsupportedOpError(type(est).__name__, name, f"stack_method {method!r} of {name} is not available")


def meta_features(ctx: SkContext, est: Any, x: Value, binary: bool) -> Value:
    parts = []
    for i, (member, method) in enumerate(zip(est.estimators_, est.stack_method_)):   # both without 'drop'
        parts.append(stacked_column(ctx, est, member, method, ctx.convert(member, x), binary, f"stack{i}"))
    if est.passthrough:
        parts.append(x)
    return concat(ctx, parts, "meta_features")


def relabel(ctx: SkContext, label: Value, from_labels: tuple[int, ...], classes: np.ndarray) -> Value:
    """Maps an int32 label among from_labels to the label of the same position in classes."""
    if from_labels == labels_of(classes):
        return label
    return ctx.argmax_label(one_hot(ctx, label, from_labels, "final_onehot"), classes)


@converter(StackingClassifier)
def stacking_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    if isinstance(est._label_encoder, list):
        raise UnsupportedOpError("StackingClassifier", "y", "multilabel targets are not supported")
    classes = est.classes_
    final = ctx.convert(est.final_estimator_, meta_features(ctx, est, x, len(classes) == 2))
    if final.label is None:
        raise UnsupportedOpError("StackingClassifier", "final_estimator", "the final estimator is not a classifier")
    label = relabel(ctx, final.label, labels_of(final.classes), classes)
    return Outputs(label=label, proba=final.proba, decision=final.decision, classes=classes)


@converter(StackingRegressor)
def stacking_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    final = ctx.convert(est.final_estimator_, meta_features(ctx, est, x, False))
    if final.value is None:
        raise UnsupportedOpError("StackingRegressor", "final_estimator", "the final estimator is not a regressor")
    return Outputs(value=final.value)
