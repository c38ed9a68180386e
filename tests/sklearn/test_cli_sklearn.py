"""The CLI route for scikit-learn models: pickles only with --trust-pickle, compile, verify."""
import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.tree import DecisionTreeClassifier

from edgec.cli import main


@pytest.fixture(scope="module")
def wine_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("wine")
    X, y = load_wine(return_X_y=True)
    est = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X[::2], y[::2])
    joblib.dump(est, d / "tree.joblib")
    np.savez(d / "test.npz", X=X[1::2], y=y[1::2])
    return d


def test_pickle_is_refused_without_the_flag(wine_files, capsys):
    rc = main(["compile", str(wine_files / "tree.joblib"), "-o", str(wine_files / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "--trust-pickle" in err and "runs code" in err
    assert not (wine_files / "out").exists()


def test_compile_trusted_pickle_writes_the_predict_api(wine_files, capsys):
    out = wine_files / "c"
    rc = main(["compile", str(wine_files / "tree.joblib"), "--trust-pickle", "-o", str(out), "--name", "wine_tree"])
    assert rc == 0, capsys.readouterr().err
    header = (out / "wine_tree.h").read_text()
    assert "int32_t wine_tree_predict(const float *" in header
    assert "void wine_tree_predict_proba(const float *" in header


def test_verify_reports_full_agreement(wine_files, capsys):
    report = wine_files / "r.json"
    rc = main(["verify", str(wine_files / "tree.joblib"), "--trust-pickle", "--data", str(wine_files / "test.npz"),
               "--json", str(report)])
    out = capsys.readouterr().out
    assert rc == 0, out
    r = json.loads(report.read_text())
    assert r["agreement"]["predict_agreement"] == 1.0 and r["passed"]
    assert r["accuracy"]["sklearn"] == r["accuracy"]["compiled"]
    assert "PASS" in out


def test_pickle_of_something_else_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "notamodel.pkl"
    p.write_bytes(pickle.dumps({"a": 1}))
    assert main(["compile", str(p), "--trust-pickle", "-o", str(tmp_path / "o")]) == 2
    assert "not a scikit-learn estimator" in capsys.readouterr().err


def test_truncated_pickle_is_a_clear_error(tmp_path, wine_files, capsys):
    p = tmp_path / "cut.joblib"
    p.write_bytes((wine_files / "tree.joblib").read_bytes()[:40])
    assert main(["compile", str(p), "--trust-pickle", "-o", str(tmp_path / "o")]) == 2
    assert "cannot load the pickle" in capsys.readouterr().err


def test_verify_data_with_wrong_feature_count(tmp_path, wine_files, capsys):
    X, y = load_wine(return_X_y=True)
    np.savez(tmp_path / "bad.npz", X=X[:, :5])
    assert main(["verify", str(wine_files / "tree.joblib"), "--trust-pickle", "--data", str(tmp_path / "bad.npz")]) == 2
    assert "13" in capsys.readouterr().err

