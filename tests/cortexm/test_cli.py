"""The Cortex-M command line: `compile --cpu` writes a cross Makefile that builds, `size --cpu`
and `run --cpu --json` report the figures scripts read, and mistakes end in one clear line."""
import json

import numpy as np
import pytest

from edgec.cli import main

MODEL = "examples/mlp/digits_mlp.onnx"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from tests.cortexm.conftest import ROOT
    out = tmp_path_factory.mktemp("m4")
    d = ROOT / "examples" / "mlp"
    assert main(["compile", str(d / "digits_mlp.onnx"), "--quant", "int8", "--calib", str(d / "digits_calib.npz"),
                 "--cpu", "cortex-m4", "-o", str(out)]) == 0
    return out


def test_compile_cpu_writes_a_makefile_with_the_cores_flags_that_builds(compiled):
    import subprocess
    text = (compiled / "Makefile").read_text()
    assert "CPUFLAGS = -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" in text
    r = subprocess.run(["make", "-s", "-C", str(compiled)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    head = subprocess.run(["arm-none-eabi-readelf", "-A", str(compiled / "libdigits_mlp.a")],
                          capture_output=True, text=True).stdout
    assert "Tag_CPU_arch: v7E-M" in head and "Tag_FP_arch: VFPv4-D16" in head
    assert "Tag_ABI_VFP_args: VFP registers" in head


def test_size_json_and_run_json_report_flash_ram_and_instructions(compiled, tmp_path, examples, capsys):
    art, batches = examples["mlp"]
    np.savez(tmp_path / "in.npz", image=batches["image"])
    assert main(["size", str(compiled), "--cpu", "cortex-m4", "--json", str(tmp_path / "s.json")]) == 0
    size = json.loads((tmp_path / "s.json").read_text())
    assert main(["run", str(compiled), "--cpu", "cortex-m4", "--input", str(tmp_path / "in.npz"),
                 "--output", str(tmp_path / "out.npz"), "--json", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    at_compile = json.loads((compiled / "edgec.json").read_text())["cortexm"]
    assert at_compile["flash_bytes"] == size["flash_bytes"] and at_compile["ram_bytes"] == size["ram_bytes"]
    assert at_compile["sections"] == size["sections"]
    assert r["flash_bytes"] == size["flash_bytes"] > size["groups"]["weights"] > 0
    assert r["ram_bytes"] == size["ram_bytes"] > 0
    assert r["instructions_per_inference"] > art.macs // 2 and r["samples"] == len(batches["image"])
    host = art.build()
    got = np.load(tmp_path / "out.npz")
    for i, x in enumerate(batches["image"]):
        for name, want in host.run({"image": x}).items():
            np.testing.assert_array_equal(got[name][i], want)
    assert "instructions per inference" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["run", "DIR", "--cpu", "cortex-m4", "--board", "microbit", "--input", "IN", "--output", "OUT"], "does not run"),
    (["run", "DIR", "--cpu", "cortex-m4", "--input", "FLOAT", "--output", "OUT"], "quantize the inputs"),
])
def test_cpu_mistakes_end_in_one_clear_line(compiled, tmp_path, capsys, argv, message):
    np.savez(tmp_path / "f.npz", image=np.zeros((1, 1, 1, 8, 8), np.float32))
    argv = [str(compiled) if a == "DIR" else str(tmp_path / "f.npz") if a in ("IN", "FLOAT") else
            str(tmp_path / "o.npz") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
