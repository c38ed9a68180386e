"""Bad input: one line naming the problem on stderr, exit code 2, never a traceback."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "cnn" / "digits_cnn.onnx"


def edgec_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "edgec", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def assert_clean_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


def _save(model, path):
    onnx.save(model, str(path))
    return path


def test_truncated_file(tmp_path):
    data = CNN.read_bytes()
    bad = tmp_path / "trunc.onnx"
    bad.write_bytes(data[: len(data) // 2])
    assert_clean_error(edgec_cli("compile", bad, "-o", tmp_path / "out"), "trunc.onnx")


def test_not_an_onnx_file(tmp_path):
    bad = tmp_path / "notes.onnx"
    bad.write_text("this is not a model\n" * 20)
    assert_clean_error(edgec_cli("compile", bad, "-o", tmp_path / "out"), "notes.onnx")


def test_missing_file(tmp_path):
    assert_clean_error(edgec_cli("compile", tmp_path / "nope.onnx", "-o", tmp_path / "out"), "no such file")


def test_unsupported_op_names_op_and_node(tmp_path):
    node = helper.make_node("Hardmax", ["x"], ["y"], name="my_hardmax")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "hm.onnx")
    r = edgec_cli("compile", path, "-o", tmp_path / "out")
    assert_clean_error(r, "Hardmax", "my_hardmax", "supported ops")


def _symbolic_model(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
    return _save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "sym.onnx")


def test_symbolic_dim_needs_input_shape(tmp_path):
    path = _symbolic_model(tmp_path)
    assert_clean_error(edgec_cli("compile", path, "-o", tmp_path / "out"), "symbolic", "'N'", "--input-shape")
    r = edgec_cli("compile", path, "-o", tmp_path / "out", "--input-shape", "x=2x4")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "sym.h").is_file()


def test_bad_input_shape_option(tmp_path):
    path = _symbolic_model(tmp_path)
    assert_clean_error(edgec_cli("compile", path, "-o", tmp_path / "o", "--input-shape", "x=2xfoo"), "--input-shape")
    assert_clean_error(edgec_cli("compile", path, "-o", tmp_path / "o", "--input-shape", "zz=2x4"), "zz")


def test_data_file_with_wrong_shape(tmp_path):
    data = tmp_path / "bad.npz"
    np.savez(data, image=np.zeros((3, 1, 1, 9, 9), np.float32))
    assert_clean_error(edgec_cli("verify", CNN, "--data", data), "image", "shape")


def test_data_file_with_wrong_name(tmp_path):
    path = _symbolic_model(tmp_path)
    data = tmp_path / "two.npz"
    np.savez(data, a=np.zeros((3, 2, 4), np.float32), b=np.zeros((3, 2, 4), np.float32))
    assert_clean_error(edgec_cli("verify", path, "--input-shape", "x=2x4", "--data", data), "'x'")


def test_data_file_not_npz(tmp_path):
    data = tmp_path / "d.npz"
    data.write_text("nope")
    assert_clean_error(edgec_cli("verify", CNN, "--data", data), "d.npz")
