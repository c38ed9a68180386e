"""One call from a generated model to its outputs and costs on an emulated Cortex-M core:
cross-build (cached), size report, harness, QEMU with the instruction-counting plugin."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgec.backend.signature import Signature
from edgec.cortexm.build import compile_model, link_harness, model_sources
from edgec.cortexm.cpus import board_for, get_cpu
from edgec.cortexm.harness import harness_main, port_bytes
from edgec.cortexm.profile import by_function
from edgec.cortexm.qemu import run_image
from edgec.cortexm.size import size_report
from edgec.cortexm.toolchain import EmulatorError
from edgec.errors import DataError


@dataclass
class CortexmRun:
    """Outputs ([samples, *shape] by output name) and what the run cost."""

    cpu: str
    board: str
    outputs: dict[str, np.ndarray]
    instructions: list[int]             # per inference, between the markers
    stack_bytes_measured: int           # deepest stack below main's frame over all inferences
    size: dict = field(default_factory=dict)
    profile: dict[str, int] = field(default_factory=dict)   # function -> instructions per inference

    @property
    def instructions_per_inference(self) -> int:
        return round(sum(self.instructions) / len(self.instructions)) if self.instructions else 0

    def report(self) -> dict:
        """The figures scripts read (`edgec run --json`)."""
        s = self.size
        return {"cpu": self.cpu, "board": self.board, "samples": len(self.instructions),
                "instructions_per_inference": self.instructions_per_inference, "instructions": self.instructions,
                "flash_bytes": s["flash_bytes"], "ram_bytes": s["ram_bytes"], "stack_bytes": s["stack_bytes"],
                "stack_bytes_measured": self.stack_bytes_measured, "sections": s["sections"], "groups": s["groups"],
                **({"instructions_by_function": self.profile} if self.profile else {})}


def _pack(sig: Signature, batches: dict[str, np.ndarray]) -> tuple[bytes, int]:
    """Samples laid out as the harness reads them: every input of a sample, in argument order."""
    missing = [p.name for p in sig.inputs if p.name not in batches]
    if missing:
        raise DataError(f"no data for input(s) {', '.join(missing)}")
    n = {np.asarray(batches[p.name]).shape[0] for p in sig.inputs}
    if len(n) != 1:
        raise DataError(f"inputs have different sample counts {sorted(n)}")
    count = n.pop()
    arrays = []
    for p in sig.inputs:
        a = np.asarray(batches[p.name])
        if a.dtype.kind == "f" and np.dtype(p.dtype).kind in "iu":
            raise DataError(f"input '{p.name}': the model takes {p.dtype} data (quantize the inputs first); got {a.dtype}")
        if a.size != count * port_bytes(p) // np.dtype(p.dtype).itemsize:
            raise DataError(f"input '{p.name}': expected [samples, {', '.join(map(str, p.shape))}], got {list(a.shape)}")
        arrays.append(np.ascontiguousarray(a, dtype=np.dtype(p.dtype)).reshape(count, -1))
    return b"".join(a[i].tobytes() for i in range(count) for a in arrays), count


def _unpack(sig: Signature, raw: bytes, count: int) -> tuple[dict[str, np.ndarray], int]:
    per = sum(port_bytes(p) for p in sig.outputs)
    if len(raw) != per * count + 4:
        raise EmulatorError(f"the harness wrote {len(raw)} bytes of outputs; expected {per * count + 4}")
    outs: dict[str, list] = {p.name: [] for p in sig.outputs}
    pos = 0
    for _ in range(count):
        for p in sig.outputs:
            n = port_bytes(p)
            outs[p.name].append(np.frombuffer(raw[pos:pos + n], dtype=np.dtype(p.dtype)).reshape(p.shape))
            pos += n
    stack = int(np.frombuffer(raw[pos:pos + 4], dtype="<u4")[0])
    return {k: np.stack(v) for k, v in outs.items()}, stack


def run_model(files: dict[str, str], sig: Signature, cpu: str, batches: dict[str, np.ndarray],
              board: str | None = None, timeout: float = 300.0, profile: bool = False) -> CortexmRun:
    """Runs every sample of `batches` (input name -> [samples, *shape]) through the model's C
    (`files`, as written by `edgec compile`) on the emulated `cpu`. `profile`: also the
    instructions per inference spent in each function (kernel)."""
    c = get_cpu(cpu)
    b = board_for(c, board)
    mb = compile_model(files, sig.name, c)
    data, count = _pack(sig, batches)
    if count == 0:
        raise DataError("no samples to run")
    elf = link_harness(mb, b, harness_main(sig))
    run = run_image(elf, b, data, timeout=timeout, profile=profile)
    outs, stack = _unpack(sig, run.output, count)
    if len(run.counts) != count:
        raise EmulatorError(f"the instruction counter saw {len(run.counts)} inferences; expected {count}")
    prof = {}
    if profile and run.blocks is not None:
        prof = {k: round(v / count) for k, v in by_function(elf, run.blocks).items()}
    return CortexmRun(c.name, b.name, outs, run.counts, stack, size_report(mb), prof)


def run_dir(directory: str | Path, cpu: str, batches: dict[str, np.ndarray], board: str | None = None,
            timeout: float = 300.0, profile: bool = False) -> CortexmRun:
    """`run_model` for a directory written by `edgec compile`."""
    return run_model(model_sources(directory), Signature.load(directory), cpu, batches, board, timeout, profile)


def run_artifact(art, cpu: str, batches: dict[str, np.ndarray], board: str | None = None,
                 timeout: float = 300.0, profile: bool = False) -> CortexmRun:
    """`run_model` for an Artifact returned by `edgec.compile`."""
    return run_model(art.c.files, art.c.signature(), cpu, batches, board, timeout, profile)


def size_of(files: dict[str, str], name: str, cpu: str) -> dict:
    """The size report (edgec.cortexm.size) of the model's C built for `cpu`."""
    return size_report(compile_model(files, name, get_cpu(cpu)))
