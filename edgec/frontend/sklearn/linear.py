"""Linear models -> gemm (+ the link function scikit-learn applies)."""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge


@converter(LinearRegression, Ridge, Lasso, ElasticNet)
def linear_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    return Outputs(value=ctx.linear(x, est.coef_, est.intercept_, "linear"))


@converter(LogisticRegression)
def logistic_regression(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    scores = ctx.linear(x, est.coef_, est.intercept_, "logit")
    classes = est.classes_
    if len(classes) == 2:
        # binary: one score; predict = classes[score > 0], proba = [1 - s, s] with s = sigmoid
        s = ctx.node("sigmoid", [scores], None, "sigmoid")
        both = ctx.node("concat", [ctx.node("neg", [scores], None, "neg"), scores], _concat1(), "pair")
        label = ctx.argmax_label(both, classes)
        one = ctx.const(np.ones((1, 1), np.float32), "one")
        proba = ctx.node("concat", [ctx.node("sub", [one, s], None, "q"), s], _concat1(), "proba")
        return Outputs(label=label, proba=proba, decision=scores, classes=classes)
    proba = ctx.node("softmax", [scores], SoftmaxAttrs(1), "proba")
    return Outputs(label=ctx.argmax_label(scores, classes), proba=proba, decision=scores, classes=classes)


def _concat1():
    from edgec.ops.movement import ConcatAttrs
    return ConcatAttrs(1)
