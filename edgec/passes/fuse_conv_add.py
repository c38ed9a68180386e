"""int8 pass: conv_s8 -> add_s8 becomes one conv_add_s8 (residual blocks), to cut peak memory.

A residual add's operands are the block input r, kept alive across the block, and the last
conv's output h. Unfused, r, h and the conv's input x are live together at that conv. Fused, h is
computed row by row into scratch and added into r's buffer in place, so only r and x are live.

Conditions: h = conv_s8(x, ...) is read by the add alone (not a graph output); the other operand
r has h's shape (no broadcast), is computed at run time and dies at the add. When both operands
qualify, the conv that runs later is fused (its input then lives the least longer). The fused
node takes the add's place and output. Runs on int8 graphs just before C emission.
"""
from __future__ import annotations

from edgec.ir.graph import Graph, Node, Value
from edgec.ops.conv_add_s8 import ConvAddS8Attrs
from edgec.passes.common import is_output, sole_user


def _candidate(g: Graph, add: Node, k: int, producers: dict, users: dict, last_use: dict[int, int],
               pos: dict[int, int]) -> Node | None:
    """The conv_s8 producing add operand k if it can fuse into `add`, else None."""
    h, r = add.inputs[k], add.inputs[1 - k]
    conv = producers.get(h)
    if conv is None or conv.op != "conv_s8" or sole_user(g, h, users) is not add:
        return None
    if r is None or r is h or r.is_const or r.shape != h.shape or h.shape != add.outputs[0].shape:
        return None
    if is_output(g, r) or last_use.get(id(r)) != pos[id(add)]:
        return None
    return conv


def fuse_conv_add(g: Graph) -> Graph:
    g = g.copy()
    producers, users = g.producers(), g.consumers()
    pos = {id(n): i for i, n in enumerate(g.nodes)}
    last_use: dict[int, int] = {}
    for i, n in enumerate(g.nodes):
        for v in n.inputs:
            if v is not None:
                last_use[id(v)] = i
    fused: dict[int, Node] = {}   # id(add) -> its replacement
    dropped: set[int] = set()     # ids of fused convs
    for add in g.nodes:
        if add.op != "add_s8" or len(add.inputs) != 2:
            continue
        cands = [(pos[id(c)], k, c) for k in (0, 1)
                 if (c := _candidate(g, add, k, producers, users, last_use, pos)) is not None]
        if not cands:
            continue
        _, k, conv = max(cands, key=lambda t: t[0])
        r: Value = add.inputs[1 - k]
        fused[id(add)] = Node("conv_add_s8", [r, *conv.inputs], list(add.outputs),
                              ConvAddS8Attrs(conv.attrs, add.attrs, k == 0), add.name or f"{conv.name}_add")
        dropped.add(id(conv))
    g.nodes = [fused.get(id(n), n) for n in g.nodes if id(n) not in dropped]
    return g
