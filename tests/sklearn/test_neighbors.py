"""KNeighborsClassifier / KNeighborsRegressor through the knn op: neighbours, ties, votes, means."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.metrics._pairwise_distances_reduction import ArgKmin
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import edgec
from edgec.errors import UnsupportedOpError
from edgec.ops.knn import KnnAttrs, make_table, neighbours
from edgec.ops.knn_storage import train_storage
from edgec.testing import check_sklearn


def halves(loader):
    """Training and held-out halves, C-contiguous like train_test_split's (scikit-learn's fast
    neighbour search, whose tie order the op follows, needs C-ordered training rows)."""
    X, y = loader(return_X_y=True)
    return np.ascontiguousarray(X[::2]), y[::2], np.ascontiguousarray(X[1::2])


@pytest.fixture(scope="module")
def digits():
    return halves(load_digits)


@pytest.mark.parametrize("k,weights,p", [(1, "uniform", 2), (5, "uniform", 2), (5, "uniform", 1),
                                         (10, "distance", 2), (7, "distance", 1)])
def test_digits_many_equal_distances_match_exactly(digits, k, weights, p):
    """Digits' integer pixels give many exactly equal distances: which equal rows are neighbours
    must follow scikit-learn's heap (and its threads' parts) for predict_proba to match."""
    X, y, Xt = digits
    est = KNeighborsClassifier(k, weights=weights, p=p).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5


@pytest.mark.parametrize("loader", [load_wine, load_breast_cancer, load_iris], ids=lambda f: f.__name__)
def test_scaled_features_default_knn(loader):
    X, y, Xt = halves(loader)
    est = make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_agreement"] == 1.0


@pytest.mark.parametrize("weights,metric", [("uniform", "euclidean"), ("distance", "manhattan"),
                                            ("distance", "minkowski")])
def test_regressor_on_diabetes(weights, metric):
    X, y, Xt = halves(load_diabetes)
    est = KNeighborsRegressor(6, weights=weights, metric=metric).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_max_rel_err"] <= 1e-5


@pytest.mark.parametrize("scale", [1.0, -3.0, 0.5])
def test_training_rows_stored_in_the_smallest_exact_form(digits, scale):
    """Digits' pixels (0..16), raw or scaled, have at most 17 values a feature: uint8 codes into
    them, a quarter of the floats' bytes, and the answers unchanged."""
    X, y, Xt = digits
    est = KNeighborsClassifier(3, weights="distance").fit(X[:300] * scale, y[:300])
    art, _ = check_sklearn(est, Xt[:100] * scale)
    assert ".block = ec_knn_block_codes8," in art.c.files[f"{art.name}.c"]
    assert "uint8_t knn" in art.c.files[f"{art.name}_weights.h"]


def test_random_floats_stay_floats():
    rng = np.random.default_rng(2)
    floats = rng.standard_normal((400, 3)).astype(np.float32)
    assert train_storage(floats).kind == "f32"


@pytest.mark.parametrize("loader,storage", [(load_iris, "codes16"), (load_breast_cancer, "codes16")],
                         ids=lambda v: getattr(v, "__name__", v))
def test_scaled_float32_rows_predict_exactly_through_codes(loader, storage):
    # the benchmark's setting: standardised features rounded to float32 before fitting; the
    # measurements' fixed decimals survive standardisation as grids
    X, y, Xt = halves(loader)
    sc = StandardScaler().fit(X)
    X, Xt = sc.transform(X).astype(np.float32), sc.transform(Xt).astype(np.float32)
    est = KNeighborsClassifier().fit(X, y)
    art, res = check_sklearn(est, Xt)
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5
    assert f".block = ec_knn_block_{storage}," in art.c.files[f"{art.name}.c"]
    assert ".tally = ec_knn_tally_u8," in art.c.files[f"{art.name}.c"]


def test_zero_distance_neighbours_take_all_the_weight(digits):
    X, y, _ = digits
    est = KNeighborsClassifier(5, weights="distance").fit(X, y)
    art, res = check_sklearn(est, X[:40])          # every row is its own neighbour at distance 0
    assert np.all(art.run_rows(X[:40])["predict_proba"].max(axis=1) == 1.0)


def test_heap_order_equals_scikit_learn_argkmin():
    """The reference's neighbour sets equal scikit-learn's single-heap search on data made of
    small integers (ties everywhere)."""
    rng = np.random.default_rng(0)
    train = rng.integers(0, 3, (300, 4)).astype(np.float64)
    query = rng.integers(0, 3, (40, 4)).astype(np.float64)
    attrs = KnnAttrs(make_table(train, labels=np.zeros(300), n_classes=1), 7, "manhattan")
    _, want = ArgKmin.compute(query, train, 7, metric="manhattan", strategy="parallel_on_X", return_distance=True)
    for q, w in zip(query, want):
        ids, _ = neighbours(attrs, q.astype(np.float32))
        assert set(ids.tolist()) == set(w.tolist())


def test_unsupported_metric_is_named(digits):
    X, y, _ = digits
    est = KNeighborsClassifier(metric="chebyshev").fit(X[:100], y[:100])
    with pytest.raises(UnsupportedOpError, match="KNeighborsClassifier.*metric"):
        edgec.compile(est)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_digits, load_diabetes], ids=lambda f: f.__name__)
def test_generated_knn_builds_warning_free_with_gcc_and_clang(loader, tmp_path):
    """Each storage (16-bit grid codes with a dictionary, byte codes, floats) and both tallies."""
    from tests.sklearn.test_tree_layout import assert_builds_warning_free
    X, y, _ = halves(loader)
    X = StandardScaler().fit_transform(X).astype(np.float32) if loader is load_breast_cancer else X
    est = (KNeighborsRegressor(weights="distance") if loader is load_diabetes else KNeighborsClassifier()).fit(X, y)
    assert_builds_warning_free(edgec.compile(est).c.files, tmp_path / "m")
