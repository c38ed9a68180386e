"""Small helpers the graph passes share: constants, use counts, and bypassing a copy-like node.

Passes never change a Value in place (the input graph shares its Values with the copy): a value
whose type or data changes is replaced by a new Value.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.movement import TransposeAttrs


def const_value(name: str, data: np.ndarray, dtype: DType | None = None, qparams: QParams | None = None) -> Value:
    """A new constant Value holding `data` (float data is stored as float32)."""
    arr = np.asarray(data)
    dtype = dtype or DType.from_np(arr.dtype)
    arr = np.ascontiguousarray(arr, dtype=dtype.np)
    return Value(name, TensorType(tuple(arr.shape), dtype, qparams), arr)


def permuted_type(t: TensorType, perm: tuple[int, ...]) -> TensorType:
    """The type of transpose(x, perm) for x of type t (output dim d is input dim perm[d]);
    given quantization parameters (a pre-quantized model's) come along."""
    qp = t.qparams.permuted(perm) if t.qparams is not None else None
    return TensorType(tuple(t.shape[p] for p in perm), t.dtype, qp)


def carry_qparams(t: TensorType, like: TensorType, perm: tuple[int, ...] | None = None) -> TensorType:
    """t, the type of transpose(like, perm) (or of a reshape of `like` when perm is None), with
    like's given quantization parameters; across a reshape only per-tensor ones carry over."""
    qp = like.qparams
    if qp is not None and perm is not None:
        qp = qp.permuted(perm)
    elif qp is not None and qp.axis is not None:
        qp = None
    return TensorType(t.shape, t.dtype, qp if t.dtype == like.dtype else None)


def transpose_node(x: Value, perm: tuple[int, ...], out: Value, name: str) -> Node:
    """A "transpose" node of x by perm writing `out`."""
    return Node("transpose", [x], [out], TransposeAttrs(tuple(int(p) for p in perm)), name)


def is_graph_io(g: Graph, v: Value) -> bool:
    return any(v is x for x in g.inputs) or any(v is x for x in g.outputs)


def is_output(g: Graph, v: Value) -> bool:
    return any(v is x for x in g.outputs)


def sole_user(g: Graph, v: Value, users: dict[Value, list[Node]]) -> Node | None:
    """The only node reading `v`, if exactly one node reads it (once) and it is no graph output."""
    us = users.get(v, [])
    if len(us) != 1 or is_output(g, v):
        return None
    if sum(1 for x in us[0].inputs if x is v) != 1:
        return None
    return us[0]


def bypass(g: Graph, node: Node, src: Value, dst: Value) -> bool:
    """Removes `node`, whose output `dst` equals its input `src` element for element.

    Uses of dst read src instead. When dst is a graph output its name must survive, so src's
    producer is made to write dst directly; that is impossible (returns False, node kept) when
    src is a graph input, a constant or itself a graph output.
    """
    if not is_output(g, dst):
        g.nodes = [n for n in g.nodes if n is not node]
        g.replace_uses(dst, src)
        return True
    if src.is_const or is_graph_io(g, src) or (src.shape, src.type.dtype) != (dst.shape, dst.type.dtype):
        return False
    producer = next((n for n in g.nodes if any(o is src for o in n.outputs)), None)
    if producer is None:
        return False
    g.nodes = [n for n in g.nodes if n is not node]
    producer.outputs = [dst if o is src else o for o in producer.outputs]
    g.replace_uses(src, dst)
    return True


def unique_namer(g: Graph):
    """A function base -> a value name not yet used in `g` (nor by earlier calls)."""
    used = {v.name for v in g.values()} | {v.name for v in g.outputs}

    def fresh(base: str) -> str:
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        return name

    return fresh


def producer_through_aliases(g: Graph, v: Value, producers: dict[Value, Node],
                             users: dict[Value, list[Node]]) -> tuple[Node | None, Node | None]:
    """(first non-alias producer of v, the alias node that writes v or None if there is none).

    Walks back over reshape-like (OpDef.alias) nodes whose input feeds nothing else, so a pass
    can treat conv -> reshape -> mul like conv -> mul (1-D convs are imported so). The first
    item is an alias node itself when the walk stops at a shared value; callers check its op.
    """
    writer = None
    p = producers.get(v)
    while p is not None and base.get(p.op).alias and len(p.inputs) == 1 and p.inputs[0] is not None:
        nxt = p.inputs[0]
        if sole_user(g, nxt, users) is not p:
            break
        writer = writer or p
        p = producers.get(nxt)
    return p, writer
