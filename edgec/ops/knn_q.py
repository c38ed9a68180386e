"""knn_q: k nearest neighbours over per-feature-quantized samples (int16/int8 modes of KNeighbors*).

The training rows are stored as codes on the features' own grid (the feature type, clamped like
the samples), so q - t is an exact integer; distances are sum_f w[f] t(q[f] - train[r, f]) with
t = d*d (euclidean, ranked like the distance) or |d| (manhattan) and integer weights w (the
squared or plain per-feature scales), exact in int64. The k nearest are kept sorted by (distance,
row): a row enters only when strictly closer than the k-th, so among equal distances the earlier
row stays (the float op follows scikit-learn's heap instead; in the int modes distances are
approximations anyway). Output int32 [N, outputs]: classifiers the vote count per class
(uniform weights), regressors the sum of the k neighbours' integer targets; one scale turns
either into predict_proba or the mean.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.classic_q import INT_TYPES, _arr_digest


@dataclass(frozen=True, eq=False)
class KnnQAttrs:
    train: np.ndarray          # int16/int8 [rows, F] codes
    weight: np.ndarray         # int32 [F], >= 0
    k: int
    absolute: bool             # manhattan
    labels: np.ndarray | None  # int32 [rows] class index (classifier)
    n_classes: int
    targets: np.ndarray | None  # int32 [rows, T] (regressor)
    bits: int
    scale: float               # real output = scale * y

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.labels is not None else int(self.targets.shape[1])

    def __repr__(self) -> str:
        arrays = [a for a in (self.train, self.weight, self.labels, self.targets) if a is not None]
        return f"KnnQAttrs(k={self.k}, absolute={self.absolute}, bits={self.bits}, sha={_arr_digest(*arrays)})"


def knn_distances(a: KnnQAttrs, q: np.ndarray) -> np.ndarray:
    """int64 [N, rows]."""
    q = np.asarray(q, np.int64)
    t = a.train.astype(np.int64)
    w = a.weight.astype(np.int64)
    out = np.empty((q.shape[0], t.shape[0]), np.int64)
    for s in range(q.shape[0]):
        d = q[s][None, :] - t
        out[s] = ((d * d if not a.absolute else np.abs(d)) * w).sum(-1)
    return out


def nearest(a: KnnQAttrs, dist_row: np.ndarray) -> np.ndarray:
    """Row ids of the k nearest, by (distance, row): a stable sort is that order."""
    return np.argsort(dist_row, kind="stable")[:a.k]


def knn_q_ref(a: KnnQAttrs, q: np.ndarray) -> np.ndarray:
    dist = knn_distances(a, q)
    out = np.zeros((dist.shape[0], a.n_outputs), np.int64)
    for s in range(dist.shape[0]):
        idx = nearest(a, dist[s])
        if a.labels is not None:
            np.add.at(out[s], a.labels[idx], 1)
        else:
            out[s] = a.targets[idx].astype(np.int64).sum(0)
    return out.astype(np.int32)


def _infer(a: KnnQAttrs, types):
    x = types[0]
    if x.rank != 2 or x.dtype != INT_TYPES[a.bits] or x.shape[1] != a.train.shape[1]:
        raise ShapeError(f"knn_q takes int{a.bits} [samples, {a.train.shape[1]}], got {x}")
    if not 1 <= a.k <= a.train.shape[0]:
        raise ShapeError(f"knn_q: k={a.k} for {a.train.shape[0]} rows")
    return [TensorType((x.shape[0], a.n_outputs), DType.I32)]


def _scratch(a: KnnQAttrs, ins, outs) -> int:
    return 12 * a.k     # k int64 distances and k int32 rows


def _emit(ctx, node):
    a, x, y = node.attrs, node.inputs[0], node.outputs[0]
    n = node.name
    p = ctx.struct(f"ec_knn_s{a.bits}_params", {
        "n_rows": a.train.shape[0], "n_features": a.train.shape[1], "k": a.k, "n_outputs": a.n_outputs,
        "absolute": int(a.absolute), "train": ctx.const(a.train, f"{n}_train", INT_TYPES[a.bits]),
        "weight": ctx.const(a.weight, f"{n}_weight", DType.I32),
        "labels": "NULL" if a.labels is None else ctx.const(a.labels, f"{n}_labels", DType.I32),
        "targets": "NULL" if a.targets is None else ctx.const(a.targets, f"{n}_targets", DType.I32)}, "knn_q")
    ctx.call(f"ec_knn_s{a.bits}", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y), ctx.scratch())


register(OpDef("knn_q", _infer, lambda a, xs: [knn_q_ref(a, xs[0])], _emit, ("ec_knn_q",), scratch=_scratch,
               macs=lambda a, i, o: int(a.train.size) * i[0].shape[0]))
