"""C literals parse back to exactly the same values."""
import numpy as np

from edgec.backend.cformat import c_array_body, c_float, c_value


def test_c_float_round_trips_float32():
    rng = np.random.default_rng(0)
    for v in np.concatenate([rng.standard_normal(200).astype(np.float32) * 1e3,
                             np.array([0.1, 1 / 3, 1e-38, 3.4e38, -0.0, 1.0], np.float32)]):
        text = c_float(v)
        assert text.endswith("f")
        assert np.float32(float(text[:-1])) == np.float32(v)


def test_c_float_special_values():
    assert c_float(float("inf")) == "INFINITY"
    assert c_float(float("-inf")) == "(-INFINITY)"
    assert c_float(float("nan")) == "NAN"


def test_array_body_int_extremes():
    body = c_array_body(np.array([-(2 ** 31), 5], np.int32))
    assert "INT32_MIN" in body and "5" in body
    assert "INT64_C(-3)" in c_array_body(np.array([-3], np.int64))


def test_struct_values():
    assert c_value([1, 2.5, "EC_X"]) == "{1, 2.50000000e+00f, EC_X}"
    assert c_value(True) == "1"
