"""Folds a pointwise activation into the op that produces its input (conv+relu -> conv{act=relu}).

Applies when the activation's op has OpDef.activation, its producer has accepts_activation and
no fused activation yet, and the producer's output feeds nothing else (not even a graph output).
The producer then writes the activation's output value directly. Reshapes between the two are
looked through (pointwise functions commute with them): conv -> reshape -> relu becomes
conv{act=relu} -> reshape, which is how 1-D convolutions are imported.
"""
from __future__ import annotations

from dataclasses import replace

from edgec.ir.graph import DType, Graph, Node
from edgec.ops import base
from edgec.ops.base import Activation
from edgec.passes.common import producer_through_aliases, sole_user


CLAMPS = frozenset({"relu", "clip"})


def fuse_clamps(g: Graph) -> Graph:
    """fuse_activation restricted to relu/clip: what an int8 kernel's output clamp can absorb,
    so every other activation keeps its own calibrated input range."""
    return fuse_activation(g, CLAMPS)


def fuse_activation(g: Graph, kinds: frozenset[str] | None = None) -> Graph:
    """Fuses every activation op (or only those in `kinds`) into its producer."""
    g = g.copy()
    producers = g.producers()
    users = g.consumers()
    dropped: set[int] = set()
    for n in g.nodes:
        if not base.get(n.op).activation or not n.inputs or n.inputs[0] is None:
            continue
        if kinds is not None and n.op not in kinds:
            continue
        x = n.inputs[0]
        y = n.outputs[0]
        if sole_user(g, x, users) is not n or (x.shape, x.type.dtype) != (y.shape, y.type.dtype) \
                or x.type.dtype != DType.F32:
            continue
        p, last_alias = producer_through_aliases(g, x, producers, users)
        if p is None or not _accepts(p):
            continue
        act = Activation(n.op, float(getattr(n.attrs, "alpha", 0.0)), float(getattr(n.attrs, "beta", 0.0)))
        p.attrs = replace(p.attrs, act=act)
        writer = last_alias or p
        writer.outputs = [n.outputs[0] if o is x else o for o in writer.outputs]
        producers[n.outputs[0]] = writer
        dropped.add(id(n))
    g.nodes = [n for n in g.nodes if id(n) not in dropped]
    return g


def _accepts(p: Node) -> bool:
    return base.get(p.op).accepts_activation and getattr(p.attrs, "act", 1) is None
