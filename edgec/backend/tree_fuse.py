"""Fusing a tree ensemble with what its sum feeds (C back end only; the simulator runs the
unfused ops, whose references tree_predict's equals by construction).

Ensembles side by side (one per class in multi-class boosting) whose outputs are only
concatenated become one ensemble with their targets side by side: each target's trees and their
order are unchanged, and the other ensembles' trees add nothing to it (no base may be -0.0, so
skipping their +0.0 entries is exact). Then tree_ensemble -> [div by a constant] -> [arg_max
to int32] becomes one tree_predict node when the ensemble is emitted as code: the generated
function returns the class label or the value itself, with no leaf tables, no arg-max kernel
and no arena buffer in between. Fused only where every intermediate value feeds the next op
alone and is not a graph output.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node
from edgec.ops.tree_ensemble import TreeEnsemble, TreeEnsembleAttrs, make_ensemble
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


def side_by_side(parts: list[TreeEnsemble]) -> TreeEnsemble:
    """One ensemble computing the parts' outputs concatenated (trees in the parts' order)."""
    k = sum(p.n_targets for p in parts)
    arrays = {a: [] for a in ("feature", "threshold", "left", "right", "missing_left", "leaf", "roots")}
    values, base, node0, row0, col0 = [], [], 0, 0, 0
    for p in parts:
        internal = p.feature >= 0
        arrays["feature"].append(p.feature)
        arrays["threshold"].append(p.threshold)
        arrays["left"].append(np.where(internal, p.left + node0, 0))
        arrays["right"].append(np.where(internal, p.right + node0, 0))
        arrays["missing_left"].append(p.missing_left)
        arrays["leaf"].append(np.where(internal, -1, p.leaf + row0))
        arrays["roots"].append(p.roots + node0)
        block = np.zeros((p.leaf_values.shape[0], k), np.float32)
        block[:, col0:col0 + p.n_targets] = p.leaf_values
        values.append(block)
        base.append(p.base)
        node0, row0, col0 = node0 + p.n_nodes, row0 + p.leaf_values.shape[0], col0 + p.n_targets
    cat = {a: np.concatenate(v) for a, v in arrays.items()}
    return make_ensemble(cat["feature"], cat["threshold"], cat["left"], cat["right"], cat["missing_left"],
                         cat["leaf"], np.concatenate(values), cat["roots"], np.concatenate(base))


def merge_side_by_side(g: Graph) -> Graph:
    """Replaces concat(tree_ensemble(x), tree_ensemble(x), ...) along the last axis by one
    tree_ensemble when each part feeds only the concat and no base is -0.0."""
    uses, outputs = _consumers(g), {id(v) for v in g.outputs}
    producer = {id(v): n for n in g.nodes for v in n.outputs}
    drop: set[int] = set()
    merged: dict[int, Node] = {}
    for n in g.nodes:
        if n.op != "concat" or n.attrs.axis != n.outputs[0].type.rank - 1 or len(n.inputs) < 2:
            continue
        parts = [producer.get(id(v)) for v in n.inputs]
        if not all(p is not None and p.op == "tree_ensemble" and p.inputs[0] is parts[0].inputs[0]
                   and len(uses[id(p.outputs[0])]) == 1 and id(p.outputs[0]) not in outputs
                   and p.outputs[0].type.rank == 2 for p in parts):
            continue
        if len({id(p) for p in parts}) < len(parts) or any(
                ((p.attrs.trees.base == 0) & np.signbit(p.attrs.trees.base)).any() for p in parts):
            continue
        layouts = {p.attrs.layout for p in parts}
        attrs = TreeEnsembleAttrs(side_by_side([p.attrs.trees for p in parts]),
                                  layouts.pop() if len(layouts) == 1 else "auto")
        merged[id(n)] = Node("tree_ensemble", [parts[0].inputs[0]], [n.outputs[0]], attrs, parts[0].name,
                             dict(parts[0].meta))
        drop.update(id(p) for p in parts)
    g.nodes = [merged.get(id(n), n) for n in g.nodes if id(n) not in drop]
    return g


def fuse_tree_heads(g: Graph, code_form) -> Graph:
    """g with each fusable chain replaced by a tree_predict node. code_form(node, head) -> one of
    trees.CODE_FORMS when the tree_ensemble node will be emitted as code with that head (only
    those are fused), else None."""
    g = merge_side_by_side(g)
    uses, outputs = _consumers(g), {id(v) for v in g.outputs}
    drop: set[int] = set()
    nodes = []
    for n in g.nodes:
        if id(n) in drop:
            continue
        if n.op == "tree_ensemble":
            fused, head, out = _chain(g, n, uses, outputs)
            form = code_form(n, head) if fused else None
            if form is not None:
                drop.update(id(m) for m in fused)
                attrs = TreePredictAttrs(n.attrs.trees, head, form)
                n = Node("tree_predict", [n.inputs[0]], [out], attrs, n.name, dict(n.meta))
        nodes.append(n)
    g.nodes = nodes
    return g
