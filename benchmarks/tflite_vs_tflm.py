"""edgec vs TensorFlow Lite Micro on the four MLPerf Tiny int8 .tflite models (issue 5).

Per model: MACs; whether edgec's C equals TFLM on 100 random int8 inputs (mismatching inputs
counted); edgec's arena (intermediate tensors and kernel scratch; the caller owns the input and
output buffers) beside TFLM's arena (planned tensors, model input and output included, plus its
persistent bookkeeping), as reported by TFLM's RecordingMicroAllocator; edgec's flash (text +
data of the gcc -O2 x86 objects, weights object vs code objects) beside the .tflite file size
(TFLM's interpreter and kernel code come on top of the flatbuffer); host latency per inference of
edgec's portable C (a C loop over `<name>_run`, gcc -O2) vs TFLM's reference kernels (invoke()
through its Python binding, C++ underneath). Goals: arena <= 80% of TFLM's, latency >= 5x lower.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import edgec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import print_table, time_per_call  # noqa: E402
from tests.tflm.tflm_run import TflmModel  # noqa: E402

MODELS = HERE.parent.parent / "shared" / "models" / "mlperf_tiny"
NAMES = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]
N_INPUTS = 100
CFLAGS = ["-std=c99", "-O2"]

HARNESS = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "{name}.h"

static uint64_t arena[({upper}_ARENA_SIZE + 7u) / 8u + 1u];
static int8_t in[{in_size}];
static int8_t out[{out_size}];

static double now_s(void)
{{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}}

/* Prints the median over 5 batches of the seconds per {name}_run call; argv[1] = calls per batch. */
int main(int argc, char **argv)
{{
    int reps = argc > 1 ? atoi(argv[1]) : 100, b, i, j;
    double best[5], t;
    for (i = 0; i < {in_size}; i++) in[i] = (int8_t)((i * 37 + 11) % 256 - 128);
    {name}_run(in, out, arena);
    for (b = 0; b < 5; b++) {{
        t = now_s();
        for (i = 0; i < reps; i++) {name}_run(in, out, arena);
        best[b] = (now_s() - t) / reps;
    }}
    for (i = 0; i < 5; i++) for (j = i + 1; j < 5; j++) if (best[j] < best[i]) {{ t = best[i]; best[i] = best[j]; best[j] = t; }}
    printf("%.9f %d\n", best[2], (int)out[0]);
    return 0;
}}
"""


def _run(cmd: list[str], cwd: Path) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return r.stdout


def flash_bytes(d: Path, name: str) -> tuple[int, int]:
    """(weights, code) bytes: text + data of the -O2 objects (the float I/O wrapper left out)."""
    srcs = [p.name for p in sorted(d.glob("*.c")) if not p.name.endswith("_float_io.c")]
    for s in srcs:
        _run(["gcc", *CFLAGS, f"-D{name.upper()}_NO_STATIC_ARENA", "-I.", "-c", s, "-o", s[:-2] + ".o"], d)
    weights = code = 0
    for line in _run(["size", *[s[:-2] + ".o" for s in srcs]], d).splitlines()[1:]:
        text, data, _bss, _dec, _hex, fname = line.split()
        if fname == f"{name}_weights.o":
            weights += int(text) + int(data)
        else:
            code += int(text) + int(data)
    return weights, code


def c_latency(d: Path, art, reps: int) -> float:
    """Seconds per inference of the model's C, timed in a C loop (gcc -O2)."""
    sig = art.c.signature()
    size = lambda p: int(np.prod(p.shape))
    (d / "bench_main.c").write_text(HARNESS.format(name=art.name, upper=art.name.upper(),
                                                   in_size=size(sig.inputs[0]), out_size=size(sig.outputs[0])))
    srcs = [p.name for p in sorted(d.glob("*.c")) if not p.name.endswith("_float_io.c")]
    _run(["gcc", *CFLAGS, "-I.", *srcs, "-o", "bench", "-lm"], d)
    return float(_run(["./bench", str(reps)], d).split()[0])


def mismatches(art, tflm: TflmModel, n: int) -> int:
    """Random int8 inputs on which edgec's C and TFLM differ in any output element."""
    x, y = art.graph.inputs[0], art.graph.outputs[0]
    rng = np.random.default_rng(0)
    bad = 0
    for _ in range(n):
        feed = rng.integers(-128, 128, x.shape).astype(np.int8)
        want = tflm.run([feed])[0]
        got = art.run({x.name: feed})[y.name]
        bad += not np.array_equal(got.reshape(-1), want.reshape(-1))
    return bad


def bench_model(name: str, work: Path) -> tuple[list[str], float, float]:
    path = MODELS / f"{name}.tflite"
    art = edgec.compile(str(path))
    data = path.read_bytes()
    tflm = TflmModel(data, 1)
    bad = mismatches(art, tflm, N_INPUTS)
    arena = tflm.arena()
    mem = art.memory()
    io = sum(v.type.nbytes for v in art.graph.inputs + art.graph.outputs)
    d = art.write(work / name)
    weights, code = flash_bytes(d, art.name)
    t_tflm = time_per_call(tflm.interp.invoke, min_seconds=1.0, min_calls=5)
    t_c = c_latency(d, art, reps=max(5, int(0.2 / max(t_tflm / 10, 1e-6))))
    ratio = mem["arena_bytes"] / arena.total
    row = [name, f"{art.macs / 1e6:.2f}", "yes" if bad == 0 else f"NO ({bad}/{N_INPUTS})",
           f"{mem['arena_bytes']} (+{io} IO)", f"{arena.total} ({arena.head}+{arena.tail})",
           f"{100 * ratio:.0f}% / {100 * (mem['arena_bytes'] + io) / arena.total:.0f}%",
           f"{weights} + {code} = {weights + code}", f"{len(data)}",
           f"{1e6 * t_c:.0f}", f"{1e6 * t_tflm:.0f}", f"{t_tflm / t_c:.1f}x"]
    return row, ratio, t_tflm / t_c


def main() -> None:
    rows, ok_arena, ok_speed = [], True, True
    with tempfile.TemporaryDirectory(prefix="edgec-tflm-") as tmp:
        for name in NAMES:
            row, ratio, speedup = bench_model(name, Path(tmp))
            rows.append(row)
            ok_arena &= ratio <= 0.8
            ok_speed &= speedup >= 5.0
    print_table(f"MLPerf Tiny int8 .tflite: edgec vs TFLM (host x86, {N_INPUTS} random inputs each)",
                ["model", "MMACs", "bit-exact", "edgec arena B", "TFLM arena B (tensors+bookkeeping)",
                 "edgec/TFLM arena (arena / arena+IO)", "edgec flash B (weights + code)", ".tflite B",
                 "edgec C us", "TFLM us", "speedup"], rows)
    tflm_code = _tflm_runtime_text()
    print(f"\nedgec flash: text+data of gcc -O2 x86 objects. TFLM needs its interpreter and kernels on top"
          f" of the .tflite: the x86 build in the tflite-micro package has {tflm_code} B of text+data (every"
          f" kernel and the Python binding included, so an upper bound).\nArena ratio: edgec arena / TFLM total arena; then with edgec's input and output"
          " buffers (the caller's) added, as TFLM's arena holds its input and output tensors.")
    print(f"Goals: arena <= 80% of TFLM on every model: {'met' if ok_arena else 'NOT met'}; "
          f"latency >= 5x lower than TFLM: {'met' if ok_speed else 'NOT met'}.")


def _tflm_runtime_text() -> int:
    """text+data bytes of the tflite-micro package's interpreter library (x86)."""
    import tflite_micro
    lib = next(Path(tflite_micro.__file__).parent.rglob("_runtime*.so"))
    out = subprocess.run(["size", str(lib)], capture_output=True, text=True, check=True).stdout.splitlines()[1]
    text, data = out.split()[:2]
    return int(text) + int(data)


if __name__ == "__main__":
    main()
