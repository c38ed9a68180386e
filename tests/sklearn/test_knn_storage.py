"""knn training rows as codes: grids found in standardised fixed-step data, values off the grid and
features on none kept in dictionaries, every value given back bit for bit."""
import numpy as np

from edgec.ops.knn_storage import BLOCK, TrainStorage, blocked, coded_storage, train_storage


def standardised(raw: np.ndarray) -> np.ndarray:
    """What StandardScaler then astype(float32) does to raw measurements."""
    return ((raw - raw.mean(axis=0)) / raw.std(axis=0)).astype(np.float32)


def adc_counts(rows: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 4096, rows), rng.integers(0, 200, rows) / 100.0,   # counts, 2 decimals
                     rng.integers(-500, 500, rows) * 0.25], axis=1).astype(np.float64)


def test_standardised_fixed_steps_are_16_bit_grid_codes():
    train = standardised(adc_counts())
    st = coded_storage(train)
    assert st.kind == "codes16" and st.dict_index is None          # every feature on a grid
    assert st.decode().tobytes() == train.tobytes()
    assert train_storage(train).kind == "codes16"
    assert st.nbytes == 304 * 3 * 2 + 3 * 16      # padded to whole blocks, 2 bytes a value, a and b


def test_values_off_the_grid_go_to_the_dictionary():
    raw = adc_counts()
    raw[7, 1] = 0.123456789          # a data-entry slip: not on the 0.01 grid
    raw[9, 1] = 1.0000001
    train = standardised(raw)
    st = coded_storage(train)
    assert st.kind == "codes16" and st.decode().tobytes() == train.tobytes()
    first, _ = st.dict_index[1]
    assert sorted(st.data[[7, 9], 1].tolist()) == [first, first + 1]
    assert np.all(st.data[np.arange(300) >= 10, 1] < first)
    assert st.dict_values.size == 2 and st.dict_index[0, 0] == 65536 and st.dict_index[2, 0] == 65536


def test_a_feature_on_no_grid_is_a_whole_dictionary():
    rng = np.random.default_rng(1)
    raw = adc_counts()
    raw[:, 2] = rng.choice(rng.standard_normal(40), 300)          # 40 arbitrary values
    train = standardised(raw)
    st = coded_storage(train)
    assert st.decode().tobytes() == train.tobytes()
    assert st.dict_index[2, 0] == 0 and st.dict_values.size == np.unique(train[:, 2]).size


def test_byte_codes_index_dictionaries():
    rng = np.random.default_rng(3)
    train = np.asarray(rng.choice([-1.5, 0.1, 2.0, 7.25, -0.0, 0.0], (50, 4)), np.float32)
    st = coded_storage(train, 255)
    assert st.kind == "codes8" and st.data.dtype == np.uint8
    assert np.all(st.dict_index[:, 0] == 0)
    assert np.all(st.decode() == train)              # -0.0 and 0.0 may share a code: no distance differs
    assert coded_storage(rng.standard_normal((300, 2)).astype(np.float32), 255) is None   # > 256 values


def test_no_codes_for_non_finite_rows():
    train = standardised(adc_counts())
    train[3, 0] = np.inf
    assert coded_storage(train) is None and train_storage(train).kind == "f32"


def test_blocks_are_transposed_and_padded_with_the_last_row():
    data = np.arange(11 * 3, dtype=np.float32).reshape(11, 3)
    b = blocked(data)
    assert b.shape == (2, 3, BLOCK)
    assert np.array_equal(b[0, :, 2], data[2]) and np.array_equal(b[1, :, 2], data[10])
    assert np.array_equal(b[1, :, 7], data[10])
    assert TrainStorage("f32", data).nbytes == b.nbytes


def test_grid_products_are_exact_so_a_fused_multiply_add_gives_the_same_value():
    """A compiler may contract a + b*k into one fma; with b * k exact in double both round once,
    from the same real: the same float."""
    from fractions import Fraction
    st = coded_storage(standardised(adc_counts()))
    for j in range(st.data.shape[1]):
        b = float(st.grid[j, 1])
        for k in np.unique(st.data[:, j]).tolist():
            assert Fraction(b) * k == Fraction(b * k)


def test_cores_without_a_double_fpu_get_no_grid_codes():
    """The grid decode is double arithmetic: kept for the host and a core with a double-precision
    FPU (M7), left out for the others, whose C still agrees with scikit-learn."""
    import pytest
    from sklearn.neighbors import KNeighborsClassifier

    import edgec
    from edgec.cortexm.cpus import CPUS
    from edgec.errors import EdgecError
    assert [c for c in CPUS if CPUS[c].double_fpu] == ["cortex-m7"]
    raw = adc_counts(400, seed=1)
    X = standardised(raw)
    y = (raw[:, 0] > 2048).astype(int) + (raw[:, 1] > 1.0).astype(int)
    est = KNeighborsClassifier(n_neighbors=5).fit(X[:300], y[:300])
    assert train_storage(X[:300], grid=False).kind != "codes16"
    for cpu, grid in [(None, True), ("cortex-m7", True), ("cortex-m4", False), ("cortex-m55", False)]:
        art = edgec.compile(est, methods=("predict",), cpu=cpu)
        assert ("ec_knn_block_codes16" in "".join(art.c.files)) == grid, cpu
        got = art.run_rows(X[300:])["predict"]
        np.testing.assert_array_equal(np.asarray(art.sklearn.labels)[got.reshape(-1)], est.predict(X[300:]))
    with pytest.raises(EdgecError, match="unknown core"):
        edgec.compile(est, cpu="cortex-m99")
