"""edgec vs emlearn, m2cgen, micromlgen and tl2cgen on scikit-learn's bundled datasets (issue 4).

For each dataset (iris, wine, breast_cancer, digits: classifiers; diabetes: regressors) and model,
every tool that supports the model generates C from the same fitted estimator (its own Python
API), and the same harness measures it in the same run:
  - agreement with scikit-learn's `predict` on the test split (regressors: max relative error,
    |c - sklearn| / max(1, |sklearn|));
  - size: text (incl. read-only data) + data + bss of the model's objects (gcc/g++ -O2 -c, unwind
    tables off), the tool's runtime headers and the small predict shim included, the timing harness
    not;
  - ns per prediction: a generated C main calls the model's predict on the test rows in a loop
    (clock_gettime), in a fixed pseudo-random order of 8192 rows (so a branch predictor cannot
    learn the sequence), best of 25 batches of ~2 ms (short batches: on a loaded machine the best
    one likely ran unpreempted).
Features are standardised (fit on the training split) and rounded to float32 before training, so
every tool and scikit-learn see the same float32 rows. A tool that cannot compile a model shows
n/a with the reason in a footnote. The summary compares edgec with the smallest and the fastest
peer on each row. Goal: 100% agreement (regressors within 1e-5), size <= smallest peer, time <=
fastest peer.

Usage: python benchmarks/sklearn_peers.py [--quick] [--json OUT] [--keep DIR] [--from-json IN]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.base import is_classifier
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import print_table  # noqa: E402
from peers import TOOLS  # noqa: E402
from peers.cbuild import Unsupported, measure  # noqa: E402

CLASSIFICATION = ["iris", "wine", "breast_cancer", "digits"]
REGRESSION = ["diabetes"]
REL_TOL = 1e-5

# name -> factory(n_features); every model fixed and seeded so reruns measure the same trees.
CLASSIFIERS = {
    "LogisticRegression": lambda nf: LogisticRegression(max_iter=5000),
    "LinearSVC": lambda nf: LinearSVC(max_iter=20000, random_state=0),
    "SVC rbf": lambda nf: SVC(kernel="rbf", gamma=1.0 / nf),   # explicit gamma: micromlgen needs one
    "DecisionTree": lambda nf: DecisionTreeClassifier(random_state=0),
    "RandomForest": lambda nf: RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0),
    "ExtraTrees": lambda nf: ExtraTreesClassifier(n_estimators=20, max_depth=8, random_state=0),
    "GradientBoosting": lambda nf: GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0),
    "HistGradientBoosting": lambda nf: HistGradientBoostingClassifier(max_iter=20, random_state=0),
    "GaussianNB": lambda nf: GaussianNB(),
    "KNN": lambda nf: KNeighborsClassifier(n_neighbors=5),
    "MLP": lambda nf: MLPClassifier(hidden_layer_sizes=(32,), max_iter=2000, random_state=0),
}
REGRESSORS = {
    "LinearRegression": lambda nf: LinearRegression(),
    "LinearSVR": lambda nf: LinearSVR(max_iter=20000, random_state=0),
    "SVR rbf": lambda nf: SVR(kernel="rbf", gamma=1.0 / nf, C=100.0),
    "DecisionTree": lambda nf: DecisionTreeRegressor(max_depth=8, random_state=0),
    "RandomForest": lambda nf: RandomForestRegressor(n_estimators=20, max_depth=8, random_state=0),
    "ExtraTrees": lambda nf: ExtraTreesRegressor(n_estimators=20, max_depth=8, random_state=0),
    "GradientBoosting": lambda nf: GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0),
    "HistGradientBoosting": lambda nf: HistGradientBoostingRegressor(max_iter=20, random_state=0),
    "KNN": lambda nf: KNeighborsRegressor(n_neighbors=5),
    "MLP": lambda nf: MLPRegressor(hidden_layer_sizes=(32,), max_iter=3000, random_state=0),
}
QUICK_DATASETS = ["iris", "diabetes"]
QUICK_MODELS = ["LogisticRegression", "LinearRegression", "DecisionTree"]


@dataclass
class Result:
    dataset: str
    model: str
    tool: str
    status: str                    # "ok" or "n/a"
    reason: str = ""
    note: str = ""
    agreement: float | None = None  # classifiers: fraction of test rows equal to sklearn's predict
    max_rel_err: float | None = None  # regressors
    size_bytes: int | None = None
    ns: float | None = None
    objects: dict | None = None     # size_bytes per object file (where the bytes are)

    @property
    def exact(self) -> bool:
        return self.agreement == 1.0 if self.max_rel_err is None else self.max_rel_err <= REL_TOL


def load(name: str):
    """(X_train, X_test, y_train, y_test): standardised, float32-rounded features."""
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    clf = name in CLASSIFICATION
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y if clf else None)
    sc = StandardScaler().fit(Xtr)
    return (sc.transform(Xtr).astype(np.float32), sc.transform(Xte).astype(np.float32), ytr, yte)


def compare(est, Xte: np.ndarray, preds: np.ndarray) -> dict:
    want = est.predict(Xte)
    if is_classifier(est):
        idx = np.searchsorted(est.classes_, want)
        return {"agreement": float(np.mean(preds == idx))}
    w = want.astype(np.float64)
    return {"max_rel_err": float(np.max(np.abs(preds - w) / np.maximum(1.0, np.abs(w))))}


def bench_one(tool, est, Xte: np.ndarray, work: Path, dataset: str, model: str, batch_s: float = 0.002) -> Result:
    base = dict(dataset=dataset, model=model, tool=tool.NAME)
    try:
        code = tool.generate(est)
    except Unsupported as e:
        return Result(**base, status="n/a", reason=str(e))
    except Exception as e:  # a peer's converter crashing is a result too, not a benchmark failure
        return Result(**base, status="n/a", reason=f"{tool.NAME}: {type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}")
    try:
        m = measure(code, Xte, work / f"{dataset}_{model.replace(' ', '_')}_{tool.NAME}", batch_s=batch_s)
    except Exception as e:
        first_error = next((ln.strip() for ln in str(e).splitlines() if "error" in ln), type(e).__name__)
        return Result(**base, status="n/a", note=code.note,
                      reason=f"{tool.NAME}: generated code failed to build or run ({first_error[:120]})")
    return Result(**base, status="ok", note=code.note, size_bytes=m.size_bytes, ns=m.ns_per_predict,
                  objects=m.objects,
                  **compare(est, Xte, m.predictions))


def run(datasets_: list[str], models: list[str] | None, tools, work: Path, log=print,
        batch_s: float = 0.002, on_result=None) -> list[Result]:
    results = []
    for ds in datasets_:
        Xtr, Xte, ytr, _ = load(ds)
        table = CLASSIFIERS if ds in CLASSIFICATION else REGRESSORS
        for model, make in table.items():
            if models is not None and model not in models:
                continue
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    est = make(Xtr.shape[1]).fit(Xtr, ytr)
            except Exception as e:
                est, fit_error = None, f"scikit-learn fit failed: {type(e).__name__}: {e}"[:160]
            for tool in tools:
                if est is None:
                    r = Result(dataset=ds, model=model, tool=tool.NAME, status="n/a", reason=fit_error)
                else:
                    r = bench_one(tool, est, Xte, work, ds, model, batch_s)
                log(f"  {ds:13s} {model:20s} {tool.NAME:10s} {cell(r, {}) if r.status == 'ok' else r.reason}", flush=True)
                results.append(r)
                if on_result is not None:
                    on_result(results)
    return results


def fmt_size(b: int) -> str:
    return f"{b} B" if b < 10240 else f"{b / 1024:.1f} KB"


def fmt_ns(ns: float) -> str:
    return f"{ns:.0f} ns" if ns < 10000 else f"{ns / 1000:.1f} us"


def fmt_quality(r: Result) -> str:
    if r.agreement is not None:
        return f"{100 * r.agreement:.1f}%"
    return f"err {r.max_rel_err:.1e}"


# The tools' ways of saying "this estimator type is not supported at all": one footnote per tool.
_NO_SUPPORT = re.compile(r"no converter for (\w+)|no port for (\w+)|cannot import (\w+)|"
                         r"Model 'sklearn_(\w+)' is not supported|op (\w+) is not supported \(no converter")


def footnote_key(r: Result) -> tuple[str, str | None]:
    """(footnote text, estimator class when the reason is 'type not supported', else None)."""
    m = _NO_SUPPORT.search(r.reason)
    if m:
        return f"{r.tool}: estimator type not supported:", next(g for g in m.groups() if g)
    return r.reason, None


def cell(r: Result, notes: dict[str, list]) -> str:
    """`notes`: footnote text -> [number, estimator classes]; filled as cells are made."""
    if r.status != "ok":
        key, cls = footnote_key(r)
        entry = notes.setdefault(key, [len(notes) + 1, []])
        if cls and cls not in entry[1]:
            entry[1].append(cls)
        return f"n/a [{entry[0]}]"
    return f"{fmt_quality(r)} / {fmt_size(r.size_bytes)} / {fmt_ns(r.ns)}"


def summary_rows(results: list[Result]) -> tuple[list[list[str]], int, int]:
    """One row per dataset/model where edgec and at least one peer ran; (rows, met, compared)."""
    rows, met, compared = [], 0, 0
    keys = list(dict.fromkeys((r.dataset, r.model) for r in results))
    for ds, model in keys:
        group = [r for r in results if (r.dataset, r.model) == (ds, model) and r.status == "ok"]
        ours = next((r for r in group if r.tool == "edgec"), None)
        peers = [r for r in group if r.tool != "edgec"]
        if ours is None or not peers:
            continue
        small = min(peers, key=lambda r: r.size_bytes)
        fast = min(peers, key=lambda r: r.ns)
        ok = ours.exact and ours.size_bytes <= small.size_bytes and ours.ns <= fast.ns
        misses = [w for w, bad in [("agreement", not ours.exact), ("size", ours.size_bytes > small.size_bytes),
                                   ("time", ours.ns > fast.ns)] if bad]
        compared += 1
        met += ok
        rows.append([ds, model, fmt_quality(ours), fmt_size(ours.size_bytes),
                     f"{ours.size_bytes / small.size_bytes:.2f}x {small.tool} ({fmt_size(small.size_bytes)}, {fmt_quality(small)})",
                     fmt_ns(ours.ns), f"{ours.ns / fast.ns:.2f}x {fast.tool} ({fmt_ns(fast.ns)}, {fmt_quality(fast)})",
                     "yes" if ok else "no: " + ", ".join(misses)])
    return rows, met, compared


def report(results: list[Result], tools) -> None:
    names = [t.NAME for t in tools]
    notes: dict[str, list] = {}
    for ds in dict.fromkeys(r.dataset for r in results):
        rows = []
        for model in dict.fromkeys(r.model for r in results if r.dataset == ds):
            by_tool = {r.tool: r for r in results if (r.dataset, r.model) == (ds, model)}
            rows.append([model] + [cell(by_tool[n], notes) if n in by_tool else "" for n in names])
        what = "agreement" if ds in CLASSIFICATION else "max rel err"
        print_table(f"{ds}: {what} with scikit-learn / code+data bytes / ns per prediction", ["model"] + names, rows)
    print("\nTool settings:")
    for t in names:
        notes_t = sorted({n for r in results if r.tool == t and r.status == "ok" and r.note
                          for n in r.note.split("; ")})
        if notes_t:
            print(f"  {t}: {'; '.join(notes_t)}")
    if notes:
        print("\nn/a:")
        for reason, (k, classes) in notes.items():
            print(f"  [{k}] {reason}" + (" " + ", ".join(classes) if classes else ""))
    rows, met, compared = summary_rows(results)
    if rows:
        print_table("edgec against the smallest and the fastest peer (ratio: edgec / peer)",
                    ["dataset", "model", "edgec agreement", "edgec size", "size vs smallest peer",
                     "edgec time", "time vs fastest peer", "goal met"], rows)
    print(f"\nGoal (100% agreement or rel err <= {REL_TOL:g}, size <= smallest peer, time <= fastest peer): "
          f"met on {met} of {compared} rows where edgec and a peer both compile the model.")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two datasets, two models each, short timing (used by a test)")
    ap.add_argument("--json", metavar="OUT", help="write every measurement as JSON")
    ap.add_argument("--keep", metavar="DIR", help="build in DIR and keep the generated code")
    ap.add_argument("--datasets", help="comma-separated subset, e.g. digits,diabetes (default: all)")
    ap.add_argument("--tools", help="comma-separated subset, e.g. edgec,m2cgen (default: all)")
    ap.add_argument("--from-json", metavar="IN[,IN2]", help="print the tables of earlier --json runs "
                    "(no measuring; rows of a later file replace the same dataset/model/tool of an earlier one)")
    args = ap.parse_args(argv)
    tools = [t for t in TOOLS if not args.tools or t.NAME in args.tools.split(",")]
    if args.from_json:
        results = []
        for path in args.from_json.split(","):   # later files replace earlier rows of the same tool
            results = [r for r in results if (r.dataset, r.model, r.tool) not in
                       {(x["dataset"], x["model"], x["tool"]) for x in json.loads(Path(path).read_text())}]
            results += [Result(**r) for r in json.loads(Path(path).read_text())]
        report(results, tools)
        return 0
    dsets = QUICK_DATASETS if args.quick else CLASSIFICATION + REGRESSION
    if args.datasets:
        dsets = [d for d in dsets if d in args.datasets.split(",")]
    models = QUICK_MODELS if args.quick else None
    with tempfile.TemporaryDirectory(prefix="edgec-skpeers-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        print(f"measuring (building in {work}) ...", flush=True)
        save = (lambda rs: Path(args.json).write_text(json.dumps([asdict(r) for r in rs], indent=1))) if args.json else None
        results = run(dsets, models, tools, work, batch_s=0.001 if args.quick else 0.002, on_result=save)  # saved as it goes
    report(results, tools)
    return 0


if __name__ == "__main__":
    sys.exit(main())
