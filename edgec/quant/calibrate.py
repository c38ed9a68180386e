"""Calibration: run the float graph over sample inputs and record every tensor's range."""
from __future__ import annotations

import sys
from typing import Iterable

import numpy as np

from edgec.errors import DataError
from edgec.ir.graph import Graph, Value
from edgec.ops import base
from edgec.quant.observers import OBSERVERS

Ranges = dict[int, tuple[float, float]]   # float Value id -> (lo, hi)


def _progress(i: int, n: int, stream) -> None:
    if stream is None or n < 50:
        return
    step = max(1, n // 20)
    if i % step == 0 or i == n:
        stream.write(f"\rcalibrating: {i}/{n} samples")
        if i == n:
            stream.write("\n")
        stream.flush()


def calibrate(g: Graph, samples: Iterable[dict[str, np.ndarray]], method: str = "minmax",
              num_samples: int | None = None, progress=sys.stderr) -> Ranges:
    """Ranges of every graph input and node output of `g` (a float graph) over `samples`."""
    if method not in OBSERVERS:
        raise DataError(f"unknown calibration method '{method}' (known: {', '.join(sorted(OBSERVERS))})")
    watched: list[Value] = list(g.inputs) + [v for n in g.nodes for v in n.outputs]
    observers = {id(v): OBSERVERS[method]() for v in watched}
    count = 0
    for feeds in samples:
        env: dict[int, np.ndarray] = {}
        for v in g.inputs:
            if v.name not in feeds:
                raise DataError(f"calibration data has no array for input '{v.name}'")
            env[id(v)] = np.asarray(feeds[v.name], dtype=v.type.dtype.np).reshape(v.shape)
        for n in g.nodes:
            args = [None if v is None else (v.data if v.is_const else env[id(v)]) for v in n.inputs]
            for v, r in zip(n.outputs, base.get(n.op).ref(n.attrs, args)):
                env[id(v)] = np.asarray(r, dtype=v.type.dtype.np).reshape(v.shape)
        for v in watched:
            if v.type.dtype.np.kind == "f":
                observers[id(v)].observe(env[id(v)])
        count += 1
        _progress(count, num_samples or 0, progress)
    if count == 0:
        raise DataError("calibration needs at least one sample")
    return {vid: o.range() for vid, o in observers.items()}
