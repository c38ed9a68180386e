"""Last graph rewrites before C emission: things only a static-memory back end cares about.

- A graph output that is not written by a node of its own (it is a graph input, a constant, or
  listed twice) gets a "copy" node, so every output buffer is written exactly once.
- A large constant whose elements are all equal (e.g. ConstantOfShape) is produced at run time
  by a "fill" node next to its use instead of being stored element by element in flash.
- A tree ensemble emitted as code absorbs the division and arg max after it (tree_fuse.py), and a
  small inline linear layer its arg max (linear_fuse.py).
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import Graph, Node, TensorType, Value
from edgec.ops import base

SPLAT_MIN_ELEMENTS = 4096


def _copy_outputs(g: Graph) -> Graph:
    produced = {id(v) for n in g.nodes for v in n.outputs}
    inputs = {id(v) for v in g.inputs}
    seen: set[int] = set()
    outputs = []
    for v in g.outputs:
        if id(v) not in produced or id(v) in seen or id(v) in inputs:
            out = Value(v.name, TensorType(v.shape, v.type.dtype))
            g.nodes.append(Node("copy", [v], [out], base.NoAttrs(), f"{v.name}_copy"))
            v = out
        seen.add(id(v))
        outputs.append(v)
    g.outputs = outputs
    return g


def _is_splat(v: Value) -> bool:
    d = v.data
    return d is not None and d.size >= SPLAT_MIN_ELEMENTS and d.dtype.kind == "f" and bool(np.all(d == d.flat[0]))


def _materialise_splats(g: Graph, splats: dict[int, Value]) -> Graph:
    """Replaces big all-equal constant inputs by fill nodes; `splats` maps fill output -> constant."""
    from edgec.ops.movement import FillAttrs
    nodes: list[Node] = []
    for n in g.nodes:
        new_inputs = []
        for v in n.inputs:
            if v is not None and _is_splat(v):
                fv = Value(f"{v.name}_fill", TensorType(v.shape, v.type.dtype))
                nodes.append(Node("fill", [], [fv], FillAttrs(float(v.data.flat[0]), v.shape), f"{v.name}_fill"))
                splats[id(fv)] = v
                v = fv
            new_inputs.append(v)
        n.inputs = new_inputs
        nodes.append(n)
    g.nodes = nodes
    return g


def lower_for_c(g: Graph) -> tuple[Graph, dict[int, Value]]:
    """The graph the C back end emits, and the run-time-filled constants (fill value id -> const)."""
    from edgec.backend.linear_fuse import fuse_linear_heads
    from edgec.backend.tree_fuse import fuse_tree_heads
    from edgec.backend.trees import code_form
    splats: dict[int, Value] = {}
    g = fuse_linear_heads(fuse_tree_heads(_copy_outputs(g.copy()), code_form))
    return _materialise_splats(g, splats), splats
