"""int8 max / average pooling: C == integer simulator bit for bit, close to float, input qparams
kept, and TFLite Micro's average rounding at hand-checked edges."""
import numpy as np
import pytest

from edgec.errors import UnsupportedOpError
from edgec.ops.pool_s8 import PoolS8Attrs, avg_pool_s8_ref, max_pool_s8_ref, rounded_div
from edgec.testing import check_int8
from tests.ops.onnx_single import single_node_model

S = (1, 5, 9, 11)


def _smooth(shape: tuple, n: int = 3, seed: int = 0) -> list[dict]:
    """Smooth images with an offset per channel, so averages stay well inside the input's range."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.arange(shape[2]), np.arange(shape[3]), indexing="ij")
    out = []
    for _ in range(n):
        f = rng.uniform(0.2, 0.6, (shape[1], 1, 1))
        img = np.sin(f * yy + 0.7 * f * xx) + rng.uniform(-1, 1, (shape[1], 1, 1))
        out.append({"x": np.broadcast_to(img, shape).astype(np.float32)})
    return out


def _pool_node(art):
    (node,) = [n for n in art.graph.nodes if n.op.endswith("pool_s8")]
    return node


GEOMETRIES = [
    dict(kernel_shape=[2, 2], strides=[2, 2]),
    dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    dict(kernel_shape=[3, 2], strides=[1, 2], pads=[0, 1, 2, 0]),
    dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    dict(kernel_shape=[2, 3], dilations=[2, 1], pads=[1, 1, 1, 1]),
]


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("geom", GEOMETRIES, ids=lambda g: "-".join(f"{k}{v}" for k, v in g.items()))
def test_pool_s8_c_matches_simulator_and_float(op, geom):
    if op == "AveragePool" and "dilations" in geom:
        geom = {**geom, "dilations": [1, 1]}
    art, got, want = check_int8(single_node_model(op, {"x": S}, **geom), _smooth(S), min_sqnr_db=30)
    node = _pool_node(art)
    assert node.outputs[0].type.qparams == node.inputs[0].type.qparams


def test_avg_pool_s8_count_include_pad_adds_zero_point_taps():
    m = single_node_model("AveragePool", {"x": S}, kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)
    art, got, want = check_int8(m, _smooth(S), min_sqnr_db=30)
    assert _pool_node(art).attrs.count_include_pad


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pool_s8_is_a_full_window_pool(op):
    art, got, want = check_int8(single_node_model(op, {"x": S}), _smooth(S), min_sqnr_db=30)
    assert _pool_node(art).attrs.kernel == S[2:]


def test_avg_pool_s8_many_channels_cross_the_accumulator_block():
    shape = (2, 70, 4, 5)
    rng = np.random.default_rng(1)
    calib = [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(2)]
    check_int8(single_node_model("AveragePool", {"x": shape}, kernel_shape=[2, 2], pads=[1, 0, 0, 1]), calib)


def test_pool_s8_window_without_input_taps_is_declined():
    """A window entirely in the padding has no defined max or average: no int8 kernel for it."""
    m = single_node_model("MaxPool", {"x": (1, 2, 3, 3)}, kernel_shape=[2, 2], pads=[2, 2, 0, 0], strides=[2, 2])
    with pytest.raises(UnsupportedOpError):
        check_int8(m, _smooth((1, 2, 3, 3)))


# -- arithmetic edges ----------------------------------------------------------------------------
def test_rounded_div_rounds_half_away_from_zero_with_c_division():
    acc = np.array([5, -5, 4, -4, 3, -3, 0, 7, -7])
    assert rounded_div(acc, np.array(2)).tolist() == [3, -3, 2, -2, 2, -2, 0, 4, -4]
    assert rounded_div(acc, np.array(3)).tolist() == [2, -2, 1, -1, 1, -1, 0, 2, -2]   # 5/3 = 1.67 -> 2


def _attrs(**kw) -> PoolS8Attrs:
    return PoolS8Attrs(**{"kernel": (2, 2), "channels_last": True, **kw})


def test_avg_pool_s8_divides_by_input_taps_only():
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.int8).reshape(1, 3, 3, 1)
    y = avg_pool_s8_ref(_attrs(strides=(2, 2), pads=(1, 1, 1, 1)), x)
    # windows: {1}, {2,3}, {4,7}, {5,6,8,9}: 1, 2.5 -> 3, 5.5 -> 6, 7
    assert y.reshape(-1).tolist() == [1, 3, 6, 7]


def test_avg_pool_s8_count_include_pad_counts_pads_as_zero_point():
    x = np.full((1, 2, 2, 1), 10, np.int8)
    y = avg_pool_s8_ref(_attrs(pads=(1, 1, 0, 0), count_include_pad=True, zero_point=-2), x)
    # top-left window: 10 and three pads of -2: (10 - 6) / 4 = 1
    assert y[0, 0, 0, 0] == 1 and y[0, 1, 1, 0] == 10


def test_avg_pool_s8_negative_ties_round_away_from_zero_and_clamp():
    x = np.array([-128, -127, 127, 126], np.int8).reshape(1, 1, 4, 1)
    y = avg_pool_s8_ref(_attrs(kernel=(1, 2), strides=(1, 2), act_min=-100, act_max=126), x)
    assert y.reshape(-1).tolist() == [-100, 126]   # -127.5 -> -128 -> clamp; 126.5 -> 127 -> clamp


def test_max_pool_s8_ignores_padding_even_for_the_most_negative_code():
    x = np.full((1, 2, 2, 1), -128, np.int8)
    x[0, 1, 1, 0] = -127
    y = max_pool_s8_ref(_attrs(pads=(1, 1, 1, 1)), x)
    assert y.reshape(3, 3).tolist() == [[-128, -128, -128], [-128, -127, -127], [-128, -127, -127]]
