"""examples/firmware: `make BOARD=... run` compiles the example CNN for the board's core, links
the bare-metal firmware and prints the bundled digit's class under QEMU; its start-up code and
linker scripts are the harness's own (kept identical)."""
import os
import subprocess
import sys

import pytest

from tests.cortexm.conftest import ROOT

FIRMWARE = ROOT / "examples" / "firmware"
CORTEXM = ROOT / "edgec" / "cortexm"


@pytest.mark.parametrize("board", ["mps2-an386", "microbit"])
def test_make_run_prints_the_predicted_class(tmp_path, board):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(["make", "-s", "-C", str(FIRMWARE), f"BOARD={board}", f"BUILD={tmp_path}",
                        f"EDGEC={sys.executable} -m edgec", "run"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "predicted class 2 (label 2)" in r.stdout + r.stderr
    assert (tmp_path / "model" / "Makefile").read_text().count("arm-none-eabi-") == 1


def test_firmware_copies_match_the_harness_sources():
    pairs = [(FIRMWARE / n, CORTEXM / "c" / n) for n in ("ec_startup.c", "ec_semihost.h")]
    pairs += [(p, CORTEXM / "ld" / p.name) for p in sorted((FIRMWARE / "boards").glob("*.ld"))]
    assert len(pairs) == 9
    for copy, src in pairs:
        assert copy.read_bytes() == src.read_bytes(), f"{copy} differs from {src}"
