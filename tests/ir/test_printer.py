"""dump() is deterministic, unambiguous and shows what a reviewer needs."""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ir.printer import attrs_str, dump, type_str
from edgec.ops.base import Activation, NoAttrs
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from tests.ir.build import GraphBuilder


def _conv_graph() -> Graph:
    b = GraphBuilder("tiny")
    x = b.input("x", (1, 3, 8, 8))
    c = b.op("conv", [x, b.rand("w", (4, 3, 3, 3)), None],
             ConvAttrs(kernel=(3, 3), pads=(1, 1, 1, 1), act=Activation("relu")), name="c")
    return b.graph(b.op("sigmoid", [c], PointwiseAttrs(), name="y"))


def test_dump_prints_one_line_per_node_with_types_and_attrs():
    assert dump(_conv_graph()) == (
        "graph tiny(%x: f32[1x3x8x8]) -> (%y)\n"
        "  @w: f32[4x3x3x3]\n"
        "  %c: f32[1x4x8x8] = conv(%x, @w, _) {kernel=(3, 3), pads=(1, 1, 1, 1), act=relu}\n"
        "  %y: f32[1x4x8x8] = sigmoid(%c)\n")


def test_dump_is_deterministic_across_builds():
    assert dump(_conv_graph()) == dump(_conv_graph())


def test_dump_disambiguates_values_with_the_same_name():
    x = Value("v", TensorType((2,)))
    y = Value("v", TensorType((2,)))
    g = Graph("dup", [x], [y], [Node("relu", [x], [y], PointwiseAttrs(), "n")])
    assert "%v.1: f32[2] = relu(%v)" in dump(g)


def test_attrs_str_leaves_out_defaults_and_formats_values():
    assert attrs_str(NoAttrs()) == ""
    assert attrs_str(BinaryAttrs()) == ""
    assert attrs_str(BinaryAttrs(act=Activation("leaky_relu", 0.1))) == "act=leaky_relu(0.1, 0.0)"
    assert attrs_str(PointwiseAttrs(np.float32(0.5))) == "alpha=0.5"
    assert attrs_str(ConvAttrs(kernel=(1, 1), channels_last=True)) == "kernel=(1, 1), channels_last=True"


def test_type_str_uses_short_dtype_names():
    assert type_str(TensorType((1, 2), DType.I64)) == "i64[1x2]"
    assert type_str(TensorType((), DType.F32)) == "f32[]"
