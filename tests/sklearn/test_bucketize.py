"""Integer trees on bucket codes: the int16/int8 modes take the float trees' paths on every input,
also exactly at, just below and just above each threshold, behind scaler steps, for NaN and the
infinities; a feature with more thresholds than codes falls back to the uniform grid."""
import warnings

import numpy as np
import pytest
from sklearn import ensemble, tree
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import edgec
from edgec.ops.bucketize import BucketizeAttrs, bucketize_ref
from edgec.testing import check_sklearn

warnings.filterwarnings("ignore")


def _split(load):
    X, y = load(return_X_y=True)
    return train_test_split(X.astype(np.float32), y, test_size=0.3, random_state=0)


def _ops(art):
    return {n.op for n in art.graph.nodes}


def _edge_rows(X: np.ndarray, trees: list) -> np.ndarray:
    """Rows of X with one feature set to a threshold, or to the float32 just below or above it."""
    rows, rng = [], np.random.default_rng(0)
    for t in trees:
        for f, thr in zip(t.feature, t.threshold):
            if f < 0:
                continue
            t32 = np.float32(thr)
            for v in (t32, np.nextafter(t32, np.float32(-np.inf)), np.nextafter(t32, np.float32(np.inf))):
                r = X[rng.integers(len(X))].copy()
                r[f] = v
                rows.append(r)
    return np.asarray(rows, np.float32)


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_boosting_on_wine_is_exact_in_both_modes(quant):
    """The uniform int8 grid flipped one of 54 rows here (97.8%); bucket codes cannot."""
    Xtr, Xte, ytr, _ = _split(load_wine)
    est = ensemble.GradientBoostingClassifier(n_estimators=30, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=1.0)
    assert "feature_bucketize" in _ops(art) and "feature_quantize" not in _ops(art)


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_int_trees_take_the_float_paths_at_every_threshold(quant):
    Xtr, _, ytr, _ = _split(load_breast_cancer)
    est = ensemble.RandomForestClassifier(n_estimators=5, max_depth=6, random_state=0).fit(Xtr, ytr)
    X = _edge_rows(Xtr, [e.tree_ for e in est.estimators_])
    check_sklearn(est, X, quant=quant, sample=Xtr, min_agreement=1.0)


def test_scaler_steps_are_folded_exactly():
    """chain(x) <= t is found on x itself: inputs whose scaled value lands on a threshold (or one
    float32 step away) go where the float pipeline sends them, with no float step left but the codes."""
    Xtr, Xte, ytr, _ = _split(load_wine)
    est = make_pipeline(StandardScaler(), MinMaxScaler(), tree.DecisionTreeClassifier(max_depth=6, random_state=0))
    est.fit(Xtr, ytr)
    flt = edgec.compile(est)
    art = edgec.compile(est, quant="int8", sample=Xtr)
    assert _ops(art) & {"sub", "div", "mul", "add"} == set()
    # inputs around the pre-images of the thresholds: bisect x so that the float C's decision flips
    t = est[-1].tree_
    rows = []
    for f, thr in zip(t.feature, t.threshold):
        if f < 0:
            continue
        lo, hi = np.float32(Xtr[:, f].min() - 10), np.float32(Xtr[:, f].max() + 10)
        for _ in range(40):   # the float pipeline's own edge: largest x with scaled(x) <= thr
            mid = np.float32((lo + hi) / 2)
            r = Xte[0].copy()
            r[f] = mid
            scaled = est[:-1].transform(r[None].astype(np.float32))[0, f]
            lo, hi = (mid, hi) if scaled <= thr else (lo, mid)
        for v in (lo, hi, np.nextafter(lo, hi), np.nextafter(hi, lo)):
            r = Xte[0].copy()
            r[f] = v
            rows.append(r)
    X = np.asarray(rows, np.float32)
    np.testing.assert_array_equal(art.run_rows(X)["predict"], flt.run_rows(X)["predict"])


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_nan_and_infinities(quant):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 3)).astype(np.float32)
    X[rng.random(X.shape) < 0.15] = np.nan
    y = (np.nan_to_num(X[:, 0], nan=2.0) + X[:, 1] ** 2 > 0.5).astype(int)
    est = ensemble.HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    probe = np.array([[np.nan, 0, 0], [np.inf, -np.inf, 0], [-np.inf, np.nan, np.inf], [-0.0, 0.0, np.nan]],
                     np.float32)
    art, _ = check_sklearn(est, np.concatenate([X, probe]), quant=quant, sample=X, min_agreement=1.0)
    assert "feature_bucketize" in _ops(art)


def test_more_thresholds_than_codes_fall_back_to_the_uniform_grid():
    rng = np.random.default_rng(2)
    X = rng.uniform(-3, 3, (3000, 2)).astype(np.float32)
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(3000) + (X[:, 1] > 0)
    est = tree.DecisionTreeRegressor(max_leaf_nodes=600, random_state=0).fit(X, y)
    counts = [len(set(est.tree_.threshold[est.tree_.feature == f])) for f in range(2)]
    assert 254 < max(counts) < 65534
    art8 = edgec.compile(est, quant="int8", sample=X)
    art16 = edgec.compile(est, quant="int16", sample=X)
    assert "feature_quantize" in _ops(art8) and "feature_bucketize" not in _ops(art8)
    assert "feature_bucketize" in _ops(art16)
    np.testing.assert_allclose(art16.run_rows(X[:300])["predict"].reshape(-1), est.predict(X[:300]), rtol=1e-3, atol=1e-3)
    assert np.mean(np.abs(art8.run_rows(X[:300])["predict"].reshape(-1) - est.predict(X[:300]))) < 0.1


def test_reference_counts_edges_below():
    a = BucketizeAttrs(np.array([-1.0, 0.0, 2.5, 7.0], np.float32), np.array([0, 3, 3, 4], np.int32), 8)
    x = np.array([[-2, 5, 7], [-1, 0, 7.0001], [0.5, 1, np.nan], [2.5, 1, np.inf], [np.nextafter(np.float32(2.5), 9), 0, -np.inf]],
                 np.float32)
    want = np.array([[-127, -127, -127], [-127, -127, -126], [-125, -127, -128], [-125, -127, -126], [-124, -127, -127]])
    np.testing.assert_array_equal(bucketize_ref(a, x), want)


def test_c_kernel_matches_the_reference_at_the_edges():
    from edgec.backend.build import CompiledModel, build_shared
    from edgec.backend.c import emit_c
    from edgec.ir.graph import DType, Graph, Node, TensorType, Value
    edges = np.array([-1.0, 0.0, 2.5, 7.0, -np.inf, 3.0, np.inf], np.float32)
    offsets = np.array([0, 3, 3, 4, 7], np.int32)      # feature 1 has no edges
    near = [np.nextafter(e, d) for e in edges[np.isfinite(edges)] for d in (np.float32(-9), np.float32(9))]
    vals = np.concatenate([edges, near, [np.nan, -0.0, 1e30, -1e30]]).astype(np.float32)
    rows = np.stack([np.roll(vals, k)[:4] for k in range(len(vals))])
    for bits, dt in ((16, DType.I16), (8, DType.I8)):
        a = BucketizeAttrs(edges, offsets, bits)
        x, y = Value("x", TensorType((1, 4), DType.F32)), Value("y", TensorType((1, 4), dt))
        c = emit_c(Graph("g", [x], [y], [Node("feature_bucketize", [x], [y], a, "n")]), f"fb{bits}")
        model = CompiledModel(c.signature(), build_shared(c.files))
        for r in rows:
            np.testing.assert_array_equal(model.run({"x": r[None]})["y"], bucketize_ref(a, r[None]))
