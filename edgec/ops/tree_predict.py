"""tree_predict: a tree ensemble with what follows its sum in the same node (the C back end's
fusion of tree_ensemble -> [div by constants] -> [arg_max], see backend/tree_fuse.py).

Its C is one if-else function per sample (backend/tree_code.py) that returns the class label or
the value directly; its reference is the unfused ops' references in order, so it is exactly the
chain it replaces.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register
from edgec.ops.select import first_max_index
from edgec.ops.tree_ensemble import TreeEnsemble, ensemble_sum


@dataclass(frozen=True)
class TreeHead:
    """The ops fused behind the sum. divisor: float32 per target (y / divisor) or None.
    argmax: return the index of the first largest output (labels[index] when labels is given)."""

    divisor: tuple[float, ...] | None = None
    argmax: bool = False
    labels: tuple[int, ...] | None = None

    def apply(self, y: np.ndarray) -> np.ndarray:
        """The head on float32 sums [rows, targets], as the reference computes it."""
        y = np.asarray(y, np.float32)
        if self.divisor is not None:
            y = (y / np.asarray(self.divisor, np.float32)).astype(np.float32)
        if not self.argmax:
            return y
        idx = first_max_index(y)
        return np.asarray(self.labels, np.int64)[idx] if self.labels is not None else idx


@dataclass(frozen=True)
class TreePredictAttrs:
    """form: which if-else form the C takes, "code", "code_keys" (integer order keys: smaller
    code, same results) or "code_rows" (a function per tree returning its leaf row)."""

    trees: TreeEnsemble
    head: TreeHead
    form: str = "code"


def _infer(attrs: TreePredictAttrs, types: list[TensorType]) -> list[TensorType]:
    x, t, h = types[0], attrs.trees, attrs.head
    if x.rank != 2 or x.dtype != DType.F32:
        raise ShapeError(f"tree_predict takes float32 [samples, features], got {x}")
    if t.feature.size and int(t.feature.max()) >= x.shape[1]:
        raise ShapeError(f"tree_predict: a node tests feature {int(t.feature.max())} of {x.shape[1]}")
    for name, v in (("divisor", h.divisor), ("labels", h.labels)):
        if v is not None and len(v) != t.n_targets:
            raise ShapeError(f"tree_predict: {len(v)} {name} for {t.n_targets} targets")
    if h.argmax:
        return [TensorType((x.shape[0],), DType.I32)]
    return [TensorType((x.shape[0], t.n_targets), DType.F32)]


def _ref(attrs: TreePredictAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    y = attrs.head.apply(ensemble_sum(attrs.trees, xs[0]))
    return [np.asarray(y, np.int32 if attrs.head.argmax else np.float32)]


def _emit(ctx, node) -> None:
    from edgec.backend.tree_code import emit_code
    emit_code(ctx, node, node.attrs.trees, node.attrs.head, node.attrs.form)


TREE_PREDICT = register(OpDef("tree_predict", _infer, _ref, _emit, sources=()))
