"""GaussianNB: float32 C agrees with scikit-learn on held-out halves of the bundled datasets."""
import numpy as np
import pytest
from sklearn.naive_bayes import GaussianNB

from edgec.testing import check_sklearn
from tests.sklearn.conftest_data import CLASSIFICATION, split


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("data", CLASSIFICATION)
def test_gaussian_nb_predicts_exactly(data, scale):
    Xtr, ytr, Xte, _ = split(data, scale)
    est = GaussianNB().fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
    assert art.sklearn.methods == ("predict", "predict_proba")


def test_gaussian_nb_with_priors_and_tiny_variances():
    # digits has pixels that never vary in a class: var_ is var_smoothing-sized and jll huge
    Xtr, ytr, Xte, _ = split("digits", scale=False)
    prior = np.linspace(1.0, 2.0, 10)
    est = GaussianNB(priors=prior / prior.sum(), var_smoothing=1e-11).fit(Xtr, ytr)
    _, res = check_sklearn(est, Xte)
    assert res["predict_agreement"] == 1.0
