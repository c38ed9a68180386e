"""The nine `light_*` model-zoo architectures shipped in the onnx wheel.

Their weights are ConstantOfShape fills, so the C fills them at run time. Each model must match
onnxruntime on a random input within rtol=1e-3, and its arena must be no larger than TensorFlow
Lite Micro's greedy-by-size planner gives for the same tensor lifetimes.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

import edgec
from edgec.reference import OnnxReference
from tests.e2e.onnx_cases import DATA
from tests.tflm_yardstick import graph_requests, greedy_by_size

LIGHT = sorted((DATA / "light").glob("light_*.onnx"))


def test_all_nine_light_models_present():
    assert len(LIGHT) == 9


@pytest.mark.parametrize("path", LIGHT, ids=[p.stem for p in LIGHT])
def test_light_model_matches_onnxruntime(path):
    model = onnx.load(str(path))
    art = edgec.compile(model)
    rng = np.random.default_rng(0)
    feeds = {v.name: rng.standard_normal(v.shape).astype(np.float32) for v in art.source_graph.inputs}
    got = art.run(feeds)
    want = OnnxReference(model).run(feeds)
    for name, ref in want.items():
        np.testing.assert_allclose(got[name], ref.reshape(got[name].shape), rtol=1e-3, atol=1e-6)
    yardstick = greedy_by_size(graph_requests(art.c.graph))
    assert art.c.memory.arena_bytes <= yardstick
