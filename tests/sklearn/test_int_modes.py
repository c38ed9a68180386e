"""int16/int8 modes of classical models: per-feature quantization, integer trees and linear
layers, agreement with scikit-learn, C bit-exact with the simulator."""
import functools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

import edgec
from edgec.errors import DataError
from edgec.ir.graph import DType, Graph, TensorType, Value
from edgec.ops.classic_q import FeatureQuantAttrs, LinearQAttrs, feature_quantize_ref, linear_q_ref
from edgec.testing import check_sklearn

FLOOR = {"int16": 0.995, "int8": 0.99}


def split(load):
    X, y = load(return_X_y=True)
    return train_test_split(X, y, random_state=0)


MODELS = {"tree": lambda: DecisionTreeClassifier(max_depth=8, random_state=0),
          "logistic": lambda: LogisticRegression(max_iter=300)}   # unscaled data: lbfgs stops early, fine here


@functools.lru_cache(maxsize=None)
def fitted(model: str, load):
    Xtr, Xte, ytr, _ = split(load)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MODELS[model]().fit(Xtr, ytr), Xtr, Xte


@pytest.mark.parametrize("quant", ["int16", "int8"])
@pytest.mark.parametrize("load", [load_digits, load_breast_cancer, load_wine], ids=lambda f: f.__name__[5:])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_classifier_agreement(model, load, quant):
    est, Xtr, Xte = fitted(model, load)
    art, res = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=FLOOR[quant])
    ops = {n.op for n in art.graph.nodes}
    assert ops & {"tree_ensemble_q", "linear_q"} and not ops & {"tree_ensemble", "gemm"}
    assert "arg_max" in ops and art.graph.nodes[0].op in ("feature_quantize", "feature_bucketize")


def test_int8_tree_has_no_float_after_the_input():
    Xtr, Xte, ytr, _ = split(load_breast_cancer)
    art = edgec.compile(DecisionTreeClassifier(max_depth=6, random_state=0).fit(Xtr, ytr), quant="int8", sample=Xtr)
    kernel = art.c.files["ec_tree_ensemble_q.c"]
    assert "float" not in kernel
    arg = next(n for n in art.graph.nodes if n.op == "arg_max")
    assert arg.inputs[0].type.dtype == DType.I32     # the label comes from the int32 scores


def test_regressor_int16_close():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    est = LinearRegression().fit(X[:300], y[:300])
    art = edgec.compile(est, quant="int16", sample=X[:300])
    got = art.run_rows(X[300:])["predict"].reshape(-1)
    assert np.max(np.abs(got - est.predict(X[300:]))) < 1e-2 * np.abs(y).max()


def test_int_mode_needs_a_sample():
    with pytest.raises(DataError, match="sample"):
        edgec.compile(fitted("logistic", load_wine)[0], quant="int8")


def test_nan_features_take_the_missing_branch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan
    est = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    for quant in ("int16", "int8"):
        check_sklearn(est, X, quant=quant, sample=X, min_agreement=FLOOR[quant])


def _graph_of(op_name, attrs, x_type, out_type):
    from edgec.ir.graph import Node
    x = Value("x", x_type)
    y = Value("y", out_type)
    return Graph("g", [x], [y], [Node(op_name, [x], [y], attrs, "n")])


def test_feature_quantize_c_matches_ref_at_the_edges():
    from edgec.backend.c import emit_c
    from edgec.backend.build import CompiledModel, build_shared
    scale = np.array([0.5, 1e-3, 2.0, 0.25], np.float32)
    zp = np.array([0, -1_000_000, 40_000, -3], np.int32)
    for bits, dt in ((16, DType.I16), (8, DType.I8)):
        attrs = FeatureQuantAttrs(scale, zp, bits)
        g = _graph_of("feature_quantize", attrs, TensorType((1, 4), DType.F32), TensorType((1, 4), dt))
        c = emit_c(g, f"fq{bits}")
        model = CompiledModel(c.signature(), build_shared(c.files))
        rows = np.array([[0.25, 1e9, -1e9, np.nan], [-0.75, 999.9995, 3.0, 1.125], [np.inf, -np.inf, 0.0, -0.125]],
                        np.float32)
        for r in rows:
            got = model.run({"x": r[None]})["y"]
            np.testing.assert_array_equal(got, feature_quantize_ref(attrs, r[None]))
        lo = -(1 << (bits - 1))
        assert feature_quantize_ref(attrs, rows[:1])[0, 3] == lo          # NaN code
        assert (feature_quantize_ref(attrs, rows)[:, :3] > lo).all()       # real values never take it


def test_linear_q_floors_negative_sums():
    a = LinearQAttrs(np.array([[3, -5]], np.int16), np.array([-7], np.int64), 2, 16, 1.0)
    # -7 + 3*1 - 5*2 = -14 -> floor(-14 / 4) = -4
    assert linear_q_ref(a, np.array([[1, 2]]))[0, 0] == -4
    from edgec.backend.c import emit_c
    from edgec.backend.build import CompiledModel, build_shared
    g = _graph_of("linear_q", a, TensorType((1, 2), DType.I16), TensorType((1, 1), DType.I32))
    c = emit_c(g, "lq")
    model = CompiledModel(c.signature(), build_shared(c.files))
    for q in ([1, 2], [-32768, 32767], [32767, -32768], [0, 0]):
        x = np.array([q], np.int16)
        assert model.run({"x": x})["y"][0, 0] == linear_q_ref(a, x)[0, 0]
