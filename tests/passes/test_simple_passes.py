"""remove_identity, fold_constants, fuse_activation and eliminate_dead_code on small IR graphs."""
from __future__ import annotations

import numpy as np

from edgec.ir.verify import verify
from edgec.ops.base import Activation
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.movement import FillAttrs, ReshapeAttrs, TransposeAttrs
from edgec.passes.eliminate_dead_code import eliminate_dead_code
from edgec.passes.fold_constants import fold_constants
from edgec.passes.fuse_activation import fuse_activation
from edgec.passes.remove_identity import remove_identity
from tests.ir.build import GraphBuilder, assert_same_result, count_ops, ops

PW = PointwiseAttrs()


# -- remove_identity ---------------------------------------------------------------------------
def test_remove_identity_keeps_copy_of_graph_input_to_output():
    b = GraphBuilder()
    x = b.input("x", (3,))
    g = b.graph(b.op("identity", [x], name="y"))
    out = remove_identity(g)
    verify(out)
    assert ops(out) == ["identity"] and out.outputs[0].name == "y"


def test_remove_identity_keeps_output_names_when_input_is_another_output():
    b = GraphBuilder()
    x = b.input("x", (3,))
    r = b.op("relu", [x], PW, name="r")
    g = b.graph(r, b.op("identity", [r], name="y"))
    out = remove_identity(g)
    verify(out)
    assert [v.name for v in out.outputs] == ["r", "y"]
    assert_same_result(g, out)


def test_remove_identity_rewires_every_user():
    b = GraphBuilder()
    x = b.input("x", (2, 2))
    i = b.op("identity", [x], name="i")
    g = b.graph(b.op("mul", [i, i], BinaryAttrs(), name="y"))
    out = remove_identity(g)
    assert ops(out) == ["mul"] and out.nodes[0].inputs == [x, x]
    assert_same_result(g, out)


# -- fold_constants ----------------------------------------------------------------------------
def test_fold_constants_folds_chains_and_keeps_names():
    b = GraphBuilder()
    x = b.input("x", (2, 3))
    w = b.op("transpose", [b.rand("w", (3, 2))], TransposeAttrs((1, 0)), name="wt")
    w = b.op("exp", [w], PW, name="wexp")
    g = b.graph(b.op("add", [x, w], BinaryAttrs(), name="y"))
    out = fold_constants(g)
    verify(out)
    assert ops(out) == ["add"] and out.nodes[0].inputs[1].name == "wexp"
    assert_same_result(g, out)


def test_fold_constants_turns_constant_output_into_constant():
    b = GraphBuilder()
    b.input("x", (1,))
    g = b.graph(b.op("neg", [b.const("c", [1.0, 2.0])], PW, name="y"))
    out = fold_constants(g)
    verify(out)
    assert out.nodes == [] and out.outputs[0].is_const and out.outputs[0].name == "y"
    np.testing.assert_array_equal(out.outputs[0].data, [-1.0, -2.0])


def test_fold_constants_leaves_fill_and_large_expansions():
    b = GraphBuilder()
    x = b.input("x", (256, 256))
    f = b.op("fill", [], FillAttrs(2.0, (256, 256)), name="f")
    big = b.op("reshape", [b.const("one", [3.0])], ReshapeAttrs((1, 1)), name="one2")
    big = b.op("add", [big, f], BinaryAttrs(), name="big")
    g = b.graph(b.op("mul", [x, big], BinaryAttrs(), name="y"))
    out = fold_constants(g)
    assert ops(out) == ["fill", "add", "mul"]
    assert_same_result(g, out)


# -- fuse_activation ---------------------------------------------------------------------------
def _conv_then(act_op: str, attrs=PW, extra_user: bool = False):
    b = GraphBuilder()
    x = b.input("x", (1, 2, 5, 5))
    c = b.op("conv", [x, b.rand("w", (3, 2, 3, 3)), None], ConvAttrs(kernel=(3, 3)), name="c")
    a = b.op(act_op, [c], attrs, name="y")
    return b.graph(a, c) if extra_user else b.graph(a)


def test_fuse_activation_folds_leaky_relu_with_its_alpha():
    g = _conv_then("leaky_relu", PointwiseAttrs(0.2))
    out = fuse_activation(g)
    verify(out)
    assert ops(out) == ["conv"] and out.nodes[0].attrs.act == Activation("leaky_relu", 0.2, 0.0)
    assert out.nodes[0].outputs[0].name == "y"
    assert_same_result(g, out)


def test_fuse_activation_skips_producer_with_other_users():
    g = _conv_then("relu", extra_user=True)
    assert ops(fuse_activation(g)) == ["conv", "relu"]


def test_fuse_activation_skips_non_activation_pointwise_ops():
    assert ops(fuse_activation(_conv_then("exp"))) == ["conv", "exp"]


def test_fuse_activation_fuses_only_one_activation():
    b = GraphBuilder()
    x = b.input("x", (2, 3))
    s = b.op("sub", [x, b.rand("c", (3,))], BinaryAttrs(), name="s")
    s = b.op("relu", [s], PW, name="r")
    g = b.graph(b.op("tanh", [s], PW, name="y"))
    out = fuse_activation(g)
    assert ops(out) == ["sub", "tanh"] and out.nodes[0].attrs.act.kind == "relu"
    assert_same_result(g, out)


def test_fuse_activation_looks_through_reshape_of_1d_conv():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 1, 9))
    c = b.op("conv", [x, b.rand("w", (3, 2, 1, 3)), None], ConvAttrs(kernel=(1, 3)), name="c")
    c = b.op("reshape", [c], ReshapeAttrs((1, 3, 7)), name="c3")
    g = b.graph(b.op("sigmoid", [c], PW, name="y"))
    out = fuse_activation(g)
    verify(out)
    assert ops(out) == ["conv", "reshape"] and out.nodes[0].attrs.act.kind == "sigmoid"
    assert out.nodes[1].outputs[0].name == "y"
    assert_same_result(g, out)


# -- eliminate_dead_code -----------------------------------------------------------------------
def test_eliminate_dead_code_drops_unreachable_chains_only():
    b = GraphBuilder()
    x = b.input("x", (4,))
    d = b.op("relu", [x], PW, name="dead1")
    b.op("add", [d, x], BinaryAttrs(), name="dead2")
    s = b.op("sigmoid", [x], PW, name="s")
    g = b.graph(b.op("tanh", [s], PW, name="y"), s)
    out = eliminate_dead_code(g)
    verify(out)
    assert ops(out) == ["sigmoid", "tanh"]
    assert count_ops(g, "relu") == 1
