"""Instructions per inference on emulated Cortex-M cores (QEMU + edgec's counting plugin).

For each int8 example model and each MLPerf Tiny reference model (../shared/models/mlperf_tiny,
through the TFLite front end): MACs, instructions per inference of the portable C and of the
cmsis target on M0+ (run on mps2-an385), M4, M7 and M55 (and the M55's DSP path, the Helium
path's baseline), the cmsis-w16 variant on the M4 (convolution weights pre-widened to int16:
faster, more flash), MACs per instruction, the M4 flash and RAM of each (`edgec size`), and
on how many cores the outputs equal the integer simulator's (itself bit-exact with TFLite Micro). The cmsis columns read n/a until `edgec.compile(..., target=)`
exists. One inference per model and core on a fixed input (counts vary by well under 1% with
the data). Instructions are a proxy for cycles: the measurement, not an assertion.
"""
from __future__ import annotations

import inspect
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import edgec  # noqa: E402  (this checkout's edgec)
import edgec.compiler  # noqa: E402
from common import print_table  # noqa: E402
from edgec.cortexm.run import run_artifact  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MLPERF = ROOT.parent / "shared" / "models" / "mlperf_tiny"
CPUS = ["cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m55"]
M55_DSP = "cortex-m55+nomve"   # the cmsis kernels' DSP path on the M55: the Helium path's baseline
SHORT = {"cortex-m0plus": "M0+", "cortex-m4": "M4", "cortex-m7": "M7", "cortex-m55": "M55"}


def has_cmsis() -> bool:
    """True once the cmsis target exists (edgec.compile takes target=)."""
    return "target" in inspect.signature(edgec.compiler.compile).parameters


def models() -> list[tuple[str, dict]]:
    """(label, edgec.compile keyword arguments) of every model benchmarked."""
    out = []
    for ex in ("cnn", "mlp"):
        d = ROOT / "examples" / ex
        out.append((f"digits_{ex}", dict(model=str(d / f"digits_{ex}.onnx"), quant="int8", calib=str(d / "digits_calib.npz"))))
    for name in ("ad01_int8", "kws_ref_model", "pretrainedResnet_quant", "vww_96_int8"):
        path = MLPERF / f"{name}.tflite"
        if path.is_file():
            out.append((name, dict(model=str(path))))
    return out


def sample(art) -> dict[str, np.ndarray]:
    """One fixed pseudo-random input sample per model input, in the model's own dtype."""
    rng = np.random.default_rng(0)
    feeds = {}
    for v in art.graph.inputs:
        dt = np.dtype(v.type.dtype.value)
        x = rng.integers(-128, 128, size=v.shape) if dt.kind == "i" else rng.standard_normal(v.shape)
        feeds[v.name] = x.astype(dt)[None]
    return feeds


def measure(kwargs: dict, target: str | None, cpus: list[str] = CPUS) -> tuple[int, dict[str, int], dict, int]:
    """MACs, instructions per core, the M4 size report, and on how many cores the outputs
    equal the integer simulator's, for one model and target."""
    art = edgec.compile(**kwargs, **({"target": target} if target else {}))
    feeds, counts, size, exact = sample(art), {}, {}, 0
    want = art.simulate({k: v[0] for k, v in feeds.items()})
    for cpu in cpus:
        r = run_artifact(art, cpu, feeds, timeout=900)
        counts[cpu] = r.instructions_per_inference
        exact += all(np.array_equal(r.outputs[k][0], want[k].reshape(r.outputs[k][0].shape)) for k in r.outputs)
        if cpu == "cortex-m4":
            size = r.size
    return art.macs, counts, size, exact


def main() -> None:
    cmsis = has_cmsis()
    rows = []
    for label, kwargs in models():
        t0 = time.time()
        macs, port, size, exact = measure(kwargs, None)
        _, cm, cm_size, cm_exact = measure(kwargs, "cmsis", CPUS + [M55_DSP]) if cmsis else (0, {}, {}, 0)
        # cmsis-w16: the convolution weights pre-widened for the DSP path (its speed, its flash)
        _, w16, w16_size, w16_exact = measure(kwargs, "cmsis-w16", ["cortex-m4"]) if cmsis else (0, {}, {}, 0)
        row = [label, f"{macs:,}"]
        for cpu in CPUS:
            row.append(f"{port[cpu]:,}")
            row.append(f"{cm[cpu]:,}" if cm else "n/a")
        row += [f"{macs / port['cortex-m4']:.3f}", f"{macs / cm['cortex-m4']:.3f}" if cm else "n/a",
                f"{port['cortex-m4'] / cm['cortex-m4']:.2f}x" if cm else "n/a",
                f"{cm[M55_DSP]:,}" if cm else "n/a", f"{cm[M55_DSP] / cm['cortex-m55']:.2f}x" if cm else "n/a",
                f"{w16['cortex-m4']:,}" if w16 else "n/a", f"{macs / w16['cortex-m4']:.3f}" if w16 else "n/a",
                str(size["flash_bytes"]), str(cm_size.get("flash_bytes", "n/a")), str(w16_size.get("flash_bytes", "n/a")),
                str(size["ram_bytes"]), str(cm_size.get("ram_bytes", "n/a")),
                f"{exact}/{len(CPUS)}" + (f", {cm_exact}/{len(CPUS) + 1}, {w16_exact}/1" if cm else "")]
        rows.append(row)
        print(f"{label}: measured in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    header = ["model", "MACs"]
    for cpu in CPUS:
        header += [f"{SHORT[cpu]} portable", f"{SHORT[cpu]} cmsis"]
    header += ["M4 MACs/instr portable", "M4 MACs/instr cmsis", "M4 portable/cmsis", "M55 DSP-only cmsis",
               "M55 DSP/Helium", "M4 cmsis-w16", "M4 MACs/instr cmsis-w16", "M4 flash B portable",
               "M4 flash B cmsis", "M4 flash B cmsis-w16", "M4 RAM B portable", "M4 RAM B cmsis",
               "cores == simulator (portable, cmsis, cmsis-w16)"]
    print_table("Cortex-M: instructions per inference (QEMU, edgec plugin; int8; gcc -O2)", header, rows)


if __name__ == "__main__":
    main()
