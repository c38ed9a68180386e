"""TensorFlow Lite Micro's greedy-by-size memory planner, reimplemented as a yardstick.

TFLM sorts buffers by size (largest first) and gives each the lowest offset at which it does not
overlap any already placed buffer whose lifetime intersects its own. No in-place reuse.
Written independently of edgec's planner so that comparing the two means something.
"""
from __future__ import annotations

from typing import Any, Callable


def greedy_by_size(requests: list[tuple[int, int, int]], align: int = 16) -> int:
    """requests: (size_bytes, first_step, last_step). Returns the arena size in bytes."""
    def aligned(n: int) -> int:
        return -(-n // align) * align

    order = sorted(range(len(requests)), key=lambda i: -requests[i][0])
    placed: list[tuple[int, int, int, int]] = []   # offset, end, first, last
    high = 0
    for i in order:
        size, first, last = requests[i]
        size = aligned(size)
        live = sorted((o, e) for o, e, f, l in placed if f <= last and first <= l)
        candidate = 0
        for o, e in live:
            if candidate + size <= o:
                break
            candidate = max(candidate, e)
        placed.append((candidate, candidate + size, first, last))
        high = max(high, candidate + size)
    return high


def graph_requests(g, scratch: Callable[[Any], int] | None = None) -> list[tuple[int, int, int]]:
    """(bytes, first, last) of every intermediate value of a lowered graph (no aliasing), plus,
    when `scratch` (node -> bytes) is given, each node's scratch as a request live for its step."""
    external = {id(v) for v in g.inputs} | {id(v) for v in g.outputs}
    last: dict[int, int] = {}
    for step, n in enumerate(g.nodes):
        for v in n.inputs:
            if v is not None:
                last[id(v)] = step
    reqs = []
    for step, n in enumerate(g.nodes):
        for v in n.outputs:
            if id(v) not in external:
                reqs.append((v.type.nbytes, step, last.get(id(v), step)))
        extra = scratch(n) if scratch is not None else 0
        if extra:
            reqs.append((extra, step, step))
    return reqs
