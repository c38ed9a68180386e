"""linear_predict: a one-row linear layer (literal weights, or a small const table summed in a
loop) and the arg max after it, in one function (the C back end's fusion of gemm -> [concat
with constant scores] -> arg_max, see backend/linear_fuse.py; a binary classifier's scores are
the pair (threshold, decision)).

The C function keeps the scores in locals and returns the label: no arena buffer, no arg-max
loop, and the estimator API calls it directly. Each score takes the gemm kernels' own float
operations in their order and the pick is arg_max's own test, so its reference is the unfused
ops' references in order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, get, register


@dataclass(frozen=True, eq=False)
class ScoreBlock:
    """Consecutive scores: constants (`const`, float32 [j]) or a gemm of the input (`gemm_attrs`
    with weight [j, k] and bias [j] or None, as the gemm node had them)."""

    const: np.ndarray | None = None
    gemm_attrs: object | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.const.size if self.const is not None else self.weight.shape[0])


@dataclass(frozen=True, eq=False)
class LinearPredictAttrs:
    blocks: tuple[ScoreBlock, ...]
    argmax: object          # the fused arg_max node's ArgMaxAttrs


def scores_ref(a: LinearPredictAttrs, x: np.ndarray) -> np.ndarray:
    """The scores [rows, K] as the unfused gemm and concat compute them."""
    parts = []
    for b in a.blocks:
        if b.const is not None:
            parts.append(np.broadcast_to(b.const.astype(np.float32), (x.shape[0], b.size)))
        else:
            ins = [x, b.weight] + ([b.bias] if b.bias is not None else [])
            parts.append(np.asarray(get("gemm").ref(b.gemm_attrs, ins)[0], np.float32))
    return np.concatenate(parts, axis=1)


def _infer(a: LinearPredictAttrs, types: list[TensorType]) -> list[TensorType]:
    x = types[0]
    ks = {b.weight.shape[1] for b in a.blocks if b.const is None}
    if x.rank != 2 or x.dtype != DType.F32 or ks != {x.shape[1]}:
        raise ShapeError(f"linear_predict takes float32 [samples, {sorted(ks)}], got {x}")
    return [TensorType((x.shape[0],), DType.I32)]


def _ref(a: LinearPredictAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(get("arg_max").ref(a.argmax, [scores_ref(a, np.asarray(xs[0], np.float32))])[0], np.int32)]


def _emit(ctx, node) -> None:
    from edgec.backend.linear_fuse import emit_linear_predict
    emit_linear_predict(ctx, node)


register(OpDef("linear_predict", _infer, _ref, _emit))
