"""`edgec size` on every core (each build is also warning-free with that core's flags): every
section figure equals what arm-none-eabi-size and readelf print for the same image, the symbol
groups add up to the sections, and the groups match what the compiler knows (weights, arena)."""
import subprocess

import pytest

from edgec.cortexm.build import compile_model
from edgec.cortexm.cpus import CPUS, get_cpu
from edgec.cortexm.size import size_report


def _tool(*args):
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def _readelf_sizes(elf):
    """Section name -> size from the ELF section headers (an independent reader)."""
    out = {}
    for line in _tool("arm-none-eabi-readelf", "-SW", elf).splitlines():
        line = line.replace("[ ", "[")
        parts = line.split()
        if len(parts) > 6 and parts[0].startswith("[") and parts[1].startswith("."):
            out[parts[1]] = int(parts[5], 16)
    return out


@pytest.mark.parametrize("cpu", sorted(CPUS))
@pytest.mark.parametrize("example", ["cnn", "mlp"])
def test_size_report_agrees_with_arm_none_eabi_size_to_the_byte(examples, example, cpu):
    art, _ = examples[example]
    r = size_report(compile_model(art.c.files, art.name, get_cpu(cpu)))
    text, data, bss = (int(x) for x in _tool("arm-none-eabi-size", r["elf"]).splitlines()[1].split()[:3])
    assert r["flash_bytes"] == text + data
    assert r["ram_bytes"] == data + bss + r["stack_bytes"]
    readelf = _readelf_sizes(r["elf"])
    for name, size in r["sections"].items():
        assert readelf[name] == size, name
    assert {".text", ".rodata", ".bss"} <= set(r["sections"])
    g = r["groups"]
    assert g["code"] + g["weights"] + g["constants"] + g["data"] == text + data
    assert g["arena"] + g["other_bss"] == bss
    # the weights object holds every constant the back end emitted, padded to alignment only
    assert art.c.weights_bytes <= g["weights"] < art.c.weights_bytes + 8 * 64
    assert g["arena"] >= art.memory()["arena_bytes"]
    assert r["stack_bytes"] > 0
