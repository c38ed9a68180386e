"""Graph -> plain data for the C back end: where every tensor lives and in which order to run.

External buffers (graph inputs and outputs) are the caller's pointers; constants are weights;
everything else gets an arena offset from the planner. Element-wise ops may write over an input
that dies at that node, and reshape-like ops alias their input, so neither costs extra memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from edgec.backend.planner import Buffer, align_up, plan_offsets
from edgec.ir.graph import Graph, Value
from edgec.ops import base


@dataclass
class MemoryPlan:
    """Arena offsets by value id, and the arena sizes with and without reuse."""

    offsets: dict[int, int] = field(default_factory=dict)
    io_alias: dict[int, Value] = field(default_factory=dict)   # value id -> graph input it views
    arena_bytes: int = 0
    arena_bytes_no_reuse: int = 0
    buffers: list[Buffer] = field(default_factory=list)


def _reuse_input(step: int, node, last_use: dict[int, int], external: set[int], group: dict[int, int]) -> Value | None:
    """The input whose buffer the node's output may take over, if any.

    Only input 0, only when it dies at this node, and (in place) only when no other input reads
    the same memory, so writing the output cannot clobber a value still to be read.
    """
    op = base.get(node.op)
    if not (op.alias or op.inplace) or not node.inputs or node.inputs[0] is None:
        return None
    src, out = node.inputs[0], node.outputs[0]
    if src.is_const or id(src) in external or id(out) in external:
        return None
    if last_use.get(id(src)) != step or src.type.nbytes != out.type.nbytes:
        return None
    if op.inplace and src.type.shape != out.type.shape:
        return None
    others = {group.get(id(v)) for v in node.inputs[1:] if v is not None and v is not src}
    if group.get(id(src)) in others:
        return None
    return src


def plan_memory(g: Graph) -> MemoryPlan:
    """Assigns arena offsets to every intermediate value of `g` (nodes must be in order)."""
    external = {id(v) for v in g.inputs} | {id(v) for v in g.outputs}
    last_use: dict[int, int] = {}
    for step, n in enumerate(g.nodes):
        for v in n.inputs:
            if v is not None:
                last_use[id(v)] = step
    no_reuse = 0
    io_alias: dict[int, Value] = {}
    group: dict[int, int] = {}          # value id -> buffer group id
    spans: dict[int, list[int]] = {}    # group id -> [size, first, last]
    for step, n in enumerate(g.nodes):
        for k, out in enumerate(n.outputs):
            if id(out) in external:
                continue
            src0 = n.inputs[0] if n.inputs else None
            if k == 0 and base.get(n.op).alias and src0 is not None and id(src0) in external:
                if src0 in g.inputs or id(src0) in io_alias:  # a read-only view of the caller's input
                    io_alias[id(out)] = io_alias.get(id(src0), src0)
                    external.add(id(out))
                    continue
            no_reuse += align_up(out.type.nbytes)
            src = _reuse_input(step, n, last_use, external, group) if k == 0 else None
            if src is not None and id(src) in group:
                gid = group[id(src)]
            else:
                gid = len(spans)
                spans[gid] = [out.type.nbytes, step, step]
            group[id(out)] = gid
            spans[gid][2] = max(spans[gid][2], last_use.get(id(out), step))
        scratch = n.meta.get("scratch_bytes", 0)
        if scratch:
            no_reuse += align_up(scratch)
            gid = len(spans)
            spans[gid] = [scratch, step, step]
            group[id(n)] = gid
    gids = sorted(spans)
    buffers = [Buffer(*spans[gid]) for gid in gids]
    offsets, arena = plan_offsets(buffers)
    by_gid = dict(zip(gids, offsets))
    return MemoryPlan({vid: by_gid[gid] for vid, gid in group.items()}, io_alias, arena, no_reuse, buffers)
