"""arg_max: the index of the largest score, optionally mapped to a class label.

Classifiers end in it: scikit-learn's `predict` is `classes_[argmax(scores)]`, and numpy's argmax
keeps the first of equal maxima, so the C kernel does the same (a strict `>` scan).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops import base
from edgec.ops.base import OpDef, register


@dataclass(frozen=True)
class ArgMaxAttrs:
    """Along the last axis, which the output drops. labels: int32 value written for index i
    (None: the index itself). out_dtype: I32 (classifiers) or I64 (ONNX ArgMax)."""

    labels: tuple[int, ...] | None = None
    out_dtype: DType = DType.I32


_KERNELS = {DType.F32: "ec_arg_max_f32", DType.I32: "ec_arg_max_s32", DType.I8: "ec_arg_max_s8"}


def _infer(attrs: ArgMaxAttrs, types: list[TensorType]) -> list[TensorType]:
    t = types[0]
    if t.rank < 1 or t.shape[-1] < 1:
        raise ShapeError(f"arg_max needs a non-empty last axis, got {t}")
    if attrs.labels is not None and len(attrs.labels) != t.shape[-1]:
        raise ShapeError(f"arg_max: {len(attrs.labels)} labels for {t.shape[-1]} scores")
    if t.dtype not in _KERNELS:
        raise ShapeError(f"arg_max: no kernel for {t.dtype.value} scores")
    return [TensorType(t.shape[:-1], attrs.out_dtype)]


def first_max_index(x: np.ndarray) -> np.ndarray:
    """Index of the first largest entry along the last axis, by the C kernels' test: a later
    entry wins only when strictly larger, so a NaN never wins (np.argmax would pick it)."""
    x = np.asarray(x)
    best, idx = x[..., 0].copy(), np.zeros(x.shape[:-1], np.int64)
    for i in range(1, x.shape[-1]):
        win = x[..., i] > best
        idx, best = np.where(win, i, idx), np.where(win, x[..., i], best)
    return idx


def _ref(attrs: ArgMaxAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    idx = first_max_index(xs[0])
    if attrs.labels is not None:
        idx = np.asarray(attrs.labels, np.int64)[idx]
    return [np.asarray(idx, attrs.out_dtype.np)]


def _emit(ctx, node) -> None:
    x, y, a = node.inputs[0], node.outputs[0], node.attrs
    if a.out_dtype != DType.I32:
        raise UnsupportedOpError(node.op, node.name, f"{a.out_dtype.value} indices: the C kernel writes int32")
    k = x.shape[-1]
    identity = a.labels is None or tuple(a.labels) == tuple(range(k))
    labels = "NULL" if identity else ctx.ints(a.labels, f"{node.name}_labels")
    if x.type.size == k and x.type.dtype == DType.F32:   # one row: a short loop in place, no kernel
        pick = "b" if identity else f"{labels}[b]"
        ctx.steps[-1].lines.extend([
            "{", f"    const float *s = {ctx.ptr(x)};", "    int32_t b = 0, i;",
            f"    for (i = 1; i < {k}; ++i) {{", "        if (s[i] > s[b]) {", "            b = i;",
            "        }", "    }", f"    {ctx.ptr(y)}[0] = {pick};", "}"])
        return
    kernel = _KERNELS[x.type.dtype]
    ctx.call(kernel, ctx.ptr(x), str(x.type.size // k), str(k), labels, ctx.ptr(y))
    ctx.use(kernel)   # one file per score type: only the used one is compiled


ARG_MAX = register(OpDef("arg_max", _infer, _ref, _emit))


def _quantize(qctx, node):
    """int8 scores keep their order (one positive scale), so arg_max reads them as they are."""
    x = node.inputs[0]
    if x.type.dtype != DType.F32:
        return False
    out = node.outputs[0]
    qctx.qmap[id(out)] = out     # the label stays an int32, not an int8 twin
    qctx.add("arg_max", [qctx.q(x)], [out], node.attrs)
    return None


ARG_MAX = base.attach("arg_max", quantize=_quantize)
