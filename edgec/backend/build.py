"""Builds an emitted C model into a shared library with gcc and runs it through cffi.

The library is cached by a hash of the sources and flags, so verifying the same model twice
compiles once, and so is each object (by its text and the headers it reaches), so the runtime
kernels compile once for all models. Each translation unit compiles in its own process
(weights files can be large).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cffi
import numpy as np

from edgec.backend.signature import Signature
from edgec.errors import BuildError, DataError

WARN_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wvla"]


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "edgec-build"


_LOCAL_INCLUDE = re.compile(r'#include "([^"]+)"')


def _objects_cache(root: Path) -> Path:
    d = root / "objects"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _object_key(cc: str, flags: list[str], name: str, files: dict[str, str]) -> str:
    """A hash of one translation unit: compiler, flags, its text and every local header it
    reaches. The runtime kernels are the same text in most models, so their objects are shared
    between models instead of being compiled again for each one."""
    h = hashlib.sha256(" ".join([cc, *flags, "-fPIC"]).encode())
    seen, todo = set(), [name]
    while todo:
        f = todo.pop()
        if f in seen or f not in files:
            continue
        seen.add(f)
        h.update(f.encode() + b"\0" + files[f].encode() + b"\0")
        todo.extend(sorted(_LOCAL_INCLUDE.findall(files[f])))
    return h.hexdigest()[:32]


def _compile_cached(cc: str, flags: list[str], src: Path, obj: Path) -> None:
    """Compiles src next to itself, then moves the object into the cache (atomic: concurrent
    builds of the same unit both succeed)."""
    local = src.with_suffix(".o")
    _compile_one(cc, flags, src, local)
    os.replace(local, obj)


def _compile_one(cc: str, flags: list[str], src: Path, obj: Path) -> None:
    cmd = [cc, *flags, "-fPIC", "-I", str(src.parent), "-c", str(src), "-o", str(obj)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"{cc} failed on {src.name}:\n{r.stderr[-4000:]}")


def build_shared(files: dict[str, str], cc: str = "gcc", opt: str = "-O2",
                 cache_dir: Path | None = None, extra_flags: tuple[str, ...] = ()) -> Path:
    """Compiles the C files (name -> text) into a shared library; returns its path."""
    flags = [*WARN_FLAGS, opt, *extra_flags]
    h = hashlib.sha256(" ".join([cc, *flags]).encode())
    for k in sorted(files):
        h.update(k.encode() + b"\0" + files[k].encode() + b"\0")
    key = h.hexdigest()[:20]
    out_dir = (cache_dir or default_cache_dir()) / key
    lib = out_dir / "libmodel.so"
    if lib.exists():
        return lib
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=str(out_dir.parent) if out_dir.parent.exists() else None))
    try:
        for k, text in files.items():
            (tmp / k).write_text(text)
        objects = _objects_cache(cache_dir or default_cache_dir())
        srcs = sorted(tmp / k for k in files if k.endswith(".c"))
        cached = {s: objects / f"{_object_key(cc, flags, s.name, files)}.o" for s in srcs}
        todo = [s for s in srcs if not cached[s].exists()]
        # big files first so the two cores stay busy
        todo.sort(key=lambda p: -p.stat().st_size)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(lambda s: _compile_cached(cc, flags, s, cached[s]), todo))
        r = subprocess.run([cc, "-shared", "-o", str(tmp / "libmodel.so"), *[str(cached[s]) for s in srcs], "-lm"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"linking failed:\n{r.stderr[-4000:]}")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if not out_dir.exists():
            os.replace(tmp, out_dir)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return lib


class CompiledModel:
    """A built C model loaded with cffi; runs numpy samples through `<name>_run`."""

    def __init__(self, sig: Signature, lib_path: Path):
        self.sig = sig
        self.ffi = cffi.FFI()
        params = [f"const {p.ctype} *" for p in sig.inputs] + [f"{p.ctype} *" for p in sig.outputs] + ["void *"]
        self.ffi.cdef(f"int {sig.name}_run({', '.join(params)});")
        self.lib = self.ffi.dlopen(str(lib_path))
        self._run = getattr(self.lib, f"{sig.name}_run")
        self._arena = np.zeros(sig.arena_bytes // 8 + 2, dtype=np.uint64)

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One inference: feeds by input name (exact input shapes) -> outputs by name."""
        args, keep = [], []
        for p in self.sig.inputs:
            if p.name not in feeds:
                raise DataError(f"no data for input '{p.name}'")
            a = np.ascontiguousarray(feeds[p.name], dtype=np.dtype(p.dtype))
            if a.size != int(np.prod(p.shape)):
                raise DataError(f"input '{p.name}': expected shape {list(p.shape)}, got {list(a.shape)}")
            keep.append(a)
            args.append(self.ffi.from_buffer(f"{p.ctype}[]", a))
        outs = {}
        for p in self.sig.outputs:
            o = np.zeros(p.shape, dtype=np.dtype(p.dtype))
            outs[p.name] = o
            args.append(self.ffi.from_buffer(f"{p.ctype}[]", o))
        rc = self._run(*args, self.ffi.from_buffer("uint64_t[]", self._arena))
        if rc != 0:
            raise BuildError(f"{self.sig.name}_run returned {rc}")
        return outs
