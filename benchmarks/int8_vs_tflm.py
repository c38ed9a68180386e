"""edgec int8 vs TensorFlow Lite Micro on the bundled example models, measured in the same run.

Each example is compiled to int8 by edgec, its int8 graph is written as a .tflite with edgec's
quantization parameters (tests/tflm/tflite_writer.py) and run by TFLM's Python interpreter
(reference kernels). Prints, per example: whether edgec's C equals TFLM on every test image,
edgec's arena (intermediate tensors; the caller owns input and output buffers) beside TFLM's
(planned tensors including input and output, plus TFLM's bookkeeping), weights beside the
.tflite size, and host latency per inference (edgec C at gcc -O2 through cffi; TFLM through its
Python binding). Host numbers are for information; memory is what the microcontroller cares about.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import edgec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import print_table, time_per_call  # noqa: E402
from tests.tflm.tflite_writer import write_tflite  # noqa: E402
from tests.tflm.tflm_run import TflmModel  # noqa: E402

ROOT = HERE.parent / "examples"


def _same(c: np.ndarray, t: np.ndarray) -> bool:
    return c.size == t.size and np.array_equal(c, t.reshape(c.shape))


def bench_example(name: str) -> list[str]:
    d = ROOT / name
    art = edgec.compile(str(d / f"digits_{name}.onnx"), quant="int8", calib=str(d / "digits_calib.npz"))
    data = write_tflite(art.graph)
    tflm = TflmModel(data, len(art.graph.outputs))
    out = art.graph.outputs[0].name
    feeds = [art.quantize_inputs({"image": x})["image"] for x in np.load(d / "digits_test.npz")["image"]]
    mismatched = sum(not _same(art.run({"image": q})[out], tflm.run([q])[0]) for q in feeds)
    arena, mem = tflm.arena(), art.memory()
    io = sum(v.type.nbytes for v in art.graph.inputs + art.graph.outputs)
    model = art.build()
    t_c = time_per_call(lambda: model.run({"image": feeds[0]}))
    t_tflm = time_per_call(lambda: tflm.run([feeds[0]]))
    exact = "yes" if mismatched == 0 else f"NO ({mismatched} images differ)"
    return [name, f"{len(feeds)}", exact, f"{mem['arena_bytes']} (+{io} IO)", f"{arena.total}",
            f"{arena.head} + {arena.tail}", f"{mem['weights_bytes']} / {len(data)}", f"{1e6 * t_c:.1f}",
            f"{1e6 * t_tflm:.1f}"]


def main() -> None:
    rows = [bench_example(n) for n in ("cnn", "mlp")]
    print_table("int8: edgec vs TensorFlow Lite Micro (same quantization parameters, host)",
                ["model", "test images", "bit-exact", "edgec arena B", "TFLM arena B",
                 "TFLM tensors + bookkeeping B", "edgec weights B / .tflite B", "edgec int8 us", "TFLM us"], rows)


if __name__ == "__main__":
    main()
