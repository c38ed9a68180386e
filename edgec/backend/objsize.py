"""Measured size of a C translation unit: what the tree layout choice is based on.

The unit is compiled with the host gcc (`-c` at the build's -O level) and its code and constant
data (.text*, .rodata*, .data*) are summed from the object's section table. Results are cached in
memory and on disk by a hash of the source, flags and compiler.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from edgec.backend.build import WARN_FLAGS, default_cache_dir
from edgec.errors import BuildError
from edgec.resources import runtime_dir

_CACHE: dict[str, int] = {}


def section_bytes(obj: Path) -> int:
    """text + rodata + data bytes of an ELF object (`size -A`)."""
    r = subprocess.run(["size", "-A", str(obj)], capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"size failed on {obj.name}: {r.stderr.strip()}")
    total = 0
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith((".text", ".rodata", ".data")) and parts[1].isdigit():
            total += int(parts[1])
    return total


def object_bytes(source: str, extra: dict[str, str] | None = None, cc: str = "gcc", opt: str = "-O2") -> int:
    """Code + data bytes of `source` compiled alone (runtime headers and sources on the include path)."""
    extra = extra or {}
    h = hashlib.sha256("\0".join([cc, opt, source, *sorted(f"{k}\0{v}" for k, v in extra.items())]).encode())
    key = h.hexdigest()[:24]
    if key in _CACHE:
        return _CACHE[key]
    disk = default_cache_dir() / "objsize" / key
    if disk.exists():
        _CACHE[key] = int(disk.read_text())
        return _CACHE[key]
    tmp = Path(tempfile.mkdtemp(prefix="objsize-"))
    try:
        for k, v in extra.items():
            (tmp / k).write_text(v)
        (tmp / "probe.c").write_text(source)
        rt = runtime_dir()
        cmd = [cc, *WARN_FLAGS, opt, "-I", str(tmp), "-I", str(rt / "include"), "-I", str(rt / "src"),
               "-c", str(tmp / "probe.c"), "-o", str(tmp / "probe.o")]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"{cc} failed measuring a tree layout:\n{r.stderr[-2000:]}")
        n = section_bytes(tmp / "probe.o")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    disk.parent.mkdir(parents=True, exist_ok=True)
    disk.write_text(str(n))
    _CACHE[key] = n
    return n
