"""The int8 CLI: compile with calibration, verify with labels and a per-layer SQNR table."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper
import onnx

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "cnn"


def edgec_cli(*args):
    r = subprocess.run([sys.executable, "-m", "edgec", *map(str, args)], capture_output=True, text=True)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_compile_int8_writes_int8_api_and_float_wrapper(tmp_path):
    r = edgec_cli("compile", CNN / "digits_cnn.onnx", "-o", tmp_path, "--quant", "int8", "--calib",
                  CNN / "digits_calib.npz")
    assert r.returncode == 0, r.stderr
    header = (tmp_path / "digits_cnn.h").read_text()
    assert "int digits_cnn_run(const int8_t *in_image, int8_t *out_logits, void *arena);" in header
    assert "int digits_cnn_run_float(const float *in_image, float *out_logits, void *arena);" in header
    assert "USES FLOAT" in header and "#define DIGITS_CNN_IN_IMAGE_SCALE" in header
    assert (tmp_path / "digits_cnn_float_io.c").is_file()
    assert subprocess.run(["make", "-C", str(tmp_path)], capture_output=True).returncode == 0


def test_verify_int8_reports_accuracy_bit_exactness_and_layers(tmp_path):
    data = CNN / "digits_test.npz"   # the whole held-out split (450 images)
    js = tmp_path / "r.json"
    r = edgec_cli("verify", CNN / "digits_cnn.onnx", "--quant", "int8", "--calib", CNN / "digits_calib.npz",
                  "--data", data, "--labels", "--per-layer", "--json", js)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(js.read_text())
    assert rep["quant"] == "int8" and rep["bit_exact_vs_simulator"] is True and rep["float_islands"] == []
    acc = rep["accuracy"]
    assert abs(acc["top1_float"] - acc["top1_compiled"]) <= 0.01 + 1e-9 and acc["agreement"] >= 0.97
    assert rep["outputs"]["logits"]["sqnr_db"] > 25
    ops = {row["op"] for row in rep["per_layer"]}
    assert {"conv_s8", "depthwise_conv_s8", "fully_connected_s8"} <= ops
    assert ops & {"add_s8", "conv_add_s8"}   # the residual add (fused into its conv when it can be)
    assert all(row["sqnr_db"] > 20 for row in rep["per_layer"])
    assert "SQNR dB" in r.stdout and "bit-exact with the integer simulator: yes" in r.stdout


def test_int8_without_calibration_is_a_clear_error(tmp_path):
    r = edgec_cli("compile", CNN / "digits_cnn.onnx", "-o", tmp_path, "--quant", "int8")
    assert r.returncode == 2 and "--calib" in r.stderr


def _elu_model(path):
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Elu", ["r"], ["y"], name="my_elu")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def test_op_without_int8_kernel_needs_float_ops_and_is_listed(tmp_path):
    model, calib = tmp_path / "elu.onnx", tmp_path / "calib.npz"
    _elu_model(model)
    np.savez(calib, x=np.random.default_rng(0).standard_normal((20, 1, 16)).astype(np.float32))
    r = edgec_cli("compile", model, "-o", tmp_path / "a", "--quant", "int8", "--calib", calib)
    assert r.returncode == 2 and "Elu".lower() in r.stderr.lower() and "--float-ops" in r.stderr
    r = edgec_cli("compile", model, "-o", tmp_path / "b", "--quant", "int8", "--calib", calib, "--float-ops")
    assert r.returncode == 0, r.stderr
    assert "float islands (1): elu my_elu" in r.stdout
