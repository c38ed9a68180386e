"""Artifact: what `edgec.compile` returns. Write the C, build it, run it, describe it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import CModelSource
from edgec.backend.signature import MANIFEST
from edgec.ir.graph import DType, Graph
from edgec.ops import base


@dataclass
class Artifact:
    """A compiled model: the float graph as imported, the optimised graph and its C source."""

    name: str
    source_graph: Graph
    graph: Graph
    c: CModelSource
    model_path: str | None = None
    quant: str = "float"
    float_graph: Graph | None = None          # the optimised float graph (int8: before quantization)
    float_islands: list[str] = field(default_factory=list)
    sklearn: Any = None                       # SklearnInfo of a model imported from scikit-learn
    target: str = "portable"                  # C kernel family: portable or cmsis
    _built: dict = field(default_factory=dict, repr=False)

    def write(self, out_dir: str | Path) -> Path:
        """Writes every generated file into `out_dir` (created if needed); returns it."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for fname, text in sorted(self.c.files.items()):
            (out / fname).write_text(text)
        from edgec.inspect_model import layer_table
        extra = {"memory": self.memory(), "macs": self.macs, "layers": layer_table(self)}
        (out / MANIFEST).write_text(self.c.signature().to_json(extra))
        return out

    def build(self, cc: str = "gcc", opt: str = "-O2") -> CompiledModel:
        """Compiles the C into a shared library (cached) and loads it through cffi."""
        key = (cc, opt)
        if key not in self._built:
            self._built[key] = CompiledModel(self.c.signature(), build_shared(self.c.files, cc=cc, opt=opt))
        return self._built[key]

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One inference through the C code (int8 models: int8 feeds and outputs)."""
        return self.build().run(feeds)

    def simulate(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One inference through the numpy simulator of the compiled graph (bit-exact spec of
        the C for int8 models)."""
        from edgec.sim.interpreter import run_graph
        return run_graph(self.graph, feeds)

    def quantize_inputs(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Float feeds -> the int8 feeds `run` takes (identity for float models)."""
        from edgec.quant.qparams import quantize_array
        out = {}
        for v in self.graph.inputs:
            x = np.asarray(feeds[v.name])
            out[v.name] = quantize_array(x, v.type.qparams) if v.type.dtype == DType.I8 else x
        return out

    def dequantize_outputs(self, outs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from edgec.quant.qparams import dequantize_array
        q = {v.name: v.type.qparams for v in self.graph.outputs if v.type.dtype == DType.I8}
        return {k: dequantize_array(x, q[k]) if q.get(k) is not None else x for k, x in outs.items()}

    def run_rows(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Every row of X [n, features] through the C model (one call per row): output name ->
        stacked results [n, ...]. For models imported from scikit-learn."""
        X = np.asarray(X, np.float32)
        model, name = self.build(), self.graph.inputs[0].name
        rows = [model.run({name: X[i:i + 1]}) for i in range(X.shape[0])]
        return {k: np.concatenate([r[k].reshape(1, -1) for r in rows]) for k in rows[0]} if rows else {}

    @property
    def macs(self) -> int:
        total = 0
        for n in self.graph.nodes:
            op = base.get(n.op)
            if op.macs is not None:
                total += int(op.macs(n.attrs, [v.type for v in n.inputs if v is not None], [v.type for v in n.outputs]))
        return total

    def memory(self) -> dict:
        m = self.c.memory
        return {"arena_bytes": m.arena_bytes, "arena_bytes_no_reuse": m.arena_bytes_no_reuse,
                "weights_bytes": self.c.weights_bytes}
