"""Preprocessing transformers and Pipeline: C output vs scikit-learn's transform / predict."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler, Normalizer, RobustScaler,
                                   StandardScaler)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn
import edgec


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X[::2], y[::2], X[1::2]


@pytest.mark.parametrize("est", [
    StandardScaler(), StandardScaler(with_mean=False), StandardScaler(with_std=False),
    MinMaxScaler(), MinMaxScaler(feature_range=(-2, 3)), MaxAbsScaler(),
    RobustScaler(), RobustScaler(with_centering=False, quantile_range=(10, 90)),
    PCA(n_components=5), PCA(n_components=4, whiten=True),
], ids=lambda e: repr(e))
def test_transformers_match_scikit_learn(wine, est):
    X, y, Xt = wine
    art, res = check_sklearn(est.fit(X), Xt)
    assert art.sklearn.kind == "transformer" and res["transform_max_rel_err"] < 1e-5


@pytest.mark.parametrize("est,lo,hi", [(MinMaxScaler(clip=True), 0, 1), (MaxAbsScaler(clip=True), -1, 1)],
                         ids=["minmax", "maxabs"])
def test_clip_bounds_unseen_values(wine, est, lo, hi):
    X, _, Xt = wine
    est.fit(np.vstack([X[:20], -X[:2]]))
    out = est.transform(Xt)
    assert (out == hi).any() and (out.min() == lo or est.transform(-Xt).min() == lo)   # clipping happens
    _, res = check_sklearn(est, np.vstack([Xt, -Xt]))
    assert res["transform_max_rel_err"] < 1e-6


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalizer_norms_and_zero_rows(wine, norm):
    _, _, Xt = wine
    rows = np.vstack([Xt, np.zeros((1, Xt.shape[1])), -Xt[:3]])
    art, res = check_sklearn(Normalizer(norm=norm).fit(rows), rows)
    assert np.all(art.run_rows(rows[-4:-3])["transform"] == 0)   # an all-zero row stays zero, no NaN


def test_pipeline_scaler_pca_tree_predicts_exactly():
    X, y = load_breast_cancer(return_X_y=True)
    est = make_pipeline(StandardScaler(), PCA(n_components=8, whiten=True),
                        DecisionTreeClassifier(random_state=0)).fit(X[::2], y[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0 and set(art.sklearn.methods) == {"predict", "predict_proba"}


def test_pipeline_scaler_logistic_on_digits():
    X, y = load_digits(return_X_y=True)
    est = make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=300)).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5


def test_pipeline_regressor_and_passthrough_steps():
    X, y = load_diabetes(return_X_y=True)
    est = Pipeline([("scale", RobustScaler()), ("skip", "passthrough"), ("none", None),
                    ("pca", PCA(n_components=6)), ("linear", LinearRegression())]).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_max_rel_err"] <= 1e-5


def test_pipeline_scaler_tree_regressor():
    """Trees after a scaler compare scaled values. Diabetes is avoided here: its features
    hold near-duplicates 1e-17 apart that a float32 input cannot tell apart, and scaled in
    float64 by scikit-learn they can fall on either side of a threshold no float32 value separates."""
    X, y = load_breast_cancer(return_X_y=True)
    est = make_pipeline(StandardScaler(), DecisionTreeRegressor(max_depth=6, random_state=0)).fit(X[::2], y[::2] * 10.0)
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_max_rel_err"] <= 1e-5


def test_pipeline_of_transformers_is_a_transformer(wine):
    X, _, Xt = wine
    est = make_pipeline(StandardScaler(), PCA(n_components=3), "passthrough").fit(X)
    art, _ = check_sklearn(est, Xt)
    assert art.sklearn.methods == ("transform",)


def test_unsupported_step_is_named(wine):
    X, y, _ = wine
    est = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression(max_iter=500)).fit(X, y)
    with pytest.raises(UnsupportedOpError, match="FunctionTransformer"):
        edgec.compile(est)


def test_unknown_normalizer_norm_is_named(wine):
    X, _, _ = wine
    est = Normalizer().fit(X)
    est.norm = "l3"
    with pytest.raises(UnsupportedOpError, match="Normalizer.*norm"):
        edgec.compile(est)
