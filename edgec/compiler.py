"""The compile pipeline: front end -> passes -> C back end."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import onnx

from edgec.artifact import Artifact
from edgec.backend.c import emit_c
from edgec.backend.names import c_identifier
from edgec.errors import ModelLoadError
from edgec.frontend.onnx_loader import import_onnx, load_onnx
from edgec.ir.graph import Graph


def load_model(model: Any, input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    """A path to an .onnx file, an onnx.ModelProto, or an IR Graph -> IR graph."""
    if isinstance(model, Graph):
        return model
    if isinstance(model, onnx.ModelProto):
        return import_onnx(model, input_shapes, c_identifier(model.graph.name or "model"))
    if isinstance(model, (str, Path)):
        path = str(model)
        if path.endswith(".onnx") or os.path.isfile(path):
            return load_onnx(path, input_shapes)
    raise ModelLoadError(f"cannot load a model from {type(model).__name__} {model!r}"[:200])


def optimise(g: Graph, verify_each: bool = True) -> Graph:
    from edgec.passes.pipeline import run_pipeline
    return run_pipeline(g, verify_each=verify_each)


def compile(model: Any, input_shapes: dict[str, tuple[int, ...]] | None = None, name: str | None = None,
            verify_each: bool = True) -> Artifact:
    """Compiles a model to C.

    Args:
        model: path to an .onnx file, an onnx.ModelProto or an IR Graph.
        input_shapes: fixes symbolic input dims, e.g. {"x": (1, 3, 32, 32)}.
        name: C prefix of the generated API (default: from the file or graph name); sanitised.
        verify_each: run the IR verifier after every pass.
    """
    source = load_model(model, input_shapes)
    cname = c_identifier(name or source.name or "model")
    g = optimise(source, verify_each)
    c = emit_c(g, cname)
    return Artifact(cname, source, g, c, str(model) if isinstance(model, (str, Path)) else None)
