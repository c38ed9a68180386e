"""Kernel SVMs: float32 C agrees with scikit-learn (libsvm) on held-out halves of bundled data."""
import numpy as np
import pytest
from sklearn.svm import SVC, SVR, NuSVC, NuSVR, OneClassSVM

import edgec
from edgec.errors import EdgecError, UnsupportedOpError
from edgec.testing import check_sklearn
from tests.sklearn.conftest_data import CLASSIFICATION, split

KERNELS = ("linear", "poly", "rbf", "sigmoid")


@pytest.mark.parametrize("data", CLASSIFICATION)
@pytest.mark.parametrize("kernel", KERNELS)
def test_svc_predicts_exactly(kernel, data):
    Xtr, ytr, Xte, _ = split(data)
    est = SVC(kernel=kernel).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert art.sklearn.methods == ("predict", "decision_function")


@pytest.mark.parametrize("kernel", KERNELS)
def test_nu_svc_with_ovo_decision(kernel):
    Xtr, ytr, Xte, _ = split("wine")
    est = NuSVC(kernel=kernel, nu=0.2, decision_function_shape="ovo").fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert art.run_rows(Xte[:1])["decision_function"].shape == (1, 3)   # 3 pairs


def test_unscaled_linear_svc_uses_the_primal_form():
    # breast_cancer features reach 4000: the dual sum cancels ~1e7 terms, float32 would lose signs
    Xtr, ytr, Xte, _ = split("breast_cancer", scale=False)
    est = SVC(kernel="linear").fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert not any(n.op == "svm_kernel" for n in art.graph.nodes)


def test_unscaled_digits_rbf():
    Xtr, ytr, Xte, _ = split("digits", scale=False)
    _, res = check_sklearn(SVC(kernel="rbf").fit(Xtr, ytr), Xte)
    assert res["predict_agreement"] == 1.0


def test_break_ties_predicts_from_the_ovr_decision():
    Xtr, ytr, Xte, _ = split("iris")
    est = SVC(kernel="rbf", C=0.05, break_ties=True).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0


def test_ovo_vote_ties_go_to_the_lower_class():
    # 3 classes, every pair decided in a cycle: 0 beats 1, 1 beats 2, 2 beats 0 -> one vote each
    Xtr, ytr, _, _ = split("iris")
    est = SVC(kernel="linear", decision_function_shape="ovo").fit(Xtr, ytr)
    art = edgec.compile(est)
    x = Xtr[:1]
    dec = est.decision_function(x)[0]
    # shift the intercepts so the pairs (0,1), (0,2), (1,2) give +1, -1, +1
    est._intercept_ = est._intercept_ + np.array([1.0, -1.0, 1.0]) - dec
    art = edgec.compile(est)
    assert est.predict(x)[0] == 0
    assert art.run_rows(x)["predict"].reshape(-1)[0] == 0


@pytest.mark.parametrize("kernel", KERNELS)
def test_svr_on_diabetes(kernel):
    Xtr, ytr, Xte, _ = split("diabetes")
    est = SVR(kernel=kernel, C=100.0).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte, rtol=1e-5)
    assert res["predict_max_rel_err"] <= 1e-5


def test_nu_svr_on_diabetes():
    Xtr, ytr, Xte, _ = split("diabetes")
    _, res = check_sklearn(NuSVR(kernel="rbf", C=50.0).fit(Xtr, ytr), Xte, rtol=1e-5)
    assert res["predict_max_rel_err"] <= 1e-5


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_one_class_svm(kernel):
    Xtr, _, Xte, _ = split("wine")
    est = OneClassSVM(kernel=kernel, nu=0.2).fit(Xtr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert set(art.sklearn.methods) == {"predict", "decision_function", "score_samples"}
    assert set(est.predict(Xte).tolist()) == {-1, 1}


@pytest.mark.parametrize("data", CLASSIFICATION)
def test_probability_svc_predict_proba(data):
    # libsvm's Platt sigmoids + iterative pairwise coupling (also for two classes)
    Xtr, ytr, Xte, _ = split(data)
    est = SVC(kernel="rbf", probability=True, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, proba_atol=1e-5)
    assert res["predict_agreement"] == 1.0
    assert art.sklearn.methods == ("predict", "predict_proba", "decision_function")
    assert res["predict_proba_max_rel_err"] <= 1e-5


def test_precomputed_kernel_is_a_clear_error():
    Xtr, ytr, _, _ = split("iris")
    est = SVC(kernel="precomputed").fit(Xtr @ Xtr.T, ytr)
    with pytest.raises(UnsupportedOpError, match="kernel"):
        edgec.compile(est)


def test_callable_kernel_is_a_clear_error():
    Xtr, ytr, _, _ = split("iris")
    est = SVC(kernel=lambda a, b: a @ b.T).fit(Xtr, ytr)
    with pytest.raises(EdgecError):
        edgec.compile(est)


def test_sparse_fitted_model_is_unsupported():
    from scipy import sparse
    Xtr, ytr, _, _ = split("iris")
    est = SVC(kernel="rbf").fit(sparse.csr_matrix(Xtr), ytr)
    with pytest.raises(UnsupportedOpError, match="sparse"):
        edgec.compile(est)


@pytest.mark.parametrize("params", [dict(kernel="poly", degree=2, coef0=1.0, gamma=0.05),
                                    dict(kernel="poly", degree=5, gamma="auto"),
                                    dict(kernel="sigmoid", gamma=0.01, coef0=-0.5),
                                    dict(kernel="rbf", gamma=0.5, C=10.0)])
def test_explicit_kernel_parameters(params):
    Xtr, ytr, Xte, _ = split("wine")
    _, res = check_sklearn(SVC(**params).fit(Xtr, ytr), Xte)
    assert res["predict_agreement"] == 1.0


def test_one_vs_rest_over_binary_svc():
    from sklearn.multiclass import OneVsRestClassifier
    Xtr, ytr, Xte, _ = split("iris")
    est = OneVsRestClassifier(SVC(kernel="rbf")).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0 and "decision_function" in art.sklearn.methods


def test_ill_conditioned_nu_svc_switches_to_double_sums():
    # unscaled wine with a poly kernel: nu-SVC's dual sums cancel; float32 sums err ~2e-3
    Xtr, ytr, Xte, _ = split("wine", scale=False)
    est = NuSVC(kernel="poly", nu=0.1).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, proba_atol=5e-4)
    ops = {n.op for n in art.graph.nodes}
    assert "svm_ovo_dual" in ops and "svm_kernel" not in ops
    assert res["predict_agreement"] == 1.0


def test_well_scaled_svc_keeps_float32_kernels():
    Xtr, ytr, Xte, _ = split("wine")
    art = edgec.compile(SVC(kernel="rbf").fit(Xtr, ytr))
    assert {"svm_kernel", "svm_ovo_decision"} <= {n.op for n in art.graph.nodes}
