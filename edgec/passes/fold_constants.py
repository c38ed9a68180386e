"""Constant folding: a node whose inputs are all constants becomes a constant (its op's ref).

The importer already folds as it builds; this pass catches constants that other passes create
(e.g. a transpose of a weight). Nodes without inputs (fill) are left alone on purpose: the back
end makes them to avoid storing large splat constants. A result much larger than its inputs (an
expand of a scalar, say) is also left to run at run time, so flash does not grow.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import Graph, Node, Value
from edgec.ops import base
from edgec.passes.common import const_value

MAX_GROWTH_BYTES = 1 << 16   # a fold may add at most this much over the inputs' bytes


def fold_constants(g: Graph) -> Graph:
    g = g.copy()
    subst: dict[int, Value] = {}
    kept: list[Node] = []
    for n in g.nodes:
        n.inputs = [subst.get(id(v), v) if v is not None else None for v in n.inputs]
        folded = _fold(n)
        if folded is None:
            kept.append(n)
            continue
        subst.update({id(old): new for old, new in zip(n.outputs, folded)})
    g.nodes = kept
    g.outputs = [subst.get(id(v), v) for v in g.outputs]
    return g


def _foldable(n: Node) -> bool:
    ins = [v for v in n.inputs if v is not None]
    if not ins or not all(v.is_const for v in ins):
        return False
    in_bytes = sum(v.data.nbytes for v in ins)
    out_bytes = sum(v.type.nbytes for v in n.outputs)
    return out_bytes <= in_bytes + MAX_GROWTH_BYTES


def _fold(n: Node) -> list[Value] | None:
    """New constant Values (same names and types) for n's outputs, or None to keep n."""
    if not _foldable(n):
        return None
    results = base.get(n.op).ref(n.attrs, [v.data if v is not None else None for v in n.inputs])
    outs = []
    for v, r in zip(n.outputs, results):
        arr = np.asarray(r, dtype=v.type.dtype.np).reshape(v.type.shape)
        outs.append(const_value(v.name, arr, v.type.dtype, v.type.qparams))
    return outs
