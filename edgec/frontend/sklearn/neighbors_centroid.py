"""NearestCentroid: nearest (shrunken) centroid, euclidean or manhattan.

The centroids are taken as fitted (`centroids_` already holds the shrink_threshold adjustment).
With uniform class priors scikit-learn's predict is the first nearest centroid: arg max of the
negated distance sums (squared for euclidean, which orders the same). Otherwise, and for
decision_function / predict_proba (euclidean only, as in scikit-learn), the discriminant score
-|x/s - c/s|^2 + 2 log prior with s the within-class standard deviation (features with s == 0
left unscaled); predict_proba is its softmax.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestCentroid

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.arith import binary, class_distances, pointwise
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value


@converter(NearestCentroid)
def nearest_centroid(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    if est.metric not in ("euclidean", "manhattan"):
        raise UnsupportedOpError("NearestCentroid", "metric", f"metric={est.metric!r}")
    kind = "sq" if est.metric == "euclidean" else "abs"
    classes = est.classes_
    centroids = np.asarray(est.centroids_, np.float64)
    prior = np.asarray(est.class_prior_, np.float64)
    uniform = bool(np.isclose(prior, 1 / len(classes)).all())
    label = None
    if uniform:
        d = class_distances(ctx, x, centroids, kind, hint="centroid_dist")
        label = ctx.argmax_label(pointwise(ctx, "neg", d, hint="closeness"), classes)
    scores = _discriminant(ctx, est, x, kind, centroids, prior) if (est.metric == "euclidean" or not uniform) else None
    if label is None:
        label = ctx.argmax_label(scores, classes)
    if est.metric != "euclidean":
        return Outputs(label=label, classes=classes)
    proba = ctx.node("softmax", [scores], SoftmaxAttrs(1), "proba")
    decision = scores
    if len(classes) == 2:
        from edgec.ops.movement_index import SliceAttrs
        cols = [ctx.node("slice", [scores], SliceAttrs((k,), (k + 1,), (1,), (1,)), f"score{k}") for k in (0, 1)]
        decision = binary(ctx, "sub", cols[1], cols[0], "decision")
    return Outputs(label=label, proba=proba, decision=decision, classes=classes)


def _discriminant(ctx: SkContext, est: Any, x: Value, kind: str, centroids: np.ndarray, prior: np.ndarray) -> Value:
    """ESL eq. 18.2 as scikit-learn's _decision_function: -dist(x/s, c/s)^2 + 2 log prior."""
    s = np.asarray(est.within_class_std_dev_, np.float64)
    s = np.where(s != 0, s, 1.0)
    xn = binary(ctx, "div", x, ctx.const(s.reshape(1, -1).astype(np.float32), "std_dev"), "x_normalised")
    d = class_distances(ctx, xn, centroids / s, kind, hint="norm_dist")
    if kind == "abs":
        d = binary(ctx, "mul", d, d, "dist_sq")
    neg = pointwise(ctx, "neg", d, hint="neg_dist")
    return binary(ctx, "add", neg, ctx.const((2.0 * np.log(prior)).reshape(1, -1).astype(np.float32), "log_prior"),
                  "scores")
