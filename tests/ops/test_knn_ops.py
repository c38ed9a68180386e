"""The knn op's C against the simulator, bit for bit, for every storage of the training rows, with
row blocks straddling the parts' boundaries and sets smaller than a block."""
import numpy as np
import pytest

from edgec.ops.knn import KnnAttrs, make_table
from edgec.ops.knn_storage import train_storage

from .test_svm_ops import _run

RNG = np.random.default_rng(5)


def rows(kind: str, n: int) -> np.ndarray:
    if kind == "f32":
        return RNG.standard_normal((n, 6)).astype(np.float32)
    if kind == "codes8":
        return RNG.choice(RNG.standard_normal(9), (n, 6)).astype(np.float32)
    raw = RNG.integers(0, 3000, (n, 6)) * 0.01            # fixed decimals, one value off the grid
    raw[n // 2, 3] = 7.777777
    return ((raw - raw.mean(axis=0)) / raw.std(axis=0)).astype(np.float32)


@pytest.mark.parametrize("kind", ["f32", "codes8", "codes16"])
@pytest.mark.parametrize("metric,weights,parts", [("euclidean", "uniform", (13, 29, 61)),
                                                  ("manhattan", "distance", ()),
                                                  ("euclidean", "distance", (40, 61))])
def test_knn_c_equals_simulator(kind, metric, weights, parts):
    train = rows(kind, 61)
    assert train_storage(train).kind == kind
    labels = RNG.integers(0, 3, 61)
    x = np.concatenate([train[:3], RNG.standard_normal((5, 6)).astype(np.float32)])
    attrs = KnnAttrs(make_table(train, labels=labels, n_classes=3), 5, metric, weights, parts)
    got, sim = _run("knn", x, [], attrs)
    np.testing.assert_array_equal(got, sim)


@pytest.mark.parametrize("kind", ["f32", "codes16"])
def test_regression_on_fewer_rows_than_a_block(kind):
    train = rows(kind, 60)[:3] if kind == "f32" else rows(kind, 3)
    targets = RNG.standard_normal((3, 2)).astype(np.float32)
    attrs = KnnAttrs(make_table(train, targets=targets), 2, "euclidean", "distance")
    got, sim = _run("knn", RNG.standard_normal((4, 6)).astype(np.float32), [], attrs)
    np.testing.assert_array_equal(got, sim)


def test_a_feature_wholly_in_the_dictionary_beside_grid_features():
    """16-bit codes where one feature is on no grid (each of its codes a dictionary entry): the
    block skips that feature's grid decode and reads the dictionary alone."""
    train = rows("codes16", 300)
    train[:, 2] = RNG.standard_normal(300).astype(np.float32)      # 300 distinct values, no grid
    st = train_storage(train)
    assert st.kind == "codes16" and st.dict_index[2, 0] == 0 and (st.dict_index[[0, 1, 4, 5], 0] > 0).all()
    labels = RNG.integers(0, 3, 300)
    x = np.concatenate([train[:3], RNG.standard_normal((5, 6)).astype(np.float32)])
    got, sim = _run("knn", x, [], KnnAttrs(make_table(train, labels=labels, n_classes=3), 5))
    np.testing.assert_array_equal(got, sim)
