"""Fusing a tree ensemble with what its sum feeds (C back end only; the simulator runs the
unfused ops, whose references tree_predict's equals by construction).

tree_ensemble -> [div by a constant] -> [arg_max to int32] becomes one tree_predict node when the
ensemble is emitted as code: the generated function then returns the class label or the value
itself, with no leaf tables, no arg-max kernel and no arena buffer in between. Fused only where
every intermediate value feeds the next op alone and is not a graph output.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node
from edgec.ops.tree_predict import TreeHead, TreePredictAttrs


def _consumers(g: Graph) -> dict[int, list[Node]]:
    out: dict[int, list[Node]] = {}
    for n in g.nodes:
        for v in n.inputs:
            if v is not None:
                out.setdefault(id(v), []).append(n)
    return out


def _divisor(n: Node, v, k: int) -> tuple[float, ...] | None:
    """Per-target divisor of `div(v, constant)` when it is the same for every row, else None."""
    if n.op != "div" or len(n.inputs) != 2 or n.inputs[0] is not v or n.inputs[1] is None:
        return None
    d = n.inputs[1]
    if not d.is_const or getattr(n.attrs, "act", None) is not None or n.outputs[0].shape != v.shape:
        return None
    try:
        rows = np.broadcast_to(np.asarray(d.data, np.float32), v.shape).reshape(-1, k)
    except ValueError:
        return None
    return tuple(float(x) for x in rows[0]) if (rows.view(np.uint32) == rows[:1].view(np.uint32)).all() else None


def _chain(g: Graph, start: Node, uses: dict[int, list[Node]], outputs: set[int]):
    """(nodes after `start` to fuse, head, final value)."""
    k = start.attrs.trees.n_targets
    v, fused, divisor, argmax, labels = start.outputs[0], [], None, False, None
    while id(v) not in outputs and len(uses.get(id(v), [])) == 1:
        n = uses[id(v)][0]
        if not fused and (d := _divisor(n, v, k)) is not None:
            divisor = d
        elif n.op == "arg_max" and n.inputs[0] is v and n.attrs.out_dtype == DType.I32 and v.type.dtype == DType.F32:
            argmax, labels = True, (tuple(int(c) for c in n.attrs.labels) if n.attrs.labels is not None else None)
        else:
            break
        fused.append(n)
        v = n.outputs[0]
        if argmax:
            break
    return fused, TreeHead(divisor, argmax, labels), v


def fuse_tree_heads(g: Graph, code_form) -> Graph:
    """g with each fusable chain replaced by a tree_predict node. code_form(node) -> True when
    the tree_ensemble node will be emitted as code (only those are fused)."""
    uses, outputs = _consumers(g), {id(v) for v in g.outputs}
    drop: set[int] = set()
    nodes = []
    for n in g.nodes:
        if id(n) in drop:
            continue
        if n.op == "tree_ensemble":
            fused, head, out = _chain(g, n, uses, outputs)
            if fused and code_form(n):
                drop.update(id(m) for m in fused)
                n = Node("tree_predict", [n.inputs[0]], [out], TreePredictAttrs(n.attrs.trees, head), n.name, dict(n.meta))
        nodes.append(n)
    g.nodes = nodes
    return g
