"""Linear estimators that predict like their plain form (cross-validated, Bayesian, robust)."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import (ARDRegression, BayesianRidge, ElasticNetCV, HuberRegressor, Lars, LassoCV,
                                  LassoLars, LogisticRegressionCV, RidgeClassifierCV, RidgeCV)
from sklearn.preprocessing import StandardScaler

from edgec.testing import check_sklearn


def _halves(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit(X[::2]).transform(X)
    return X[::2], y[::2], X[1::2]


@pytest.mark.parametrize("make", [RidgeCV, lambda: LassoCV(cv=3), lambda: ElasticNetCV(cv=3), BayesianRidge,
                                  ARDRegression, lambda: HuberRegressor(max_iter=500), Lars, LassoLars],
                         ids=["RidgeCV", "LassoCV", "ElasticNetCV", "BayesianRidge", "ARD", "Huber", "Lars", "LassoLars"])
def test_regressor_variants(make):
    Xtr, ytr, Xte = _halves(load_diabetes)
    check_sklearn(make().fit(Xtr, ytr), Xte)


@pytest.mark.parametrize("load", [load_breast_cancer, load_wine], ids=["binary", "multiclass"])
@pytest.mark.parametrize("make", [lambda: LogisticRegressionCV(cv=3, max_iter=2000), RidgeClassifierCV],
                         ids=["LogisticRegressionCV", "RidgeClassifierCV"])
def test_classifier_variants(make, load):
    Xtr, ytr, Xte = _halves(load)
    _, res = check_sklearn(make().fit(Xtr, ytr), Xte)
    assert res["predict_agreement"] == 1.0
    assert np.isfinite(list(res.values())).all()
