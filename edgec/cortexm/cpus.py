"""The Cortex-M cores edgec cross-compiles for, and the QEMU boards that emulate them.

A CPU names its arm-none-eabi-gcc flags (architecture, Thumb, float ABI and FPU) and the board
its emulated runs use; a board names its QEMU machine and linker script (edgec/cortexm/ld/).
An ARMv6-M build (M0/M0+) runs on mps2-an385: its Cortex-M3 executes every v6-M instruction,
and its 4 MB of RAM takes models the 16 KB micro:bit cannot.
"""
from __future__ import annotations

from dataclasses import dataclass

from edgec.errors import EdgecError


@dataclass(frozen=True)
class Board:
    name: str            # QEMU machine (-M) and linker script stem
    core: str            # the core QEMU models
    flash_bytes: int     # the FLASH region of the linker script (code, constants, .data image)
    ram_bytes: int       # the RAM region (.data, .bss, stack)


@dataclass(frozen=True)
class Cpu:
    name: str
    arch: str                    # for reports: armv6-m, armv7e-m, ...
    float_abi: str               # soft | hard
    fpu: str | None              # -mfpu=..., None: no FPU option
    board: str | None            # the board runs use (None: no emulated board)
    alt_boards: tuple[str, ...] = ()

    @property
    def double_fpu(self) -> bool:
        """True when the core computes in double precision in hardware (the M7's FPv5-D16); on
        the others a double operation is a library call, dozens of instructions."""
        return self.fpu == "fpv5-d16"

    @property
    def cflags(self) -> list[str]:
        """The arm-none-eabi-gcc flags that select this core (compile and link)."""
        flags = [f"-mcpu={self.name}", "-mthumb", f"-mfloat-abi={self.float_abi}"]
        return flags + ([f"-mfpu={self.fpu}"] if self.fpu else [])


BOARDS: dict[str, Board] = {b.name: b for b in [
    Board("microbit", "cortex-m0", 256 * 1024, 16 * 1024),
    Board("mps2-an385", "cortex-m3", 4 << 20, 4 << 20),
    Board("mps2-an386", "cortex-m4", 4 << 20, 4 << 20),
    Board("mps2-an500", "cortex-m7", 4 << 20, 4 << 20),
    Board("mps2-an505", "cortex-m33", 4 << 20, 2 << 20),
    Board("mps3-an547", "cortex-m55", 512 * 1024, 512 * 1024),
]}

CPUS: dict[str, Cpu] = {c.name: c for c in [
    Cpu("cortex-m0plus", "armv6-m", "soft", None, "mps2-an385", ("microbit",)),
    Cpu("cortex-m0", "armv6-m", "soft", None, "mps2-an385", ("microbit",)),
    Cpu("cortex-m3", "armv7-m", "soft", None, "mps2-an385"),
    Cpu("cortex-m4", "armv7e-m", "hard", "fpv4-sp-d16", "mps2-an386"),
    Cpu("cortex-m7", "armv7e-m", "hard", "fpv5-d16", "mps2-an500"),
    Cpu("cortex-m33", "armv8-m.main", "hard", "fpv5-sp-d16", "mps2-an505"),
    Cpu("cortex-m55", "armv8.1-m.main", "hard", "auto", "mps3-an547"),
    # the M55 without Helium: its DSP-extension path, the baseline the Helium kernels are measured against
    Cpu("cortex-m55+nomve", "armv8.1-m.main", "hard", "auto", "mps3-an547"),
]}


def get_cpu(name: str) -> Cpu:
    """The CPU called `name` (e.g. cortex-m4), or a clear error listing the known ones."""
    cpu = CPUS.get(name.lower())
    if cpu is None:
        raise EdgecError(f"--cpu {name}: unknown core; expected one of {', '.join(CPUS)}")
    return cpu


def board_for(cpu: Cpu, board: str | None = None) -> Board:
    """The board that runs `cpu`: `board` if given (it must fit the core), else the CPU's own."""
    name = board or cpu.board
    if name is None:
        raise EdgecError(f"{cpu.name}: no emulated board runs this core here (QEMU boards: {', '.join(BOARDS)})")
    if name != cpu.board and name not in cpu.alt_boards:
        raise EdgecError(f"board {name} does not run {cpu.name} code; use {', '.join((cpu.board,) + cpu.alt_boards)}")
    return BOARDS[name]
