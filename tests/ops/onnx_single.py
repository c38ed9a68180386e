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
    """The compiled C equals onnxruntime (skips while the C back end's pipeline is missing)."""
    import pytest
    testing = pytest.importorskip("edgec.testing")
    try:
        import edgec.passes.pipeline  # noqa: F401
    except ImportError:
        pytest.skip("C back end pipeline not available yet")
    testing.check_onnx(model, feeds if feeds is not None else random_feeds(model), **tol)
