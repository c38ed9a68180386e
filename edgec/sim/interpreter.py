"""Runs an IR graph in numpy by calling each op's float reference, in node order."""
from __future__ import annotations

import numpy as np

from edgec.errors import DataError
from edgec.ir.graph import Graph, Value
from edgec.ops import base


def run_graph(g: Graph, feeds: dict[str, np.ndarray], keep_all: bool = False) -> dict[str, np.ndarray]:
    """One sample: feeds by input name (arrays of the input's exact shape) -> outputs by name.

    With keep_all, every intermediate value is returned too (for per-layer reports).
    """
    env: dict[int, np.ndarray] = {}
    for v in g.inputs:
        if v.name not in feeds:
            raise DataError(f"no data for input '{v.name}'")
        arr = np.asarray(feeds[v.name])
        if tuple(arr.shape) != v.shape:
            raise DataError(f"input '{v.name}': expected shape {list(v.shape)}, got {list(arr.shape)}")
        env[id(v)] = arr.astype(v.type.dtype.np)

    def get(v: Value | None):
        if v is None:
            return None
        return v.data if v.is_const else env[id(v)]

    named: dict[str, np.ndarray] = {}
    for n in g.nodes:
        outs = base.get(n.op).ref(n.attrs, [get(v) for v in n.inputs])
        for v, r in zip(n.outputs, outs):
            env[id(v)] = np.asarray(r, dtype=v.type.dtype.np).reshape(v.shape)
            if keep_all:
                named[v.name] = env[id(v)]
    named.update({v.name: get(v) for v in g.outputs})
    return named
