"""Builds one tool's generated model C the same way for every tool, measures its size and times
its predict in a generated C loop (one job: the measurement, identical for edgec and the peers).

A tool's code is a `ModelCode`: its source files plus the name and return type of a function
`<ret> <symbol>(const float *x)` that predicts one row (class index 0..n_classes-1, or the
regression value). The peers' own APIs differ (double inputs, C++ classes, `union Entry`
arrays), so each peer module writes a small shim giving that signature; the shim is part of the
model's objects (a user needs it too), the timing harness is not.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# One set of flags for every tool. Unwind tables are left out so `size` counts the model's code
# and constants, not .eh_frame (which a microcontroller build drops too).
COMMON_FLAGS = ["-O2", "-fno-asynchronous-unwind-tables"]
C_FLAGS = ["-std=c99", *COMMON_FLAGS]
CXX_FLAGS = ["-std=c++11", "-fno-exceptions", "-fno-rtti", *COMMON_FLAGS]


class Unsupported(Exception):
    """The tool cannot produce C for this estimator (the message says why, in a few words)."""


@dataclass
class ModelCode:
    files: dict[str, str]          # file name -> text; *.c / *.cpp are compiled, the rest included
    symbol: str                    # `<ret> symbol(const float *x)`: predicts one row
    ret: str                       # "int32_t" (class index) or "float" / "double" (regression value)
    include_dirs: list[str] = field(default_factory=list)
    note: str = ""                 # configuration shown in the footnotes (e.g. "dtype=float, inline")

    @property
    def sources(self) -> list[str]:
        return sorted(f for f in self.files if f.endswith((".c", ".cpp")))

    @property
    def cxx(self) -> bool:
        return any(f.endswith(".cpp") for f in self.files)


@dataclass
class Measurement:
    predictions: np.ndarray        # one per test row: class index (int) or value (float64)
    ns_per_predict: float          # best of several timed batches
    size_bytes: int                # text (incl. rodata) + data + bss of the model's objects
    objects: dict[str, int] = field(default_factory=dict)   # the same per object file


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} ... failed:\n{r.stderr[-2000:]}")
    return r.stdout


def write(code: ModelCode, d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in code.files.items():
        (d / name).write_text(text)
    return d


def compile_objects(code: ModelCode, d: Path) -> list[str]:
    """gcc/g++ -c of each model source in `d`; returns the object names."""
    objs = []
    inc = [f"-I{p}" for p in ["."] + code.include_dirs]
    for src in code.sources:
        obj = src.rsplit(".", 1)[0] + ".o"
        cc = ["g++", *CXX_FLAGS] if src.endswith(".cpp") else ["gcc", *C_FLAGS]
        run([*cc, *inc, "-c", src, "-o", obj], d)
        objs.append(obj)
    return objs


def object_sizes(objs: list[str], d: Path) -> dict[str, int]:
    """text + data + bss per object (Berkeley `size`: read-only data counts as text)."""
    sizes = {}
    for line in run(["size", *objs], d).splitlines()[1:]:
        text, data, bss, _dec, _hex, name = line.split()
        sizes[name] = int(text) + int(data) + int(bss)
    return sizes


HARNESS = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <time.h>

{ret} {symbol}(const float *x);

#define ROWS {rows}
#define FEATURES {features}
static const float X[ROWS][FEATURES] = {{
{data}
}};
/* The timed loop visits the rows in a fixed pseudo-random order, long enough that a branch
 * predictor cannot learn the whole sequence (which would flatter if-else trees on a small set). */
#define ORDER_LEN {order_len}
static const uint16_t ORDER[ORDER_LEN] = {{
{order}
}};
volatile double sink;

static double now_s(void)
{{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}}

/* Prints the prediction of every row, then the best over {batches} batches of the ns per
 * prediction. Batches are short (~{batch_s} s, a slice of ORDER continuing where the last one
 * stopped) so that on a loaded machine the best one likely ran without being preempted. */
int main(void)
{{
    long i, n, b, pos = 0;
    double acc = 0.0, t, best = 1e30;
    for (i = 0; i < ROWS; i++) printf({fmt}, {cast}{symbol}(X[i]));
    t = now_s();
    for (i = 0; i < 64; i++) acc += (double){symbol}(X[ORDER[i]]);
    t = (now_s() - t) / 64.0;
    n = (long)({batch_s} / (t > 1e-9 ? t : 1e-9)) + 1;
    for (b = 0; b < {batches}; b++) {{
        t = now_s();
        for (i = 0; i < n; i++) {{
            acc += (double){symbol}(X[ORDER[pos]]);
            pos = (pos + 1) & (ORDER_LEN - 1);
        }}
        t = now_s() - t;
        if (t < best) best = t;
    }}
    sink = acc;
    printf("ns %.3f\n", 1e9 * best / (double)n);
    return 0;
}}
"""


def harness_source(code: ModelCode, X: np.ndarray, batch_s: float = 0.002, batches: int = 25,
                   order_len: int = 8192) -> str:
    assert order_len & (order_len - 1) == 0, "ORDER_LEN must be a power of two"
    X = np.asarray(X, np.float32)
    order = np.random.default_rng(0).integers(0, X.shape[0], order_len)
    order_c = ",\n".join(", ".join(str(v) for v in order[i:i + 32]) for i in range(0, order_len, 32))
    # C99 hexadecimal float literals: exact, and valid for whole numbers too ("0f" is not)
    data = ",\n".join("{" + ", ".join(f"{float(v).hex()}f" for v in row) + "}" for row in X)
    integer = code.ret.startswith("int")
    return HARNESS.format(ret=code.ret, symbol=code.symbol, rows=X.shape[0], features=X.shape[1], data=data,
                          fmt='"%ld\\n"' if integer else '"%.17g\\n"', cast="(long)" if integer else "(double)",
                          batch_s=batch_s, batches=batches, order_len=order_len, order=order_c)


def measure(code: ModelCode, X: np.ndarray, d: Path, batch_s: float = 0.002, batches: int = 25) -> Measurement:
    """Writes, compiles (-c, sized), links with the timing harness, runs; in directory `d`."""
    write(code, d)
    objs = compile_objects(code, d)
    sizes = object_sizes(objs, d)
    (d / "bench_harness.c").write_text(harness_source(code, X, batch_s, batches))
    run(["gcc", *C_FLAGS, "-c", "bench_harness.c", "-o", "bench_harness.o"], d)
    run(["g++" if code.cxx else "gcc", "bench_harness.o", *objs, "-o", "bench", "-lm"], d)
    lines = run(["./bench"], d).split()
    ns = float(lines[-1])
    vals = lines[:-2]
    preds = np.array([int(v) for v in vals]) if code.ret.startswith("int") else np.array([float(v) for v in vals])
    return Measurement(preds, ns, sum(sizes.values()), sizes)
