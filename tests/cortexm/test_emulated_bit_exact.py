"""The int8 example models (portable C, and the cmsis kernels when that target exists)
cross-compiled for each Cortex-M core and run under QEMU give the integer simulator's outputs
bit for bit, and the plugin counts one inference per sample."""
import numpy as np
import pytest

import edgec
from edgec.cortexm.run import run_artifact
from tests.cortexm.conftest import MLPERF, TARGETS, simulate

CORES = [("cortex-m0plus", "mps2-an385"), ("cortex-m0plus", "microbit"), ("cortex-m4", "mps2-an386"),
         ("cortex-m7", "mps2-an500"), ("cortex-m33", "mps2-an505"), ("cortex-m55", "mps3-an547")]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", ["cnn", "mlp"])
@pytest.mark.parametrize("cpu,board", CORES)
def test_example_on_emulated_core_is_bit_exact_with_simulator(examples, example, cpu, board, target):
    art, batches = examples[example if target == "portable" else (example, target)]
    r = run_artifact(art, cpu, batches, board=board, timeout=120)
    ref = simulate(art, batches)
    for name, want in ref.items():
        np.testing.assert_array_equal(r.outputs[name], want, err_msg=f"{example} ({target}) on {cpu}/{board}: {name}")
    assert len(r.instructions) == len(next(iter(batches.values())))
    # every inference does the model's MACs at least once: more instructions than MACs / 2
    # even with dual MACs per instruction (MACs / 16 with Helium: vmladav takes 16 lanes), and no
    # run is wildly off from the others
    per_instr = 16 if cpu == "cortex-m55" and target != "portable" else 2
    assert all(c > art.macs // per_instr for c in r.instructions)
    assert max(r.instructions) < 1.1 * min(r.instructions)
    assert 0 < r.stack_bytes_measured <= r.size["stack_bytes"]  # the static bound holds


def test_microbit_build_fits_in_its_16_kb_of_ram(examples):
    from edgec.cortexm.build import compile_model, link_harness
    from edgec.cortexm.cpus import BOARDS, get_cpu
    from edgec.cortexm.harness import harness_main
    from edgec.cortexm.size import berkeley
    art, _ = examples["cnn"]
    mb = compile_model(art.c.files, art.name, get_cpu("cortex-m0plus"))
    elf = link_harness(mb, BOARDS["microbit"], harness_main(art.c.signature()))
    b = berkeley(elf)
    assert b["data"] + b["bss"] + 1024 <= BOARDS["microbit"].ram_bytes


def test_mlperf_anomaly_detector_on_m4_is_bit_exact_with_simulator():
    path = MLPERF / "ad01_int8.tflite"
    assert path.exists(), f"{path} is missing (CI keeps shared/ beside the clone)"
    art = edgec.compile(str(path))
    rng = np.random.default_rng(1)
    batches = {v.name: rng.integers(-128, 128, size=(2,) + v.shape).astype(np.int8) for v in art.graph.inputs}
    r = run_artifact(art, "cortex-m4", batches, timeout=120)
    for name, want in simulate(art, batches).items():
        np.testing.assert_array_equal(r.outputs[name], want, err_msg=f"ad01 on cortex-m4: {name}")
    assert r.instructions_per_inference > art.macs // 2


def test_a_model_too_big_for_the_microbit_is_refused_with_a_clear_error():
    from edgec.cortexm.build import DoesNotFitError
    art = edgec.compile(str(MLPERF / "kws_ref_model.tflite"))
    assert art.memory()["arena_bytes"] > 16 * 1024
    batches = {v.name: np.zeros((1,) + v.shape, np.int8) for v in art.graph.inputs}
    with pytest.raises(DoesNotFitError, match="does not fit the microbit board"):
        run_artifact(art, "cortex-m0plus", batches, board="microbit", timeout=60)


@pytest.mark.parametrize("cpu", ["cortex-m0plus", "cortex-m4"])
def test_float_examples_on_emulated_core_match_the_host_build(cpu):
    """Float models too (soft float on the M0+, the FPU on the M4, math from newlib's libm)."""
    from tests.cortexm.conftest import ROOT
    for ex in ("cnn", "mlp"):
        art = edgec.compile(str(ROOT / "examples" / ex / f"digits_{ex}.onnx"))
        x = np.load(ROOT / "examples" / ex / "digits_test.npz")["image"][:2]
        r = run_artifact(art, cpu, {"image": x}, timeout=120)
        host = art.build()
        want = np.stack([host.run({"image": v})["logits"] for v in x])
        np.testing.assert_allclose(r.outputs["logits"], want, rtol=1e-5, atol=1e-6)


def test_m55_without_helium_runs_the_dsp_path_bit_exact_and_slower(examples):
    """cortex-m55+nomve is the baseline `benchmarks/cortexm.py` measures Helium against."""
    art, batches = examples[("cnn", "cmsis")]
    ref = simulate(art, batches)
    runs = {cpu: run_artifact(art, cpu, batches, timeout=120) for cpu in ("cortex-m55", "cortex-m55+nomve")}
    for cpu, r in runs.items():
        for name, want in ref.items():
            np.testing.assert_array_equal(r.outputs[name], want, err_msg=f"cnn (cmsis) on {cpu}: {name}")
    assert min(runs["cortex-m55+nomve"].instructions) > 1.5 * max(runs["cortex-m55"].instructions)
