"""Finding and running the cross tools (arm-none-eabi-*, qemu-system-arm), with clear errors
when they are missing and a time limit on everything that runs."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from edgec.errors import BuildError, EdgecError

INSTALL_HINT = ("install it with `make toolchain` (Debian/Ubuntu: apt-get install --no-install-recommends "
                "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


class ToolchainError(EdgecError):
    """A cross tool (arm-none-eabi-gcc, qemu-system-arm) is not installed."""


class EmulatorError(EdgecError):
    """The emulated run failed: a fault, a non-zero exit status, or the time limit."""


def tool(name: str) -> str:
    """Path of `name` (e.g. arm-none-eabi-gcc) on PATH, or a ToolchainError that says how to get it."""
    path = shutil.which(name)
    if path is None:
        raise ToolchainError(f"{name} not found; {INSTALL_HINT}")
    return path


def gcc() -> str:
    return tool("arm-none-eabi-gcc")


def have_toolchain() -> bool:
    """True when the cross compiler, newlib and QEMU are all installed (tests skip otherwise)."""
    names = ("arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-nm", "qemu-system-arm")
    if not all(shutil.which(n) for n in names):
        return False
    r = subprocess.run([gcc(), "-mthumb", "-mcpu=cortex-m4", "-print-file-name=libc_nano.a"],
                       capture_output=True, text=True)
    return Path(r.stdout.strip()).is_file()


def check(cmd: list[str], what: str, cwd: Path | None = None, timeout: float = 300) -> str:
    """Runs a build command; its standard output, or a BuildError carrying the tail of its log."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: no result after {timeout:.0f} s") from None
    if r.returncode != 0:
        raise BuildError(f"{what} failed:\n{(r.stderr or r.stdout)[-4000:]}")
    return r.stdout
