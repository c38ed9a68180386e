"""GaussianNB: the joint log likelihood as scikit-learn computes it, then arg max / softmax.

jll[c] = log prior[c] + (-0.5 sum_f log(2 pi var[c, f]) - 0.5 sum_f (x_f - theta[c, f])^2 / var[c, f])
in one gaussian_nb_jll op. scikit-learn computes in the dtype the model was fitted in: for a
float32 fit the two constants are made here with its own numpy expressions (so the same float32
values) and the op repeats its float32 steps and numpy's summation order bit for bit; a float64
fit gets the constants rounded from float64 and the same float32 steps (close, not bit-exact).
predict_proba = exp(jll - logsumexp(jll)) = softmax(jll).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.naive_bayes import GaussianNB

from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value


def jll_constants(est: Any) -> tuple[np.ndarray, np.ndarray]:
    """(log prior [C], norm [C]) as scikit-learn's _joint_log_likelihood computes them, per class in
    the fitted dtype, then as float32."""
    prior = np.asarray([np.log(est.class_prior_[i]) for i in range(len(est.classes_))])
    norm = np.asarray([-0.5 * np.sum(np.log(2.0 * np.pi * est.var_[i, :])) for i in range(len(est.classes_))])
    return prior.astype(np.float32), norm.astype(np.float32)


@converter(GaussianNB)
def gaussian_nb(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.base import NoAttrs
    from edgec.ops.reduce import SoftmaxAttrs
    prior, norm = jll_constants(est)
    f32 = lambda a, hint: ctx.const(np.asarray(a).astype(np.float32), hint)  # noqa: E731
    jll = ctx.node("gaussian_nb_jll", [x, f32(est.theta_, "nb_theta"), f32(est.var_, "nb_var"),
                                       f32(prior, "nb_log_prior"), f32(norm, "nb_norm")], NoAttrs(), "jll")
    proba = ctx.node("softmax", [jll], SoftmaxAttrs(1), "proba")
    return Outputs(label=ctx.argmax_label(jll, est.classes_), proba=proba, classes=est.classes_)
