"""ONNX importers: element-wise math and activations."""
from __future__ import annotations

import numpy as np

from edgec.frontend.importer import ImportContext, importer
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs

_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus",
          "Softsign": "softsign", "Neg": "neg", "Abs": "abs", "Exp": "exp", "Sqrt": "sqrt",
          "Log": "log", "Reciprocal": "reciprocal"}
_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "PRelu": "prelu"}
_VARIADIC = {"Sum": "add", "Max": "max", "Min": "min", "Mean": "add"}


@importer(*_UNARY)
def _unary(ctx: ImportContext, node) -> None:
    ctx.bind(node, ctx.emit(_UNARY[node.op_type], [ctx.input(node, 0)], PointwiseAttrs(), node.name))


@importer("LeakyRelu")
def _leaky(ctx, node):
    a = PointwiseAttrs(ctx.attr(node, "alpha", 0.01))
    ctx.bind(node, ctx.emit("leaky_relu", [ctx.input(node, 0)], a, node.name))


@importer("Elu")
def _elu(ctx, node):
    a = PointwiseAttrs(ctx.attr(node, "alpha", 1.0))
    ctx.bind(node, ctx.emit("elu", [ctx.input(node, 0)], a, node.name))


@importer("Selu")
def _selu(ctx, node):
    a = PointwiseAttrs(ctx.attr(node, "alpha", 1.67326319217681884765625),
                       ctx.attr(node, "gamma", 1.05070102214813232421875))
    ctx.bind(node, ctx.emit("selu", [ctx.input(node, 0)], a, node.name))


@importer("HardSigmoid")
def _hard_sigmoid(ctx, node):
    a = PointwiseAttrs(ctx.attr(node, "alpha", 0.2), ctx.attr(node, "beta", 0.5))
    ctx.bind(node, ctx.emit("hard_sigmoid", [ctx.input(node, 0)], a, node.name))


@importer("HardSwish")
def _hard_swish(ctx, node):
    ctx.bind(node, ctx.emit("hard_swish", [ctx.input(node, 0)], PointwiseAttrs(), node.name))


@importer("Clip")
def _clip(ctx, node):
    lo, hi = ctx.const_input(node, 1, "min"), ctx.const_input(node, 2, "max")
    lo = float(lo) if lo is not None else ctx.attr(node, "min", -np.inf)
    hi = float(hi) if hi is not None else ctx.attr(node, "max", np.inf)
    ctx.bind(node, ctx.emit("clip", [ctx.input(node, 0)], PointwiseAttrs(lo, hi), node.name))


@importer(*_BINARY)
def _binary(ctx, node):
    a, b = ctx.input(node, 0), ctx.input(node, 1)
    if node.op_type == "Pow" and b.is_const and b.data.size == 1 and not a.is_const:
        out = ctx.emit("pow_scalar", [a], PointwiseAttrs(float(b.data.reshape(-1)[0])), node.name)
    elif node.op_type == "PRelu" and b.is_const and a.type.rank >= 2 and b.type.rank == 1 \
            and b.shape[0] == a.shape[1] and a.shape[1] != a.shape[-1]:
        # ONNX PRelu's slope [C] is "unidirectionally broadcastable"; PyTorch means channel 1.
        slope = ctx.const(b.data.reshape((-1,) + (1,) * (a.type.rank - 2)), b.name)
        out = ctx.emit("prelu", [a, slope], BinaryAttrs(), node.name)
    else:
        out = ctx.emit(_BINARY[node.op_type], [a, b], BinaryAttrs(), node.name)
    ctx.bind(node, out)


@importer(*_VARIADIC)
def _variadic(ctx, node):
    xs = ctx.inputs(node)
    acc = xs[0]
    for k, x in enumerate(xs[1:]):
        acc = ctx.emit(_VARIADIC[node.op_type], [acc, x], BinaryAttrs(), f"{node.name}_{k}" if k else node.name)[0]
    if node.op_type == "Mean" and len(xs) > 1:
        acc = ctx.emit("affine", [acc], PointwiseAttrs(1.0 / len(xs), 0.0), f"{node.name}_mean")[0]
    if len(xs) == 1:
        acc = ctx.emit("identity", [acc], None, node.name)[0]
    ctx.bind(node, [acc])
