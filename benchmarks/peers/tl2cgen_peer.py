"""tl2cgen (treelite.sklearn.import_model + tl2cgen.generate_c_code): tree ensembles as if-else C
over `union Entry` (double) inputs. The shim fills the entries, zeroes the result (the caller's
job in tl2cgen's API) and takes the arg max of the raw margins (one margin: > 0); regressors get
the postprocessed value."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .cbuild import ModelCode, Unsupported
from .common_glue import argmax_c, quiet_native_stderr, shape

NAME = "tl2cgen"


def generate(est) -> ModelCode:
    import tl2cgen
    import treelite
    clf, nf, _ = shape(est)
    try:
        with quiet_native_stderr():
            model = treelite.sklearn.import_model(est)
    except Exception as e:
        raise Unsupported(f"tl2cgen: treelite cannot import {type(est).__name__}") from e
    with tempfile.TemporaryDirectory() as tmp, quiet_native_stderr():
        tl2cgen.generate_c_code(model, dirpath=tmp, params={}, verbose=False)
        files = {p.name: p.read_text() for p in Path(tmp).iterdir() if p.suffix in (".c", ".h")}
    n = int(re.search(r"#define MAX_N_CLASS (\d+)", files["header.h"]).group(1))
    margin = 1 if clf else 0
    if clf:
        tail = (argmax_c("r", n) + "    return best;\n") if n > 1 else "    return r[0] > 0.0;\n"
    else:
        tail = "    return r[0];\n"
    ret = "int32_t" if clf else "double"
    shim = ('#include "header.h"\n\n'
            f"{ret} tl_bench_predict(const float *x);\n{ret} tl_bench_predict(const float *x)\n{{\n"
            f"    union Entry d[{nf}];\n    double r[MAX_N_CLASS] = {{0}};\n    int j;\n"
            f"    for (j = 0; j < {nf}; j++) d[j].fvalue = (double)x[j];\n"
            f"    predict(d, {margin}, r);\n{tail}}}\n")
    files["tl_bench.c"] = shim
    return ModelCode(files, "tl_bench_predict", ret, note="double")
