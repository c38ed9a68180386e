"""Helpers for op tests: one-node ONNX models, run by onnxruntime and by edgec's float refs."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from edgec.frontend.onnx_loader import import_onnx
from edgec.sim.interpreter import run_graph


def single_node_model(op_type: str, inputs: dict[str, tuple[int, ...] | np.ndarray], n_outputs: int = 1,
                      opset: int = 19, **attrs) -> onnx.ModelProto:
    """A model with one node; array-valued inputs become initializers, shapes become graph inputs.

    An input named "" is an omitted optional input.
    """
    graph_inputs, inits = [], []
    for name, spec in inputs.items():
        if not name:
            continue
        if isinstance(spec, np.ndarray):
            inits.append(numpy_helper.from_array(spec, name))
        else:
            graph_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(spec)))
    outs = [f"y{k}" for k in range(n_outputs)]
    node = helper.make_node(op_type, list(inputs), outs, **attrs)
    graph = helper.make_graph([node], "g", graph_inputs,
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return model


def random_feeds(model: onnx.ModelProto, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {}
    for vi in model.graph.input:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def run_ort(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def run_edgec_ref(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    g = import_onnx(model)
    res = run_graph(g, feeds)
    return [res[v.name] for v in g.outputs]


def assert_ref_matches_ort(model: onnx.ModelProto, feeds: dict[str, np.ndarray] | None = None,
                           rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """edgec's float refs equal onnxruntime on `feeds` (random normal data by default)."""
    feeds = feeds if feeds is not None else random_feeds(model)
    want, got = run_ort(model, feeds), run_edgec_ref(model, feeds)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert w.shape == g.shape, (w.shape, g.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def check_c(model: onnx.ModelProto, feeds: dict[str, np.ndarray] | None = None, **tol) -> None:
    """The compiled C equals onnxruntime."""
    from edgec.testing import check_onnx
    check_onnx(model, feeds if feeds is not None else random_feeds(model), **tol)


def onnx_node_case(module: str, name: str):
    """(model, feeds, expected outputs) of a node test case shipped as code in the onnx wheel.

    Importing onnx.backend.test.case.node.<module> runs its export functions, which record the
    cases in that package's list (so each module is computed once per process).
    """
    import importlib

    import pytest
    cases = importlib.import_module("onnx.backend.test.case.node")
    importlib.import_module(f"onnx.backend.test.case.node.{module}")
    found = [c for c in cases._NodeTestCases if c.name == name]
    if not found:
        pytest.fail(f"onnx has no node test case {name} in {module}")
    model, (inputs, outputs) = found[0].model, found[0].data_sets[0]
    names = [vi.name for vi in model.graph.input]
    return model, dict(zip(names, inputs)), list(outputs)


def check_onnx_node_case(module: str, name: str, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """The compiled C of one of onnx's node test cases reproduces the case's expected outputs."""
    import edgec
    model, feeds, expected = onnx_node_case(module, name)
    got = edgec.compile(model).run(feeds)
    for vi, want in zip(model.graph.output, expected):
        np.testing.assert_allclose(got[vi.name], want.astype(np.float32).reshape(got[vi.name].shape),
                                   rtol=rtol, atol=atol, err_msg=f"{name}: output {vi.name}")


def node_cases(op_types) -> list:
    """onnx's own single-node conformance cases for the given op types."""
    from onnx.backend.test.case.node import collect_testcases
    with np.errstate(all="ignore"):
        cases = collect_testcases()
    return [c for c in cases if len(c.model.graph.node) == 1 and c.model.graph.node[0].op_type in op_types
            and "expanded" not in c.name]


def with_constant_inputs(case):
    """A case's model with every input but the first as an initializer; its feeds and outputs."""
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    g = m.graph
    for vi, arr in list(zip(g.input, inputs))[1:]:
        g.initializer.append(numpy_helper.from_array(np.asarray(arr), vi.name))
    keep = g.input[0]
    del g.input[:]
    g.input.append(keep)
    return m, {keep.name: np.asarray(inputs[0])}, [np.asarray(o) for o in outputs]
