"""Cross-compiles a generated model for a Cortex-M core and links it, cached by content.

Two images are linked from the same objects: the *size image* (the model alone, entry point
`<name>_run`, unused sections dropped) that `edgec size` measures, and the *harness image* (the
model, the start-up code, the board's linker script and a main that reads inputs and writes
outputs through semihosting) that `edgec run` executes under QEMU.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from edgec.backend.build import default_cache_dir
from edgec.cortexm.cpus import Board, Cpu
from edgec.cortexm.toolchain import check, gcc
from edgec.errors import BuildError, EdgecError


class DoesNotFitError(EdgecError):
    """The model and the harness need more flash or RAM than the board has."""

HERE = Path(__file__).resolve().parent
C_DIR, LD_DIR = HERE / "c", HERE / "ld"
OPT = "-O2"
# The flags every model file builds with, on every core (the project's standard, plus sections
# per function and object so the linker can drop what the model never calls).
MODEL_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wvla", "-ffunction-sections", "-fdata-sections"]
LINK_FLAGS = ["-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"]


@dataclass(frozen=True)
class ModelBuild:
    """The objects of one model built for one core, in a cache directory."""

    dir: Path
    name: str
    cpu: Cpu
    objects: tuple[Path, ...]

    def flags(self, opt: str = OPT) -> list[str]:
        return [*self.cpu.cflags, opt]


def model_sources(directory: str | Path) -> dict[str, str]:
    """The .c and .h files of a directory written by `edgec compile`."""
    d = Path(directory)
    return {p.name: p.read_text() for p in sorted(d.iterdir()) if p.suffix in (".c", ".h")}


def _key(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() + b"\0")
    return h.hexdigest()[:20]


def cache_root() -> Path:
    return default_cache_dir() / "cortexm"


def compile_model(files: dict[str, str], name: str, cpu: Cpu, opt: str = OPT) -> ModelBuild:
    """Compiles every .c file for `cpu` with stack-usage and call-graph info (for the deepest
    stack); reuses a previous build of the same sources and flags."""
    flags = [*cpu.cflags, opt, *MODEL_FLAGS, "-fstack-usage", "-fcallgraph-info=su"]
    srcs = {k: v for k, v in files.items() if k.endswith((".c", ".h"))}
    key = _key(gcc(), *flags, *[f"{k}\0{srcs[k]}" for k in sorted(srcs)])
    out = cache_root() / key
    objs = tuple(out / (k[:-2] + ".o") for k in sorted(srcs) if k.endswith(".c"))
    if (out / "done").exists():
        return ModelBuild(out, name, cpu, objs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=out.parent))
    try:
        for k, text in srcs.items():
            (tmp / k).write_text(text)
        cs = sorted((k for k in srcs if k.endswith(".c")), key=lambda k: -len(srcs[k]))
        compile_one = lambda k: check([gcc(), *flags, "-I.", "-c", k, "-o", k[:-2] + ".o"],
                                      f"arm-none-eabi-gcc ({cpu.name}) on {k}", cwd=tmp)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(compile_one, cs))
        (tmp / "done").write_text("")
        if not out.exists():
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ModelBuild(out, name, cpu, objs)


def link_size_image(mb: ModelBuild) -> Path:
    """The model alone, linked as the firmware would carry it: only what `<name>_run` reaches,
    with the C library and compiler helpers it calls (memcpy, division on v6-M, ...)."""
    elf = mb.dir / "size.elf"
    if not elf.exists():
        tmp = elf.with_suffix(f".{os.getpid()}.tmp")
        check([gcc(), *mb.flags(), *LINK_FLAGS, f"-L{LD_DIR}", "-T", "size.ld", f"-Wl,-e,{mb.name}_run",
               "-o", str(tmp), *map(str, mb.objects), "-lm", "-lc", "-lgcc"], f"linking the {mb.cpu.name} size image")
        os.replace(tmp, elf)
    return elf


def harness_flags(mb: ModelBuild, board: Board) -> list[str]:
    return [*mb.flags(), "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
            f"-I{C_DIR}", f"-I{mb.dir}", *LINK_FLAGS, f"-L{LD_DIR}", "-T", f"{board.name}.ld"]


def link_harness(mb: ModelBuild, board: Board, main_c: str) -> Path:
    """The model inside the bare-metal harness for `board` (cached by the harness's text)."""
    key = _key(board.name, main_c, *(p.read_text() for p in sorted(C_DIR.glob("ec_*.[ch]"))),
               *(p.read_text() for p in sorted(LD_DIR.glob("*.ld"))))
    elf = mb.dir / f"harness-{board.name}-{key[:10]}.elf"
    if not elf.exists():
        main = mb.dir / f"harness-{key[:10]}.c"
        main.write_text(main_c)
        tmp = elf.with_suffix(f".{os.getpid()}.tmp")
        try:
            check([gcc(), *harness_flags(mb, board), "-o", str(tmp), str(C_DIR / "ec_startup.c"), str(main),
                   *map(str, mb.objects), "-lm", "-lc", "-lgcc"], f"linking the {board.name} harness")
        except BuildError as e:
            if "overflowed" in str(e) or "for the stack" in str(e):
                raise DoesNotFitError(f"{mb.name} does not fit the {board.name} board ({board.flash_bytes // 1024} KB "
                                      f"flash, {board.ram_bytes // 1024} KB RAM with the harness and 1 KB of stack); "
                                      f"`edgec size` shows what it needs") from None
            raise
        os.replace(tmp, elf)
    return elf
