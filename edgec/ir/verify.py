"""The IR verifier: run after every pass so a broken graph is caught where it was broken.

Checks, in one walk over the nodes: topological order (every input is a graph input, a constant
or an output of an earlier node), each value produced exactly once, every op registered, output
types equal to what the op's shape rule gives, graph outputs defined, and constants whose data
matches their declared shape and dtype.
"""
from __future__ import annotations

import numpy as np

from edgec.errors import EdgecError, GraphError
from edgec.ir.graph import DType, Graph, Node, TensorType, Value


def verify(g: Graph, after: str = "") -> None:
    """Raises GraphError naming the pass `after` (when given) and the first problem found."""
    problem = _first_problem(g)
    if problem:
        where = f"after pass '{after}': " if after else ""
        raise GraphError(f"{where}graph '{g.name}': {problem}")


def _first_problem(g: Graph) -> str:
    defined: set[int] = set()
    for v in g.inputs:
        if v.is_const:
            return f"graph input '{v.name}' is a constant"
        if id(v) in defined:
            return f"graph input '{v.name}' is listed twice"
        defined.add(id(v))
    for k, node in enumerate(g.nodes):
        problem = _node_problem(node, defined)
        if problem:
            return f"node #{k} '{node.name}' ({node.op}): {problem}"
        defined.update(id(v) for v in node.outputs)
    for v in g.outputs:
        if not isinstance(v, Value):
            return f"graph output {v!r} is not a Value"
        if not v.is_const and id(v) not in defined:
            return f"graph output '{v.name}' is not produced by any node"
        if v.is_const:
            problem = _const_problem(v)
            if problem:
                return problem
    return ""


def _registry() -> dict:
    """The op table; imported late because `ir` must not depend on `ops` at import time."""
    from edgec.ops import REGISTRY
    return REGISTRY


def _node_problem(node: Node, defined: set[int]) -> str:
    opdef = _registry().get(node.op)
    if opdef is None:
        return f"op '{node.op}' is not registered"
    for i, v in enumerate(node.inputs):
        if v is None:
            continue
        if not isinstance(v, Value):
            return f"input {i} is {v!r}, not a Value"
        if v.is_const:
            problem = _const_problem(v)
            if problem:
                return f"input {i}: {problem}"
        elif id(v) not in defined:
            return f"input {i} '{v.name}' is used before it is produced (or never produced)"
    seen: set[int] = set()
    for v in node.outputs:
        if v.is_const:
            return f"output '{v.name}' is a constant"
        if id(v) in defined or id(v) in seen:
            return f"output '{v.name}' is produced more than once"
        seen.add(id(v))
    return _type_problem(node, opdef)


def _type_problem(node: Node, opdef) -> str:
    in_types = [v.type for v in node.inputs if v is not None]
    try:
        want = opdef.infer(node.attrs, in_types)
    except (EdgecError, ValueError, TypeError, AttributeError, IndexError) as e:
        return f"shape rule rejects inputs {[str(t) for t in in_types]}: {e}"
    if len(want) != len(node.outputs):
        return f"has {len(node.outputs)} outputs, its shape rule gives {len(want)}"
    for v, t in zip(node.outputs, want):
        if not _same_type(v.type, t):
            return f"output '{v.name}' has type {v.type}, its shape rule gives {t}"
    act = getattr(node.attrs, "act", None)
    if act is not None:
        registry = _registry()
        if act.kind not in registry or not registry[act.kind].activation:
            return f"fused activation '{act.kind}' is not an activation op"
    return ""


def _same_type(a: TensorType, b: TensorType) -> bool:
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def _const_problem(v: Value) -> str:
    data = v.data
    if not isinstance(data, np.ndarray):
        return f"constant '{v.name}' holds {type(data).__name__}, not a numpy array"
    if tuple(data.shape) != tuple(v.shape):
        return f"constant '{v.name}' has data of shape {list(data.shape)}, type says {list(v.shape)}"
    try:
        dt = DType.from_np(data.dtype)
    except TypeError:
        return f"constant '{v.name}' has unsupported data dtype {data.dtype}"
    if dt != v.type.dtype or (dt == DType.F32 and data.dtype != np.float32):
        return f"constant '{v.name}' has data of dtype {data.dtype}, type says {v.type.dtype.value}"
    return ""
