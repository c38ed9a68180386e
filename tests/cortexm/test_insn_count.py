"""The counting plugin counts exactly the instructions executed between the two markers: on a
straight-line stretch of code, the count equals the instructions objdump lists there."""
import re
import subprocess

import pytest

from edgec.cortexm.build import C_DIR, LD_DIR, LINK_FLAGS
from edgec.cortexm.cpus import BOARDS, get_cpu
from edgec.cortexm.qemu import run_image
from edgec.cortexm.toolchain import EmulatorError

PROGRAM = """
#include <stdint.h>
__attribute__((noipa)) void ec_mark_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noipa)) void ec_mark_end(void) { __asm__ volatile("" ::: "memory"); }
int main(void)
{
    int k;
    for (k = 0; k < 3; ++k) {
        ec_mark_begin();
        __asm__ volatile(".rept 57\\n\\tnop\\n\\t.endr");
        ec_mark_end();
    }
    return SPIN;
}
"""


def _build(tmp_path, cpu, board, spin=0):
    src = tmp_path / "prog.c"
    src.write_text(PROGRAM.replace("SPIN", "0" if not spin else "({ for (;;) {} 0; })"))
    elf = tmp_path / "prog.elf"
    subprocess.run(["arm-none-eabi-gcc", *get_cpu(cpu).cflags, "-O2", f"-I{C_DIR}", *LINK_FLAGS, f"-L{LD_DIR}",
                    "-T", f"{board}.ld", "-o", str(elf), str(C_DIR / "ec_startup.c"), str(src)], check=True)
    return elf


def _expected(elf):
    """Instructions from the one after `bl ec_mark_begin` up to and including `bl ec_mark_end`."""
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    main = dis[dis.index("<main>:"):]
    insns = [l for l in main.splitlines()[1:] if re.match(r"\s+[0-9a-f]+:\t", l)]
    begin = next(i for i, l in enumerate(insns) if "<ec_mark_begin>" in l)
    end = next(i for i, l in enumerate(insns) if "<ec_mark_end>" in l)
    window = insns[begin + 1:end + 1]
    assert not any(re.search(r"\tb(ne|eq|\.n|\.w|x)?\s", l) for l in window[:-1]), "window must be straight-line"
    return len(window)


@pytest.mark.parametrize("cpu,board", [("cortex-m0plus", "mps2-an385"), ("cortex-m4", "mps2-an386"),
                                       ("cortex-m55", "mps3-an547")])
def test_plugin_counts_exactly_the_instructions_between_the_markers(tmp_path, cpu, board):
    elf = _build(tmp_path, cpu, board)
    run = run_image(elf, BOARDS[board], b"", timeout=30)
    want = _expected(elf)
    assert want >= 58
    assert run.counts == [want] * 3


def test_a_run_that_never_exits_stops_at_the_time_limit(tmp_path):
    elf = _build(tmp_path, "cortex-m4", "mps2-an386", spin=1)
    with pytest.raises(EmulatorError, match="time limit"):
        run_image(elf, BOARDS["mps2-an386"], b"", timeout=3)


def test_profile_splits_the_count_exactly_among_the_model_functions(examples):
    from edgec.cortexm.run import run_artifact
    art, batches = examples["cnn"]
    one = {k: v[:1] for k, v in batches.items()}
    r = run_artifact(art, "cortex-m4", one, profile=True, timeout=60)
    assert sum(r.profile.values()) == r.instructions[0]
    assert "?" not in r.profile
    top = next(iter(r.profile))
    assert top.startswith("ec_") and "conv" in top, r.profile
    assert r.report()["instructions_by_function"] == r.profile
