"""tree_ensemble: a sum of binary decision trees (forests, boosting, isolation trees).

Every tree model, from scikit-learn or ONNX-ML, is brought to one canonical form: internal node i
sends the sample left when `x[feature[i]] <= threshold[i]` compared in float32 (scikit-learn casts
X to float32 and its thresholds are rounded down to float32 so the test is unchanged), or, for a
NaN feature, when `missing_left[i]`. A leaf adds its row of `leaf_values` to the output, which
starts at `base`. Trees are summed in order in float32, by the reference and the C alike.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register


def float32_threshold(t: np.ndarray) -> np.ndarray:
    """The largest float32 <= t: then (x <= result) == (float64(x) <= t) for every float32 x, so
    a float64 threshold keeps its test in float32 (what every tree front end needs)."""
    t = np.asarray(t, np.float64)
    t32 = t.astype(np.float32)
    up = t32.astype(np.float64) > t
    t32[up] = np.nextafter(t32[up], np.float32(-np.inf))
    return t32


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """All trees in flat node arrays (node ids are global across trees).

    feature: int32 [nodes], -1 at a leaf. threshold: float32 [nodes]. left/right: int32 child ids.
    missing_left: bool [nodes]. leaf: int32 [nodes], row of leaf_values at a leaf, -1 elsewhere.
    leaf_values: float32 [leaves, targets]. roots: int32 [trees]. base: float32 [targets].
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    leaf: np.ndarray
    leaf_values: np.ndarray
    roots: np.ndarray
    base: np.ndarray

    @property
    def n_targets(self) -> int:
        return int(self.leaf_values.shape[1])

    @property
    def n_trees(self) -> int:
        return int(self.roots.shape[0])

    @property
    def n_nodes(self) -> int:
        return int(self.feature.shape[0])

    def digest(self) -> str:
        h = hashlib.sha256()
        for a in (self.feature, self.threshold, self.left, self.right, self.missing_left, self.leaf,
                  self.leaf_values, self.roots, self.base):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        return f"TreeEnsemble(trees={self.n_trees}, nodes={self.n_nodes}, targets={self.n_targets}, sha={self.digest()})"


def make_ensemble(feature, threshold, left, right, missing_left, leaf, leaf_values, roots, base) -> TreeEnsemble:
    """Builds a TreeEnsemble with canonical dtypes and checks its structure."""
    t = TreeEnsemble(np.asarray(feature, np.int32), np.asarray(threshold, np.float32),
                     np.asarray(left, np.int32), np.asarray(right, np.int32),
                     np.asarray(missing_left, np.bool_), np.asarray(leaf, np.int32),
                     np.atleast_2d(np.asarray(leaf_values, np.float32)), np.asarray(roots, np.int32),
                     np.asarray(base, np.float32).reshape(-1))
    n = t.n_nodes
    internal = t.feature >= 0
    if not all(a.shape == (n,) for a in (t.threshold, t.left, t.right, t.missing_left, t.leaf)):
        raise ShapeError("tree_ensemble: node arrays differ in length")
    if internal.any() and (t.left[internal].min() < 0 or t.right[internal].max() >= n
                           or t.left[internal].max() >= n or t.right[internal].min() < 0):
        raise ShapeError("tree_ensemble: a child id is out of range")
    if (~internal).any() and (t.leaf[~internal].min() < 0 or t.leaf[~internal].max() >= t.leaf_values.shape[0]):
        raise ShapeError("tree_ensemble: a leaf row is out of range")
    if t.base.shape[0] != t.n_targets:
        raise ShapeError(f"tree_ensemble: base has {t.base.shape[0]} values for {t.n_targets} targets")
    return t


@dataclass(frozen=True)
class TreeEnsembleAttrs:
    """trees: the ensemble. layout: "auto", "table" or "code": the C form (see backend/trees.py);
    it never changes the results."""

    trees: TreeEnsemble
    layout: str = "auto"


def _infer(attrs: TreeEnsembleAttrs, types: list[TensorType]) -> list[TensorType]:
    x = types[0]
    if attrs.layout not in ("auto", "table", "code"):
        raise ShapeError(f"tree_ensemble: layout '{attrs.layout}', expected auto, table or code")
    if x.rank != 2 or x.dtype != DType.F32:
        raise ShapeError(f"tree_ensemble takes float32 [samples, features], got {x}")
    f = attrs.trees.feature
    if f.size and int(f.max()) >= x.shape[1]:
        raise ShapeError(f"tree_ensemble: a node tests feature {int(f.max())} of {x.shape[1]}")
    return [TensorType((x.shape[0], attrs.trees.n_targets), DType.F32)]


def _float_test(t: TreeEnsemble, xv: np.ndarray, node: np.ndarray) -> np.ndarray:
    """The canonical test: float32 `x <= threshold`, NaN to the missing_left side."""
    return np.where(np.isnan(xv), t.missing_left[node], xv <= t.threshold[node])


def leaves_reached(t: TreeEnsemble, x: np.ndarray, goes_left=None) -> np.ndarray:
    """[samples, trees] node id of the leaf each sample reaches in each tree. goes_left(t,
    feature values, node ids) -> bool: the node test (default: the float one; the integer
    modes pass theirs)."""
    if goes_left is None:
        goes_left, x = _float_test, np.asarray(x, np.float32)
    x = np.asarray(x)
    rows = np.arange(x.shape[0])[:, None]
    node = np.broadcast_to(t.roots, (x.shape[0], t.n_trees)).copy()
    for _ in range(t.n_nodes + 1):
        feat = t.feature[node]
        active = feat >= 0
        if not active.any():
            return node
        go_left = goes_left(t, x[rows, np.where(active, feat, 0)], node)
        node = np.where(active, np.where(go_left, t.left[node], t.right[node]), node)
    raise ShapeError("tree_ensemble: a tree has a cycle")


def ensemble_sum(t: TreeEnsemble, x: np.ndarray) -> np.ndarray:
    """base + the trees' leaf values, summed tree by tree in float32 (the C kernels' order)."""
    leaves = t.leaf[leaves_reached(t, x)]
    out = np.broadcast_to(t.base, (leaves.shape[0], t.n_targets)).astype(np.float32)
    for k in range(t.n_trees):
        out = (out + t.leaf_values[leaves[:, k]]).astype(np.float32)
    return out


def _ref(attrs: TreeEnsembleAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    return [ensemble_sum(attrs.trees, xs[0])]


def _emit(ctx, node) -> None:
    from edgec.backend.trees import emit_tree_ensemble
    emit_tree_ensemble(ctx, node)


TREE_ENSEMBLE = register(OpDef("tree_ensemble", _infer, _ref, _emit, sources=()))
