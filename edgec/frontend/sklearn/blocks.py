"""Small graph-building helpers the preprocessing, neural and meta-estimator converters share."""
from __future__ import annotations

import numpy as np

from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import Value


def binary(ctx: SkContext, op: str, a: Value, b: Value, hint: str) -> Value:
    """add / sub / mul / div / max / min of two values (numpy broadcasting)."""
    from edgec.ops.elementwise import BinaryAttrs
    return ctx.node(op, [a, b], BinaryAttrs(), hint)


def row(ctx: SkContext, values, hint: str) -> Value:
    """A constant shaped [1, n] (broadcasts over the sample row)."""
    return ctx.const(np.asarray(values, np.float64).reshape(1, -1).astype(np.float32), hint)


def scalar(ctx: SkContext, value: float, hint: str) -> Value:
    return ctx.const(np.full((1, 1), value, np.float32), hint)


def concat(ctx: SkContext, parts: list[Value], hint: str) -> Value:
    """Columns side by side ([1, a] + [1, b] -> [1, a + b]); a single part is returned as is."""
    from edgec.ops.movement import ConcatAttrs
    return parts[0] if len(parts) == 1 else ctx.node("concat", parts, ConcatAttrs(1), hint)


def columns(ctx: SkContext, x: Value, index: list[int], hint: str) -> Value:
    """x[:, index] (a feature subset, in the given order, repeats allowed)."""
    from edgec.ops.movement import GatherAttrs
    index = [int(i) for i in index]
    if index == list(range(x.shape[1])):
        return x
    return ctx.node("gather", [x], GatherAttrs(1, tuple(index), (len(index),)), hint)


def one_hot(ctx: SkContext, label: Value, labels, hint: str) -> Value:
    """int32 label [1] -> float32 [1, len(labels)] with 1 where label == labels[j]."""
    from edgec.ops.one_hot import OneHotAttrs
    return ctx.node("one_hot", [label], OneHotAttrs(tuple(int(v) for v in labels)), hint)


def binary_proba(ctx: SkContext, p1: Value, hint: str = "proba") -> Value:
    """[1 - p, p] from the probability p [1, 1] of the second class."""
    return concat(ctx, [binary(ctx, "sub", scalar(ctx, 1.0, "one"), p1, "q"), p1], hint)


def unary(ctx: SkContext, op: str, x: Value, hint: str, alpha: float = 0.0, beta: float = 0.0) -> Value:
    """A pointwise op (relu, sigmoid, tanh, abs, sqrt, exp, neg, clip(alpha, beta), ...)."""
    from edgec.ops.elementwise import PointwiseAttrs
    return ctx.node(op, [x], PointwiseAttrs(alpha, beta), hint)
