"""The CLI's happy paths on the bundled example: compile, run, verify, inspect."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "cnn" / "digits_cnn.onnx"
TEST = ROOT / "examples" / "cnn" / "digits_test.npz"


def edgec_cli(*args):
    r = subprocess.run([sys.executable, "-m", "edgec", *map(str, args)], capture_output=True, text=True)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_compile_writes_the_promised_files(tmp_path):
    r = edgec_cli("compile", CNN, "-o", tmp_path, "--name", "Digits-Net!")
    assert r.returncode == 0, r.stderr
    names = {p.name for p in tmp_path.iterdir()}
    assert {"digits_net.h", "digits_net.c", "digits_net_weights.c", "Makefile", "edgec.json"} <= names
    assert any(n.startswith("ec_") and n.endswith(".c") for n in names)
    header = (tmp_path / "digits_net.h").read_text()
    assert "int digits_net_run(const float *in_image, float *out_logits, void *arena);" in header
    assert "#define DIGITS_NET_ARENA_SIZE" in header
    made = subprocess.run(["make", "-C", str(tmp_path)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "libdigits_net.a").is_file()


def test_run_then_verify_agree(tmp_path):
    out_dir = tmp_path / "c"
    assert edgec_cli("compile", CNN, "-o", out_dir).returncode == 0
    data = np.load(TEST)
    inp = tmp_path / "in.npz"
    np.savez(inp, image=data["image"][:20])
    outp = tmp_path / "out.npz"
    r = edgec_cli("run", out_dir, "--input", inp, "--output", outp)
    assert r.returncode == 0, r.stderr
    logits = np.load(outp)["logits"]
    assert logits.shape == (20, 1, 10)
    accuracy = float(np.mean(logits.reshape(20, 10).argmax(1) == data["labels"][:20]))
    assert accuracy >= 0.9

    report_path = tmp_path / "report.json"
    r = edgec_cli("verify", CNN, "--data", inp, "--json", report_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout
    report = json.loads(report_path.read_text())
    out = report["outputs"]["logits"]
    assert out["max_abs_err"] < 1e-4 and out["sqnr_db"] > 80 and out["top1_agreement"] == 1.0
    assert report["memory"]["arena_bytes"] < report["memory"]["arena_bytes_no_reuse"]
    assert report["memory"]["weights_bytes"] > 0 and report["macs"] > 100_000
    assert report["samples"] == 20 and report["passed"] is True


def test_verify_fails_past_tolerance(tmp_path):
    inp = tmp_path / "in.npz"
    np.savez(inp, image=np.load(TEST)["image"][:3])
    r = edgec_cli("verify", CNN, "--data", inp, "--rtol", "0", "--atol", "0")
    # float32 C and onnxruntime differ in the last bits, so zero tolerance must fail: exit 1
    assert r.returncode == 1, r.stdout
    assert "FAIL" in r.stdout


def test_inspect_model_and_dir(tmp_path):
    js = tmp_path / "i.json"
    r = edgec_cli("inspect", CNN, "--json", js)
    assert r.returncode == 0, r.stderr
    rep = json.loads(js.read_text())
    assert rep["macs"] > 0 and rep["memory"]["arena_bytes"] > 0
    assert any(layer["op"] == "conv" and layer["macs"] > 0 for layer in rep["layers"])
    assert "conv" in rep["ir"]
    assert edgec_cli("compile", CNN, "-o", tmp_path / "c").returncode == 0
    r = edgec_cli("inspect", tmp_path / "c")
    assert r.returncode == 0 and "conv" in r.stdout
