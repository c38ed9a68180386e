"""Test helpers shared by the test suite: compile an ONNX model, run the C, compare."""
from __future__ import annotations

import numpy as np
import onnx

import edgec
from edgec.reference import OnnxReference


def check_onnx(model: onnx.ModelProto, feeds: dict[str, np.ndarray], rtol: float = 1e-4,
               atol: float = 1e-5, input_shapes=None) -> dict[str, np.ndarray]:
    """Compiles `model` to C, runs one sample through gcc-built C, asserts it matches onnxruntime.

    Returns the C outputs. Also checks the numpy simulator of the optimised graph agrees.
    """
    from edgec.sim.interpreter import run_graph
    art = edgec.compile(model, input_shapes=input_shapes)
    got = art.run(feeds)
    want = OnnxReference(model).run(feeds)
    sim = run_graph(art.graph, {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind == "f" else v
                                for k, v in feeds.items()})
    for name, ref in want.items():
        np.testing.assert_allclose(got[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"C output '{name}' vs reference")
        np.testing.assert_allclose(sim[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"simulator output '{name}' vs reference")
    return got
