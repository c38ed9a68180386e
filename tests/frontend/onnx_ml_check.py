"""Shared check for the ONNX-ML tests: compile, build with gcc, compare with onnxruntime and the
original estimator."""
from __future__ import annotations

import numpy as np
import onnx

import edgec


def ort_outputs(model: onnx.ModelProto, X: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outs = sess.run(None, {name: X})
    return [_dense(o) for o in outs]


def _dense(o):
    """ZipMap output (a list of {class: p}) -> [rows, classes]."""
    if isinstance(o, list) and o and isinstance(o[0], dict):
        return np.asarray([list(d.values()) for d in o], np.float32)
    return np.asarray(o)


def check_onnx_ml(model: onnx.ModelProto, X: np.ndarray, est=None, proba_atol: float = 1e-5, rtol: float = 1e-5,
                  predict=None):
    """Runs every row of X through the C; asserts the label output equals onnxruntime's and the
    estimator's predict on 100% of rows (regressors: within rtol), float outputs within
    proba_atol of onnxruntime, and C == simulator on a few rows. Returns the artifact."""
    X = np.asarray(X, np.float32)
    art = edgec.compile(model, tree_layout="table")   # (the layout choice is tested elsewhere)
    got = art.run_rows(X)
    want = ort_outputs(model, X)
    info = art.sklearn
    names = [v.name for v in art.graph.outputs]
    for name, w in zip(names, want):
        g = got[name]
        if g.dtype.kind in "iu":   # labels: compare as classes
            classes = np.asarray(info.classes) if info is not None else None
            lbl = g.reshape(-1)
            if info is not None and info.class_names is not None:
                lbl = classes[lbl]
            mine, ort_lbl = lbl.astype(str), w.reshape(-1).astype(str)
            keep = np.ones(len(mine), bool)
            if est is not None:
                p = np.asarray(est.predict(X) if predict is None else predict(X)).astype(str)
                assert np.mean(mine == p) == 1.0, f"predict agreement {np.mean(mine == p):.4f}"
                # onnxruntime sums pre-divided forest votes in float32 and can break exact ties
                # the other way; elsewhere it must agree
                keep = ort_lbl == p
                assert keep.mean() >= 0.99, f"onnxruntime itself agrees with predict on {keep.mean():.4f}"
            np.testing.assert_array_equal(mine[keep], ort_lbl[keep], err_msg=f"label output '{name}' vs onnxruntime")
        else:
            np.testing.assert_allclose(g, w.astype(np.float32).reshape(g.shape), rtol=rtol, atol=proba_atol,
                                       err_msg=f"output '{name}' vs onnxruntime")
            if est is not None and info is not None and info.kind == "regressor":
                p = np.asarray(est.predict(X) if predict is None else predict(X), np.float64).reshape(g.shape)
                err = np.abs(g - p) / np.maximum(1.0, np.abs(p))
                assert err.max() <= rtol, f"regression error {err.max():.3g} vs the estimator"
    for i in range(min(3, X.shape[0])):
        sim = art.simulate({art.graph.inputs[0].name: X[i:i + 1]})
        for name in names:
            s = np.asarray(sim[name]).reshape(-1)
            if s.dtype.kind == "f":
                np.testing.assert_allclose(got[name][i], s, rtol=1e-5, atol=1e-6, err_msg=f"C vs simulator '{name}'")
            else:
                np.testing.assert_array_equal(got[name][i], s, err_msg=f"C vs simulator '{name}'")
    return art
