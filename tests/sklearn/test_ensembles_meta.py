"""Model synthesis: voting, stacking and bagging over any supported members, in one C model."""
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import (BaggingClassifier, BaggingRegressor, StackingClassifier, StackingRegressor,
                              VotingClassifier, VotingRegressor)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import edgec
from edgec.errors import UnsupportedOpError
from edgec.testing import check_sklearn


def halves(loader):
    X, y = loader(return_X_y=True)
    return np.ascontiguousarray(X[::2]), y[::2], np.ascontiguousarray(X[1::2])


def logistic():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def tree(depth=4):
    return DecisionTreeClassifier(max_depth=depth, random_state=0)


def fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def check_classifier(est, Xt, methods):
    art, res = check_sklearn(est, Xt)
    assert res["predict_agreement"] == 1.0
    assert set(art.sklearn.methods) == set(methods)
    return art, res


# -- voting -----------------------------------------------------------------------------------
@pytest.mark.parametrize("weights", [None, [2, 1, 1]])
def test_hard_voting(weights):
    X, y, Xt = halves(load_wine)
    est = fit(VotingClassifier([("lr", logistic()), ("dt", tree()),
                                ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier()))],
                               voting="hard", weights=weights), X, y + 1)
    check_classifier(est, Xt, {"predict"})


def test_soft_voting_weighted_multiclass_and_binary():
    X, y, Xt = halves(load_wine)
    mlp = make_pipeline(StandardScaler(), MLPClassifier((10,), max_iter=300, random_state=0))
    est = fit(VotingClassifier([("lr", logistic()), ("dt", tree()), ("mlp", mlp)], voting="soft",
                               weights=[1, 2, 0.5]), X, y)
    check_classifier(est, Xt, {"predict", "predict_proba"})
    Xb, yb, Xbt = halves(load_breast_cancer)
    check_classifier(fit(VotingClassifier([("lr", logistic()), ("dt", tree())], voting="soft"), Xb, yb), Xbt,
                     {"predict", "predict_proba"})


def test_voting_regressor_weights_and_drop():
    X, y, Xt = halves(load_diabetes)
    est = VotingRegressor([("lin", LinearRegression()), ("gone", "drop"),
                           ("dt", DecisionTreeRegressor(max_depth=5, random_state=0))],
                          weights=[0.3, 5.0, 0.7]).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_max_rel_err"] <= 1e-5


# -- stacking ---------------------------------------------------------------------------------
def test_stacking_binary_drops_first_probability_column():
    """LR + tree + KNN under an LR on breast_cancer: each member gives one probability column."""
    X, y, Xt = halves(load_breast_cancer)
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(7))
    est = fit(StackingClassifier([("lr", logistic()), ("dt", tree()), ("knn", knn)],
                                 final_estimator=LogisticRegression(max_iter=500), cv=3), X, y)
    assert est.transform(Xt).shape[1] == 3
    check_classifier(est, Xt, {"predict", "predict_proba", "decision_function"})


def test_stacking_passthrough_and_decision_function_members():
    X, y, Xt = halves(load_wine)
    est = fit(StackingClassifier([("lr", logistic()), ("dt", tree())], stack_method="auto", passthrough=True,
                                 final_estimator=make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
                                 cv=3), X, y)
    check_classifier(est, Xt, {"predict", "predict_proba", "decision_function"})
    est = fit(StackingClassifier([("lr", logistic())], stack_method="decision_function",
                                 final_estimator=LogisticRegression(max_iter=500), cv=3), X, y)
    check_classifier(est, Xt, {"predict", "predict_proba", "decision_function"})


def test_stacking_predict_method_and_relabelled_classes():
    """stack_method='predict' feeds class indices as numbers; labels 10, 20, 30 come back."""
    X, y, Xt = halves(load_wine)
    est = fit(StackingClassifier([("lr", logistic()), ("off", "drop"), ("dt", tree())], stack_method="predict",
                                 final_estimator=tree(3), cv=3), X, (y + 1) * 10)
    art, _ = check_classifier(est, Xt, {"predict", "predict_proba"})
    assert art.sklearn.labels == (10, 20, 30)


def test_stacking_regressor_passthrough():
    X, y, Xt = halves(load_diabetes)
    est = StackingRegressor([("lin", LinearRegression()), ("dt", DecisionTreeRegressor(max_depth=4, random_state=0))],
                            final_estimator=Ridge(), passthrough=True).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_max_rel_err"] <= 1e-5


# -- bagging ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(max_features=0.6), dict(max_features=0.5, bootstrap_features=True),
                                dict(max_samples=12)])
def test_bagged_trees_join_into_one_ensemble(kw):
    """max_samples=12 on digits leaves members that never saw some classes."""
    X, y, Xt = halves(load_digits)
    est = BaggingClassifier(tree(6), n_estimators=12, random_state=0, **kw).fit(X, y)
    art, _ = check_classifier(est, Xt, {"predict", "predict_proba"})
    assert sum(n.op == "tree_ensemble" for n in art.graph.nodes) == 1


def test_bagging_logistic_feature_subsets_missing_classes_and_two_jobs():
    """A pipeline takes no sample_weight, so each member fits on its 6 drawn rows and some see
    only two classes; with n_jobs=2 scikit-learn sums two jobs' partial sums."""
    X, y, Xt = halves(load_wine)
    est = fit(BaggingClassifier(logistic(), n_estimators=6, max_samples=6, max_features=0.7, random_state=1), X, y)
    assert any(len(m.classes_) < 3 for m in est.estimators_)
    est.n_jobs = 2
    with parallel_config(backend="threading"):
        check_classifier(est, Xt, {"predict", "predict_proba"})
    est = fit(BaggingClassifier(logistic(), n_estimators=4, max_features=0.7, random_state=0), X, y)
    check_classifier(est, Xt, {"predict", "predict_proba", "decision_function"})


def test_bagging_votes_for_members_without_predict_proba():
    X, y, Xt = halves(load_wine)
    member = VotingClassifier([("lr", logistic()), ("dt", tree())], voting="hard")
    est = fit(BaggingClassifier(member, n_estimators=4, max_features=0.8, random_state=0), X, y)
    assert not hasattr(est.estimators_[0], "predict_proba")
    check_classifier(est, Xt, {"predict", "predict_proba"})


@pytest.mark.parametrize("member", [None, LinearRegression()], ids=["trees", "linear"])
def test_bagging_regressor(member):
    X, y, Xt = halves(load_diabetes)
    est = BaggingRegressor(member, n_estimators=8, max_features=0.7, random_state=0).fit(X, y)
    _, res = check_sklearn(est, Xt)
    assert res["predict_max_rel_err"] <= 1e-5


def test_soft_voting_over_a_member_without_probabilities_is_refused():
    X, y, _ = halves(load_wine)
    hard = VotingClassifier([("lr", logistic()), ("dt", tree())], voting="hard")
    est = fit(VotingClassifier([("hard", hard), ("dt", tree())], voting="soft"), X, y)
    with pytest.raises(UnsupportedOpError, match="VotingClassifier.*predict_proba"):
        edgec.compile(est)
