"""Three-node graphs and the pass(es) each golden test runs on them.

tests/passes/regen_golden.py writes golden/<case>.txt from these; test_golden.py compares.
"""
from __future__ import annotations

from typing import Callable

from edgec.ir.graph import Graph
from edgec.ir.printer import dump
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.movement import TransposeAttrs
from edgec.ops.pool import PoolAttrs
from edgec.passes.eliminate_dead_code import eliminate_dead_code
from edgec.passes.fold_batchnorm import fold_batchnorm
from edgec.passes.fold_constants import fold_constants
from edgec.passes.fuse_activation import fuse_activation
from edgec.passes.pipeline import DEFAULT_PIPELINE, run_pipeline
from edgec.passes.remove_identity import remove_identity
from edgec.passes.sink_transposes import sink_transposes
from edgec.passes.to_channels_last import to_channels_last
from tests.ir.build import GraphBuilder

CONV3 = ConvAttrs(kernel=(3, 3), pads=(1, 1, 1, 1))


def identity_chain() -> Graph:
    b = GraphBuilder("identity_chain")
    x = b.input("x", (1, 4))
    y = b.op("identity", [x], name="drop")
    y = b.op("relu", [y], PointwiseAttrs(), name="act")
    return b.graph(b.op("identity", [y], name="y"))


def const_transpose_add() -> Graph:
    b = GraphBuilder("const_transpose_add")
    x = b.input("x", (2, 3))
    wt = b.op("transpose", [b.rand("w", (3, 2))], TransposeAttrs((1, 0)), name="wt")
    y = b.op("add", [x, wt], BinaryAttrs(), name="sum")
    return b.graph(b.op("relu", [y], PointwiseAttrs(), name="y"))


def conv_mul_add() -> Graph:
    b = GraphBuilder("conv_mul_add")
    x = b.input("x", (1, 3, 6, 6))
    c = b.op("conv", [x, b.rand("w", (4, 3, 3, 3)), b.rand("b", (4,))], CONV3, name="conv")
    c = b.op("mul", [c, b.rand("scale", (4, 1, 1), 0.5, 2.0)], BinaryAttrs(), name="bn_scale")
    return b.graph(b.op("add", [c, b.rand("shift", (4, 1, 1))], BinaryAttrs(), name="y"))


def add_clip_sigmoid() -> Graph:
    b = GraphBuilder("add_clip_sigmoid")
    x = b.input("x", (2, 5))
    s = b.op("add", [x, b.rand("c", (5,))], BinaryAttrs(), name="sum")
    s = b.op("clip", [s], PointwiseAttrs(0.0, 6.0), name="relu6")
    return b.graph(b.op("sigmoid", [s], PointwiseAttrs(), name="y"))


def dead_branch() -> Graph:
    b = GraphBuilder("dead_branch")
    x = b.input("x", (3,))
    b.op("relu", [x], PointwiseAttrs(), name="unused")
    s = b.op("sigmoid", [x], PointwiseAttrs(), name="s")
    return b.graph(b.op("tanh", [s], PointwiseAttrs(), name="y"))


def conv_relu_pool() -> Graph:
    b = GraphBuilder("conv_relu_pool")
    x = b.input("x", (1, 3, 8, 8))
    c = b.op("conv", [x, b.rand("w", (4, 3, 3, 3)), b.rand("b", (4,))], CONV3, name="conv")
    r = b.op("relu", [c], PointwiseAttrs(), name="act")
    return b.graph(b.op("max_pool", [r], PoolAttrs(kernel=(2, 2), strides=(2, 2)), name="y"))


def transpose_relu_transpose() -> Graph:
    b = GraphBuilder("transpose_relu_transpose")
    x = b.input("x", (1, 4, 4, 2))
    t = b.op("transpose", [x], TransposeAttrs((0, 3, 1, 2)), name="to_nchw")
    r = b.op("relu", [t], PointwiseAttrs(), name="act")
    return b.graph(b.op("transpose", [r], TransposeAttrs((0, 2, 3, 1)), name="y"))


CASES: dict[str, tuple[Callable[[], Graph], Callable[[Graph], Graph]]] = {
    "remove_identity": (identity_chain, remove_identity),
    "fold_constants": (const_transpose_add, fold_constants),
    "fold_batchnorm": (conv_mul_add, fold_batchnorm),
    "fuse_activation": (add_clip_sigmoid, fuse_activation),
    "eliminate_dead_code": (dead_branch, eliminate_dead_code),
    "to_channels_last": (conv_relu_pool, to_channels_last),
    "sink_transposes": (transpose_relu_transpose, sink_transposes),
    "pipeline_conv_relu_pool": (conv_relu_pool, run_pipeline),
    "pipeline_conv_bn": (conv_mul_add, run_pipeline),
}

assert {name for name, _ in DEFAULT_PIPELINE} <= set(CASES)   # every pass has a golden case


def render(case: str) -> str:
    """The golden text of a case: the graph before and after its pass."""
    build, fn = CASES[case]
    g = build()
    return f"# before\n{dump(g)}# after {case}\n{dump(fn(g))}"

