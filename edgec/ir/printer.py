"""Readable, deterministic text of a graph, for golden tests and `--dump-ir`.

    graph tiny(%x: f32[1x3x8x8]) -> (%y)
      @w: f32[4x3x3x3]
      %c: f32[1x4x8x8] = conv(%x, @w) {kernel=(3, 3), pads=(1, 1, 1, 1)}
      %y: f32[1x4x8x8] = relu(%c)

Runtime values print as %name, constants as @name. Attributes print in dataclass field order;
fields still at their default value are left out. Two different values with the same name get
suffixes (.1, .2, ...) in order of first appearance, so the text is never ambiguous.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Any

import numpy as np

from edgec.ir.graph import DType, Graph, Node, TensorType, Value

_SHORT = {DType.F32: "f32", DType.I8: "i8", DType.U8: "u8", DType.I16: "i16", DType.U16: "u16", DType.U32: "u32", DType.I32: "i32",
          DType.I64: "i64", DType.BOOL: "bool"}


def type_str(t: TensorType) -> str:
    dims = "x".join(str(d) for d in t.shape)
    return f"{_SHORT[t.dtype]}[{dims}]"


def dump(g: Graph) -> str:
    """The whole graph as text; equal graphs give equal strings."""
    names = _Names()
    ins = ", ".join(f"{names.ref(v)}: {type_str(v.type)}" for v in g.inputs)
    lines = [f"graph {g.name}({ins}) -> ({', '.join(names.ref(v) for v in g.outputs)})"]
    for v in g.constants():
        lines.append(f"  {names.ref(v)}: {type_str(v.type)}")
    for n in g.nodes:
        lines.append("  " + node_str(n, names))
    return "\n".join(lines) + "\n"


def node_str(n: Node, names: "_Names | None" = None) -> str:
    names = names or _Names()
    outs = ", ".join(f"{names.ref(v)}: {type_str(v.type)}" for v in n.outputs)
    args = ", ".join("_" if v is None else names.ref(v) for v in n.inputs)
    attrs = attrs_str(n.attrs)
    return f"{outs} = {n.op}({args})" + (f" {{{attrs}}}" if attrs else "")


def attrs_str(attrs: Any) -> str:
    """`name=value` for every field of a frozen attrs dataclass that differs from its default."""
    if attrs is None or not dataclasses.is_dataclass(attrs):
        return "" if attrs is None else _fmt(attrs)
    parts = []
    for f in dataclasses.fields(attrs):
        value = getattr(attrs, f.name)
        if _is_default(f, value):
            continue
        parts.append(f"{f.name}={_fmt(value)}")
    return ", ".join(parts)


def _is_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    try:
        return bool(type(value) is type(default) and value == default)
    except ValueError:  # numpy arrays compare element-wise
        return False


def _fmt(value: Any) -> str:
    """Stable text of an attribute value (numbers, tuples, enums, nested dataclasses, arrays)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ == "Activation":
            return _fmt_activation(value)
        return f"{type(value).__name__}({attrs_str(value)})"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, np.ndarray):
        return f"array{list(value.shape)}"
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return _fmt(value.item())
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        body = ", ".join(_fmt(x) for x in value)
        if isinstance(value, list):
            return f"[{body}]"
        return f"({body},)" if len(value) == 1 else f"({body})"
    return repr(value) if isinstance(value, str) else str(value)


def _fmt_activation(act: Any) -> str:
    """`relu`, or `clip(0.0, 6.0)` when the activation has parameters."""
    if act.alpha == 0.0 and act.beta == 0.0:
        return act.kind
    return f"{act.kind}({_fmt(act.alpha)}, {_fmt(act.beta)})"


class _Names:
    """Printed names: %x / @w, made unique per value object in order of first appearance."""

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}
        self._used: dict[str, int] = {}

    def ref(self, v: Value) -> str:
        key = id(v)
        if key not in self._by_id:
            base = v.name or "v"
            count = self._used.get(base, 0)
            self._used[base] = count + 1
            self._by_id[key] = base if count == 0 else f"{base}.{count}"
        return ("@" if v.is_const else "%") + self._by_id[key]
