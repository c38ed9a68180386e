"""knn: brute-force k nearest neighbours over a stored training set (KNeighbors* estimators).

The training rows live in the op as a constant table. Which of several rows at equal distance
become neighbours follows scikit-learn's brute-force search exactly: its fixed-size max-heap
(a row enters only when strictly closer than the heap's root, and the root among equal values
is whatever its sifting left there), fed the rows in order. scikit-learn may split the rows into
`parts` searched by parallel threads, each with its own heap, whose entries are then pushed into
one heap thread by thread in their heap order; the op takes those part boundaries as attributes.
Distances: squared euclidean (ranked like the euclidean distance) or manhattan, summed over
features in order in float32.

The k neighbours then vote (classifiers: labels, the output is the normalised vote per class,
predict_proba) or average (regressors: targets), nearest first. weights="distance" weighs a
neighbour by 1 / distance, except that when any neighbour is at distance 0 those alone count, with
weight 1 (scikit-learn's rule).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.knn_storage import blocked, train_storage

METRICS = ("euclidean", "manhattan")
WEIGHTS = ("uniform", "distance")


@dataclass(frozen=True, eq=False)
class KnnTable:
    """train: float32 [rows, features]. labels: int32 [rows] class index per row (classifier) or
    None. targets: float32 [rows, targets] (regressor) or None. n_classes: outputs of a classifier."""

    train: np.ndarray
    labels: np.ndarray | None
    targets: np.ndarray | None
    n_classes: int = 0

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.labels is not None else int(self.targets.shape[1])

    def __repr__(self) -> str:
        h = hashlib.sha256(np.ascontiguousarray(self.train).tobytes()).hexdigest()[:12]
        return (f"KnnTable(rows={self.train.shape[0]}, features={self.train.shape[1]}, "
                f"outputs={self.n_outputs}, sha={h})")


def make_table(train, labels=None, targets=None, n_classes: int = 0) -> KnnTable:
    train = np.ascontiguousarray(train, np.float32)
    if (labels is None) == (targets is None):
        raise ShapeError("knn: give class labels or regression targets, not both")
    if labels is not None:
        labels = np.asarray(labels, np.int32).reshape(-1)
        if labels.shape[0] != train.shape[0] or labels.min() < 0 or labels.max() >= n_classes:
            raise ShapeError("knn: a label is out of range or the label count differs from the rows")
    else:
        targets = np.ascontiguousarray(np.asarray(targets, np.float32).reshape(train.shape[0], -1))
    return KnnTable(train, labels, targets, int(n_classes))


@dataclass(frozen=True)
class KnnAttrs:
    """k neighbours by metric (euclidean | manhattan), weighted uniform | distance."""

    table: KnnTable
    k: int
    metric: str = "euclidean"
    weights: str = "uniform"
    parts: tuple[int, ...] = ()    # end row of each part searched with its own heap; () = one part
    grid: bool = True              # 16-bit grid codes allowed (decoded in double: see knn_storage)


def _infer(a: KnnAttrs, types: list[TensorType]) -> list[TensorType]:
    x = types[0]
    if x.rank != 2 or x.dtype != DType.F32 or x.shape[1] != a.table.train.shape[1]:
        raise ShapeError(f"knn takes float32 [samples, {a.table.train.shape[1]}], got {x}")
    if not 1 <= a.k <= a.table.train.shape[0] or a.metric not in METRICS or a.weights not in WEIGHTS:
        raise ShapeError(f"knn: bad k={a.k}, metric={a.metric} or weights={a.weights}")
    ends = part_ends(a)
    if list(ends) != sorted(set(ends)) or ends[0] < 1 or ends[-1] != a.table.train.shape[0]:
        raise ShapeError(f"knn: parts {list(ends)} must rise strictly to the {a.table.train.shape[0]} rows")
    return [TensorType((x.shape[0], a.table.n_outputs), DType.F32)]


def distances(a: KnnAttrs, x: np.ndarray) -> np.ndarray:
    """[rows] float32 distances of one sample, summed over features in order like the kernel
    (squared for euclidean)."""
    d = (a.table.train - x[None, :]).astype(np.float32)
    d = d * d if a.metric == "euclidean" else np.abs(d)
    acc = np.zeros(d.shape[0], np.float32)
    for j in range(d.shape[1]):
        acc = (acc + d[:, j]).astype(np.float32)
    return acc


def heap_push(values: list, ids: list, val: float, idx: int) -> None:
    """scikit-learn's fixed-size max-heap push (utils/_heap): the same comparisons, so the same
    survivor among equal values."""
    size = len(values)
    if val >= values[0]:
        return
    cur = 0
    while True:
        left = 2 * cur + 1
        right = left + 1
        if left >= size:
            break
        if right >= size:
            if values[left] > val:
                swap = left
            else:
                break
        elif values[left] >= values[right]:
            if val < values[left]:
                swap = left
            else:
                break
        elif val < values[right]:
            swap = right
        else:
            break
        values[cur], ids[cur] = values[swap], ids[swap]
        cur = swap
    values[cur], ids[cur] = val, idx


def part_ends(a: KnnAttrs) -> tuple[int, ...]:
    return a.parts or (a.table.train.shape[0],)


def neighbours(a: KnnAttrs, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, distances) of the k nearest, sorted by (distance, id)."""
    d = distances(a, x)
    big = float(np.finfo(np.float32).max)
    heaps, start = [], 0
    for end in part_ends(a):
        vals, ids = [big] * a.k, [-1] * a.k
        for r in range(start, end):
            heap_push(vals, ids, float(d[r]), r)
        heaps.append((vals, ids))
        start = end
    if len(heaps) == 1:
        vals, ids = heaps[0]
    else:
        vals, ids = [big] * a.k, [-1] * a.k
        for pv, pi in heaps:
            for v, i in zip(pv, pi):
                heap_push(vals, ids, v, i)
    order = np.lexsort((np.asarray(ids), np.asarray(vals)))
    return np.asarray(ids)[order], np.asarray(vals, np.float32)[order]


def neighbour_weights(a: KnnAttrs, d: np.ndarray) -> np.ndarray:
    if a.weights == "uniform":
        return np.ones_like(d)
    if a.metric == "euclidean":
        d = np.sqrt(d).astype(np.float32)
    zero = d == 0
    if zero.any():
        return zero.astype(np.float32)
    return (np.float32(1) / d).astype(np.float32)


def _ref_one(a: KnnAttrs, x: np.ndarray) -> np.ndarray:
    idx, d = neighbours(a, x)
    w = neighbour_weights(a, d)
    t = a.table
    out = np.zeros(t.n_outputs, np.float32)
    total = np.float32(0)
    for i, wi in zip(idx, w):
        if t.labels is not None:
            out[t.labels[i]] = np.float32(out[t.labels[i]] + wi)
        else:
            out = (out + t.targets[i] * wi).astype(np.float32)
        total = np.float32(total + wi)
    return (out / total).astype(np.float32)


def _ref(a: KnnAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    x = np.asarray(xs[0], np.float32)
    return [np.stack([_ref_one(a, row) for row in x]).astype(np.float32)]


def _scratch(a: KnnAttrs, ins, outs) -> int:
    """A heap of k distances (float) and k row ids (int32) per part, plus the merged one."""
    return 8 * a.k * (len(part_ends(a)) + 1)


def double_array(values: np.ndarray) -> str:
    """A C99 compound literal of doubles (static at file scope; the weights hold float32 only),
    each printed so it parses back to the same double."""
    return "(const double[]){" + ", ".join("%.17g" % v for v in np.asarray(values, np.float64).reshape(-1)) + "}"


def _emit(ctx, node) -> None:
    a: KnnAttrs = node.attrs
    t, x, y = a.table, node.inputs[0], node.outputs[0]
    name = node.name
    narrow = t.labels is not None and t.n_classes <= 256
    labels = "NULL" if t.labels is None else ctx.const(t.labels, f"{name}_labels", DType.U8 if narrow else DType.I32)
    targets = "NULL" if t.targets is None else ctx.const(t.targets, f"{name}_targets", DType.F32)
    st = train_storage(t.train, grid=a.grid)
    tally = "ec_knn_tally_targets" if t.labels is None else f"ec_knn_tally_{'u8' if narrow else 'i32'}"
    ctx.use(f"ec_knn_block_{st.kind}", tally)     # the model links only its storage's, output's and weights'
    if a.weights == "distance":
        ctx.use("ec_knn_weigh_distance")
    dicts = st.dict_index is not None
    p = ctx.struct("ec_knn_f32_params", {
        "n_rows": t.train.shape[0], "n_features": t.train.shape[1], "k": a.k, "n_outputs": t.n_outputs,
        "metric": "EC_KNN_EUCLIDEAN" if a.metric == "euclidean" else "EC_KNN_MANHATTAN",
        "weigh": "ec_knn_weigh_distance" if a.weights == "distance" else "NULL", "n_parts": len(part_ends(a)),
        "part_end": ctx.ints(part_ends(a), f"{name}_parts"),
        "block": f"ec_knn_block_{st.kind}", "train": ctx.const(blocked(st.data), f"{name}_train"),
        "grid": double_array(st.grid) if st.kind == "codes16" else "NULL",
        "dict_index": ctx.const(st.dict_index, f"{name}_dict_index", DType.I32) if dicts else "NULL",
        "dict": ctx.const(st.dict_values, f"{name}_dict") if dicts else "NULL",
        "tally": tally,
        "labels": labels, "targets": targets}, "knn")
    ctx.call("ec_knn_f32", p, ctx.ptr(x), str(x.shape[0]), ctx.ptr(y), ctx.scratch())


def _macs(a: KnnAttrs, ins, outs) -> int:
    return ins[0].shape[0] * a.table.train.size


KNN = register(OpDef("knn", _infer, _ref, _emit, sources=("ec_knn_f32",), scratch=_scratch, macs=_macs))
