"""int8 mean / sum / max / min: C == integer simulator bit for bit, close to float, and TFLite
Micro's mean arithmetic (1 / count folded into the multiplier) at hand-checked edges."""
import numpy as np
import pytest

from edgec.errors import UnsupportedOpError
from edgec.ir.graph import QParams
from edgec.ops.reduce import ReduceAttrs
from edgec.ops.reduce_s8 import mean_multiplier, reduce_s8_attrs, reduce_s8_ref
from edgec.quant import fixedpoint as fp
from edgec.testing import check_int8
from tests.ops.onnx_single import single_node_model

S = (2, 6, 5, 7)
ONNX_OP = {"mean": "ReduceMean", "sum": "ReduceSum", "max": "ReduceMax", "min": "ReduceMin"}


def _calib(shape: tuple, n: int = 3, seed: int = 0) -> list[dict]:
    """Data with a per-channel offset so means are large next to the noise."""
    rng = np.random.default_rng(seed)
    return [{"x": (rng.standard_normal(shape) * 0.5 + rng.uniform(-2, 2, (1, shape[1], 1, 1))).astype(np.float32)}
            for _ in range(n)]


def _model(kind: str, axes: tuple, keepdims: int = 1):
    return single_node_model(ONNX_OP[kind], {"x": S, "axes": np.array(axes, np.int64)}, opset=18, keepdims=keepdims)


def _q(scale: float, zp: int) -> QParams:
    return QParams((float(np.float32(scale)),), (zp,))


@pytest.mark.parametrize("kind", ["mean", "sum", "max", "min"])
@pytest.mark.parametrize("axes, keep", [((2, 3), 1), ((1,), 0), ((3,), 1), ((0, 2), 1), ((1, 2, 3), 0)])
def test_reduce_s8_c_matches_simulator_and_float(kind, axes, keep):
    art, got, want = check_int8(_model(kind, axes, keep), _calib(S), min_sqnr_db=30)
    (node,) = [n for n in art.graph.nodes if n.op == "reduce_s8"]
    if kind in ("max", "min"):
        assert node.outputs[0].type.qparams == node.inputs[0].type.qparams


def test_reduce_s8_wide_inner_rows_cross_the_accumulator_block():
    shape = (1, 3, 4, 150)
    m = single_node_model("ReduceMean", {"x": shape, "axes": np.array([1], np.int64)}, opset=18)
    check_int8(m, _calib(shape), min_sqnr_db=30)


def test_reduce_prod_has_no_int8_kernel():
    with pytest.raises(UnsupportedOpError):
        check_int8(single_node_model("ReduceProd", {"x": S, "axes": np.array([1], np.int64)}, opset=18), _calib(S))


# -- arithmetic edges ----------------------------------------------------------------------------
def test_mean_multiplier_folds_one_over_count_like_tflm():
    m, shift = fp.quantize_multiplier(1.0)                  # (2^30, 1)
    assert mean_multiplier(m, shift, 1) == (m, shift)
    assert mean_multiplier(m, shift, 4) == (1 << 30, -1)     # exactly 1/4
    assert mean_multiplier(m, shift, 49) == (((1 << 30) << 5) // 49, -4)
    assert mean_multiplier(m, -31, 8) == (m // 8, -31)       # k is limited to 31 + shift = 0


def test_mean_s8_rounds_twice_like_tflm():
    """Equal scales: the mean of 2 is MBQM(sum, 2^30, 0), one srdhm whose nudge rounds ties up
    (1.5 -> 2, -1.5 -> -1). The mean of 4 is MBQM(sum, 2^30, -1): srdhm halves (8.5 -> 9), then
    the rounding shift halves again (4.5 -> 5), so 17 / 4 = 4.25 gives 5 codes, as in TFLM."""
    a = reduce_s8_attrs(ReduceAttrs("mean", (1,), False), (3, 2), _q(0.5, 0), _q(0.5, 0))
    x = np.array([[1, 2], [-1, -2], [127, 127]], np.int8)
    assert reduce_s8_ref(a, x).tolist() == [2, -1, 127]
    b = reduce_s8_attrs(ReduceAttrs("mean", (1,), False), (2, 4), _q(0.5, 10), _q(0.5, -5))
    assert (b.multiplier, b.shift) == (1 << 30, -1)
    x = np.array([[10, 10, 10, 10], [14, 14, 14, 15]], np.int8)
    assert reduce_s8_ref(b, x).tolist() == [-5, 0]       # the zero point is removed once per count


def test_sum_s8_rescales_and_saturates():
    a = reduce_s8_attrs(ReduceAttrs("sum", (1,), False), (2, 3), _q(0.1, 0), _q(0.2, 0))
    x = np.array([[1, 2, 4], [100, 100, 100]], np.int8)
    assert reduce_s8_ref(a, x).tolist() == [4, 127]           # 7 * 0.5 = 3.5 -> 4


def test_max_min_s8_compare_raw_codes():
    a = reduce_s8_attrs(ReduceAttrs("max", (0,), True), (3,), _q(0.1, 3), _q(0.1, 3))
    b = reduce_s8_attrs(ReduceAttrs("min", (0,), True), (3,), _q(0.1, 3), _q(0.1, 3))
    x = np.array([-128, 5, 127], np.int8)
    assert reduce_s8_ref(a, x).tolist() == [127] and reduce_s8_ref(b, x).tolist() == [-128]
