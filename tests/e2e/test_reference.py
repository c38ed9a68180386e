"""The float reference falls back to onnx's ReferenceEvaluator when onnxruntime is missing."""
import sys
from pathlib import Path

import numpy as np

from edgec.reference import OnnxReference

MLP = Path(__file__).resolve().parents[2] / "examples" / "mlp" / "digits_mlp.onnx"


def test_reference_without_onnxruntime_uses_onnx_reference(monkeypatch):
    x = np.load(MLP.parent / "digits_test.npz")["image"][0]
    with_ort = OnnxReference(str(MLP))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)   # import onnxruntime -> ImportError
    fallback = OnnxReference(str(MLP))
    assert with_ort.engine.startswith("onnxruntime")
    assert fallback.engine == "onnx.reference"
    np.testing.assert_allclose(fallback.run({"image": x})["logits"], with_ort.run({"image": x})["logits"], rtol=1e-5,
                               atol=1e-5)
