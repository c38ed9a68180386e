"""methods=: only the chosen estimator methods are compiled, and what only the others need is gone."""
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import edgec
from edgec.cli import main
from edgec.errors import EdgecError
from edgec.testing import check_sklearn


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_predict_only_drops_softmax_and_proba_function(iris):
    X, y = iris
    est = LogisticRegression(max_iter=1000).fit(X, y)
    full = edgec.compile(est, name="lr")
    art, res = check_sklearn(est, X, name="lr", methods=("predict",))
    assert res["predict_agreement"] == 1.0
    assert "softmax" in [n.op for n in full.graph.nodes]
    assert "softmax" not in [n.op for n in art.graph.nodes]
    assert art.sklearn.methods == ("predict",)
    h = art.c.files["lr.h"]
    assert "lr_predict(" in h and "predict_proba" not in h and "decision_function" not in h
    assert not any("softmax" in f for f in art.c.files)


def test_methods_string_keeps_order_of_the_estimator(iris):
    X, y = iris
    est = RandomForestClassifier(5, max_depth=3, random_state=0).fit(X, y)
    art, res = check_sklearn(est, X, methods="predict_proba,predict")
    assert art.sklearn.methods == ("predict", "predict_proba")
    assert res["predict_agreement"] == 1.0 and set(res) == {"predict_agreement", "predict_proba_max_rel_err"}


def test_unknown_method_is_a_clear_error(iris):
    X, y = iris
    est = LogisticRegression(max_iter=1000).fit(X, y)
    with pytest.raises(EdgecError, match="has no score_samples; it offers predict"):
        edgec.compile(est, methods=("predict", "score_samples"))


def test_cli_methods_option(iris, tmp_path):
    import joblib
    X, y = iris
    path = tmp_path / "lr.joblib"
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), path)
    assert main(["compile", str(path), "--trust-pickle", "--methods", "predict", "-o", str(tmp_path / "c"),
                 "--name", "m"]) == 0
    h = (tmp_path / "c" / "m.h").read_text()
    assert "m_predict(" in h and "m_predict_proba" not in h
