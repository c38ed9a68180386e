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


def class_distances(ctx: SkContext, x: Value, centers, kind: str, divisor=None, hint: str = "dist") -> Value:
    """[1, C]: per row c of `centers` [C, F], the sum over features of (x - c)^2 (kind "sq") or
    |x - c| (kind "abs"), each term divided by divisor[c] first when given.

    Built as broadcast x - centers (the difference form, accurate where |x|^2 - 2 x.c + |c|^2
    cancels), then one reduction per class, in feature order."""
    import numpy as np
    from edgec.ops.movement import ReshapeAttrs
    from edgec.ops.reduce import ReduceAttrs
    centers = np.asarray(centers, np.float64)
    d = binary(ctx, "sub", x, ctx.const(centers.astype(np.float32), f"{hint}_centers"), f"{hint}_diff")
    t = binary(ctx, "mul", d, d, f"{hint}_sq") if kind == "sq" else pointwise(ctx, "abs", d, hint=f"{hint}_abs")
    if divisor is not None:
        t = binary(ctx, "div", t, ctx.const(np.asarray(divisor, np.float64).astype(np.float32), f"{hint}_divisor"),
                   f"{hint}_scaled")
    s = ctx.node("reduce", [t], ReduceAttrs("sum", (1,), False), f"{hint}_sum")
    return ctx.node("reshape", [s], ReshapeAttrs((1, centers.shape[0])), hint)
