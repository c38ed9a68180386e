"""emlearn (emlearn.convert(...).save()): trees with float features (method='inline',
dtype='float'; its default is int16 features), MLPs, GaussianNB ('loadable', its only method) and
KNeighborsClassifier (int16 features: its only mode; the shim truncates as emlearn's own wrapper
does). The header and emlearn's runtime headers are compiled in one shim file."""
from __future__ import annotations

import contextlib
import tempfile

import numpy as np

from .cbuild import ModelCode, Unsupported
from .common_glue import shape

NAME = "emlearn"
TREES = {"RandomForestClassifier", "ExtraTreesClassifier", "DecisionTreeClassifier",
         "RandomForestRegressor", "ExtraTreesRegressor", "DecisionTreeRegressor"}


def generate(est) -> ModelCode:
    # emlearn's converters build a test program under ./tmp: keep it out of the caller's directory
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        return _generate(est)


def _generate(est) -> ModelCode:
    with np.errstate():   # emlearn.bayes calls numpy.seterr(all='raise') on import: keep it local
        import emlearn
    clf, nf, _ = shape(est)
    kind = type(est).__name__
    ret = "int32_t" if clf else "float"
    if kind in TREES:
        header = emlearn.convert(est, method="inline", dtype="float").save(name="em")
        body = f"return em_predict(x, {nf});"
        note = "trees inline with dtype=float"
    elif kind in ("MLPClassifier", "MLPRegressor"):
        header = emlearn.convert(est, method="inline").save(name="em")
        body = f"return em_predict(x, {nf});" if clf else f"return em_regress1(x, {nf});"
        note = "MLP inline"
    elif kind == "GaussianNB":
        header = emlearn.convert(est, method="loadable").save(name="em")
        body = f"return em_predict(x, {nf});"
        note = "GaussianNB loadable (it has no inline)"
    elif kind == "KNeighborsClassifier":
        header = emlearn.convert(est, method="loadable").save(name="em")
        n_items = est.n_samples_fit_
        header += f"\nstatic EmlNeighborsDistanceItem em_distances[{n_items}];\n"
        body = (f"int16_t f[{nf}], out = -1; int i;\n"
                f"    for (i = 0; i < {nf}; i++) f[i] = (int16_t)x[i];\n"
                f"    if (eml_neighbors_predict(&em, f, {nf}, em_distances, {n_items}, &out) != EmlOk) return -1;\n"
                f"    return out;")
        note = "KNN loadable with int16 features (its only mode: float rows truncated)"
    else:
        raise Unsupported(f"emlearn: no converter for {kind}")
    shim = (f'#include <stdint.h>\n#include "em_model.h"\n\n'
            f"{ret} em_bench_predict(const float *x);\n{ret} em_bench_predict(const float *x)\n{{\n    {body}\n}}\n")
    return ModelCode({"em_model.h": header, "em_bench.c": shim}, "em_bench_predict", ret,
                     include_dirs=[emlearn.includedir], note=note)
