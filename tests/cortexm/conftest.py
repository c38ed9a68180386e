"""Shared fixtures of the Cortex-M tests: the toolchain check, the int8 example models compiled
once per session, and a few quantized test images. Cross builds are cached by content
(edgec/cortexm/build.py), so a second run of the suite reuses every image."""
import inspect
import os
from pathlib import Path

import numpy as np
import pytest

import edgec
import edgec.compiler
from edgec.cortexm.toolchain import INSTALL_HINT, have_toolchain

ROOT = Path(__file__).resolve().parents[2]
MLPERF = ROOT.parent / "shared" / "models" / "mlperf_tiny"
N_SAMPLES = 3
# the C variants to test: the portable C, and the cmsis kernels once edgec.compile takes target=
TARGETS = ["portable"] + (["cmsis"] if "target" in inspect.signature(edgec.compiler.compile).parameters else [])


def pytest_collection_modifyitems(config, items):
    """Without arm-none-eabi-gcc, newlib and qemu-system-arm the tests here are skipped on a
    developer's machine, and fail in CI (where `make test` installs them)."""
    if have_toolchain():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"the Cortex-M toolchain is missing in CI; {INSTALL_HINT}")
    skip = pytest.mark.skip(reason=f"Cortex-M toolchain missing; {INSTALL_HINT}")
    for item in items:
        if "tests/cortexm" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


def compile_example(ex: str, target: str = "portable"):
    d = ROOT / "examples" / ex
    extra = {"target": target} if target != "portable" else {}
    return edgec.compile(str(d / f"digits_{ex}.onnx"), quant="int8", calib=str(d / "digits_calib.npz"), **extra)


@pytest.fixture(scope="session")
def examples():
    """name -> (int8 Artifact, {input: int8 [N_SAMPLES, ...]}) for examples/cnn and examples/mlp
    (portable C); with the target as a second key part for the other targets, e.g. ("cnn", "cmsis")."""
    out = {}
    for ex in ("cnn", "mlp"):
        images = np.load(ROOT / "examples" / ex / "digits_test.npz")["image"][:N_SAMPLES]
        for target in TARGETS:
            art = compile_example(ex, target)
            q = np.stack([art.quantize_inputs({"image": x})["image"] for x in images])
            out[ex if target == "portable" else (ex, target)] = (art, {"image": q})
    return out


def simulate(art, batches):
    """The integer simulator's outputs for every sample: name -> [samples, *shape]."""
    n = next(iter(batches.values())).shape[0]
    per = [art.simulate({k: v[i] for k, v in batches.items()}) for i in range(n)]
    return {v.name: np.stack([p[v.name].reshape(v.shape) for p in per]) for v in art.graph.outputs}
