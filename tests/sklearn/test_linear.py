"""Linear models: float32 C agrees with scikit-learn on held-out halves of the bundled datasets."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression, LogisticRegression, Perceptron, Ridge,
                                  RidgeClassifier, SGDClassifier, SGDRegressor)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier

import edgec
from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn
from tests.sklearn.conftest_data import CLASSIFICATION, split

warnings.filterwarnings("ignore", category=ConvergenceWarning)

REGRESSORS = {
    "linear": lambda: LinearRegression(),
    "ridge": lambda: Ridge(alpha=0.5),
    "lasso": lambda: Lasso(alpha=0.05),
    "elastic_net": lambda: ElasticNet(alpha=0.05, l1_ratio=0.3),
    "sgd": lambda: SGDRegressor(random_state=0),
    "linear_svr": lambda: LinearSVR(C=10.0, max_iter=20000, random_state=0),
}

CLASSIFIERS = {
    "logistic": lambda: LogisticRegression(max_iter=2000),
    "sgd_hinge": lambda: SGDClassifier(random_state=0),
    "sgd_log_loss": lambda: SGDClassifier(loss="log_loss", random_state=0),
    "sgd_modified_huber": lambda: SGDClassifier(loss="modified_huber", random_state=0),
    "perceptron": lambda: Perceptron(random_state=0),
    "ridge_classifier": lambda: RidgeClassifier(),
    "linear_svc": lambda: LinearSVC(max_iter=5000, random_state=0),
    "ovr_logistic": lambda: OneVsRestClassifier(LogisticRegression(max_iter=2000)),
    "ovr_linear_svc": lambda: OneVsRestClassifier(LinearSVC(max_iter=5000, random_state=0)),
}


@pytest.mark.parametrize("model", sorted(REGRESSORS))
def test_regressor_on_diabetes(model):
    Xtr, ytr, Xte, _ = split("diabetes")
    est = REGRESSORS[model]().fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte, rtol=1e-5)
    assert res["predict_max_rel_err"] <= 1e-5


@pytest.mark.parametrize("model", ["linear", "ridge", "lasso", "elastic_net"])
def test_multi_target_regressor(model):
    Xtr, ytr, Xte, _ = split("diabetes")
    Y = np.stack([ytr, np.sqrt(ytr) * 10.0, -0.5 * ytr], axis=1)
    est = REGRESSORS[model]().fit(Xtr, Y)
    art, res = check_sklearn(est, Xte, rtol=1e-5)
    assert art.run_rows(Xte[:3])["predict"].shape == (3, 3)
    assert res["predict_max_rel_err"] <= 1e-5


@pytest.mark.parametrize("data", CLASSIFICATION)
@pytest.mark.parametrize("model", sorted(CLASSIFIERS))
def test_classifier_predicts_exactly(model, data):
    Xtr, ytr, Xte, _ = split(data)
    est = CLASSIFIERS[model]().fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, min_agreement=1.0)
    assert res["predict_agreement"] == 1.0
    expected = {"predict", "decision_function"} | ({"predict_proba"} if hasattr(est, "predict_proba") else set())
    assert set(art.sklearn.methods) == expected


def test_binary_classes_follow_the_strict_threshold():
    # predict is classes_[score > 0]: a sample exactly on the boundary goes to classes_[0]
    X = np.array([[-1.0], [1.0], [-2.0], [2.0]])
    est = LogisticRegression().fit(X, [3, 7, 3, 7])
    est.intercept_[:] = 0.0
    art = edgec.compile(est)
    got = art.run_rows(np.array([[0.0], [1e-3], [-1e-3]]))["predict"].reshape(-1)
    assert got.tolist() == [3, 7, 3] == est.predict([[0.0], [1e-3], [-1e-3]]).tolist()


def test_modified_huber_all_zero_row_is_uniform():
    # every class score <= -1 gives scikit-learn's uniform fallback, not 0/0
    Xtr, ytr, _, _ = split("iris")
    est = SGDClassifier(loss="modified_huber", random_state=0).fit(Xtr, ytr)
    est.intercept_[:] = -100.0
    art = edgec.compile(est)
    got = art.run_rows(Xtr[:2])["predict_proba"]
    np.testing.assert_allclose(got, est.predict_proba(Xtr[:2]), atol=1e-7)
    np.testing.assert_allclose(got, np.full((2, 3), 1 / 3), atol=1e-7)


def test_sgd_log_loss_proba_survives_sigmoid_underflow():
    Xtr, ytr, Xte, _ = split("iris")
    est = SGDClassifier(loss="log_loss", random_state=0).fit(Xtr, ytr)
    est.intercept_[:] -= 200.0          # every sigmoid underflows float32
    art = edgec.compile(est)
    np.testing.assert_allclose(art.run_rows(Xte)["predict_proba"], est.predict_proba(Xte), atol=1e-5)


def test_ovr_over_probability_only_members():
    Xtr, ytr, Xte, _ = split("wine")
    est = OneVsRestClassifier(DecisionTreeClassifier(max_depth=3, random_state=0)).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0 and "decision_function" not in art.sklearn.methods


def test_ovr_binary_uses_the_member_threshold():
    Xtr, ytr, Xte, _ = split("breast_cancer")
    for member in (LogisticRegression(max_iter=2000), DecisionTreeClassifier(max_depth=3, random_state=0)):
        est = OneVsRestClassifier(member).fit(Xtr, ytr)
        _, res = check_sklearn(est, Xte)
        assert res["predict_agreement"] == 1.0


def test_multilabel_ridge_classifier_is_unsupported():
    Xtr, ytr, _, _ = split("iris")
    Y = np.stack([ytr == 0, ytr == 2], axis=1).astype(int)
    with pytest.raises(UnsupportedOpError, match="multilabel"):
        edgec.compile(RidgeClassifier().fit(Xtr, Y))
