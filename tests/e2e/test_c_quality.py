"""Properties of the generated C: deterministic, clean under gcc and clang, no dynamic memory."""
import re
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import edgec
from edgec.backend.build import build_shared
from tests.e2e.onnx_cases import case_dirs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / "cnn" / "digits_cnn.onnx", ROOT / "examples" / "mlp" / "digits_mlp.onnx"]
SAMPLE_CASES = [c for c in case_dirs("pytorch-converted", "pytorch-operator")
                if c.name in {"test_Conv2d_depthwise_padded", "test_ConvTranspose2d", "test_AvgPool2d",
                              "test_ReflectionPad2d", "test_Embedding", "test_log_softmax_dim3", "test_GLU_dim",
                              "test_PixelShuffle", "test_operator_maxpool", "test_Linear"}]


def _all_runtime_sources() -> dict[str, str]:
    from edgec.resources import runtime_dir
    root = runtime_dir()
    return {p.name: p.read_text() for p in sorted((root / "src").glob("*.c")) + sorted((root / "include").glob("*.h"))}


def test_same_model_gives_byte_identical_files():
    a = edgec.compile(str(EXAMPLES[0])).c.files
    b = edgec.compile(str(EXAMPLES[0])).c.files
    assert a == b


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang not installed (make test installs it)")
@pytest.mark.parametrize("model", EXAMPLES + [c / "model.onnx" for c in SAMPLE_CASES], ids=lambda p: p.parent.name)
def test_generated_c_builds_cleanly_with_clang(model):
    files = edgec.compile(onnx.load(str(model))).c.files
    build_shared(files, cc="clang")


def test_every_runtime_kernel_builds_with_gcc_and_clang():
    files = _all_runtime_sources()
    build_shared(files, cc="gcc")
    if shutil.which("clang"):
        build_shared(files, cc="clang")


def test_no_dynamic_memory_or_vlas_in_runtime_and_output():
    texts = dict(_all_runtime_sources())
    texts.update(edgec.compile(str(EXAMPLES[0])).c.files)
    for name, text in texts.items():
        assert not re.search(r"\b(malloc|calloc|realloc|free|alloca)\s*\(", text), name
    # -Wvla is part of every build's flags, so a VLA anywhere fails test builds


def test_weights_are_const_and_only_the_arena_is_mutable():
    files = edgec.compile(str(EXAMPLES[0])).c.files
    name = "digits_cnn"
    assert f"const {name}_weights_t {name}_weights = {{" in files[f"{name}_weights.c"]
    src = files[f"{name}.c"]
    statics = re.findall(r"^static (?!const)(.*)$", src, re.M)
    assert statics == [f"uint64_t {name}_static_arena[({name.upper()}_ARENA_SIZE + 7u) / 8u + 1u];"]


def test_caller_supplied_arena_gives_same_result():
    art = edgec.compile(str(EXAMPLES[0]))
    x = np.load(ROOT / "examples" / "cnn" / "digits_test.npz")["image"][0]
    m = art.build()
    first = m.run({"image": x})["logits"].copy()
    m._arena[:] = 0xFFFFFFFF   # garbage in the arena must not matter
    assert np.array_equal(m.run({"image": x})["logits"], first)
