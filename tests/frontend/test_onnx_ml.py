"""ONNX-ML models (skl2onnx, onnxmltools) compiled to C: same labels as onnxruntime and the
original estimator on every row, probabilities / values within 1e-5."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (BaggingClassifier, ExtraTreesClassifier, GradientBoostingClassifier,
                              GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor,
                              StackingClassifier, StackingRegressor, VotingClassifier, VotingRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Binarizer, MaxAbsScaler, MinMaxScaler, Normalizer, StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import edgec
from tests.frontend.onnx_ml_check import check_onnx_ml

skl2onnx = pytest.importorskip("skl2onnx")

_DATA = {}


def data(name):
    if name not in _DATA:
        loader = {"iris": load_iris, "cancer": load_breast_cancer, "cancer_std": load_breast_cancer,
                  "diabetes": load_diabetes}[name]
        X, y = loader(return_X_y=True)
        if name.endswith("_std"):   # (skl2onnx cannot convert a Pipeline ending in LinearSVC)
            X = StandardScaler().fit_transform(X)
        _DATA[name] = (X.astype(np.float32), y)
    return _DATA[name]


def to_onnx(est, X, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skl2onnx.to_onnx(est, X[:1], options=options or None)


NAMES = np.array(["setosa", "versicolor", "virginica"])
SKLEARN_CASES = [
    ("tree_iris", lambda: DecisionTreeClassifier(random_state=0), "iris"),
    ("tree_binary", lambda: DecisionTreeClassifier(max_depth=6, random_state=0), "cancer"),
    ("forest", lambda: RandomForestClassifier(10, max_depth=6, random_state=0), "cancer"),
    ("extra_trees", lambda: ExtraTreesClassifier(10, max_depth=6, random_state=0), "iris"),
    ("boosting_binary", lambda: GradientBoostingClassifier(n_estimators=20, random_state=0), "cancer"),
    ("boosting_multi", lambda: GradientBoostingClassifier(n_estimators=10, random_state=0), "iris"),
    ("tree_regressor", lambda: DecisionTreeRegressor(max_depth=6, random_state=0), "diabetes"),
    ("forest_regressor", lambda: RandomForestRegressor(10, max_depth=6, random_state=0), "diabetes"),
    ("boosting_regressor", lambda: GradientBoostingRegressor(n_estimators=20, random_state=0), "diabetes"),
    ("logistic_binary", lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), "cancer"),
    ("logistic_multi", lambda: LogisticRegression(max_iter=1000), "iris"),
    ("linear_regression", lambda: LinearRegression(), "diabetes"),
    ("scaled_ridge", lambda: make_pipeline(MinMaxScaler(), Ridge()), "diabetes"),
    ("normalizer", lambda: make_pipeline(Normalizer(), LogisticRegression(max_iter=1000)), "iris"),
    ("binarizer", lambda: make_pipeline(Binarizer(threshold=3.0), DecisionTreeClassifier(random_state=0)), "iris"),
    ("maxabs_sgd", lambda: make_pipeline(MaxAbsScaler(), SGDClassifier(random_state=0)), "iris"),
    ("linear_svc", lambda: LinearSVC(), "cancer_std"),
    ("mlp", lambda: MLPClassifier((8,), max_iter=300, random_state=0), "iris"),
    ("soft_voting", lambda: VotingClassifier([("lr", LogisticRegression(max_iter=1000)),
                                              ("dt", DecisionTreeClassifier(max_depth=3, random_state=0))],
                                             voting="soft", flatten_transform=False), "iris"),
    ("hard_voting", lambda: VotingClassifier([("lr", LogisticRegression(max_iter=1000)),
                                              ("dt", DecisionTreeClassifier(max_depth=3, random_state=0)),
                                              ("dt2", DecisionTreeClassifier(max_depth=2, random_state=0))],
                                             voting="hard", weights=np.array([1.0, 2.0, 1.5]),
                                             flatten_transform=False), "iris"),
    ("voting_regressor", lambda: VotingRegressor([("rf", RandomForestRegressor(5, max_depth=4, random_state=0)),
                                                  ("ridge", Ridge())]), "diabetes"),
    ("stacking_regressor", lambda: StackingRegressor([("rf", RandomForestRegressor(5, max_depth=4, random_state=0)),
                                                      ("ridge", Ridge())]), "diabetes"),
    ("bagging", lambda: BaggingClassifier(DecisionTreeClassifier(max_depth=3), n_estimators=3, random_state=0), "cancer"),
]


@pytest.mark.parametrize("name,make,dataset", SKLEARN_CASES, ids=[c[0] for c in SKLEARN_CASES])
def test_skl2onnx_model_matches_onnxruntime_and_sklearn(name, make, dataset):
    X, y = data(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make().fit(X, y)
    check_onnx_ml(to_onnx(est, X), X, est, proba_atol=1e-4)


def test_forest_vote_ties_go_to_the_first_class_as_in_sklearn():
    """skl2onnx stores each leaf distribution divided by the number of trees; summed in float32
    those make 10 of 20 votes 0.50000006 or 0.49999997. edgec sums the undivided distributions
    (exact for pure leaves) and matches predict on held-out rows where onnxruntime does not."""
    X, y = data("cancer")
    est = RandomForestClassifier(20, max_depth=8, random_state=0).fit(X[::2], y[::2])
    art = check_onnx_ml(to_onnx(est, X), X[1::2], est)
    got = art.run_rows(X[1::2])[art.graph.outputs[1].name]
    np.testing.assert_allclose(got, est.predict_proba(X[1::2]), atol=1e-6)


def test_string_labels_become_indices_with_a_name_table():
    X, y = data("iris")
    est = DecisionTreeClassifier(random_state=0).fit(X, NAMES[y])
    art = check_onnx_ml(to_onnx(est, X), X, est)
    assert art.sklearn.class_names == tuple(NAMES) and art.sklearn.labels == (0, 1, 2)
    assert "versicolor" in art.c.files[f"{art.name}.c"]
    assert f"int32_t {art.name}_predict(const float *" in art.c.files[f"{art.name}.h"]


def test_mlp_with_string_labels_through_argmax_and_array_feature_extractor():
    X, y = data("iris")
    est = MLPClassifier((8,), max_iter=300, random_state=0).fit(X, NAMES[y])
    art = check_onnx_ml(to_onnx(est, X), X, est, proba_atol=1e-4)
    assert art.sklearn.class_names == tuple(NAMES)


def test_classifier_gets_the_estimator_c_api():
    X, y = data("iris")
    est = RandomForestClassifier(5, max_depth=4, random_state=0).fit(X, y)
    art = edgec.compile(to_onnx(est, X), name="forest")
    h = art.c.files["forest.h"]
    for decl in ("int32_t forest_predict(const float *", "void forest_predict_proba(const float *",
                 "FOREST_NUM_CLASSES 3", "FOREST_NUM_FEATURES 4"):
        assert decl in h
    assert art.sklearn.kind == "classifier" and art.sklearn.methods == ("predict", "predict_proba")
    # the ONNX-ML model meets the scikit-learn route in the same tree_ensemble node
    assert [n.op for n in art.graph.nodes].count("tree_ensemble") == 1


def test_regressor_gets_predict_returning_the_value():
    X, y = data("diabetes")
    est = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, y)
    art = edgec.compile(to_onnx(est, X), name="gbr")
    assert "float gbr_predict(const float *" in art.c.files["gbr.h"]


@pytest.mark.parametrize("kernel", ["rbf", "poly", "sigmoid", "linear"])
def test_svc_matches_onnxruntime_and_sklearn(kernel):
    pytest.importorskip("edgec.ops.svm")   # the kernel-SVM ops of the scikit-learn route
    X, y = data("iris")
    est = make_pipeline(StandardScaler(), SVC(kernel=kernel, degree=2)).fit(X, y)
    check_onnx_ml(to_onnx(est, X, zipmap=False), X, est, proba_atol=1e-4)


def test_binary_svc_and_svr():
    pytest.importorskip("edgec.ops.svm")
    X, y = data("cancer")
    est = make_pipeline(StandardScaler(), SVC()).fit(X, y)
    check_onnx_ml(to_onnx(est, X, zipmap=False), X, est, proba_atol=1e-4)
    X, y = data("diabetes")
    est = make_pipeline(StandardScaler(), SVR(C=10.0)).fit(X, y)
    check_onnx_ml(to_onnx(est, X), X, est)


def test_stacked_forest_svc_and_logistic_regression_compile_into_one_model():
    """The issue's stacked ensemble, through skl2onnx: one C model that matches predict."""
    pytest.importorskip("edgec.ops.svm")
    X, y = data("iris")
    est = StackingClassifier([("rf", RandomForestClassifier(10, max_depth=5, random_state=0)),
                              ("svc", make_pipeline(StandardScaler(), SVC())),
                              ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)))],
                             final_estimator=LogisticRegression(max_iter=1000)).fit(X, y)
    art = check_onnx_ml(to_onnx(est, X), X, est, proba_atol=1e-4)
    ops = {n.op for n in art.graph.nodes}
    assert {"tree_ensemble", "svm_kernel", "gemm", "arg_max"} <= ops


def test_svc_probabilities_platt_and_pairwise_coupling():
    svm = pytest.importorskip("edgec.ops.svm")
    if not hasattr(svm, "SvmPairProbaAttrs"):
        pytest.skip("svm_pair_proba op not merged yet")
    X, y = data("iris")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # probability=True is deprecated in scikit-learn 1.9
        est = make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)).fit(X, y)
    art = check_onnx_ml(to_onnx(est, X), X, est, proba_atol=1e-4)
    got = art.run_rows(X)[art.graph.outputs[1].name]
    np.testing.assert_allclose(got, est.predict_proba(X), atol=1e-5)


# -- LightGBM / XGBoost through onnxmltools ---------------------------------------------------------
def _onnxmltools(est, X, convert):
    from onnxmltools.convert.common.data_types import FloatTensorType
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return convert(est, initial_types=[("X", FloatTensorType([None, X.shape[1]]))])


@pytest.mark.parametrize("dataset", ["cancer", "iris", "diabetes"])
def test_lightgbm_matches_onnxruntime_and_lightgbm(dataset):
    lgb = pytest.importorskip("lightgbm")
    onnxmltools = pytest.importorskip("onnxmltools")
    X, y = data(dataset)
    est = (lgb.LGBMRegressor if dataset == "diabetes" else lgb.LGBMClassifier)(n_estimators=20, verbose=-1)
    est.fit(X, y)
    check_onnx_ml(_onnxmltools(est, X, onnxmltools.convert_lightgbm), X, est, proba_atol=1e-4)


def test_lightgbm_categorical_splits_branch_eq():
    """onnxmltools writes LightGBM's categorical splits as BRANCH_EQ chains; each becomes two
    float32 tests, the false subtree copied under both (the C forms walk trees, not DAGs)."""
    lgb = pytest.importorskip("lightgbm")
    onnxmltools = pytest.importorskip("onnxmltools")
    rng = np.random.default_rng(0)
    X = np.c_[rng.integers(0, 6, 600), rng.normal(size=600), rng.integers(0, 4, 600)].astype(np.float32)
    y = ((X[:, 0] % 3 == 0) ^ (X[:, 1] > 0.3) ^ (X[:, 2] == 2)).astype(int)
    est = lgb.LGBMClassifier(n_estimators=10, verbose=-1, min_child_samples=5).fit(X, y, categorical_feature=[0, 2])
    m = _onnxmltools(est, X, onnxmltools.convert_lightgbm)
    modes = {s for n in m.graph.node for a in n.attribute if a.name == "nodes_modes" for s in a.strings}
    assert b"BRANCH_EQ" in modes
    check_onnx_ml(m, X, est, proba_atol=1e-4)


@pytest.mark.parametrize("dataset", ["cancer", "iris"])
def test_xgboost_matches_onnxruntime_and_xgboost(dataset):
    xgb = pytest.importorskip("xgboost")   # the test extras install it (xgboost-cpu)
    onnxmltools = pytest.importorskip("onnxmltools")
    X, y = data(dataset)
    est = xgb.XGBClassifier(n_estimators=20, max_depth=4).fit(X, y)
    check_onnx_ml(_onnxmltools(est, X, onnxmltools.convert_xgboost), X, est, proba_atol=1e-4)


def test_cli_compiles_an_onnx_ml_file(tmp_path):
    from edgec.cli import main
    X, y = data("iris")
    est = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    path = tmp_path / "iris_tree.onnx"
    path.write_bytes(to_onnx(est, X).SerializeToString())
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 0
    header = (tmp_path / "out" / "iris_tree.h").read_text()
    assert "iris_tree_predict_proba" in header


def test_cli_verify_compares_zipmap_and_string_labels_with_onnxruntime(tmp_path, capsys):
    from edgec.cli import main
    X, y = data("iris")
    est = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, NAMES[y])
    path = tmp_path / "iris_names.onnx"
    path.write_bytes(to_onnx(est, X).SerializeToString())   # string labels and a ZipMap output
    np.savez(tmp_path / "iris.npz", X=X[::5, None, :])
    assert main(["verify", str(path), "--data", str(tmp_path / "iris.npz")]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("dataset", ["cancer", "diabetes"])
def test_lightgbm_missing_values_follow_its_default_direction(dataset):
    lgb = pytest.importorskip("lightgbm")
    onnxmltools = pytest.importorskip("onnxmltools")
    X, y = data(dataset)
    X = X.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.15] = np.nan
    est = (lgb.LGBMRegressor if dataset == "diabetes" else lgb.LGBMClassifier)(n_estimators=20, verbose=-1)
    est.fit(X, y)
    check_onnx_ml(_onnxmltools(est, X, onnxmltools.convert_lightgbm), X, est, proba_atol=1e-4)


@pytest.mark.skipif(__import__("shutil").which("clang") is None, reason="clang not installed (make test installs it)")
def test_generated_c_builds_cleanly_with_clang():
    from edgec.backend.build import build_shared
    X, y = data("iris")
    est = make_pipeline(StandardScaler(), Normalizer(), VotingClassifier(
        [("lr", LogisticRegression(max_iter=1000)), ("gb", GradientBoostingClassifier(n_estimators=3, random_state=0))],
        voting="soft", flatten_transform=False)).fit(X, NAMES[y])
    build_shared(edgec.compile(to_onnx(est, X)).c.files, cc="clang")


@pytest.mark.parametrize("quant,minimum", [("int16", 0.995), ("int8", 0.99)])
def test_onnx_ml_trees_in_the_integer_modes(quant, minimum):
    """An ONNX-ML classifier goes through the classical models' int16 / int8 modes (sample= the
    calibration rows) and keeps the estimator-style API; agreement on held-out rows."""
    X, y = data("cancer")
    est = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X[::2], y[::2])
    art = edgec.compile(to_onnx(est, X), quant=quant, sample=X[::2], tree_layout="table")
    assert art.quant == quant and art.sklearn.kind == "classifier"
    got = art.run_rows(X[1::2])[art.graph.outputs[0].name].reshape(-1)
    assert np.mean(got == est.predict(X[1::2])) >= minimum
