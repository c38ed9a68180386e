"""Folds per-output-channel scales and shifts into the conv or gemm that precedes them.

The importer turns BatchNormalization into mul(x, s) + add(., t) with constants shaped [C, 1, 1]
(or [C] for 2-D data). Each such mul (or x / s) scales the producer's weights along their output
axis (axis 0 for OIHW, OHWI and gemm's [N, K]) and its bias; each add (or x - t) shifts the bias.
It applies only when the producer's output feeds nothing but that op and the producer has no
fused activation yet. The folded op's own fused activation, if any, moves to the producer.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from edgec.ir.graph import DType, Graph, Node, Value
from edgec.passes.common import const_value, producer_through_aliases, sole_user, unique_namer

# producer op -> (attrs, output rank) -> its channel axis in the output; weights are input 1 with
# output channels on axis 0 and the bias is input 2, shaped [C].
CHANNEL_AXIS: dict[str, Callable[[object, int], int]] = {
    "conv": lambda attrs, rank: rank - 1 if attrs.channels_last else 1,
    "gemm": lambda attrs, rank: rank - 1,
}
SCALES = ("mul", "div")     # div only as x / const
SHIFTS = ("add", "sub")     # sub only as x - const


def fold_batchnorm(g: Graph) -> Graph:
    g = g.copy()
    producers, users = g.producers(), g.consumers()
    namer = unique_namer(g)
    created: set[str] = set()   # names of constants this pass made; a refold reuses the name

    def fresh(old: Value | None, base: str) -> str:
        if old is not None and old.name in created:
            return old.name
        name = namer(base if base.endswith("_folded") else f"{base}_folded")
        created.add(name)
        return name

    dropped: set[int] = set()
    for n in g.nodes:
        match = _match(g, n, producers, users)
        if match is None:
            continue
        p, writer, vec = match
        _fold_into(p, n, vec, fresh)
        writer.outputs = [n.outputs[0]]
        producers[n.outputs[0]] = writer
        dropped.add(id(n))
    g.nodes = [n for n in g.nodes if id(n) not in dropped]
    return g


def _match(g: Graph, n: Node, producers, users) -> tuple[Node, Node, np.ndarray] | None:
    """(conv/gemm, node whose output n's output replaces, per-channel vector [C] as float64).

    The producer may sit behind reshapes (a 1-D conv is a 2-D conv between reshapes).
    """
    if n.op not in SCALES + SHIFTS or len(n.inputs) != 2:
        return None
    x, c = n.inputs
    if n.op in ("mul", "add") and x is not None and x.is_const:
        x, c = c, x
    if x is None or c is None or x.is_const or not c.is_const or sole_user(g, x, users) is not n:
        return None
    p, last_alias = producer_through_aliases(g, x, producers, users)
    if p is None or p.op not in CHANNEL_AXIS or len(p.outputs) != 1:
        return None
    if getattr(p.attrs, "act", None) is not None or not _plain_weights(p):
        return None
    if n.outputs[0].type.shape != x.type.shape or x.type.dtype != DType.F32:
        return None
    y = p.outputs[0]
    vec = _channel_vector(c, x.type.shape, y.type.shape, CHANNEL_AXIS[p.op](p.attrs, y.type.rank))
    return None if vec is None else (p, last_alias or p, vec)


def _plain_weights(p: Node) -> bool:
    """Constant float weights, and a bias that is absent or a constant [C]."""
    w = p.inputs[1] if len(p.inputs) > 1 else None
    b = p.inputs[2] if len(p.inputs) > 2 else None
    if w is None or not w.is_const or w.type.dtype != DType.F32:
        return False
    return b is None or (b.is_const and b.type.shape == (w.shape[0],))


def _channel_vector(c: Value, x_shape: tuple[int, ...], y_shape: tuple[int, ...], axis: int) -> np.ndarray | None:
    """c as a length-C vector over the producer's channels, or None if it is not per channel.

    c broadcasts against x (the producer's output y, maybe reshaped) and may vary along one axis
    k of x only; that axis is y's channel axis when it has the same length and the same number
    of elements before it (then flat positions agree).
    """
    rank, channels = len(x_shape), y_shape[axis]
    if c.type.rank > rank or c.type.dtype != DType.F32:
        return None
    aligned = (1,) * (rank - c.type.rank) + tuple(c.shape)
    varying = [k for k, d in enumerate(aligned) if d != 1]
    if len(varying) > 1:
        return None
    if varying:
        k = varying[0]
        if x_shape[k] != channels or int(np.prod(x_shape[:k])) != int(np.prod(y_shape[:axis])):
            return None
    return np.broadcast_to(c.data.reshape(-1).astype(np.float64), (channels,))


def _fold_into(p: Node, n: Node, vec: np.ndarray, fresh) -> None:
    """Rewrites p's weight / bias inputs (new constant Values) so that p computes n(p(x))."""
    inputs = list(p.inputs) + [None] * (3 - len(p.inputs))
    w, b = inputs[1], inputs[2]
    bias = None if b is None else b.data.astype(np.float64)
    if n.op in SCALES:
        s = vec if n.op == "mul" else 1.0 / vec
        wd = w.data.astype(np.float64) * s.reshape((-1,) + (1,) * (w.type.rank - 1))
        inputs[1] = const_value(fresh(w, w.name), wd.astype(np.float32))
        bias = None if bias is None else bias * s
    else:
        bias = (np.zeros(w.shape[0]) if bias is None else bias) + (vec if n.op == "add" else -vec)
    if bias is not None:
        inputs[2] = const_value(fresh(b, b.name if b is not None else f"{p.name}_bias"), bias.astype(np.float32))
    p.inputs = inputs if inputs[2] is not None else inputs[:len(p.inputs)]
    act = getattr(n.attrs, "act", None)
    if act is not None:
        p.attrs = replace(p.attrs, act=act)

