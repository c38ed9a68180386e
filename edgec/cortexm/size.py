"""Flash and RAM of a model built for a Cortex-M core, read from its linked size image.

Sections come from `arm-none-eabi-size -A`, so the figures agree with it to the byte; flash is
what `arm-none-eabi-size` calls text plus data (code, constants, the .data load image), RAM is
.data + .bss (which holds the static arena) + the deepest stack of `<name>_run`. Symbol groups
split the sections: code (.text), weights (the `<name>_weights` object), other constants (kernel
parameter structs, tables), the arena, other zero-initialised data. The stack is a static bound
on the deepest call path from `<name>_run` in the linked image: the calls come from its
disassembly (so the compiler's own helper calls, such as __aeabi_idiv on v6-M, count too), each
function's frame from gcc's stack-usage info (-fcallgraph-info=su) where edgec compiled it, and
from its prologue (push, vpush, sub sp) for library code.
"""
from __future__ import annotations

import re
from pathlib import Path

from edgec.cortexm.build import ModelBuild, link_size_image
from edgec.cortexm.toolchain import check, tool

ALLOC_SECTIONS = (".vectors", ".text", ".rodata", ".ARM.exidx", ".data", ".bss")
_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*?\\n[^"]*?(?:\\n(\d+) bytes \(([^)]*)\))?"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
_INSN = re.compile(r"^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$")
_TARGET = re.compile(r"<([^>+]+)(?:\+0x[0-9a-f]+)?>")


def sections(elf: Path) -> dict[str, int]:
    """Sizes of the loadable sections (`arm-none-eabi-size -A`), by name."""
    out = {}
    for line in check([tool("arm-none-eabi-size"), "-A", str(elf)], "arm-none-eabi-size").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ALLOC_SECTIONS and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def berkeley(elf: Path) -> dict[str, int]:
    """text, data and bss as `arm-none-eabi-size` prints them by default."""
    lines = check([tool("arm-none-eabi-size"), str(elf)], "arm-none-eabi-size").splitlines()
    text, data, bss = (int(x) for x in lines[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}


def symbols(elf: Path) -> list[tuple[str, int, str]]:
    """(name, size, nm type letter) of every sized symbol, largest first."""
    syms = []
    for line in check([tool("arm-none-eabi-nm"), "-S", "--size-sort", str(elf)], "arm-none-eabi-nm").splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms.append((parts[3], int(parts[1], 16), parts[2]))
    return sorted(syms, key=lambda s: -s[1])


def gcc_frames(directory: Path) -> dict[str, int]:
    """Frame bytes per function from the .ci files gcc wrote beside the objects (static
    functions appear as `file.c:name`; the plain name is kept)."""
    frames: dict[str, int] = {}
    for ci in sorted(directory.glob("*.ci")):
        for name, size, _kind in _NODE.findall(ci.read_text()):
            if size:
                short = name.rsplit(":", 1)[-1]
                frames[short] = max(frames.get(short, 0), int(size))
    return frames


def _reg_bytes(operands: str) -> int:
    """Bytes a push/vpush register list takes: {r4, r5, lr} -> 12, {d8-d11} -> 32."""
    inner = operands[operands.find("{") + 1:operands.find("}")]
    total = 0
    for item in (x.strip() for x in inner.split(",") if x.strip()):
        lo, _, hi = item.partition("-")
        count = int(hi[1:]) - int(lo[1:]) + 1 if hi else 1
        total += count * (8 if lo.startswith("d") else 4)
    return total


def disassembly_graph(elf: Path) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Frame bytes (from the prologue instructions) and direct callees of every function."""
    frames: dict[str, int] = {}
    calls: dict[str, set[str]] = {}
    current = None
    dis = check([tool("arm-none-eabi-objdump"), "-d", "--no-show-raw-insn", str(elf)], "arm-none-eabi-objdump")
    for line in dis.splitlines():
        m = _FUNC.match(line)
        if m:
            current = m.group(2)
            frames.setdefault(current, 0)
            calls.setdefault(current, set())
            continue
        m = _INSN.match(line)
        if current is None or m is None:
            continue
        op, args = m.group(1), m.group(2)
        if op in ("push", "push.w", "vpush") or (op.startswith("stmdb") and args.startswith("sp!")):
            frames[current] += _reg_bytes(args)
        elif op.startswith("sub") and re.match(r"sp,\s*(sp,\s*)?#", args):
            frames[current] += int(re.search(r"#(\d+)", args).group(1))
        elif op in ("bl", "blx", "b", "b.w", "b.n"):
            t = _TARGET.search(args)
            if t and t.group(1) != current:
                calls[current].add(t.group(1))
    return frames, calls


def deepest_stack(elf: Path, directory: Path, root: str) -> int:
    """Bytes of stack on the deepest call path from `root` (the code has no recursion)."""
    frames, calls = disassembly_graph(elf)
    frames.update({k: v for k, v in gcc_frames(directory).items() if k in frames})
    memo: dict[str, int] = {}

    def depth(f: str, path: frozenset) -> int:
        if f not in memo:
            below = [depth(g, path | {f}) for g in calls.get(f, ()) if g not in path]
            memo[f] = frames.get(f, 0) + max(below, default=0)
        return memo[f]

    return depth(root, frozenset())


def size_report(mb: ModelBuild) -> dict:
    """Sections, symbol groups, flash and RAM of the model in `mb` (see the module docstring)."""
    elf = link_size_image(mb)
    sec, brk, syms = sections(elf), berkeley(elf), symbols(elf)
    by_name = {n: s for n, s, _ in syms}
    weights = by_name.get(f"{mb.name}_weights", 0)
    arena = by_name.get(f"{mb.name}_static_arena", 0)
    stack = deepest_stack(elf, mb.dir, f"{mb.name}_run")
    groups = {"code": sec.get(".text", 0) + sec.get(".vectors", 0) + sec.get(".ARM.exidx", 0),
              "weights": weights, "constants": sec.get(".rodata", 0) - weights, "data": sec.get(".data", 0),
              "arena": arena, "other_bss": sec.get(".bss", 0) - arena, "stack": stack}
    top = [{"name": n, "bytes": s, "kind": k} for n, s, k in syms[:12]]
    return {"cpu": mb.cpu.name, "elf": str(elf), "sections": sec, "arm_none_eabi_size": brk, "groups": groups,
            "flash_bytes": brk["text"] + brk["data"], "ram_bytes": brk["data"] + brk["bss"] + stack,
            "stack_bytes": stack, "largest_symbols": top}


def format_size(r: dict) -> str:
    """The report as a few lines of text for the command line."""
    g = r["groups"]
    lines = [f"{r['cpu']}: flash {r['flash_bytes']} B, RAM {r['ram_bytes']} B (stack {r['stack_bytes']} B)",
             "sections: " + ", ".join(f"{k} {v}" for k, v in r["sections"].items()),
             f"flash: code {g['code']} B, weights {g['weights']} B, other constants {g['constants']} B, .data {g['data']} B",
             f"RAM:   arena {g['arena']} B, other .bss {g['other_bss']} B, .data {g['data']} B, stack {g['stack']} B",
             "largest: " + ", ".join(f"{s['name']} {s['bytes']}" for s in r["largest_symbols"][:8])]
    return "\n".join(lines)
