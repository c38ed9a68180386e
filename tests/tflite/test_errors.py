"""What the TFLite front end refuses, and how it says so; the CLI takes a .tflite."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import edgec
from edgec.errors import ModelLoadError, UnsupportedOpError
from edgec.frontend.tflite_loader import supported_ops
from edgec.ir.graph import DType
from tests.tflite.single_op import BO, OneOp, fb, options, q

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, data: bytes) -> str:
    p = tmp_path / "m.tflite"
    p.write_bytes(data)
    return str(p)


def test_unsupported_op_names_op_node_and_supported_list(tmp_path):
    m = OneOp()
    data = m.finish(BO.ABS, [m.input((1, 4), q(0.1))], (1, 4), q(0.1))
    with pytest.raises(UnsupportedOpError) as e:
        edgec.compile(_write(tmp_path, data))
    msg = str(e.value)
    assert "ABS" in msg and "'output'" in msg and "CONV_2D" in msg and "STRIDED_SLICE" in msg


def test_hybrid_float_activation_int8_weight_model_is_a_clear_unsupported_error(tmp_path):
    """Float models compile (tests/tflite/test_float_tflite.py); dynamic-range ones do not."""
    m = OneOp()
    x = m.input((1, 4), None, DType.F32)
    w = m.const(np.ones((3, 4), np.int8), q(0.1))
    data = m.finish(BO.FULLY_CONNECTED, [x, w, -1], (1, 3), None, options(fb.FullyConnectedOptionsT),
                    out_dtype=DType.F32)
    with pytest.raises(UnsupportedOpError, match="int8 throughout"):
        edgec.compile(_write(tmp_path, data))


def test_unsupported_op_in_a_float_model_lists_the_float_converters(tmp_path):
    m = OneOp()
    data = m.finish(BO.ABS, [m.input((1, 4), None, DType.F32)], (1, 4), None, out_dtype=DType.F32)
    with pytest.raises(UnsupportedOpError) as e:
        edgec.compile(_write(tmp_path, data))
    assert "ABS" in str(e.value) and "CONV_2D" in str(e.value) and "QUANTIZE" not in str(e.value)


def test_softmax_with_non_tflm_output_qparams_is_refused(tmp_path):
    m = OneOp()
    data = m.finish(BO.SOFTMAX, [m.input((1, 8), q(0.1))], (1, 8), q(0.01, 0), options(fb.SoftmaxOptionsT, beta=1.0))
    with pytest.raises(UnsupportedOpError, match="scale"):
        edgec.compile(_write(tmp_path, data))


def test_garbage_file_is_a_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError):
        edgec.compile(_write(tmp_path, b"not a flatbuffer at all"))


def test_supported_list_matches_the_issue():
    want = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "SUB", "MUL",
            "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU",
            "HARD_SWISH", "PAD", "CONCATENATION", "MEAN", "TRANSPOSE", "STRIDED_SLICE", "QUANTIZE", "DEQUANTIZE"}
    assert want <= set(supported_ops())


def test_cli_compiles_a_tflite_file(tmp_path):
    m = OneOp()
    path = _write(tmp_path, m.finish(BO.RELU, [m.input((1, 4), q(0.1, 3))], (1, 4), q(0.1, 3)))
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "edgec", "compile", path, "-o", str(out)], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert any(p.suffix == ".c" for p in out.iterdir())
