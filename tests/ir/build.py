"""A tiny IR graph builder for pass and verifier tests (no ONNX in between)."""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops import REGISTRY
from edgec.ops.base import NoAttrs
from edgec.sim.interpreter import run_graph


class GraphBuilder:
    """Adds nodes in order; output types come from each op's shape rule."""

    def __init__(self, name: str = "g", seed: int = 0):
        self.name = name
        self.inputs: list[Value] = []
        self.nodes: list[Node] = []
        self.rng = np.random.default_rng(seed)

    def input(self, name: str, shape: tuple[int, ...]) -> Value:
        v = Value(name, TensorType(tuple(shape), DType.F32))
        self.inputs.append(v)
        return v

    def const(self, name: str, data: Any) -> Value:
        arr = np.ascontiguousarray(data, dtype=np.float32)
        return Value(name, TensorType(tuple(arr.shape), DType.F32), arr)

    def rand(self, name: str, shape: tuple[int, ...], lo: float = -1.0, hi: float = 1.0) -> Value:
        return self.const(name, self.rng.uniform(lo, hi, size=shape))

    def op(self, op: str, inputs: list[Value | None], attrs: Any = None, name: str = "") -> Value:
        attrs = NoAttrs() if attrs is None else attrs
        types = REGISTRY[op].infer(attrs, [v.type for v in inputs if v is not None])
        name = name or f"{op}{len(self.nodes)}"
        outs = [Value(name if len(types) == 1 else f"{name}:{k}", t) for k, t in enumerate(types)]
        self.nodes.append(Node(op, list(inputs), outs, attrs, name))
        return outs[0]

    def graph(self, *outputs: Value) -> Graph:
        return Graph(self.name, self.inputs, list(outputs), self.nodes)


def random_feeds(g: Graph, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.standard_normal(v.shape).astype(np.float32) for v in g.inputs}


def outputs(g: Graph, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    res = run_graph(g, feeds)
    return [np.asarray(res[v.name]) for v in g.outputs]


def assert_same_result(before: Graph, after: Graph, seed: int = 1, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """Both graphs have the same inputs/outputs (by name) and compute the same on random data."""
    assert [v.name for v in before.inputs] == [v.name for v in after.inputs]
    assert [v.name for v in before.outputs] == [v.name for v in after.outputs]
    feeds = random_feeds(before, seed)
    for want, got, v in zip(outputs(before, feeds), outputs(after, feeds), before.outputs):
        assert got.shape == want.shape, v.name
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"output {v.name}")


def count_ops(g: Graph, op: str) -> int:
    return sum(1 for n in g.nodes if n.op == op)


def ops(g: Graph) -> list[str]:
    return [n.op for n in g.nodes]
