"""ONNX front end: local functions are inlined, old and newest opsets import, shapes are static."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edgec.errors import ShapeError
from edgec.frontend.onnx_loader import import_onnx
from edgec.testing import check_onnx


def test_local_function_is_inlined():
    fn = helper.make_function("local", "Swishish", ["x"], ["y"],
                              [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])],
                              [helper.make_opsetid("", 18)])
    g = helper.make_graph([helper.make_node("Swishish", ["a"], ["b"], domain="local", name="f")], "g",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 5])],
                          [helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 5])])
    model = helper.make_model(g, functions=[fn], opset_imports=[helper.make_opsetid("", 18),
                                                                 helper.make_opsetid("local", 1)])
    graph = import_onnx(model)
    assert sorted(n.op for n in graph.nodes) == ["mul", "sigmoid"]
    check_onnx(model, {"a": np.linspace(-3, 3, 10, dtype=np.float32).reshape(2, 5)})


def test_newest_opset_model_imports():
    newest = onnx.defs.onnx_opset_version()
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    nodes = [helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=1),
             helper.make_node("Sub", ["x", "m"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])], [axes])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", newest)])
    model.ir_version = min(model.ir_version, onnx.IR_VERSION)
    check_onnx(model, {"x": np.arange(12, dtype=np.float32).reshape(3, 4)})


def test_opset6_model_is_converted():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Softmax", ["r"], ["y"], axis=1)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 6)])
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    from edgec.reference import OnnxReference
    import edgec
    got = edgec.compile(model).run({"x": x})["y"]
    # opset-6 Softmax flattens to 2-D at `axis`: softmax over the last 12 values of each batch row
    r = np.maximum(x, 0).reshape(2, 12)
    want = np.exp(r - r.max(1, keepdims=True))
    want = (want / want.sum(1, keepdims=True)).reshape(2, 3, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert OnnxReference  # the reference runtime refuses opset-6 Softmax; numpy is the oracle here


def test_input_shape_option_fixes_symbolic_dims():
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(ShapeError, match="batch"):
        import_onnx(model)
    assert import_onnx(model, {"x": (4, 3)}).inputs[0].shape == (4, 3)
