"""The float reference a compiled model is checked against: onnxruntime when installed,
otherwise onnx's own ReferenceEvaluator."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper

from edgec.errors import ModelLoadError


def _input_dtypes(model: onnx.ModelProto) -> dict[str, np.dtype]:
    inits = {t.name for t in model.graph.initializer}
    return {vi.name: helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
            for vi in model.graph.input if vi.name not in inits}


class OnnxReference:
    """Runs one ONNX model sample by sample; feeds are cast to the model's declared dtypes."""

    def __init__(self, model: Any):
        self.model = onnx.load(str(model)) if not isinstance(model, onnx.ModelProto) else model
        self.dtypes = _input_dtypes(self.model)
        self.output_names = [o.name for o in self.model.graph.output]
        try:
            import onnxruntime as ort
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 3
            self._sess = ort.InferenceSession(self.model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
            self.engine = f"onnxruntime {ort.__version__}"
        except ImportError:
            from onnx.reference import ReferenceEvaluator
            self._sess = ReferenceEvaluator(self.model)
            self.engine = "onnx.reference"
        except Exception as e:
            raise ModelLoadError(f"the reference runtime cannot load this model: {str(e)[:200]}") from None

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cast = {k: np.asarray(v).astype(self.dtypes.get(k, np.float32)) for k, v in feeds.items()}
        outs = self._sess.run(None, cast)
        return {n: np.asarray(o) for n, o in zip(self.output_names, outs)}
