"""IsolationForest: score_samples / decision_function / predict (+1/-1) in float32 C."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import IsolationForest

from edgec.testing import check_sklearn


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits, load_diabetes])
@pytest.mark.parametrize("kw", [{}, {"max_features": 0.5, "contamination": 0.1}])
def test_isolation_forest_matches(loader, kw):
    X, _ = loader(return_X_y=True)
    est = IsolationForest(n_estimators=25, random_state=0, **kw).fit(X[::2])
    art, res = check_sklearn(est, X[1::2])
    assert art.sklearn.kind == "outlier"
    assert res["predict_max_rel_err"] == 0.0          # +1/-1 exactly
    assert res["score_samples_max_rel_err"] < 1e-5


def test_outliers_are_flagged_like_scikit_learn():
    X, _ = load_iris(return_X_y=True)
    est = IsolationForest(n_estimators=30, contamination=0.2, random_state=0).fit(X)
    far = np.vstack([X[:20], X[:5] * 3.0])
    art, res = check_sklearn(est, far)
    got = art.run_rows(far)["predict"].reshape(-1)
    np.testing.assert_array_equal(got, est.predict(far))
    assert (got[-5:] == -1).all()
