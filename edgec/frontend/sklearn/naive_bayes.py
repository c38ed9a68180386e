"""GaussianNB: the joint log likelihood as scikit-learn computes it, then arg max / softmax.

jll[c] = (log prior[c] - 0.5 sum log(2 pi var[c])) - 0.5 sum_f (x_f - theta[c, f])^2 / var[c, f];
the bracket is a float64 constant folded at compile time, the sum runs per feature in the
difference form (and divides by the variance, as scikit-learn does, rather than multiplying by
its reciprocal). predict_proba = exp(jll - logsumexp(jll)) = softmax(jll).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.naive_bayes import GaussianNB

from edgec.frontend.sklearn.arith import binary, class_distances
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value


@converter(GaussianNB)
def gaussian_nb(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    var = np.asarray(est.var_, np.float64)
    const = np.log(np.asarray(est.class_prior_, np.float64)) - 0.5 * np.sum(np.log(2.0 * np.pi * var), axis=1)
    q = class_distances(ctx, x, est.theta_, "sq", divisor=var, hint="mahalanobis")
    half = ctx.const(np.full((1, 1), -0.5, np.float32), "minus_half")
    jll = binary(ctx, "add", ctx.const(const.reshape(1, -1).astype(np.float32), "log_prior_norm"),
                 binary(ctx, "mul", q, half, "half_q"), "jll")
    proba = ctx.node("softmax", [jll], SoftmaxAttrs(1), "proba")
    return Outputs(label=ctx.argmax_label(jll, est.classes_), proba=proba, classes=est.classes_)
