"""`methods=`: keep only the estimator methods the caller will call.

A graph from an estimator has one output per method (predict, predict_proba, ...). Dropping the
outputs nobody calls lets dead-code elimination remove what only they need (softmax, a forest's
mean, ...) and the C API then offers only the kept functions.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from edgec.errors import EdgecError
from edgec.ir.graph import Graph


def parse_methods(text: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """'predict,predict_proba' or a sequence -> a tuple of method names (None: all)."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))
    if not names:
        raise EdgecError("methods: expected at least one method name, e.g. predict")
    return names


def select_methods(g: Graph, info: Any, methods: Sequence[str] | None) -> tuple[Graph, Any]:
    """The graph with only the outputs named in `methods`, and the API info listing only them.

    None keeps everything. A name the estimator does not offer is an error that lists what it has.
    """
    if methods is None:
        return g, info
    wanted = parse_methods(methods)
    have = tuple(info.methods)
    missing = [m for m in wanted if m not in have]
    if missing:
        raise EdgecError(f"methods: {info.estimator or 'the model'} has no {', '.join(missing)}; "
                         f"it offers {', '.join(have)}")
    keep = tuple(m for m in have if m in wanted)   # graph order, so the C API order stays stable
    outputs = [v for v in g.outputs if v.name in keep]
    out = Graph(g.name, g.inputs, outputs, g.nodes)
    out.api = dataclasses.replace(info, methods=keep) if g.api is not None else None
    return out, dataclasses.replace(info, methods=keep)
