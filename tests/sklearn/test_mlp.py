"""MLPClassifier / MLPRegressor: gemm layers with fused activations, scikit-learn's output rules."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import edgec
from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn


def fitted(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(StandardScaler(), est).fit(X, y)


@pytest.mark.parametrize("loader,activation", [(load_iris, "relu"), (load_digits, "tanh"),
                                               (load_breast_cancer, "logistic"), (load_breast_cancer, "identity")],
                         ids=lambda v: getattr(v, "__name__", v))
def test_classifier_predict_and_proba(loader, activation):
    X, y = loader(return_X_y=True)
    est = fitted(MLPClassifier((24, 12), activation=activation, max_iter=200, random_state=0), X[::2], y[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5
    assert art.sklearn.methods == ("predict", "predict_proba")


def test_binary_classifier_with_string_labels():
    X, y = load_breast_cancer(return_X_y=True)
    names = np.array(["malignant", "benign"])[y]
    est = fitted(MLPClassifier((8,), max_iter=200, random_state=1), X[::2], names[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0 and art.sklearn.class_names == ("benign", "malignant")


@pytest.mark.parametrize("activation,loss", [("relu", "squared_error"), ("tanh", "squared_error"),
                                             ("logistic", "poisson")])
def test_regressor_on_diabetes(activation, loss):
    X, y = load_diabetes(return_X_y=True)
    est = fitted(MLPRegressor(hidden_layer_sizes=(32, 16), activation=activation, loss=loss, max_iter=200,
                              random_state=0), X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_max_rel_err"] <= 1e-5


def test_multilabel_classifier_is_refused_by_name():
    X, y = load_iris(return_X_y=True)
    Y = np.stack([y == 0, y == 1], axis=1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier((4,), max_iter=20, random_state=0).fit(X, Y)
    with pytest.raises(UnsupportedOpError, match="MLPClassifier.*multilabel"):
        edgec.compile(est)
