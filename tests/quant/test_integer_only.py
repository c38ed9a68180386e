"""The int8 path has no floating point: every file of an int8 model except the documented float
wrapper compiles with gcc -mgeneral-regs-only (on x86 any float arithmetic is then an error)."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

import edgec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["cnn", "mlp"]


def _compile_integer_only(files: dict[str, str], tmp: Path) -> None:
    for name, text in files.items():
        (tmp / name).write_text(text)
    for name in files:
        if name.endswith(".c") and not name.endswith("_float_io.c"):
            r = subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                "-mgeneral-regs-only", "-I", str(tmp), "-c", str(tmp / name), "-o",
                                str(tmp / (name + ".o"))], capture_output=True, text=True)
            assert r.returncode == 0, f"{name} uses float:\n{r.stderr[-2000:]}"


def test_general_regs_only_catches_float():
    """The check itself can fail: a float kernel does not compile this way."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        with pytest.raises(AssertionError):
            _compile_integer_only({"f.c": "float twice(float x) { return 2.0f * x; }\n"}, Path(d))


@pytest.mark.parametrize("example", EXAMPLES)
def test_int8_example_has_no_float(example, tmp_path):
    d = ROOT / "examples" / example
    calib = np.load(d / "digits_calib.npz")["image"][:50]
    art = edgec.compile(str(d / f"digits_{example}.onnx"), quant="int8", calib=[{"image": x} for x in calib])
    assert art.float_islands == []
    assert any(name.endswith("_float_io.c") for name in art.c.files)
    _compile_integer_only(art.c.files, tmp_path)
