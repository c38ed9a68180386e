"""cmsis target on whole models: the example models and the four MLPerf Tiny reference models
bit-exact with the integer simulator in a host build (plain C path), and cross-compiled runs
under QEMU bit-exact on the Cortex-M4 (DSP path, mps2-an386), the Cortex-M55 (Helium path,
mps3-an547) and the Cortex-M0+ (plain path, v6-M on mps2-an385)."""
import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

import edgec
from edgec.sim.interpreter import run_graph
from tests.cortexm import cmsis_cases as cc
from tests.cortexm.cmsis_qemu import CPUS, run_model, toolchain_available

ROOT = Path(__file__).resolve().parents[2]
MLPERF = ROOT.parent / "shared" / "models" / "mlperf_tiny"
EXAMPLES = {"cnn": ("examples/cnn/digits_cnn.onnx", "examples/cnn/digits_calib.npz"),
            "mlp": ("examples/mlp/digits_mlp.onnx", "examples/mlp/digits_calib.npz")}
TFLITE = {"kws": "kws_ref_model.tflite", "vww": "vww_96_int8.tflite", "resnet": "pretrainedResnet_quant.tflite",
          "ad01": "ad01_int8.tflite"}
qemu = pytest.mark.skipif(not toolchain_available(), reason="arm-none-eabi-gcc / qemu-system-arm not installed")

_cache: dict = {}


def _model(key: str):
    if key not in _cache:
        if key in EXAMPLES:
            onnx_path, calib = EXAMPLES[key]
            _cache[key] = edgec.compile(str(ROOT / onnx_path), quant="int8", calib=str(ROOT / calib), target="cmsis")
        else:
            path = MLPERF / TFLITE[key]
            if not path.exists():
                pytest.fail(f"MLPerf Tiny model missing: {path}")
            _cache[key] = edgec.compile(str(path), target="cmsis")
    return _cache[key]


def _feeds(art, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.integers(-128, 128, v.shape).astype(np.int8) for v in art.graph.inputs}


@pytest.mark.parametrize("key", ["cnn", "mlp", "kws", "vww", "resnet", "ad01"])
def test_host_build_bit_exact(key):
    art = _model(key)
    assert art.target == "cmsis"
    assert any(f.startswith("ecm_") for f in art.c.files)
    for seed in range(2):
        feeds = _feeds(art, seed)
        got, want = art.run(feeds), art.simulate(feeds)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])


def _kernel_chain():
    """Every cmsis kernel in one graph, with odd channel counts, padding, strides and a tail."""
    rng = np.random.default_rng(11)
    x = cc.input_value(rng, (1, 9, 7, 3))
    r = cc.input_value(rng, (1, 5, 3, 7), "r")
    c1 = cc.conv_node(rng, x, 7, (3, 3), (2, 2), (1, 1, 1, 0), name="c1")
    dw = cc.conv_node(rng, c1.outputs[0], 7, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="dw")
    ca = cc.conv_add_node(rng, dw.outputs[0], r, (3, 3), (1, 1, 1, 1), True, name="ca")
    pw = cc.conv_node(rng, ca.outputs[0], 13, (1, 1), name="pw")
    nodes = [c1, dw, ca, pw]
    g = cc.graph([x, r], nodes)
    return g, cc.feeds(rng, g)


def _assert_qemu_exact(files, sig, feeds, want, cpu):
    got = run_model(files, sig, feeds, cpu).outputs
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=cpu)


@qemu
@pytest.mark.parametrize("cpu,target", [("cortex-m4", "cmsis"), ("cortex-m4", "cmsis-w16"), ("cortex-m55", "cmsis"),
                                        ("cortex-m55", "cmsis-w16"), ("cortex-m0plus", "cmsis")])
def test_kernel_chain_under_qemu(cpu, target):
    from edgec.backend.c import emit_c
    g, feeds = _kernel_chain()
    src = emit_c(g, "t", target=target)
    _assert_qemu_exact(src.files, src.signature(), feeds, run_graph(g, feeds), cpu)


def _block_chain():
    """The same kernels with channel counts the fast paths take (multiples of 8 and 4, K a
    multiple of 16 and not), random shifts and clamps included."""
    rng = np.random.default_rng(12)
    x = cc.input_value(rng, (1, 7, 6, 16))
    r = cc.input_value(rng, (1, 7, 6, 16), "r")
    c1 = cc.conv_node(rng, x, 16, (3, 3), pads=(1, 1, 1, 1), name="c1")
    dw = cc.conv_node(rng, c1.outputs[0], 16, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="dw")
    ca = cc.conv_add_node(rng, dw.outputs[0], r, (1, 1), (0, 0, 0, 0), False, name="ca")
    pw = cc.conv_node(rng, ca.outputs[0], 24, (1, 1), name="pw")
    pw2 = cc.conv_node(rng, pw.outputs[0], 8, (1, 1), name="pw2")
    dw2 = cc.conv_node(rng, pw2.outputs[0], 8, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="dw2")
    dw2.attrs = dataclasses.replace(dw2.attrs, act_min=-100, act_max=90)   # a clamp narrower than int8's
    g = cc.graph([x, r], [c1, dw, ca, pw, pw2, dw2])
    return g, cc.feeds(rng, g)


@qemu
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("target", ["cmsis", "cmsis-w16"])
def test_block_chain_under_qemu(cpu, seed, target):
    from edgec.backend.c import emit_c
    g, feeds = _block_chain()
    rng = np.random.default_rng(seed)
    feeds = {k: rng.integers(-128, 128, v.shape).astype(np.int8) for k, v in feeds.items()}
    src = emit_c(g, "t", target=target)
    _assert_qemu_exact(src.files, src.signature(), feeds, run_graph(g, feeds), cpu)


def _dw_chain():
    """Depthwise layers off the usual 3x3 path: a 5x3 kernel with strides, dilation and padding,
    a 1x1 kernel, 12 channels (blocks of four starting inside a block of eight), then a pointwise
    layer; the clamps are random, so some are narrower than int8's."""
    rng = np.random.default_rng(13)
    x = cc.input_value(rng, (1, 9, 8, 12))
    d1 = cc.conv_node(rng, x, 12, (5, 3), (2, 1), (2, 1, 2, 1), (1, 2), depthwise=True, name="d1")
    d2 = cc.conv_node(rng, d1.outputs[0], 12, (1, 1), depthwise=True, name="d2")
    d3 = cc.conv_node(rng, d2.outputs[0], 12, (3, 3), pads=(1, 1, 1, 1), depthwise=True, name="d3")
    pw = cc.conv_node(rng, d3.outputs[0], 6, (1, 1), name="pw")
    g = cc.graph([x], [d1, d2, d3, pw])
    return g, cc.feeds(rng, g)


@qemu
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("table", [True, False])
def test_depthwise_chain_under_qemu(cpu, table, monkeypatch):
    """Every depthwise path of the core, with and without the short requantization table (the
    table withheld as the compiler does where its bound fails)."""
    from edgec.backend import cmsis_ops
    from edgec.backend.c import emit_c
    if not table:
        monkeypatch.setattr(cmsis_ops, "requant_table", lambda *a, **k: None)
    g, feeds = _dw_chain()
    src = emit_c(g, "t", target="cmsis")
    assert src.files["t.c"].count("ecm_depthwise_conv2d_s8(") == 3
    assert ("_rq" in src.files["t_weights.h"]) == table
    _assert_qemu_exact(src.files, src.signature(), feeds, run_graph(g, feeds), cpu)


@qemu
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m55"])
def test_fully_connected_rows_under_qemu(cpu):
    """A fully connected layer over three rows (a row pair and a last row) with an odd channel
    count: int8 weights on every path, also where the convolutions' are widened (DSP)."""
    from edgec.backend.c import emit_c
    rng = np.random.default_rng(14)
    x = cc.input_value(rng, (3, 22))
    g = cc.graph([x], [cc.fc_node(rng, x, 7)])
    feeds = cc.feeds(rng, g)
    src = emit_c(g, "t", target="cmsis")
    assert "ecm_fully_connected_s8(" in src.files["t.c"] and "#if" not in src.files["t_weights.c"]
    _assert_qemu_exact(src.files, src.signature(), feeds, run_graph(g, feeds), cpu)


@qemu
@pytest.mark.parametrize("key,cpu", [("kws", "cortex-m4"), ("kws", "cortex-m55"), ("kws", "cortex-m0plus"),
                                     ("cnn", "cortex-m4"), ("cnn", "cortex-m55"), ("ad01", "cortex-m55")])
def test_model_under_qemu(key, cpu):
    art = _model(key)
    feeds = _feeds(art, 3)
    _assert_qemu_exact(art.c.files, art.c.signature(), feeds, art.simulate(feeds), cpu)


@qemu
@pytest.mark.parametrize("cpu,mnemonic", [("cortex-m4", "smlad"), ("cortex-m55", "vmladava"),
                                          ("cortex-m0plus", "muls")])
def test_each_core_builds_its_own_path(cpu, mnemonic, tmp_path):
    """The one source picks the DSP path on the M4, Helium on the M55 and plain C on the M0+
    (read from gcc's assembly: this objdump does not decode MVE)."""
    art = _model("kws")
    for k, text in art.c.files.items():
        (tmp_path / k).write_text(text)
    flags = CPUS[cpu][0]
    asm = subprocess.run(["arm-none-eabi-gcc", "-mthumb", *flags, "-O2", "-std=c99", "-S", "-o", "-",
                          str(tmp_path / "ecm_conv1x1_s8.c")], capture_output=True, text=True, check=True).stdout
    assert mnemonic in asm
    if cpu != "cortex-m55":
        assert "vmladava" not in asm
    if cpu == "cortex-m0plus":
        assert "smlad" not in asm


def test_w16_widens_only_the_convolutions_and_only_on_request():
    """cmsis keeps int8 convolution weights on every core (CMSIS-NN's flash); cmsis-w16 adds their
    int16 form under the DSP path's condition, and passes w16 = 1 to the kernels that read it.
    Depthwise weights have their DSP form in both (small); fully connected in neither."""
    from edgec.backend.c import emit_c
    g, _ = _block_chain()
    plain, wide = emit_c(g, "t", target="cmsis"), emit_c(g, "t", target="cmsis-w16")
    assert plain.files["t_weights.c"].count("#if") == 2          # the two depthwise layers
    assert wide.files["t_weights.c"].count("#if") == 2 + 4       # and c1, ca, pw, pw2
    for name in ("ecm_conv2d_s8(", "ecm_conv1x1_s8(", "ecm_conv2d_add_s8("):
        calls = [ln for ln in wide.files["t.c"].splitlines() if name in ln]
        assert calls and all(", 1, " in ln for ln in calls), calls
        assert all(", 1, " not in ln for ln in plain.files["t.c"].splitlines() if name in ln)


@qemu
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m55+nomve"])
def test_w16_model_under_qemu(cpu):
    art = edgec.compile(str(MLPERF / TFLITE["kws"]), target="cmsis-w16")
    feeds = _feeds(art, 4)
    _assert_qemu_exact(art.c.files, art.c.signature(), feeds, art.simulate(feeds), cpu)


def test_cli_compile_target_cmsis(tmp_path):
    from edgec.cli import main
    assert main(["compile", str(MLPERF / TFLITE["ad01"]), "-o", str(tmp_path), "--target", "cmsis"]) == 0
    assert (tmp_path / "ecm_fully_connected_s8.c").exists()
    assert "ecm_fully_connected_s8(" in (tmp_path / "ad01_int8.c").read_text()
