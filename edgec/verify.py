"""`edgec verify`: compile, build with gcc, run the data through the C, compare with float."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from edgec.artifact import Artifact
from edgec.data import load_inputs, samples
from edgec.errors import DataError
from edgec.reference import OnnxReference
from edgec.report import compare_output


def verify_artifact(art: Artifact, reference_model: Any, batches: dict[str, np.ndarray],
                    rtol: float = 1e-3, atol: float = 1e-4) -> dict:
    """Runs every sample through the C and the reference; returns the JSON-ready report."""
    ref = OnnxReference(reference_model)
    t0 = time.perf_counter()
    model = art.build()
    build_s = time.perf_counter() - t0
    got: dict[str, list[np.ndarray]] = {p.name: [] for p in model.sig.outputs}
    want: dict[str, list[np.ndarray]] = {p.name: [] for p in model.sig.outputs}
    c_seconds = 0.0
    for feed in samples(batches):
        t = time.perf_counter()
        out = model.run(feed)
        c_seconds += time.perf_counter() - t
        r = ref.run(feed)
        for k in got:
            got[k].append(out[k])
            want[k].append(r[k])
    n = next(iter(batches.values())).shape[0] if batches else 0
    if n == 0:
        raise DataError("the data file holds no samples")
    outputs = {k: compare_output(np.stack(want[k]), np.stack(got[k]), rtol, atol) for k in got}
    return {
        "model": art.model_path, "name": art.name, "reference": ref.engine, "samples": n,
        "tolerance": {"rtol": rtol, "atol": atol},
        "outputs": outputs, "memory": art.memory(), "macs": art.macs,
        "timing": {"build_s": round(build_s, 3), "c_us_per_inference": round(1e6 * c_seconds / n, 1)},
        "passed": all(o["within_tolerance"] for o in outputs.values()),
    }


def verify(model: Any, data_path: str, input_shapes=None, name=None, rtol=1e-3, atol=1e-4) -> tuple[Artifact, dict]:
    import edgec
    art = edgec.compile(model, input_shapes=input_shapes, name=name)
    batches = load_inputs(data_path, [(v.name, v.shape) for v in art.source_graph.inputs])
    return art, verify_artifact(art, model, batches, rtol, atol)
