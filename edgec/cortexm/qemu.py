"""Runs a harness image under qemu-system-arm with semihosting, a time limit, and edgec's own
instruction-counting TCG plugin (built from C with the host compiler, cached)."""
from __future__ import annotations

import functools
import hashlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgec.cortexm.build import C_DIR, cache_root
from edgec.cortexm.cpus import Board
from edgec.cortexm.harness import IN_FILE, MARK_BEGIN, MARK_END, OUT_FILE
from edgec.cortexm.toolchain import EmulatorError, check, tool

PLUGIN_SRC = C_DIR / "ec_insn_count.c"
EXIT_MEANING = {2: "could not open ec_in.bin/ec_out.bin", 3: "short read of the inputs", 4: "the model returned an error",
                5: "could not write the outputs", 6: "could not write the stack figure", 100: "the core faulted"}


@dataclass
class QemuRun:
    """What one emulated run produced."""

    output: bytes                 # ec_out.bin as the harness wrote it
    counts: list[int]             # instructions between the markers, one per inference
    console: str                  # the guest's semihosting console and QEMU's messages
    blocks: list[tuple[int, int, int]] | None = None   # profile: (pc, instructions, executions)


@functools.lru_cache(maxsize=None)
def plugin_api_version() -> int:
    """The TCG plugin API version of the installed QEMU: 1 before 8.2, 2 from 8.2 on."""
    out = check([tool("qemu-system-arm"), "--version"], "qemu-system-arm --version")
    m = re.search(r"version (\d+)\.(\d+)", out)
    return 2 if m and (int(m.group(1)), int(m.group(2))) >= (8, 2) else 1


def plugin_path(cc: str = "gcc") -> Path:
    """The instruction-counting plugin (.so), compiled once per source text and QEMU version."""
    src, version = PLUGIN_SRC.read_text(), plugin_api_version()
    key = hashlib.sha256(f"{cc}\0{version}\0{src}".encode()).hexdigest()[:16]
    so = cache_root() / f"ec_insn_count-{key}.so"
    if not so.exists():
        so.parent.mkdir(parents=True, exist_ok=True)
        tmp = so.with_suffix(f".{os.getpid()}.tmp")
        check([tool(cc), "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
               f"-DEC_QEMU_PLUGIN_VERSION={version}", "-o", str(tmp), str(PLUGIN_SRC)],
              "building the QEMU instruction-counting plugin")
        os.replace(tmp, so)
    return so


def symbol_address(elf: Path, symbol: str) -> int:
    """Address of a function in the image (the Thumb bit cleared)."""
    for line in check([tool("arm-none-eabi-nm"), str(elf)], "arm-none-eabi-nm").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == symbol:
            return int(parts[0], 16) & ~1
    raise EmulatorError(f"{elf.name}: no symbol {symbol}")


def run_image(elf: Path, board: Board, input_bytes: bytes, timeout: float = 120.0, count: bool = True,
              profile: bool = False) -> QemuRun:
    """Runs `elf` on `board` with `input_bytes` as ec_in.bin; raises EmulatorError on a fault, a
    non-zero exit or the time limit. `profile`: also the executions of every block counted."""
    with tempfile.TemporaryDirectory(prefix="edgec-qemu-") as tmp:
        work = Path(tmp)
        (work / IN_FILE).write_bytes(input_bytes)
        cmd = [tool("qemu-system-arm"), "-M", board.name, "-nographic", "-monitor", "none", "-serial", "none",
               "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
        counts_file = work / "ec_counts.txt"
        if count:
            b, e = symbol_address(elf, MARK_BEGIN), symbol_address(elf, MARK_END)
            opts = f"{plugin_path()},begin={b:#x},end={e:#x},out={counts_file}"
            cmd += ["-plugin", opts + (f",profile={work / 'ec_profile.txt'}" if profile else "")]
        try:
            r = subprocess.run(cmd, cwd=work, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise EmulatorError(f"qemu-system-arm -M {board.name}: no exit after {timeout:.0f} s (time limit)") from None
        console = (r.stdout + r.stderr).decode(errors="replace")
        if r.returncode != 0:
            why = EXIT_MEANING.get(r.returncode, "unexpected exit status")
            raise EmulatorError(f"{board.name}: the harness exited with status {r.returncode} ({why}): {console.strip()[-500:]}")
        out = (work / OUT_FILE).read_bytes() if (work / OUT_FILE).exists() else b""
        counts = [int(x) for x in counts_file.read_text().split()] if count and counts_file.exists() else []
        blocks = None
        if profile and (work / "ec_profile.txt").exists():
            rows = (line.split() for line in (work / "ec_profile.txt").read_text().splitlines())
            blocks = [(int(pc, 16), int(n), int(k)) for pc, n, k in rows]
        return QemuRun(out, counts, console, blocks)
