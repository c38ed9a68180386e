"""Every estimator with a converter, compiled in int16 and int8: agreement with scikit-learn
(classifiers >= 99.5% / 99%, regressors within a loose bound), C bit-exact with the simulator,
and the exact set of ops still computing in float (islands), so that a regression shows."""
import functools
import warnings

import numpy as np
import pytest
from sklearn import linear_model as lm
from sklearn import naive_bayes, neighbors, svm, tree
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

from edgec.frontend.sklearn.core import CONVERTERS, _load_converters
from edgec.testing import check_sklearn

FLOOR = {"int16": 0.995, "int8": 0.99}
REG_BOUND = {"int16": 0.01, "int8": 0.03}    # mean |error| / target range, regressors (a tree may
                                             # jump a leaf where a threshold falls between codes)

BC, WINE, DIG, DIAB = "breast_cancer", "wine", "digits", "diabetes"
# name -> (factory, dataset, standardised, float islands: op kinds still in float, for both modes or
#          per mode; those after the int32 scores only shape float outputs such as probabilities)
CASES = {
    "DecisionTreeClassifier": (lambda: tree.DecisionTreeClassifier(max_depth=6, random_state=0), BC, False, set()),
    "ExtraTreeClassifier": (lambda: tree.ExtraTreeClassifier(max_depth=8, random_state=0), BC, False, set()),
    "DecisionTreeRegressor": (lambda: tree.DecisionTreeRegressor(max_depth=5, random_state=0), DIAB, False, set()),
    "ExtraTreeRegressor": (lambda: tree.ExtraTreeRegressor(max_depth=5, random_state=0), DIAB, False, set()),
    "LinearRegression": (lm.LinearRegression, DIAB, False, set()),
    "Ridge": (lm.Ridge, DIAB, False, set()),
    "Lasso": (lambda: lm.Lasso(alpha=0.1), DIAB, False, set()),
    "ElasticNet": (lambda: lm.ElasticNet(alpha=0.01), DIAB, False, set()),
    "SGDRegressor": (lambda: lm.SGDRegressor(random_state=0), DIAB, True, set()),
    "LinearSVR": (lambda: svm.LinearSVR(C=10.0, max_iter=5000, random_state=0), DIAB, True, set()),
    "LogisticRegression": (lambda: lm.LogisticRegression(max_iter=500), DIG, True, {"softmax"}),
    "RidgeClassifier": (lm.RidgeClassifier, DIG, False, set()),
    "Perceptron": (lambda: lm.Perceptron(random_state=0), BC, True, {"concat"}),
    "SGDClassifier": (lambda: lm.SGDClassifier(random_state=0), DIG, True, set()),
    "LinearSVC": (lambda: svm.LinearSVC(random_state=0), BC, True, {"concat"}),
    "OneVsRestClassifier": (lambda: OneVsRestClassifier(lm.LogisticRegression(max_iter=500)), WINE, True,
                            {"int16": {"clip", "concat", "div", "reduce", "sigmoid", "slice", "sub"}, "int8": {"div"}}),
    "GaussianNB": (naive_bayes.GaussianNB, BC, False, {"softmax"}),
    "NearestCentroid": (neighbors.NearestCentroid, DIG, False, {"softmax"}),
    # rbf: integer distances, then exp, the one-vs-one sums and the vote in float
    "SVC": (svm.SVC, BC, True, {"exp", "svm_ovo_decision", "ovo_vote", "neg"}),
    "NuSVC": (lambda: svm.NuSVC(nu=0.3), WINE, True,
              {"exp", "svm_ovo_decision", "ovo_vote", "gemm", "abs", "affine", "div", "add"}),
    # regressors and OneClassSVM: integer distances, exp and the dual sum (gemm) in float
    "SVR": (lambda: svm.SVR(C=10.0), DIAB, True, {"exp", "gemm"}),
    "NuSVR": (lambda: svm.NuSVR(C=10.0), DIAB, True, {"exp", "gemm"}),
    "OneClassSVM": (lambda: svm.OneClassSVM(nu=0.2), BC, True, {"exp", "gemm", "add", "concat"}),
}
LOADERS = {BC: load_breast_cancer, WINE: load_wine, DIG: load_digits, DIAB: load_diabetes}


def test_every_converter_has_a_case():
    _load_converters()
    assert {c.__name__ for c in CONVERTERS} == set(CASES)


@functools.lru_cache(maxsize=None)
def data(name: str, standardised: bool):
    X, y = LOADERS[name](return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    if standardised:
        sc = StandardScaler().fit(Xtr)
        Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    return Xtr, Xte, ytr, yte


@functools.lru_cache(maxsize=None)
def fitted(name: str):
    make, ds, std, _ = CASES[name]
    Xtr, Xte, ytr, yte = data(ds, std)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(Xtr, ytr), Xtr, Xte, ytr


@pytest.mark.parametrize("quant", ["int16", "int8"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_int_mode(name, quant):
    est, Xtr, Xte, ytr = fitted(name)
    is_classifier = hasattr(est, "classes_") or name == "OneClassSVM"
    art, res = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=FLOOR[quant])
    if not is_classifier:
        got = art.run_rows(Xte)["predict"].reshape(-1)
        assert np.mean(np.abs(got - est.predict(Xte))) <= REG_BOUND[quant] * np.ptp(ytr), res
    islands = {s.split()[0] for s in art.float_islands}
    want = CASES[name][3]
    want = want[quant] if isinstance(want, dict) else want
    assert islands == want, f"{name} {quant}: float islands {sorted(islands)}"
    # nothing but the quantization step reads the float features
    assert [n.op for n in art.graph.nodes if art.graph.inputs[0] in n.inputs] == ["feature_quantize"]
