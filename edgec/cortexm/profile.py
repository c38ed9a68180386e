"""Instructions per function of an emulated run: the plugin's per-block executions attributed to
the function symbols of the image (so per kernel, and so per layer type)."""
from __future__ import annotations

import bisect
from pathlib import Path

from edgec.cortexm.toolchain import check, tool


def functions(elf: Path) -> list[tuple[int, int, str]]:
    """(start, end, name) of every sized function in the image, sorted by address."""
    out = []
    for line in check([tool("arm-none-eabi-nm"), "-S", "--defined-only", str(elf)], "arm-none-eabi-nm").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            start = int(parts[0], 16) & ~1
            out.append((start, start + int(parts[1], 16), parts[3]))
    return sorted(out)


def by_function(elf: Path, blocks: list[tuple[int, int, int]]) -> dict[str, int]:
    """Instructions executed in each function (blocks outside every function: '?'), largest first."""
    funcs = functions(elf)
    starts = [f[0] for f in funcs]
    totals: dict[str, int] = {}
    for pc, insns, execs in blocks:
        i = bisect.bisect_right(starts, pc) - 1
        name = funcs[i][2] if i >= 0 and funcs[i][0] <= pc < funcs[i][1] else "?"
        totals[name] = totals.get(name, 0) + insns * execs
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
