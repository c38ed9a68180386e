"""Runs a .tflite model with TensorFlow Lite Micro's Python interpreter and reads its arena usage."""
from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
from tflite_micro.python.tflite_micro import runtime

DEFAULT_ARENA = 1 << 20


@dataclass(frozen=True)
class TflmArena:
    """TFLM's arena use in bytes: total = head (the planned tensor buffers, model inputs and
    outputs included) + tail (persistent bookkeeping: tensor structs, quantization data, node
    structs, kernels' prepared data)."""

    total: int
    head: int
    tail: int


class TflmModel:
    """One TFLM interpreter over model bytes; inputs and outputs by index, as in the model."""

    def __init__(self, data: bytes, n_outputs: int, arena_size: int = DEFAULT_ARENA):
        self.interp = runtime.Interpreter.from_bytes(data, arena_size=arena_size)
        self.n_outputs = n_outputs

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            self.interp.set_input(np.ascontiguousarray(x), i)
        self.interp.invoke()
        return [np.array(self.interp.get_output(i)) for i in range(self.n_outputs)]

    def arena(self) -> TflmArena:
        """The RecordingMicroAllocator's report (printed by TFLM to stderr), after one invoke."""
        report = _captured_stderr(self.interp.print_allocations)

        def field(what: str) -> int:
            m = re.search(rf"Arena allocation {what} (\d+) bytes", report)
            if m is None:
                raise RuntimeError(f"no arena '{what}' in TFLM's allocation report:\n{report}")
            return int(m.group(1))
        return TflmArena(field("total"), field("head"), field("tail"))


def _captured_stderr(fn) -> str:
    """What `fn` writes to file descriptor 2 (C++ code prints there, bypassing sys.stderr)."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as f:
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        return f.read().decode(errors="replace")


def tflite_ops(data: bytes) -> list[str]:
    """The builtin operator names of a .tflite model's first subgraph, in order, read back with
    the `tflite` package (an independent reader of the same schema)."""
    import tflite
    model = tflite.Model.GetRootAsModel(data, 0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    sg = model.Subgraphs(0)
    out = []
    for i in range(sg.OperatorsLength()):
        code = model.OperatorCodes(sg.Operators(i).OpcodeIndex())
        out.append(names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
    return out
