"""`edgec verify` for scikit-learn models: the C's predictions against the estimator's own.

The reference is the estimator itself (its predict, predict_proba, ...), run on the data file's
'X'; an optional 'y' also gives both accuracies. Float C must agree on every label (regressors
within `rtol` of max(1, |value|)); the int16/int8 modes pass at the issue's agreement floors.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from edgec.artifact import Artifact
from edgec.data import _load
from edgec.errors import DataError

# the lowest predict agreement each numeric mode passes at (classifiers)
MIN_AGREEMENT = {"float": 1.0, "int16": 0.995, "int8": 0.99}


def load_xy(path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """'X' [samples, features] (or the file's only array) and 'y' if present."""
    arrays = _load(path)
    if "X" in arrays:
        X = arrays["X"]
    elif len(arrays) == 1:
        X = next(iter(arrays.values()))
    else:
        raise DataError(f"{path}: no array named 'X' (file has: {', '.join(arrays) or 'nothing'})")
    if X.ndim != 2:
        raise DataError(f"{path}: 'X' has shape {list(X.shape)}; expected [samples, features]")
    return X, arrays.get("y")


def verify_estimator(est: Any, art: Artifact, X: np.ndarray, y: np.ndarray | None = None,
                     rtol: float = 1e-5) -> dict:
    """Runs every row of X through the C; returns the JSON-ready report."""
    from edgec.testing import sklearn_agreement
    info = art.sklearn
    if X.shape[1] != info.n_features:
        raise DataError(f"'X' has {X.shape[1]} features; the model takes {info.n_features}")
    t0 = time.perf_counter()
    art.build()
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    agreement = sklearn_agreement(est, art, X)
    run_s = time.perf_counter() - t1
    report = {"name": art.name, "estimator": info.estimator, "kind": info.kind, "quant": art.quant,
              "samples": int(X.shape[0]), "methods": list(info.methods), "agreement": agreement,
              "memory": art.memory(),
              "timing": {"build_s": round(build_s, 3), "c_us_per_prediction": round(1e6 * run_s / max(1, len(X)), 1)}}
    if y is not None and info.kind == "classifier":
        got = art.run_rows(X)["predict"].reshape(-1)
        labels = dict(zip(info.classes, info.labels))
        y_lbl = np.asarray([labels.get(v, -2 ** 31) for v in np.asarray(y).tolist()])
        report["accuracy"] = {"sklearn": float(np.mean(est.predict(X) == y)), "compiled": float(np.mean(got == y_lbl))}
    floor = MIN_AGREEMENT.get(art.quant, 1.0)
    ok = True
    for k, v in agreement.items():
        if k == "predict_agreement":
            ok &= v >= floor
        elif art.quant == "float" and (k == "predict_max_rel_err" or k.startswith("score_samples")):
            ok &= v <= rtol
    report["min_agreement"] = floor
    report["passed"] = bool(ok)
    return report
