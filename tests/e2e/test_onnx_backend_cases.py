"""The ONNX backend test cases shipped in the onnx wheel (pytorch-converted, pytorch-operator).

Each case compiles to C, builds with gcc and must match the expected output within
rtol=1e-4, atol=1e-5; the cases listed in EXPECTED_ERRORS must instead end in a clear EdgecError.
Both lists are explicit so that any regression (or silent new failure) shows.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgec
from edgec.errors import EdgecError, UnsupportedOpError
from tests.e2e.onnx_cases import case_dirs, load_case

CASES = case_dirs("pytorch-converted", "pytorch-operator")

# case -> the words its error message must contain
EXPECTED_ERRORS = {
    "test_AvgPool3d": "3-D", "test_AvgPool3d_stride": "3-D", "test_AvgPool3d_stride1_pad0_gpu_input": "3-D",
    "test_Conv3d": "3-D", "test_Conv3d_dilated": "3-D", "test_Conv3d_dilated_strided": "3-D",
    "test_Conv3d_groups": "3-D", "test_Conv3d_no_bias": "3-D", "test_Conv3d_stride": "3-D",
    "test_Conv3d_stride_padding": "3-D",
    "test_MaxPool3d": "3-D", "test_MaxPool3d_stride": "3-D", "test_MaxPool3d_stride_padding": "3-D",
    "test_operator_non_float_params": "int64",   # Add/Mul on run-time int64 tensors
}
MIN_PASSING = 95



def run_case(case):
    model, feeds, expected = load_case(case)
    art = edgec.compile(model)
    got = art.run(feeds)
    return [got[o.name] for o in model.graph.output], expected


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in EXPECTED_ERRORS], ids=lambda c: c.name)
def test_backend_case_matches_expected_output(case):
    outs, expected = run_case(case)
    assert len(outs) == len(expected)
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got, want.astype(np.float32).reshape(got.shape), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in EXPECTED_ERRORS], ids=lambda c: c.name)
def test_backend_case_fails_with_clear_error(case):
    with pytest.raises(EdgecError) as info:
        run_case(case)
    assert EXPECTED_ERRORS[case.name].lower() in str(info.value).lower()
    if isinstance(info.value, UnsupportedOpError):
        assert info.value.node_name


def test_backend_case_counts():
    assert len(CASES) == 117
    assert len(CASES) - len(EXPECTED_ERRORS) >= MIN_PASSING
