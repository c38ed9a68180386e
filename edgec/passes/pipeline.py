"""The default pass pipeline, in one visible list, with the verifier run after every pass."""
from __future__ import annotations

from typing import Callable, Sequence

from edgec.ir.graph import Graph
from edgec.ir.verify import verify
from edgec.passes.eliminate_dead_code import eliminate_dead_code
from edgec.passes.fold_batchnorm import fold_batchnorm
from edgec.passes.fold_constants import fold_constants
from edgec.passes.fuse_activation import fuse_activation, fuse_clamps
from edgec.passes.remove_identity import remove_identity
from edgec.passes.sink_transposes import sink_transposes
from edgec.passes.to_channels_last import to_channels_last

Pass = Callable[[Graph], Graph]

# Activations fuse before the layout pass, so conv+relu is one node that transposes can pass.
DEFAULT_PIPELINE: list[tuple[str, Pass]] = [
    ("remove_identity", remove_identity),
    ("fold_constants", fold_constants),
    ("fold_batchnorm", fold_batchnorm),
    ("fuse_activation", fuse_activation),
    ("to_channels_last", to_channels_last),
    ("sink_transposes", sink_transposes),
    ("eliminate_dead_code", eliminate_dead_code),
]

# Before int8 quantization only clamps fuse: other activations need their own input ranges.
INT8_PIPELINE: list[tuple[str, Pass]] = [
    (name, fuse_clamps if fn is fuse_activation else fn) for name, fn in DEFAULT_PIPELINE]


def run_pipeline(g: Graph, verify_each: bool = True,
                 passes: Sequence[tuple[str, Pass]] | None = None) -> Graph:
    """Runs `passes` (default DEFAULT_PIPELINE) in order; the result is always verified.

    With verify_each, the input graph and the graph after every pass are verified too, so a
    GraphError names the pass that broke the graph ("input" for the importer's graph).
    """
    passes = DEFAULT_PIPELINE if passes is None else passes
    if verify_each:
        verify(g, "input")
    for name, fn in passes:
        g = fn(g)
        if verify_each:
            verify(g, name)
    if not verify_each:
        verify(g, "pipeline")
    return g
