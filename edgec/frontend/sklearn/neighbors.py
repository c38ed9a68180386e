"""KNeighborsClassifier / KNeighborsRegressor -> one knn node holding the training set.

The node computes the class votes (predict_proba) or the neighbours' mean; predict of a
classifier is the first class with the most votes, scikit-learn's arg max of predict_proba.

Which of several equally distant rows are neighbours depends on how scikit-learn's brute-force
search ran. A uniform-weight classifier whose metric ArgKminClassMode takes (not euclidean)
searches all rows with one heap ("parallel_on_X"). The other cases call kneighbors, whose
ArgKmin for one sample (or any batch no larger than the training set and 4 * chunk_size *
threads) runs "parallel_on_Y": the rows, in chunks of pairwise_dist_chunk_size, are shared among
min(chunks, threads) OpenMP threads by a static schedule, each thread with its own heap. The op
is given those part boundaries, computed with this machine's OpenMP thread count. Estimators
fitted with a KD or ball tree, or whose training rows are not C-contiguous (scikit-learn then
falls back to argpartition), find the same neighbours except among equal distances.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value
from edgec.ops.knn import KnnAttrs, make_table

from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

METRIC_NAMES = {"euclidean": "euclidean", "l2": "euclidean", "manhattan": "manhattan", "l1": "manhattan",
                "cityblock": "manhattan"}


def parallel_on_y_parts(n_rows: int) -> tuple[int, ...]:
    """End rows of the threads' parts when scikit-learn searches one sample in parallel_on_Y:
    chunks of chunk_size rows (the last one shorter), split over min(chunks, threads) threads by
    OpenMP's static schedule (the first chunks % threads threads take one chunk more)."""
    from sklearn import get_config
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
    chunk = min(n_rows, int(get_config().get("pairwise_dist_chunk_size", 256)))
    n_chunks = -(-n_rows // chunk)
    threads = min(n_chunks, _openmp_effective_n_threads())
    q, r = divmod(n_chunks, threads)
    ends, end_chunk = [], 0
    for t in range(threads):
        end_chunk += q + (t < r)
        ends.append(min(n_rows, end_chunk * chunk))
    return tuple(ends)


def searched_with_one_heap(est: Any) -> bool:
    """True when predict_proba of a uniform classifier runs ArgKminClassMode (one heap)."""
    from sklearn.metrics._pairwise_distances_reduction import ArgKminClassMode
    if est.weights != "uniform" or est._fit_method != "brute" or est.outputs_2d_:
        return False
    metric = "euclidean" if est.metric == "minkowski" and est.p == 2 else est.metric
    probe = np.zeros((1, est._fit_X.shape[1]), est._fit_X.dtype)
    return bool(ArgKminClassMode.is_usable_for(probe, est._fit_X, metric))


def _attrs(est: Any, table, one_heap: bool) -> KnnAttrs:
    name = type(est).__name__
    metric = METRIC_NAMES.get(est.effective_metric_) if isinstance(est.effective_metric_, str) else None
    if metric is None or est.effective_metric_params_:
        raise UnsupportedOpError(name, "metric", f"metric={est.metric!r} (p={est.p}, params="
                                 f"{est.effective_metric_params_}) is not supported: euclidean and manhattan "
                                 "(minkowski p=2 or p=1) are")
    if est.weights not in ("uniform", "distance"):
        raise UnsupportedOpError(name, "weights", f"weights={est.weights!r} is not supported (uniform, distance are)")
    if est._fit_method == "precomputed" or est.metric == "precomputed":
        raise UnsupportedOpError(name, "metric", "precomputed distances are not supported")
    parts = () if one_heap else parallel_on_y_parts(table.train.shape[0])
    return KnnAttrs(table, int(est.n_neighbors), metric, est.weights, parts)


@converter(KNeighborsClassifier)
def knn_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    if est.outputs_2d_:
        raise UnsupportedOpError("KNeighborsClassifier", "y", "multi-output classification is not supported")
    classes = est.classes_
    table = make_table(est._fit_X, labels=est._y, n_classes=len(classes))
    proba = ctx.node("knn", [x], _attrs(est, table, searched_with_one_heap(est)), "knn")
    return Outputs(label=ctx.argmax_label(proba, classes), proba=proba, classes=classes)


@converter(KNeighborsRegressor)
def knn_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    y = np.asarray(est._y, np.float64)
    table = make_table(est._fit_X, targets=y.reshape(y.shape[0], -1))
    return Outputs(value=ctx.node("knn", [x], _attrs(est, table, False), "knn"))
