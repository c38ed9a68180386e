"""The arena planner: no two live buffers overlap, and it never loses to TFLM's greedy planner."""
import random

import pytest

from edgec.backend.planner import ALIGN, Buffer, no_reuse_size, plan_offsets
from tests.tflm_yardstick import greedy_by_size


def _assert_no_overlap(buffers, offsets):
    for i, a in enumerate(buffers):
        assert offsets[i] % ALIGN == 0
        for j in range(i + 1, len(buffers)):
            b = buffers[j]
            if a.first <= b.last and b.first <= a.last:
                assert offsets[i] + a.size <= offsets[j] or offsets[j] + b.size <= offsets[i], (i, j)


def _random_buffers(rng, n):
    out = []
    for _ in range(n):
        first = rng.randrange(0, 40)
        out.append(Buffer(rng.choice([16, 100, 1024, 3000, 4096, 50000]), first, first + rng.randrange(0, 8)))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_planner_live_buffers_never_overlap(seed):
    buffers = _random_buffers(random.Random(seed), 60)
    offsets, size = plan_offsets(buffers)
    _assert_no_overlap(buffers, offsets)
    assert size == max(o + -(-b.size // ALIGN) * ALIGN for o, b in zip(offsets, buffers))


@pytest.mark.parametrize("seed", range(20))
def test_planner_never_larger_than_tflm_greedy(seed):
    buffers = _random_buffers(random.Random(100 + seed), 60)
    _, size = plan_offsets(buffers)
    assert size <= greedy_by_size([(b.size, b.first, b.last) for b in buffers])


def test_planner_reuses_dead_buffers():
    chain = [Buffer(1000, i, i + 1) for i in range(10)]   # each tensor feeds only the next op
    _, size = plan_offsets(chain)
    assert size == 2 * 1008
    assert no_reuse_size(chain) == 10 * 1008


def test_planner_empty():
    assert plan_offsets([]) == ([], 0)
