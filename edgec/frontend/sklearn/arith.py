"""Element-wise IR helpers for converters: the right attrs for each op, one call per step."""
from __future__ import annotations

from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import Value


def pointwise(ctx: SkContext, kind: str, x: Value, alpha: float = 0.0, beta: float = 0.0, hint: str = "") -> Value:
    """A unary op of edgec.ops.elementwise.POINTWISE (clip: [alpha, beta]; affine: alpha*x+beta)."""
    from edgec.ops.elementwise import PointwiseAttrs
    return ctx.node(kind, [x], PointwiseAttrs(float(alpha), float(beta)), hint or kind)


def binary(ctx: SkContext, op: str, a: Value, b: Value, hint: str = "") -> Value:
    """add / sub / mul / div / max / min with numpy broadcasting."""
    from edgec.ops.elementwise import BinaryAttrs
    return ctx.node(op, [a, b], BinaryAttrs(), hint or op)
