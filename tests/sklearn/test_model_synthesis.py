"""Model synthesis: mixed ensembles compile into one C model (the issue's stacked example)."""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier, StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from edgec.testing import check_sklearn


def test_forest_svc_logistic_stacked_under_logistic():
    X, y = load_breast_cancer(return_X_y=True)
    est = StackingClassifier(
        [("rf", RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0)),
         ("svc", make_pipeline(StandardScaler(), SVC())),
         ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)))],
        final_estimator=LogisticRegression(max_iter=1000), cv=3).fit(X[::2], y[::2])
    art, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0
    ops = {n.op for n in art.graph.nodes}
    assert {"tree_ensemble", "svm_kernel", "gemm"} <= ops          # every member is in the one model
    assert len(art.graph.inputs) == 1 and f"{art.name}_predict(" in art.c.files[f"{art.name}.h"]


def test_soft_voting_of_mixed_members_on_digits():
    X, y = load_digits(return_X_y=True)
    est = VotingClassifier([("rf", RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0)),
                            ("lr", make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)))],
                           voting="soft", weights=[2, 1]).fit(X[::2], y[::2])
    _, res = check_sklearn(est, X[1::2])
    assert res["predict_agreement"] == 1.0
    assert np.isfinite(res["predict_proba_max_rel_err"])
