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
from edgec.ops.knn import KnnAttrs, dictionary_codes, make_table, neighbours, train_storage
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


@pytest.mark.parametrize("scale,storage", [(1.0, "U8"), (-3.0, "DICT8"), (0.5, "DICT8")])
def test_training_rows_stored_in_the_smallest_exact_form(digits, scale, storage):
    """Digits' pixels (0..16) fit in a byte: the table is 4x smaller and the answers unchanged;
    scaled, every feature still has at most 17 values: uint8 codes into them."""
    X, y, Xt = digits
    est = KNeighborsClassifier(3, weights="distance").fit(X[:300] * scale, y[:300])
    art, _ = check_sklearn(est, Xt[:100] * scale)
    assert f".storage = EC_KNN_TRAIN_{storage}," in art.c.files[f"{art.name}.c"]
    assert "uint8_t knn" in art.c.files[f"{art.name}_weights.h"]


def test_dictionary_codes_give_back_every_bit():
    train = np.asarray([[0.0, 1.5], [-0.0, 2.5], [np.float32(0.1), 1.5], [0.0, -7.25]], np.float32)
    st = dictionary_codes(train)
    assert st.kind == "EC_KNN_TRAIN_DICT8"
    assert train_storage(train).kind == "EC_KNN_TRAIN_F32"   # 4 rows: the dictionary costs more
    back = st.dict_values[st.dict_offset[None, :] + st.data.astype(np.int32)]
    assert back.tobytes() == train.tobytes()                 # -0.0 kept apart from 0.0
    assert list(st.dict_offset) == [0, 3]


def test_more_than_256_values_in_a_feature_keep_plain_storage():
    rng = np.random.default_rng(2)
    floats = rng.standard_normal((400, 3)).astype(np.float32)
    assert dictionary_codes(floats) is None and train_storage(floats).kind == "EC_KNN_TRAIN_F32"
    ints = rng.integers(-2000, 2000, (400, 3)).astype(np.float32)
    assert train_storage(ints).kind == "EC_KNN_TRAIN_S16"


@pytest.mark.parametrize("loader,storage", [(load_iris, "DICT8"), (load_breast_cancer, "F32")],
                         ids=lambda v: getattr(v, "__name__", v))
def test_scaled_float32_rows_predict_exactly_through_codes(loader, storage):
    # the benchmark's setting: standardised features rounded to float32 before fitting
    X, y, Xt = halves(loader)
    sc = StandardScaler().fit(X)
    X, Xt = sc.transform(X).astype(np.float32), sc.transform(Xt).astype(np.float32)
    est = KNeighborsClassifier().fit(X, y)
    art, res = check_sklearn(est, Xt)
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-5
    assert f".storage = EC_KNN_TRAIN_{storage}," in art.c.files[f"{art.name}.c"]
    assert ".labels_u8 = 1," in art.c.files[f"{art.name}.c"]


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
