"""Layout pass: runs every NCHW-sensitive op in NHWC, wrapped in a pair of transposes.

For a node whose OpDef has a `layout` hook, whose attrs.channels_last is False and whose input
is rank 4:  x -> transpose(0, 2, 3, 1) -> op' -> transpose(0, 3, 1, 2) -> (original output).
op' is the hook's NHWC form (constant inputs such as weights are re-laid out by the hook). The
transposes cancel later in `sink_transposes`, leaving NHWC data between such ops.
"""
from __future__ import annotations

from edgec.ir.graph import Graph, Node, Value
from edgec.ops import base
from edgec.passes.common import carry_qparams, permuted_type, transpose_node, unique_namer

TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


def to_channels_last(g: Graph) -> Graph:
    g = g.copy()
    fresh = unique_namer(g)
    nodes: list[Node] = []
    for n in g.nodes:
        nodes.extend(_convert(n, fresh) if _wants_nhwc(n) else [n])
    g.nodes = nodes
    return g


def _wants_nhwc(n: Node) -> bool:
    op = base.get(n.op)
    return (op.layout is not None and getattr(n.attrs, "channels_last", True) is False
            and bool(n.inputs) and n.inputs[0] is not None and n.inputs[0].type.rank == 4)


def _convert(n: Node, fresh) -> list[Node]:
    """[transposes in] + op' + [transposes out], the op' reading and writing NHWC values."""
    opdef = base.get(n.op)
    attrs, inputs = opdef.layout(n)
    inputs = list(inputs)
    before: list[Node] = []
    for i, v in enumerate(inputs):
        if i < len(n.inputs) and v is n.inputs[i] and v is not None and not v.is_const and v.type.rank == 4:
            t = transpose_node(v, TO_NHWC, Value(fresh(f"{n.name}_in{i}_nhwc"), permuted_type(v.type, TO_NHWC)),
                               f"{n.name}_in{i}_to_nhwc")
            before.append(t)
            inputs[i] = t.outputs[0]
    out_types = opdef.infer(attrs, [v.type for v in inputs if v is not None])
    if any(t.rank != 4 and t != old.type for old, t in zip(n.outputs, out_types)):
        return [n]   # a non-image output that changed with the layout: leave the node alone
    outputs, after = [], []
    for k, (old, t) in enumerate(zip(n.outputs, out_types)):
        if t.rank != 4:
            outputs.append(old)
            continue
        v = Value(fresh(f"{n.name}_out{k}_nhwc"), carry_qparams(t, old.type, TO_NHWC))
        outputs.append(v)
        after.append(transpose_node(v, TO_NCHW, old, f"{n.name}_out{k}_to_nchw"))
    return before + [Node(n.op, inputs, outputs, attrs, n.name, dict(n.meta))] + after
