"""int8 vs float on the bundled example models, beside onnxruntime measured in the same run.

Prints, per example: top-1 on the digits test split (float reference, edgec int8), weights and
arena bytes (int8 vs float C), and latency per inference of edgec's int8 and float C (gcc -O2,
called through cffi) beside onnxruntime's float session and its int8 (QDQ, quantize_static with
the same calibration data) session, one thread each. Host numbers are for information; speed
goals are set on the microcontroller.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

import edgec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, time_per_call  # noqa: E402

ROOT = Path(__file__).resolve().parents[1] / "examples"


class _Reader(CalibrationDataReader):
    def __init__(self, xs):
        self.it = iter([{"image": x} for x in xs])

    def get_next(self):
        return next(self.it, None)


def _session(path: str) -> ort.InferenceSession:
    o = ort.SessionOptions()
    o.intra_op_num_threads = o.inter_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def bench_example(name: str) -> list[str]:
    d = ROOT / name
    model = str(d / f"digits_{name}.onnx")
    calib = np.load(d / "digits_calib.npz")["image"]
    test = np.load(d / "digits_test.npz")
    xs, labels = test["image"], test["labels"]
    f32 = edgec.compile(model)
    i8 = edgec.compile(model, quant="int8", calib=[{"image": x} for x in calib])
    m8, mf = i8.build(), f32.build()
    q_inputs = [i8.quantize_inputs({"image": x})["image"] for x in xs]
    pred_i8 = [np.argmax(i8.dequantize_outputs(m8.run({"image": q}))["logits"]) for q in q_inputs]
    pred_f = [np.argmax(mf.run({"image": x})["logits"]) for x in xs]
    with tempfile.TemporaryDirectory() as tmp:
        qdq = str(Path(tmp) / "qdq.onnx")
        quantize_static(model, qdq, _Reader(calib), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        s_f, s_q = _session(model), _session(qdq)
        pred_ort_q = [np.argmax(s_q.run(None, {"image": x})[0]) for x in xs]
        x0 = xs[0]
        t_ort_f = time_per_call(lambda: s_f.run(None, {"image": x0}))
        t_ort_q = time_per_call(lambda: s_q.run(None, {"image": x0}))
    t_i8 = time_per_call(lambda: m8.run({"image": q_inputs[0]}))
    t_f = time_per_call(lambda: mf.run({"image": x0}))
    acc = lambda p: f"{100 * np.mean(np.array(p) == labels):.2f}%"
    mi, mfm = i8.memory(), f32.memory()
    return [name, acc(pred_f), acc(pred_i8), acc(pred_ort_q), f"{mi['weights_bytes']} / {mfm['weights_bytes']}",
            f"{mi['arena_bytes']} / {mfm['arena_bytes']}", f"{1e6 * t_i8:.1f}", f"{1e6 * t_f:.1f}",
            f"{1e6 * t_ort_q:.1f}", f"{1e6 * t_ort_f:.1f}", f"{t_ort_q / t_i8:.1f}x"]


def main() -> None:
    rows = [bench_example(n) for n in ("cnn", "mlp")]
    print_table("int8 vs float: bundled digits examples (host, gcc -O2, 1 thread)",
                ["model", "top-1 float", "top-1 edgec int8", "top-1 ORT int8", "weights B int8/float",
                 "arena B int8/float", "edgec int8 us", "edgec float us", "ORT int8 us", "ORT float us",
                 "ORT int8 / edgec int8"], rows)


if __name__ == "__main__":
    main()
