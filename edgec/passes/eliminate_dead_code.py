"""Dead-code elimination: drops nodes none of whose outputs reaches a graph output."""
from __future__ import annotations

from edgec.ir.graph import Graph


def eliminate_dead_code(g: Graph) -> Graph:
    g = g.copy()
    live = {id(v) for v in g.outputs}
    kept = []
    for n in reversed(g.nodes):
        if any(id(v) in live for v in n.outputs):
            kept.append(n)
            live.update(id(v) for v in n.inputs if v is not None)
    g.nodes = kept[::-1]
    return g
