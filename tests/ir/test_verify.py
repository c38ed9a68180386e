"""The verifier accepts well-formed graphs and names the pass and the problem otherwise."""
from __future__ import annotations

import numpy as np
import pytest

from edgec.errors import GraphError
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ir.verify import verify
from edgec.ops.base import Activation
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.passes.pipeline import run_pipeline
from tests.ir.build import GraphBuilder


def _relu_add() -> tuple[Graph, Value, Value]:
    b = GraphBuilder("ok")
    x = b.input("x", (2, 3))
    r = b.op("relu", [x], PointwiseAttrs(), name="r")
    y = b.op("add", [r, b.const("c", np.ones(3))], BinaryAttrs(), name="y")
    return b.graph(y), x, r


def _raises(g: Graph, *words: str, after: str = "somepass") -> None:
    with pytest.raises(GraphError) as e:
        verify(g, after)
    msg = str(e.value)
    assert f"'{after}'" in msg
    for w in words:
        assert w in msg, msg


def test_verify_accepts_well_formed_graph():
    g, _, _ = _relu_add()
    verify(g)
    verify(g, "anything")


def test_verify_rejects_use_before_definition():
    g, _, _ = _relu_add()
    g.nodes.reverse()
    _raises(g, "'r'", "used before it is produced")


def test_verify_rejects_input_never_produced():
    g, _, _ = _relu_add()
    ghost = Value("ghost", TensorType((2, 3)))
    g.nodes[0].inputs = [ghost]
    _raises(g, "'ghost'", "used before it is produced")


def test_verify_rejects_value_produced_twice():
    g, x, r = _relu_add()
    g.nodes.insert(1, Node("sigmoid", [x], [r], PointwiseAttrs(), "again"))
    _raises(g, "'r'", "produced more than once")


def test_verify_rejects_node_overwriting_graph_input():
    g, x, _ = _relu_add()
    g.nodes[0].outputs = [x]
    _raises(g, "'x'", "produced more than once")


def test_verify_rejects_unknown_op():
    g, _, _ = _relu_add()
    g.nodes[0].op = "frobnicate"
    _raises(g, "'frobnicate'", "not registered")


def test_verify_rejects_output_type_that_disagrees_with_shape_rule():
    g, x, _ = _relu_add()
    g.nodes[0].outputs = [Value("r", TensorType((3, 2)))]
    g.nodes[1].inputs[0] = g.nodes[0].outputs[0]
    _raises(g, "shape rule gives", "float32[2x3]")


def test_verify_rejects_output_dtype_that_disagrees_with_shape_rule():
    g, x, _ = _relu_add()
    bad = Value("r", TensorType((2, 3), DType.I32))
    g.nodes[0].outputs = [bad]
    g.nodes[1].inputs[0] = bad
    _raises(g, "'r'", "int32")


def test_verify_rejects_inputs_the_shape_rule_refuses():
    g, _, _ = _relu_add()
    g.nodes[1].inputs[1] = Value("c", TensorType((4,)), np.ones(4, np.float32))
    _raises(g, "shape rule rejects")


def test_verify_rejects_unproduced_graph_output():
    g, _, _ = _relu_add()
    g.outputs = [Value("nowhere", TensorType((2, 3)))]
    _raises(g, "graph output 'nowhere'")


def test_verify_rejects_constant_with_wrong_data_shape():
    g, _, _ = _relu_add()
    g.nodes[1].inputs[1] = Value("c", TensorType((3,)), np.ones((1, 3), np.float32))
    _raises(g, "constant 'c'", "shape")


def test_verify_rejects_constant_with_wrong_data_dtype():
    g, _, _ = _relu_add()
    g.nodes[1].inputs[1] = Value("c", TensorType((3,)), np.ones(3, np.float64))
    _raises(g, "constant 'c'", "float64")


def test_verify_rejects_constant_graph_input():
    g, x, _ = _relu_add()
    g.inputs = [Value("x", x.type, np.zeros((2, 3), np.float32))]
    _raises(g, "graph input 'x'", "constant")


def test_verify_rejects_fused_activation_that_is_not_an_activation():
    g, _, _ = _relu_add()
    g.nodes[1].attrs = BinaryAttrs(act=Activation("exp"))
    _raises(g, "'exp'", "not an activation")


def test_verify_message_without_pass_name_has_no_pass_clause():
    g, _, _ = _relu_add()
    g.nodes[0].op = "frobnicate"
    with pytest.raises(GraphError) as e:
        verify(g)
    assert "after pass" not in str(e.value)


def test_pipeline_names_the_pass_that_broke_the_graph():
    g, _, _ = _relu_add()

    def breaks_order(h: Graph) -> Graph:
        h = h.copy()
        h.nodes.reverse()
        return h

    passes = [("fine", lambda h: h.copy()), ("breaks_order", breaks_order), ("never", lambda h: h)]
    with pytest.raises(GraphError, match="after pass 'breaks_order'"):
        run_pipeline(g, passes=passes)


def test_pipeline_reports_malformed_input_as_input():
    g, _, _ = _relu_add()
    g.nodes[0].op = "frobnicate"
    with pytest.raises(GraphError, match="after pass 'input'"):
        run_pipeline(g)
