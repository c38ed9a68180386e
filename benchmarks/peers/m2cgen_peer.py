"""m2cgen (m2cgen.export_to_c): a `score` function over double inputs. The shim converts the
float row to double and turns the scores into a class index (arg max; one score: > 0) in the same
file, as a user would."""
from __future__ import annotations

import re

from .cbuild import ModelCode, Unsupported
from .common_glue import argmax_c, shape

NAME = "m2cgen"


def generate(est) -> ModelCode:
    import m2cgen
    clf, nf, _ = shape(est)
    try:
        code = m2cgen.export_to_c(est, function_name="m2_score")
    except Exception as e:   # m2cgen raises plain exceptions for unknown estimators
        raise Unsupported(f"m2cgen: {type(e).__name__}: {str(e).splitlines()[0][:100]}") from e
    vector = re.search(r"void m2_score\(double \* input, double \* output\)", code)
    head = f"    double in[{nf}];\n    int j;\n    for (j = 0; j < {nf}; j++) in[j] = (double)x[j];\n"
    if vector:
        n = int(re.search(r"memcpy\(output,.*?(\d+) \* sizeof\(double\)\)", code, re.S).group(1))
        call = f"    double out[{n}];\n    m2_score(in, out);\n"
        if clf and n > 1:
            tail = argmax_c("out", n) + "    return best;\n"
        else:
            tail = "    return out[0] > 0.0;\n" if clf else "    return out[0];\n"
    else:
        call = "    double out = m2_score(in);\n"
        tail = "    return out > 0.0;\n" if clf else "    return out;\n"
    ret = "int32_t" if clf else "double"
    shim = (f"\n#include <stdint.h>\n{ret} m2_bench_predict(const float *x);\n"
            f"{ret} m2_bench_predict(const float *x)\n{{\n{head}{call}{tail}}}\n")
    return ModelCode({"m2_model.c": code + shim}, "m2_bench_predict", ret, note="double")
