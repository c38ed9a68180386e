"""In-place execution in the memory plan: element-wise ops, reshapes and concats cost no memory."""
import numpy as np
import onnx
from onnx import TensorProto, helper

import edgec
from tests.tflm_yardstick import graph_requests, greedy_by_size


def _model(nodes, inputs, out_shape, inits=()):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def _gemm(name, x, n_out, k):
    w = helper.make_tensor(f"{name}_w", TensorProto.FLOAT, [n_out, k],
                           np.random.default_rng(len(name)).standard_normal(n_out * k).astype(np.float32))
    return helper.make_node("Gemm", [x, f"{name}_w"], [name], transB=1), w


def test_concat_of_dying_inputs_is_done_in_place():
    (a, wa), (b, wb) = _gemm("a", "x", 64, 32), _gemm("b", "x", 64, 32)
    c, wc = _gemm("y", "cat", 8, 128)
    model = _model([a, b, helper.make_node("Concat", ["a", "b"], ["cat"], axis=1), c], [("x", [1, 32])], [1, 8],
                   [wa, wb, wc])
    art = edgec.compile(model)
    src = art.c.files[f"{art.name}.c"]
    assert "ec_concat_f32" not in src and "in place" in src
    # the two 256-byte halves live inside the 512-byte concat output: 512 bytes in all
    assert art.memory()["arena_bytes"] == 512
    assert art.memory()["arena_bytes"] < greedy_by_size(graph_requests(art.c.graph))
    x = np.random.default_rng(1).standard_normal((1, 32)).astype(np.float32)
    from edgec.reference import OnnxReference
    np.testing.assert_allclose(art.run({"x": x})["y"], OnnxReference(model).run({"x": x})["y"], rtol=1e-4, atol=1e-4)


def test_concat_of_an_input_still_read_later_copies():
    (a, wa), (b, wb) = _gemm("a", "x", 16, 8), _gemm("b", "x", 16, 8)
    nodes = [a, b, helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
             helper.make_node("ReduceSum", ["a"], ["s"], keepdims=1),
             helper.make_node("Add", ["cat", "s"], ["y"])]
    model = _model(nodes, [("x", [1, 8])], [1, 32], [wa, wb])
    art = edgec.compile(model)
    assert "ec_concat_f32" in art.c.files[f"{art.name}.c"]
    x = np.random.default_rng(2).standard_normal((1, 8)).astype(np.float32)
    from edgec.reference import OnnxReference
    np.testing.assert_allclose(art.run({"x": x})["y"], OnnxReference(model).run({"x": x})["y"], rtol=1e-4, atol=1e-4)


def test_elementwise_chain_runs_in_place():
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Tanh", ["s"], ["t"]),
             helper.make_node("Exp", ["t"], ["e"]), helper.make_node("Neg", ["e"], ["y"])]
    art = edgec.compile(_model(nodes, [("x", [1, 1000])], [1, 1000]))
    m = art.memory()
    assert m["arena_bytes"] == 4000 and m["arena_bytes_no_reuse"] == 3 * 4000
