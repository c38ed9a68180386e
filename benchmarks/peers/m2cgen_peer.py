"""m2cgen (m2cgen.export_to_c): a `score` function over double inputs. The shim converts the
float row to double and turns the scores into a class index in the same file, as a user would:
arg max; one score: > 0; a multiclass SVC's n(n-1)/2 one-vs-one decisions: libsvm's vote (pair
(i, j) votes i when its decision is > 0, else j; the first class with the most votes wins)."""
from __future__ import annotations

import re

from .cbuild import ModelCode, Unsupported
from .common_glue import argmax_c, shape

NAME = "m2cgen"


def generate(est) -> ModelCode:
    import m2cgen
    clf, nf, n_classes = shape(est)
    try:
        code = m2cgen.export_to_c(est, function_name="m2_score")
    except Exception as e:   # m2cgen raises plain exceptions for unknown estimators
        raise Unsupported(f"m2cgen: {type(e).__name__}: {str(e).splitlines()[0][:100]}") from e
    vector = re.search(r"void m2_score\(double \* input, double \* output\)", code)
    head = f"    double in[{nf}];\n    int j;\n    for (j = 0; j < {nf}; j++) in[j] = (double)x[j];\n"
    if vector:
        n = int(re.search(r"memcpy\(output,.*?(\d+) \* sizeof\(double\)\)", code, re.S).group(1))
        call = f"    double out[{n}];\n    m2_score(in, out);\n"
        if clf and type(est).__name__ in ("SVC", "NuSVC") and n_classes > 2:
            if n != n_classes * (n_classes - 1) // 2:
                raise Unsupported(f"m2cgen: {n} SVC scores for {n_classes} classes (expected one-vs-one pairs)")
            tail = _ovo_vote_c(n_classes)
        elif clf and n > 1:
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


def _ovo_vote_c(k: int) -> str:
    return (f"    int32_t votes[{k}] = {{0}}, a, b, p = 0, best = 0;\n"
            f"    for (a = 0; a < {k}; a++)\n"
            f"        for (b = a + 1; b < {k}; b++, p++) votes[out[p] > 0.0 ? a : b]++;\n"
            f"    for (a = 1; a < {k}; a++) if (votes[a] > votes[best]) best = a;\n"
            f"    return best;\n")
