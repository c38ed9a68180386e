"""Static arena planner: buffer sizes and lifetimes in, byte offsets out.

Knows nothing of graphs. A buffer is live on the closed step interval [first, last]; two buffers
whose intervals intersect must not overlap in memory. Several placement orders are tried (the
first is TensorFlow Lite Micro's greedy-by-size order) and the smallest arena wins, so the result
is never larger than TFLM's greedy planner on the same lifetimes.
"""
from __future__ import annotations

from dataclasses import dataclass

ALIGN = 16


@dataclass(frozen=True)
class Buffer:
    """A request for `size` bytes live from step `first` to step `last` inclusive."""

    size: int
    first: int
    last: int


def align_up(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


def _place(buffers: list[Buffer], order: list[int]) -> tuple[list[int], int]:
    """First-fit in `order`: each buffer goes at the lowest aligned offset free during its lifetime."""
    offsets = [0] * len(buffers)
    placed: list[int] = []
    end = 0
    for i in order:
        b = buffers[i]
        busy = sorted((offsets[j], offsets[j] + align_up(buffers[j].size)) for j in placed
                      if buffers[j].first <= b.last and b.first <= buffers[j].last)
        off = 0
        for lo, hi in busy:
            if off + align_up(b.size) <= lo:
                break
            off = max(off, hi)
        offsets[i] = off
        placed.append(i)
        end = max(end, off + align_up(b.size))
    return offsets, end


def plan_offsets(buffers: list[Buffer]) -> tuple[list[int], int]:
    """Returns (offset of each buffer, arena size in bytes); offsets are ALIGN-aligned."""
    if not buffers:
        return [], 0
    idx = range(len(buffers))
    orders = [
        sorted(idx, key=lambda i: (-buffers[i].size, buffers[i].first, i)),  # TFLM greedy-by-size
        sorted(idx, key=lambda i: (-(buffers[i].size * (buffers[i].last - buffers[i].first + 1)), i)),
        sorted(idx, key=lambda i: (-(buffers[i].last - buffers[i].first), -buffers[i].size, i)),
        sorted(idx, key=lambda i: (buffers[i].first, -buffers[i].size, i)),
    ]
    best: tuple[list[int], int] | None = None
    for order in orders:
        result = _place(buffers, order)
        if best is None or result[1] < best[1]:
            best = result
    assert best is not None
    return best


def no_reuse_size(buffers: list[Buffer]) -> int:
    """Arena size if every buffer had its own memory."""
    return sum(align_up(b.size) for b in buffers)
