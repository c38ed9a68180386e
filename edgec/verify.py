"""`edgec verify`: compile, build with gcc, run the data through the C, compare with float.

Float models are compared with the float reference element by element (rtol/atol). int8 models
report the float-vs-int8 error, accuracy against labels, and whether the C is bit-exact with
edgec's integer simulator; they pass when bit-exact and every output's SQNR >= min_sqnr_db.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from edgec.artifact import Artifact
from edgec.data import load_inputs, load_labels, samples
from edgec.errors import DataError
from edgec.reference import OnnxReference
from edgec.report import compare_output, per_layer_sqnr, top1_accuracy


def _run_all(art: Artifact, ref: OnnxReference, batches: dict[str, np.ndarray], simulate: bool):
    """C outputs (float or dequantized), reference outputs, bit-exactness, C seconds."""
    model = art.build()
    names = [p.name for p in model.sig.outputs]
    got = {k: [] for k in names}
    want = {k: [] for k in names}
    bit_exact, c_seconds = True, 0.0
    for feed in samples(batches):
        q = art.quantize_inputs(feed)
        t = time.perf_counter()
        out = model.run(q)
        c_seconds += time.perf_counter() - t
        if simulate:
            sim = art.simulate(q)
            bit_exact &= all(np.array_equal(out[k], sim[k].reshape(out[k].shape)) for k in names)
        out = art.dequantize_outputs(out)
        r = ref.run(feed)
        for k in names:
            got[k].append(out[k])
            want[k].append(_as_c_output(art, r[k]))
    return {k: np.stack(v) for k, v in got.items()}, {k: np.stack(v) for k, v in want.items()}, bit_exact, c_seconds


def _as_c_output(art: Artifact, ref: Any) -> np.ndarray:
    """An ONNX-ML reference output in the C's form: ZipMap's [{class: p}] -> [p...], string
    labels -> the class indices the C returns."""
    if isinstance(ref, np.ndarray) and ref.dtype == object and ref.size and isinstance(ref.flat[0], dict):
        return np.asarray([list(d.values()) for d in ref.reshape(-1)], np.float32)
    names = getattr(art.sklearn, "class_names", None)
    if names is not None and isinstance(ref, np.ndarray) and ref.dtype.kind in "OU":
        index = {n: i for i, n in enumerate(names)}
        return np.asarray([index.get(str(s), -1) for s in ref.reshape(-1)], np.int32).reshape(ref.shape)
    return ref


def verify_artifact(art: Artifact, reference_model: Any, batches: dict[str, np.ndarray],
                    rtol: float = 1e-3, atol: float = 1e-4, labels: np.ndarray | None = None,
                    per_layer: bool = False, min_sqnr_db: float = 15.0) -> dict:
    """Runs every sample through the C and the reference; returns the JSON-ready report."""
    n = next(iter(batches.values())).shape[0] if batches else 0
    if n == 0:
        raise DataError("the data file holds no samples")
    ref = OnnxReference(reference_model)
    t0 = time.perf_counter()
    art.build()
    build_s = time.perf_counter() - t0
    int8 = art.quant == "int8"
    got, want, bit_exact, c_seconds = _run_all(art, ref, batches, simulate=int8)
    outputs = {k: compare_output(want[k], got[k], rtol, atol) for k in got}
    report = {
        "model": art.model_path, "name": art.name, "quant": art.quant, "reference": ref.engine, "samples": n,
        "outputs": outputs, "memory": art.memory(), "macs": art.macs,
        "timing": {"build_s": round(build_s, 3), "c_us_per_inference": round(1e6 * c_seconds / n, 1)},
    }
    if labels is not None:
        if len(labels) != n:
            raise DataError(f"{len(labels)} labels for {n} samples")
        first = next(iter(got))
        report["accuracy"] = top1_accuracy(want[first], got[first], labels)
    if int8:
        for o in outputs.values():
            o["within_tolerance"] = o["sqnr_db"] >= min_sqnr_db
        report["bit_exact_vs_simulator"] = bool(bit_exact)
        report["float_islands"] = list(art.float_islands)
        report["min_sqnr_db"] = min_sqnr_db
        # float islands compute in float32, where C and numpy may round differently: bit-exactness
        # is promised (and required) for the integer-only path
        exact_ok = bool(bit_exact) or bool(art.float_islands)
        report["passed"] = exact_ok and all(o["within_tolerance"] for o in outputs.values())
    else:
        report["tolerance"] = {"rtol": rtol, "atol": atol}
        report["passed"] = all(o["within_tolerance"] for o in outputs.values())
    if per_layer:
        report["per_layer"] = per_layer_sqnr(art, batches)
    return report


def verify(model: Any, data_path: str, input_shapes=None, name=None, rtol=1e-3, atol=1e-4, quant: str = "float",
           calib: Any = None, labels: bool = False, per_layer: bool = False, float_ops: bool = False,
           min_sqnr_db: float = 15.0) -> tuple[Artifact, dict]:
    import edgec
    art = edgec.compile(model, input_shapes=input_shapes, name=name, quant=quant, calib=calib, float_ops=float_ops)
    batches = load_inputs(data_path, [(v.name, v.shape) for v in art.source_graph.inputs])
    label_array = None
    if labels:
        label_array = load_labels(data_path)
        if label_array is None:
            raise DataError(f"{data_path}: --labels needs an array named 'labels' in the data file")
    return art, verify_artifact(art, model, batches, rtol, atol, label_array, per_layer, min_sqnr_db)
