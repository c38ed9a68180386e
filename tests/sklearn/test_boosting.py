"""GradientBoosting* and HistGradientBoosting* (incl. NaN routing): float32 C against scikit-learn."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor)

import edgec
from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn

@pytest.fixture(autouse=True, scope="module")
def one_openmp_thread():
    """HistGradientBoosting fits and predicts with OpenMP; on a busy shared machine its spinning
    threads make these small fits take seconds instead of milliseconds."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        yield


LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}


def split(loader, nan_rate=0.0):
    X, y = loader(return_X_y=True)
    if nan_rate:
        X = X.copy()
        X[np.random.default_rng(0).random(X.shape) < nan_rate] = np.nan
    return X[::2], y[::2], X[1::2]


@pytest.mark.parametrize("data", sorted(LOADERS))
def test_gradient_boosting_classifier_matches_exactly(data):
    Xtr, ytr, Xte = split(LOADERS[data])
    est = GradientBoostingClassifier(n_estimators=15 if data == "digits" else 40, max_depth=3, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert res["decision_function_max_rel_err"] < 1e-5


@pytest.mark.parametrize("kw", [{"init": "zero"}, {"loss": "exponential"}])
def test_gradient_boosting_binary_variants(kw):
    Xtr, ytr, Xte = split(load_breast_cancer)
    est = GradientBoostingClassifier(n_estimators=30, random_state=0, **kw).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0


@pytest.mark.parametrize("cls", [GradientBoostingClassifier, HistGradientBoostingClassifier])
def test_binary_boosting_with_string_classes(cls):
    Xtr, ytr, Xte = split(load_breast_cancer)
    names = np.array(["malignant", "benign"])
    est = cls(random_state=0, **({"n_estimators": 20} if cls is GradientBoostingClassifier else {"max_iter": 20}))
    est.fit(Xtr, names[ytr])
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0 and art.sklearn.class_names == ("benign", "malignant")


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber", "quantile"])
def test_gradient_boosting_regressor_within_1e5(loss):
    Xtr, ytr, Xte = split(load_diabetes)
    est = GradientBoostingRegressor(loss=loss, n_estimators=40, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_max_rel_err"] < 1e-5


def test_gradient_boosting_with_an_input_dependent_init_is_a_clear_error():
    from sklearn.linear_model import LinearRegression
    Xtr, ytr, _ = split(load_diabetes)
    est = GradientBoostingRegressor(init=LinearRegression(), n_estimators=3).fit(Xtr, ytr)
    with pytest.raises(UnsupportedOpError, match="init"):
        edgec.compile(est)


@pytest.mark.parametrize("nan_rate", [0.0, 0.15])
@pytest.mark.parametrize("data", ["iris", "breast_cancer", "wine"])
def test_hist_gradient_boosting_classifier_matches_exactly(data, nan_rate):
    Xtr, ytr, Xte = split(LOADERS[data], nan_rate)
    est = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert res["predict_proba_max_rel_err"] < 1e-5


def test_hist_gradient_boosting_digits_with_missing_values():
    Xtr, ytr, Xte = split(load_digits, 0.1)
    est = HistGradientBoostingClassifier(max_iter=8, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0


def test_nan_routing_follows_each_node():
    """A feature missing only at prediction time still takes each node's learned direction."""
    Xtr, ytr, Xte = split(load_breast_cancer, 0.2)
    est = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(Xtr, ytr)
    Xall_nan = Xte.copy()
    Xall_nan[:, :10] = np.nan
    _, res = check_sklearn(est, Xall_nan)
    assert res["predict_agreement"] == 1.0


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_hist_gradient_boosting_regressor_within_1e5(loss):
    """wine's alcohol from its other columns (a regression on short-decimal data, with NaNs)."""
    X, _ = load_wine(return_X_y=True)
    X = X.copy()
    X[np.random.default_rng(1).random(X.shape) < 0.1] = np.nan
    X[:, 0] = np.nan_to_num(X[:, 0], nan=13.0)
    feats, target = X[:, 1:], X[:, 0]
    est = HistGradientBoostingRegressor(loss=loss, max_iter=40, random_state=0).fit(feats[::2], target[::2])
    _, res = check_sklearn(est, feats[1::2])
    assert res["predict_max_rel_err"] < 1e-5


def test_hist_gradient_boosting_regressor_on_diabetes():
    """diabetes' values lie on grids: a held-out value can sit within 2 float64 ulps of a
    threshold (a midpoint of two training values) on either side, which no float32 input can
    tell apart; on this split none does."""
    Xtr, ytr, Xte = split(load_diabetes)
    est = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_max_rel_err"] < 1e-5


def test_hist_gradient_boosting_categorical_features_match_exactly():
    """Categorical splits become comparisons on the raw value; held-out rows include unknown
    categories, negative values and NaNs (all go each node's missing way, as in scikit-learn)."""
    X, y = load_wine(return_X_y=True)
    X = X.copy()
    X[:, 4] = np.floor(X[:, 4] / 10) - 7          # magnesium bands 0..9
    X[:, 12] = np.floor(X[:, 12] / 100)           # proline bands
    est = HistGradientBoostingClassifier(max_iter=30, categorical_features=[4, 12], random_state=0).fit(X[::2], y[::2])
    Xte = X[1::2].copy()
    Xte[::7, 4] = -1
    Xte[::5, 12] = 99
    Xte[::6, 4] = np.nan
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5


def test_hist_gradient_boosting_categorical_digits():
    X, y = load_digits(return_X_y=True)
    X = X.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    est = HistGradientBoostingClassifier(max_iter=5, categorical_features=[19, 20, 27, 28, 35, 36, 43, 44],
                                         random_state=0).fit(X[::2], y[::2])
    Xte = X[1::2].copy()
    Xte[::9, 27] = 20                              # a category never seen in training
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
