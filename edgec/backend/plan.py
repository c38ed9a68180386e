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
    elided: set[int] = field(default_factory=set)   # ids of nodes with nothing left to do (in-place concat)
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


def _concat_slices(n, step: int, last_use: dict[int, int], external: set[int], group: dict[int, int],
                   spans: dict[int, list[int]]) -> list[tuple[int, int]] | None:
    """(input group, byte offset in the output) when a concat can be done in place: each input's
    producer writes straight into its slice of the output. Needs contiguous slices (nothing
    but size-1 dims before the axis) and inputs that are arena buffers dying here, once each."""
    if n.op != "concat" or len(n.inputs) < 2:
        return None
    out = n.outputs[0]
    if id(out) in external or any(d != 1 for d in out.shape[:n.attrs.axis]):
        return None
    slices, offset, seen = [], 0, set()
    for x in n.inputs:
        gid = group.get(id(x)) if x is not None else None
        if (x is None or x.is_const or id(x) in external or gid is None or gid in seen
                or last_use.get(id(x)) != step or spans[gid][2] != step or spans[gid][0] != x.type.nbytes
                or x.type.dtype != out.type.dtype):
            return None
        seen.add(gid)
        slices.append((gid, offset))
        offset += x.type.nbytes
    return slices


def scratch_bytes(n) -> int:
    """Bytes of scratch node `n`'s kernel needs for its step: its OpDef's `scratch` rule, else
    n.meta["scratch_bytes"], else 0."""
    rule = base.get(n.op).scratch
    if rule is None:
        return int(n.meta.get("scratch_bytes", 0))
    return int(rule(n.attrs, [v.type for v in n.inputs if v is not None], [v.type for v in n.outputs]))


def plan_memory(g: Graph, scratch=None) -> MemoryPlan:
    """Assigns arena offsets to every intermediate value of `g` (nodes must be in order).
    `scratch`: node -> scratch bytes of its kernel (default `scratch_bytes`; a target with kernels
    of its own passes theirs)."""
    scratch_of = scratch or scratch_bytes
    external = {id(v) for v in g.inputs} | {id(v) for v in g.outputs}
    last_use: dict[int, int] = {}
    for step, n in enumerate(g.nodes):
        for v in n.inputs:
            if v is not None:
                last_use[id(v)] = step
    no_reuse = 0
    io_alias: dict[int, Value] = {}
    group: dict[int, int] = {}          # value id -> buffer group id
    sub: dict[int, int] = {}            # value id -> byte offset inside its group
    spans: dict[int, list[int]] = {}    # group id -> [size, first, last]
    elided: set[int] = set()
    new_gid = iter(range(1 << 62)).__next__   # groups can merge away, so ids come from a counter
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
                gid = new_gid()
                spans[gid] = [out.type.nbytes, step, step]
            group[id(out)] = gid
            spans[gid][2] = max(spans[gid][2], last_use.get(id(out), step))
        slices = _concat_slices(n, step, last_use, external, group, spans)
        if slices is not None:
            out_gid = group[id(n.outputs[0])]
            for gid, offset in slices:
                for vid in [v for v, gg in group.items() if gg == gid]:
                    group[vid], sub[vid] = out_gid, sub.get(vid, 0) + offset
                spans[out_gid][1] = min(spans[out_gid][1], spans.pop(gid)[1])
            elided.add(id(n))
        scratch = scratch_of(n) if id(n) not in elided else 0
        if scratch:
            no_reuse += align_up(scratch)
            gid = new_gid()
            spans[gid] = [scratch, step, step]
            group[id(n)] = gid
    gids = sorted(spans)
    buffers = [Buffer(*spans[gid]) for gid in gids]
    offsets, arena = plan_offsets(buffers)
    by_gid = dict(zip(gids, offsets))
    offsets_by_value = {vid: by_gid[gid] + sub.get(vid, 0) for vid, gid in group.items()}
    return MemoryPlan(offsets_by_value, io_alias, elided, arena, no_reuse, buffers)
