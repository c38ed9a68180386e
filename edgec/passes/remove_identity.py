"""Drops "identity" nodes (ONNX Identity, Dropout at inference): their users read the input.

An identity whose output is a graph output keeps that output's name: the input's producer writes
the output directly. When that is impossible (the input is a graph input, a constant or another
graph output) the node stays, since the caller's output buffer must still be written.
"""
from __future__ import annotations

from edgec.ir.graph import Graph
from edgec.passes.common import bypass

IDENTITY_OPS = ("identity",)


def remove_identity(g: Graph) -> Graph:
    g = g.copy()
    for n in list(g.nodes):
        if n.op in IDENTITY_OPS and n.inputs and n.inputs[0] is not None:
            bypass(g, n, n.inputs[0], n.outputs[0])
    return g
