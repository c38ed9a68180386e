"""The peer benchmark's harness (benchmarks/sklearn_peers.py): one C measurement method for every
tool, and a tool that cannot compile a model is an n/a row, never a crash."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import sklearn_peers as sp  # noqa: E402
from peers import edgec_peer, m2cgen_peer  # noqa: E402
from peers.cbuild import ModelCode, Unsupported, measure  # noqa: E402


@pytest.fixture(scope="module")
def iris_tree():
    Xtr, Xte, ytr, _ = sp.load("iris")
    return DecisionTreeClassifier(max_depth=4, random_state=0).fit(Xtr, ytr), Xte


@pytest.mark.parametrize("tool", [edgec_peer, m2cgen_peer], ids=lambda t: t.NAME)
def test_measures_a_tree_in_c(tool, iris_tree, tmp_path):
    est, Xte = iris_tree
    Xte = Xte.copy()
    Xte[0], Xte[1] = 0.0, 3.0          # whole numbers must still be float literals in the harness
    m = measure(tool.generate(est), Xte, tmp_path / tool.NAME, batch_s=0.002, batches=2)
    assert m.predictions.shape == (Xte.shape[0],)
    assert 100 < m.size_bytes < 100_000
    assert 0 < m.ns_per_predict < 100_000
    res = sp.compare(est, Xte, m.predictions)
    assert res["agreement"] == 1.0     # both tools compare float32 features like scikit-learn here


def test_agreement_counts_wrong_labels(iris_tree):
    est, Xte = iris_tree
    idx = np.searchsorted(est.classes_, est.predict(Xte))
    idx[:3] = (idx[:3] + 1) % 3
    assert sp.compare(est, Xte, idx)["agreement"] == pytest.approx(1 - 3 / Xte.shape[0])


class _Refuses:
    NAME = "refuses"

    @staticmethod
    def generate(est):
        raise Unsupported("refuses: no converter for DecisionTreeClassifier")


class _BrokenC:
    NAME = "broken"

    @staticmethod
    def generate(est):
        return ModelCode({"m.c": "int32_t broken_predict(const float *x) { return x[0] +; }\n"}, "broken_predict", "int32_t")


def test_unsupported_and_broken_tools_are_na_rows(iris_tree, tmp_path, capsys):
    est, Xte = iris_tree
    rows = [sp.bench_one(t, est, Xte, tmp_path, "iris", "DecisionTree", batch_s=0.002)
            for t in (_Refuses, _BrokenC, m2cgen_peer)]
    assert [r.status for r in rows] == ["n/a", "n/a", "ok"]
    assert "no converter" in rows[0].reason and "failed to build" in rows[1].reason
    sp.report(rows, [_Refuses, _BrokenC, m2cgen_peer])
    out = capsys.readouterr().out
    assert "[1] refuses: estimator type not supported: DecisionTreeClassifier" in out and "[2] broken" in out


def test_summary_ratios_against_smallest_and_fastest_peer():
    R = sp.Result
    rows, met, compared = sp.summary_rows([
        R("iris", "DT", "edgec", "ok", agreement=1.0, size_bytes=300, ns=10.0),
        R("iris", "DT", "small", "ok", agreement=0.9, size_bytes=200, ns=50.0),
        R("iris", "DT", "fast", "ok", agreement=1.0, size_bytes=900, ns=5.0),
        R("iris", "DT", "none", "n/a", reason="x"),
        R("iris", "LR", "edgec", "ok", agreement=1.0, size_bytes=100, ns=1.0),
        R("iris", "LR", "fast", "ok", agreement=1.0, size_bytes=900, ns=5.0),
    ])
    assert (met, compared) == (1, 2)
    assert rows[0][4].startswith("1.50x small") and rows[0][6].startswith("2.00x fast")
    assert rows[0][-1] == "no: size, time" and rows[1][-1] == "yes"


def test_quick_run_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    before = np.geterr()
    assert sp.main(["--quick", "--json", str(out)]) == 0
    assert np.geterr() == before      # emlearn's import sets numpy.seterr(all='raise') globally
    rows = json.loads(out.read_text())
    tools = {r["tool"] for r in rows}
    assert tools == {"edgec", "emlearn", "m2cgen", "micromlgen", "tl2cgen"}
    ok = [r for r in rows if r["status"] == "ok"]
    assert any(r["tool"] == "edgec" for r in ok) and all(r["size_bytes"] > 0 and r["ns"] > 0 for r in ok)
    assert all(r["agreement"] is not None or r["max_rel_err"] is not None for r in ok)
    assert all(r["reason"] for r in rows if r["status"] != "ok")
    assert "edgec against the smallest and the fastest peer" in capsys.readouterr().out
