"""Random forests and extra trees: float32 C against scikit-learn on held-out bundled data."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor

from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}


def split(loader):
    X, y = loader(return_X_y=True)
    return X[::2], y[::2], X[1::2]


@pytest.mark.parametrize("data", sorted(LOADERS))
@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesClassifier])
def test_forest_classifier_matches_exactly(cls, data):
    Xtr, ytr, Xte = split(LOADERS[data])
    est = cls(n_estimators=12, max_depth=8, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert res["predict_proba_max_rel_err"] < 1e-6


def test_forest_with_string_classes_and_full_depth():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = RandomForestClassifier(n_estimators=10, random_state=1).fit(X[::2], names[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0 and art.sklearn.labels == (0, 1, 2)


@pytest.mark.parametrize("cls", [RandomForestRegressor, ExtraTreesRegressor])
def test_forest_regressor_within_1e5(cls):
    Xtr, ytr, Xte = split(load_diabetes)
    est = cls(n_estimators=15, max_depth=6, random_state=0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte, rtol=1e-5)
    assert res["predict_max_rel_err"] < 1e-5


def test_multi_output_forest_regressor():
    X, y = load_diabetes(return_X_y=True)
    Y = np.stack([y, X[:, 2] * 100], axis=1)
    est = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(X[::2], Y[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_max_rel_err"] < 1e-5


def test_multi_output_forest_classifier_is_unsupported():
    X, y = load_iris(return_X_y=True)
    est = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, np.stack([y, y % 2], axis=1))
    import edgec
    with pytest.raises(UnsupportedOpError, match="multi-output"):
        edgec.compile(est)
