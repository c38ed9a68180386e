"""Test helpers shared by the test suite: compile an ONNX model, run the C, compare."""
from __future__ import annotations

import numpy as np
import onnx

import edgec
from edgec.reference import OnnxReference


def check_onnx(model: onnx.ModelProto, feeds: dict[str, np.ndarray], rtol: float = 1e-4,
               atol: float = 1e-5, input_shapes=None) -> dict[str, np.ndarray]:
    """Compiles `model` to C, runs one sample through gcc-built C, asserts it matches onnxruntime.

    Returns the C outputs. Also checks the numpy simulator of the optimised graph agrees.
    """
    from edgec.sim.interpreter import run_graph
    art = edgec.compile(model, input_shapes=input_shapes)
    got = art.run(feeds)
    want = OnnxReference(model).run(feeds)
    sim = run_graph(art.graph, {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind == "f" else v
                                for k, v in feeds.items()})
    for name, ref in want.items():
        np.testing.assert_allclose(got[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"C output '{name}' vs reference")
        np.testing.assert_allclose(sim[name], ref.astype(np.float32).reshape(got[name].shape), rtol=rtol, atol=atol,
                                   err_msg=f"simulator output '{name}' vs reference")
    return got


def check_int8(model, calib: list[dict[str, np.ndarray]], feeds: list[dict[str, np.ndarray]] | None = None,
               float_ops: bool = False, min_sqnr_db: float | None = None):
    """Compiles `model` to int8 C with `calib`, runs `feeds` (float; default: calib) through the C
    and the integer simulator, asserts they are bit-exact, and returns (artifact, C outputs
    dequantized, float reference outputs of the optimised float graph) per sample."""
    from edgec.report import sqnr_db
    from edgec.sim.interpreter import run_graph
    art = edgec.compile(model, quant="int8", calib=calib, float_ops=float_ops)
    got_all, want_all = [], []
    for f in (feeds if feeds is not None else calib):
        q = art.quantize_inputs(f)
        c_out = art.run(q)
        sim = art.simulate(q)
        for name, c in c_out.items():
            np.testing.assert_array_equal(c, sim[name].reshape(c.shape), err_msg=f"C vs simulator, output '{name}'")
        got_all.append(art.dequantize_outputs(c_out))
        ref = run_graph(art.float_graph, {k: np.asarray(v, np.float32) for k, v in f.items()})
        want_all.append({k: ref[k] for k in c_out})
    if min_sqnr_db is not None:
        for name in got_all[0]:
            g = np.stack([o[name] for o in got_all]).astype(np.float64)
            w = np.stack([o[name] for o in want_all]).astype(np.float64).reshape(g.shape)
            assert sqnr_db(w, g) >= min_sqnr_db, f"output '{name}': SQNR {sqnr_db(w, g):.1f} dB < {min_sqnr_db}"
    return art, got_all, want_all


def sklearn_agreement(est, art, X: np.ndarray) -> dict[str, float]:
    """How the compiled C (run row by row) agrees with the estimator on X, per method.

    predict of a classifier: the fraction of equal labels (class names by index when the classes
    are not integers). Every other method and regressors: the largest error relative to
    max(1, |scikit-learn's value|) ("<method>_max_rel_err").
    """
    info = art.sklearn
    got = art.run_rows(X)
    result: dict[str, float] = {}
    for method in info.methods:
        want = np.asarray(getattr(est, method)(X))
        g = got[method]
        if method == "predict" and info.kind == "classifier":
            idx = {c: k for k, c in enumerate(info.classes)}
            want_lbl = np.asarray([info.labels[idx[c]] for c in want.tolist()])
            result["predict_agreement"] = float(np.mean(g.reshape(-1) == want_lbl))
        else:
            w = want.astype(np.float64).reshape(g.shape)
            err = np.abs(g.astype(np.float64) - w) / np.maximum(1.0, np.abs(w))
            result[f"{method}_max_rel_err"] = float(err.max()) if err.size else 0.0
    return result


def check_sklearn(est, X: np.ndarray, quant: str = "float", sample: np.ndarray | None = None,
                  min_agreement: float = 1.0, rtol: float = 1e-5, proba_atol: float = 1e-4, **compile_kw):
    """Compiles a fitted estimator, builds the C with gcc, runs X through it and asserts
    scikit-learn's predict agreement >= min_agreement (classifiers) or relative error <= rtol
    (regressors, score_samples), and predict_proba / decision_function within proba_atol
    relative (float only). Also checks the simulator gives the C's result on the first rows (integers exactly).
    Returns (artifact, agreement dict)."""
    art = edgec.compile(est, quant=quant, sample=sample, **compile_kw)
    res = sklearn_agreement(est, art, X)
    for k, v in res.items():
        if k == "predict_agreement":
            assert v >= min_agreement, f"{type(est).__name__}: predict agreement {v:.4f} < {min_agreement}"
        elif k == "predict_max_rel_err" or k.startswith("score_samples"):
            if quant == "float":
                assert v <= rtol, f"{type(est).__name__}: {k} = {v:.3g} > {rtol}"
        elif quant == "float":
            assert v <= proba_atol, f"{type(est).__name__}: {k} = {v:.3g} > {proba_atol}"
    rows = np.asarray(X[:5], np.float32)
    got = art.run_rows(rows)
    for i in range(rows.shape[0]):
        sim = art.simulate({art.graph.inputs[0].name: rows[i:i + 1]})
        for name in got:
            want = np.asarray(sim[name]).reshape(-1)
            if want.dtype.kind == "f":   # float: libm may differ from numpy in the last bit
                np.testing.assert_allclose(got[name][i], want, rtol=1e-5, atol=1e-6,
                                           err_msg=f"C vs simulator, output '{name}', row {i}")
            else:                        # labels and integer outputs: exact
                np.testing.assert_array_equal(got[name][i], want, err_msg=f"C vs simulator, output '{name}', row {i}")
    return art, res
