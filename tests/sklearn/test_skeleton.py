"""The scikit-learn front end's shared machinery: C API, labels, errors."""
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import edgec
from edgec.errors import EdgecError, UnsupportedOpError
from edgec.testing import check_sklearn


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_decision_tree_matches_exactly(iris):
    X, y = iris
    est = DecisionTreeClassifier(random_state=0).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0


def test_string_classes_get_a_name_table(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = LogisticRegression(max_iter=1000).fit(X, names)
    art, res = check_sklearn(est, X)
    header = art.c.files[f"{art.name}.h"]
    assert "class_names" in header and "versicolor" in art.c.files[f"{art.name}.c"]
    assert art.sklearn.labels == (0, 1, 2)


def test_c_api_functions_are_declared(iris):
    X, y = iris
    art = edgec.compile(LogisticRegression(max_iter=1000).fit(X, y), name="iris_lr")
    h = art.c.files["iris_lr.h"]
    for decl in ("int32_t iris_lr_predict(const float *", "void iris_lr_predict_proba(const float *",
                 "void iris_lr_decision_function(const float *", "IRIS_LR_NUM_CLASSES 3"):
        assert decl in h


def test_unfitted_estimator_is_a_clear_error():
    with pytest.raises(EdgecError, match="not fitted"):
        edgec.compile(LogisticRegression())


def test_unsupported_estimator_names_itself(iris):
    from sklearn.cluster import KMeans
    X, _ = iris
    with pytest.raises(UnsupportedOpError, match="KMeans"):
        edgec.compile(KMeans(n_clusters=2, n_init=1, random_state=0).fit(X))
