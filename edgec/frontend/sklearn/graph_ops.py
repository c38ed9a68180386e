"""Small IR builders the ensemble converters share (element-wise ops with their attrs, scalar
constants, column concatenation)."""
from __future__ import annotations

import numpy as np

from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import Value


def binary(ctx: SkContext, op: str, a: Value, b: Value, hint: str) -> Value:
    """add/sub/mul/div/pow with numpy broadcasting."""
    from edgec.ops.elementwise import BinaryAttrs
    return ctx.node(op, [a, b], BinaryAttrs(), hint)


def unary(ctx: SkContext, op: str, a: Value, hint: str) -> Value:
    """neg/exp/sigmoid/... (pointwise ops without parameters)."""
    from edgec.ops.elementwise import PointwiseAttrs
    return ctx.node(op, [a], PointwiseAttrs(), hint)


def scalar(ctx: SkContext, v: float, hint: str) -> Value:
    """A [1, 1] float32 constant (broadcasts against [1, k])."""
    return ctx.const(np.full((1, 1), v, np.float32), hint)


def concat_columns(ctx: SkContext, cols: list[Value], hint: str) -> Value:
    """[1, a] + [1, b] + ... -> [1, a + b + ...] (a single column is returned as it is)."""
    from edgec.ops.movement import ConcatAttrs
    return cols[0] if len(cols) == 1 else ctx.node("concat", cols, ConcatAttrs(1), hint)
