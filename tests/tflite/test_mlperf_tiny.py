"""The four MLPerf Tiny int8 models compile from their .tflite files and edgec's C gives TFLM's
outputs element for element on random int8 inputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tflite_micro.python.tflite_micro import runtime

import edgec

MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "mlperf_tiny"
NAMES = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]


@pytest.mark.parametrize("name", NAMES)
def test_mlperf_tiny_model_is_bit_exact_with_tflm(name):
    path = MODELS / f"{name}.tflite"
    assert path.exists(), f"{path} is missing (CI keeps shared/ beside the clone)"
    art = edgec.compile(str(path))
    assert art.quant == "int8" and not art.float_islands
    x, y = art.graph.inputs[0], art.graph.outputs[0]
    tflm = runtime.Interpreter.from_file(str(path))
    rng = np.random.default_rng(5)
    for k in range(4):
        feed = rng.integers(-128, 128, x.shape).astype(np.int8)
        tflm.set_input(feed, 0)
        tflm.invoke()
        want = np.asarray(tflm.get_output(0))
        got = art.run({x.name: feed})[y.name].reshape(want.shape)
        diff = got.astype(np.int32) - want.astype(np.int32)
        assert not diff.any(), f"{name} input {k}: {np.count_nonzero(diff)} of {diff.size} outputs differ"
