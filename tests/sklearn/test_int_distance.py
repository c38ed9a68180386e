"""Integer distances of the int16/int8 modes (sq_distance_q): the C kernel against the simulator
at the edges, and the distance models reading only the quantized features."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import NearestCentroid
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import edgec
from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.distance_q import SqDistanceQAttrs, sq_distance_q_ref
from edgec.testing import check_sklearn


def _run_c(attrs, q, dt):
    x = Value("x", TensorType(q.shape, dt))
    y = Value("y", TensorType((q.shape[0], attrs.centers.shape[0]), DType.I32))
    c = emit_c(Graph("g", [x], [y], [Node("sq_distance_q", [x], [y], attrs, "n")]), f"sqd{attrs.bits}{attrs.kind}")
    return CompiledModel(c.signature(), build_shared(c.files)).run({"x": q})["y"]


@pytest.mark.parametrize("kind", ["sq", "abs"])
@pytest.mark.parametrize("bits", [16, 8])
def test_c_matches_ref_floor_and_saturation(kind, bits):
    dt, npt = (DType.I16, np.int16) if bits == 16 else (DType.I8, np.int8)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    centers = np.array([[lo + 1, hi, 0], [hi, lo + 1, 5], [3, -4, 1 << 20]], np.int32)   # a centre off the grid
    weight = np.array([[1 << 20, 7, 1], [3, 1 << 21, 1], [1, 1, 1 << 10]], np.int32)     # per centre
    bias = np.array([-(1 << 40), 123, -5], np.int64)
    q = np.array([[lo, hi, lo + 1], [0, 0, 0], [hi, lo + 1, -1], [1, -1, 2]], npt)
    for sign in (1, -1):
        for shift in (0, 3, 17):
            a = SqDistanceQAttrs(kind, centers, weight, bias, sign, shift, bits, 1.0)
            want = sq_distance_q_ref(a, q)
            np.testing.assert_array_equal(_run_c(a, q, dt), want)
    a = SqDistanceQAttrs(kind, centers, weight, bias, -1, 0, bits, 1.0)
    assert (sq_distance_q_ref(a, q) == -(1 << 31)).any()                                  # saturated, not wrapped
    one = SqDistanceQAttrs(kind, centers, weight[:1], np.zeros(3, np.int64), 1, 2, bits, 1.0)   # shared weights
    np.testing.assert_array_equal(_run_c(one, q, dt), sq_distance_q_ref(one, q))


def _split(load, standardise=False):
    X, y = load(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=0)
    if standardise:
        sc = StandardScaler().fit(Xtr)
        Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    return Xtr, Xte, ytr


def _label_from_integers(art):
    prod = art.graph.producers()
    for n in art.graph.nodes:
        if n.op == "arg_max":
            src = prod[n.inputs[0]]
            assert n.inputs[0].type.dtype == DType.I32 and src.op == "sq_distance_q"
            assert prod[src.inputs[0]].op == "feature_quantize"
            return
    raise AssertionError("no arg_max")


@pytest.mark.parametrize("quant", ["int16", "int8"])
@pytest.mark.parametrize("est", [NearestCentroid(), NearestCentroid(metric="manhattan"),
                                 NearestCentroid(priors="empirical"), GaussianNB()], ids=repr)
def test_centroid_and_bayes_labels_are_integer(est, quant):
    Xtr, Xte, ytr = _split(load_digits)
    est.fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=0.995 if quant == "int16" else 0.99)
    _label_from_integers(art)
    assert {s.split()[0] for s in art.float_islands} <= {"softmax", "slice", "sub"}


def test_gaussian_nb_near_constant_features():
    # digits: pixels constant within a class get var ~ var_smoothing: 1/var spans ~9 decades
    Xtr, Xte, ytr = _split(load_digits)
    est = GaussianNB().fit(Xtr, ytr)
    w = next(n.attrs.weight for n in edgec.compile(est, quant="int16", sample=Xtr).graph.nodes
             if n.op == "sq_distance_q")
    assert w.shape[0] == 10 and np.median(w[w > 0]) >= 1 << 11


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_rbf_svc_distances_are_integer(quant):
    Xtr, Xte, ytr = _split(load_wine, standardise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = SVC(probability=True, random_state=0).fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=0.995 if quant == "int16" else 0.99)
    ops = [n.op for n in art.graph.nodes]
    assert "sq_distance_q" in ops and "svm_kernel" not in ops
    readers = [n.op for n in art.graph.nodes if art.graph.inputs[0] in n.inputs]
    assert readers == ["feature_quantize"]


def test_dot_product_kernels_stay_float_islands():
    Xtr, Xte, ytr = _split(load_wine, standardise=True)
    est = SVC(kernel="poly").fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, quant="int8", sample=Xtr, min_agreement=0.99)
    assert any(s.startswith("svm_kernel") for s in art.float_islands)
    assert [n.op for n in art.graph.nodes if art.graph.inputs[0] in n.inputs] == ["svm_kernel"]


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_ill_conditioned_svc_keeps_its_double_path(quant):
    # unscaled breast_cancer: the float mode needs kernel and sums in double (svm_ovo_dual); the
    # int modes keep it as a float island rather than float32 sums that C and numpy round apart
    Xtr, Xte, ytr = _split(load_breast_cancer)
    est = SVC().fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=0.995 if quant == "int16" else 0.99)
    assert any(s.startswith("svm_ovo_dual") for s in art.float_islands)


@pytest.mark.parametrize("absolute", [False, True])
@pytest.mark.parametrize("bits", [16, 8])
def test_knn_q_c_matches_ref_with_ties(bits, absolute):
    from edgec.ops.knn_q import KnnQAttrs, knn_q_ref
    dt, npt = (DType.I16, np.int16) if bits == 16 else (DType.I8, np.int8)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rng = np.random.default_rng(0)
    train = rng.integers(-3, 4, size=(40, 3)).astype(npt)          # many equal distances
    train[0] = [lo + 1, hi, lo + 1]
    labels = rng.integers(0, 3, size=40).astype(np.int32)
    q = np.concatenate([rng.integers(-3, 4, size=(6, 3)), [[hi, lo + 1, hi], [lo, lo, lo]]]).astype(npt)
    for k in (1, 4, 40):
        a = KnnQAttrs(train, np.array([1 << 20, 3, 1], np.int32), k, absolute, labels, 3, None, bits, 1.0 / k)
        x = Value("x", TensorType(q.shape, dt))
        y = Value("y", TensorType((q.shape[0], 3), DType.I32))
        c = emit_c(Graph("g", [x], [y], [Node("knn_q", [x], [y], a, "n")]), f"knnq{bits}{int(absolute)}{k}")
        got = CompiledModel(c.signature(), build_shared(c.files)).run({"x": q})["y"]
        np.testing.assert_array_equal(got, knn_q_ref(a, q))
        assert (got.sum(1) == k).all()
    # equal distances: the earlier row is kept
    one = KnnQAttrs(np.zeros((3, 3), npt), np.ones(3, np.int32), 1, absolute, np.array([2, 0, 1], np.int32), 3,
                    None, bits, 1.0)
    assert knn_q_ref(one, np.zeros((1, 3), npt)).tolist() == [[0, 0, 1]]


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_knn_int_votes_and_means(quant):
    from sklearn.datasets import load_diabetes
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    Xtr, Xte, ytr = _split(load_wine, standardise=True)
    est = KNeighborsClassifier(n_neighbors=3, metric="manhattan").fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=0.995 if quant == "int16" else 0.99)
    assert "knn_q" in {n.op for n in art.graph.nodes} and not art.float_islands
    X, y = load_diabetes(return_X_y=True)
    reg = KNeighborsRegressor().fit(X[:300], y[:300])
    art = edgec.compile(reg, quant=quant, sample=X[:300])
    got = art.run_rows(X[300:])["predict"].reshape(-1)
    assert np.mean(np.abs(got - reg.predict(X[300:]))) < 0.01 * np.ptp(y)
    dist = KNeighborsClassifier(weights="distance").fit(Xtr, ytr)      # 1 / distance: float
    assert any(s.startswith("knn ") for s in edgec.compile(dist, quant=quant, sample=Xtr).float_islands)
