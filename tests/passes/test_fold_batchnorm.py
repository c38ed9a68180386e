"""fold_batchnorm: per-channel mul/add after conv or gemm end up in the weights and bias."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edgec.ir.verify import verify
from edgec.ops.base import Activation
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.matmul import GemmAttrs
from edgec.ops.movement import ReshapeAttrs
from edgec.passes.fold_batchnorm import fold_batchnorm
from edgec.passes.to_channels_last import to_channels_last
from tests.ir.build import GraphBuilder, assert_same_result, ops

BIN = BinaryAttrs()


def _conv(b: GraphBuilder, x, oc: int = 4, bias: bool = True, group: int = 1, act=None):
    ic = x.shape[1]
    w = b.rand("w", (oc, ic // group, 3, 3))
    attrs = ConvAttrs(kernel=(3, 3), pads=(1, 1, 1, 1), group=group, act=act)
    return b.op("conv", [x, w, b.rand("b", (oc,)) if bias else None], attrs, name="conv")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 1, 1), (1, 4, 1, 1), (1,), ()])
def test_conv_mul_add_folds_into_conv(bias, shape):
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)), bias=bias)
    c = b.op("mul", [c, b.rand("s", shape, 0.5, 2.0)], BIN, name="scale")
    g = b.graph(b.op("add", [b.rand("t", shape), c], BIN, name="y"))   # constant on the left
    out = fold_batchnorm(g)
    verify(out)
    assert ops(out) == ["conv"] and out.nodes[0].outputs[0].name == "y"
    assert out.nodes[0].inputs[2] is not None
    assert_same_result(g, out)


@pytest.mark.parametrize("op", ["mul", "div", "add", "sub"])
def test_single_scale_or_shift_folds(op):
    b = GraphBuilder()
    c = _conv(b, b.input("x", (2, 4, 4, 4)), group=2)
    g = b.graph(b.op(op, [c, b.rand("k", (4, 1, 1), 0.5, 2.0)], BIN, name="y"))
    out = fold_batchnorm(g)
    assert ops(out) == ["conv"]
    assert_same_result(g, out)


def test_depthwise_conv_folds():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 4, 5, 5)), oc=4, group=4)
    g = b.graph(b.op("mul", [c, b.rand("s", (4, 1, 1))], BIN, name="y"))
    out = fold_batchnorm(g)
    assert ops(out) == ["conv"]
    assert_same_result(g, out)


def test_channels_last_conv_folds_on_last_axis():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    g = to_channels_last(b.graph(c))
    conv = next(n for n in g.nodes if n.op == "conv")
    y = conv.outputs[0]
    b2 = GraphBuilder()
    scaled = b2.op("mul", [y, b2.rand("s", (4,), 0.5, 2.0)], BIN, name="scaled")
    g.nodes = [n for n in g.nodes if n.inputs[0] is not y] + b2.nodes
    g.outputs = [scaled]
    verify(g)
    out = fold_batchnorm(g)
    assert "mul" not in ops(out)
    assert_same_result(g, out)


def test_gemm_batchnorm_folds_into_gemm():
    b = GraphBuilder()
    x = b.input("x", (3, 5))
    y = b.op("gemm", [x, b.rand("w", (4, 5)), b.rand("b", (4,))], GemmAttrs(), name="fc")
    y = b.op("mul", [y, b.rand("s", (4,), 0.5, 2.0)], BIN, name="scale")
    g = b.graph(b.op("add", [y, b.rand("t", (4,))], BIN, name="y"))
    out = fold_batchnorm(g)
    assert ops(out) == ["gemm"]
    assert_same_result(g, out)


def test_gemm_without_bias_gets_one_from_add():
    b = GraphBuilder()
    y = b.op("gemm", [b.input("x", (2, 5)), b.rand("w", (4, 5))], GemmAttrs(), name="fc")
    g = b.graph(b.op("add", [y, b.rand("t", (1, 4))], BIN, name="y"))
    out = fold_batchnorm(g)
    assert ops(out) == ["gemm"] and len(out.nodes[0].inputs) == 3
    assert_same_result(g, out)


def test_folds_through_reshape_of_1d_conv():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 1, 9))
    c = b.op("conv", [x, b.rand("w", (3, 2, 1, 3)), None], ConvAttrs(kernel=(1, 3)), name="c")
    c = b.op("reshape", [c], ReshapeAttrs((1, 3, 7)), name="c3")
    c = b.op("mul", [c, b.rand("s", (3, 1))], BIN, name="scale")
    g = b.graph(b.op("add", [c, b.rand("t", (3, 1))], BIN, name="y"))
    out = fold_batchnorm(g)
    verify(out)
    assert ops(out) == ["conv", "reshape"] and out.nodes[1].outputs[0].name == "y"
    assert_same_result(g, out)


def test_mul_activation_moves_to_conv():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    g = b.graph(b.op("mul", [c, b.rand("s", (4, 1, 1))], BinaryAttrs(Activation("relu")), name="y"))
    out = fold_batchnorm(g)
    assert ops(out) == ["conv"] and out.nodes[0].attrs.act == Activation("relu")
    assert_same_result(g, out)


def _not_folded(g):
    out = fold_batchnorm(g)
    assert ops(out) == ops(g)
    assert_same_result(g, out)


def test_no_fold_when_conv_output_has_another_user():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    _not_folded(b.graph(b.op("mul", [c, b.rand("s", (4, 1, 1))], BIN, name="y"), c))


def test_no_fold_when_constant_varies_along_space():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    _not_folded(b.graph(b.op("mul", [c, b.rand("s", (5, 1))], BIN, name="y")))


def test_no_fold_when_constant_broadcasts_the_output_up():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    _not_folded(b.graph(b.op("add", [c, b.rand("t", (2, 4, 1, 1))], BIN, name="y")))


def test_no_fold_after_fused_activation():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)), act=Activation("relu"))
    _not_folded(b.graph(b.op("mul", [c, b.rand("s", (4, 1, 1))], BIN, name="y")))


def test_no_fold_of_constant_minus_conv():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)))
    _not_folded(b.graph(b.op("sub", [b.rand("t", (4, 1, 1)), c], BIN, name="y")))


def test_no_fold_into_non_producer_ops():
    b = GraphBuilder()
    r = b.op("relu", [b.input("x", (1, 4, 2, 2))], PointwiseAttrs(), name="r")
    _not_folded(b.graph(b.op("mul", [r, b.rand("s", (4, 1, 1))], BIN, name="y")))


def test_shared_weight_is_not_changed_for_the_other_conv():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 5, 5))
    w = b.rand("w", (4, 3, 3, 3))
    attrs = ConvAttrs(kernel=(3, 3))
    c1 = b.op("conv", [x, w, None], attrs, name="c1")
    c2 = b.op("conv", [x, w, None], dataclasses.replace(attrs, pads=(1, 1, 1, 1)), name="c2")
    g = b.graph(b.op("mul", [c1, b.rand("s", (4, 1, 1))], BIN, name="y"), c2)
    data = w.data.copy()
    out = fold_batchnorm(g)
    assert ops(out) == ["conv", "conv"] and out.nodes[1].inputs[1] is w
    np.testing.assert_array_equal(w.data, data)
    assert_same_result(g, out)
