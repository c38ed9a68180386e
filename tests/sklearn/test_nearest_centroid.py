"""NearestCentroid: float32 C agrees with scikit-learn on held-out halves of the bundled datasets."""
import pytest
from sklearn.neighbors import NearestCentroid

from edgec.testing import check_sklearn
from tests.sklearn.conftest_data import CLASSIFICATION, split

CASES = {
    "euclidean": dict(),
    "manhattan": dict(metric="manhattan"),
    "shrunken": dict(shrink_threshold=0.2),
    "empirical_priors": dict(priors="empirical"),
    "manhattan_shrunken_priors": dict(metric="manhattan", priors="empirical", shrink_threshold=0.1),
}


@pytest.mark.parametrize("data", CLASSIFICATION)
@pytest.mark.parametrize("case", sorted(CASES))
def test_nearest_centroid_predicts_exactly(case, data):
    Xtr, ytr, Xte, _ = split(data)
    est = NearestCentroid(**CASES[case]).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    euclidean = est.metric == "euclidean"
    assert ("predict_proba" in art.sklearn.methods) == euclidean == ("decision_function" in art.sklearn.methods)


def test_binary_decision_is_the_score_difference():
    Xtr, ytr, Xte, _ = split("breast_cancer", scale=False)
    est = NearestCentroid().fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert art.run_rows(Xte[:2])["decision_function"].shape == (2, 1)
    assert res["predict_agreement"] == 1.0
