"""AdaBoost (SAMME over trees, R2 weighted median) in float32 C against scikit-learn."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import edgec
from edgec.errors import UnsupportedOpError
from edgec.ops.weighted_median import weighted_median
from edgec.testing import check_sklearn


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_adaboost_classifier_matches_exactly(loader):
    X, y = loader(return_X_y=True)
    est = AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=30, random_state=0).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0
    assert res["decision_function_max_rel_err"] < 1e-5 and res["predict_proba_max_rel_err"] < 1e-5


@pytest.mark.parametrize("loss", ["linear", "square", "exponential"])
def test_adaboost_regressor_weighted_median(loss):
    X, y = load_diabetes(return_X_y=True)
    est = AdaBoostRegressor(DecisionTreeRegressor(max_depth=3), n_estimators=25, loss=loss, random_state=0).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_max_rel_err"] < 1e-5


def test_weighted_median_reference_against_sorting():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, (200, 7)).astype(np.float32)   # many ties
    w = rng.random(7).astype(np.float32)
    got = weighted_median(x, w, np.float32(0.5 * w.astype(np.float64).sum())).reshape(-1)
    for row, g in zip(x, got):
        order = np.argsort(row, kind="stable")
        cdf = np.cumsum(w[order].astype(np.float64))
        assert g == row[order][np.argmax(cdf >= 0.5 * cdf[-1])]


def test_non_tree_base_estimator_is_a_clear_error():
    X, y = load_iris(return_X_y=True)
    est = AdaBoostClassifier(LogisticRegression(max_iter=200), n_estimators=3).fit(X, y)
    with pytest.raises(UnsupportedOpError, match="only decision trees"):
        edgec.compile(est)
