"""micromlgen (micromlgen.port): a C++ class with `predict(float *x)`; compiled with g++ (same
optimisation flags) behind an extern "C" shim in the same file."""
from __future__ import annotations

import re

from .cbuild import ModelCode, Unsupported
from .common_glue import shape

NAME = "micromlgen"


def generate(est) -> ModelCode:
    import micromlgen
    clf, _, _ = shape(est)
    try:
        code = micromlgen.port(est, classname="Model")
    except TypeError as e:   # "clf MUST be one of ..." and the list of every class it ports
        raise Unsupported(f"micromlgen: no port for {type(est).__name__}") from e
    except Exception as e:   # e.g. AttributeError for scikit-learn fields renamed since its release
        raise Unsupported(f"micromlgen: {type(e).__name__}: {str(e).splitlines()[0][:100]}") from e
    ret = "int32_t" if clf else "float"
    cls = re.search(r"class (\w+)", code).group(1)   # some ports ignore classname=
    shim = ("#include <stdint.h>\n#include <math.h>\n#include \"mm_model.h\"\n\n"
            f"static Eloquent::ML::Port::{cls} mm_model;\n"
            f'extern "C" {ret} mm_bench_predict(const float *x);\n'
            f"{ret} mm_bench_predict(const float *x)\n{{\n    return mm_model.predict(const_cast<float *>(x));\n}}\n")
    note = "C++ (g++)"
    if type(est).__name__ == "LogisticRegression" and len(est.classes_) == 2:
        note += "; binary LogisticRegression ported as votes {decision, 0}: its arg max inverts the labels"
    return ModelCode({"mm_model.h": code, "mm_bench.cpp": shim}, "mm_bench_predict", ret, note=note)
