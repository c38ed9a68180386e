"""Typed dataflow graph: values (shape, dtype, optional quantization), nodes, topological order.

The graph holds nodes in execution order. Constants are values that carry data and have no
producer. Nodes refer to values by object; names are only for printing and for the C sanitiser.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np


class DType(enum.Enum):
    """Element types edgec can hold in a tensor; value is the numpy name."""

    F32 = "float32"
    I8 = "int8"
    U8 = "uint8"
    I16 = "int16"
    U16 = "uint16"
    U32 = "uint32"
    I32 = "int32"
    I64 = "int64"
    BOOL = "bool"

    @property
    def np(self) -> np.dtype:
        return np.dtype(self.value)

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    @property
    def ctype(self) -> str:
        return _CTYPES[self]

    @staticmethod
    def from_np(dt: Any) -> "DType":
        dt = np.dtype(dt)
        if dt.kind == "f":
            return DType.F32  # every float width is computed in float32
        for d in DType:
            if d.np == dt:
                return d
        raise TypeError(f"no edgec dtype for numpy {dt}")


_CTYPES = {DType.F32: "float", DType.I8: "int8_t", DType.U8: "uint8_t", DType.I16: "int16_t", DType.U16: "uint16_t", DType.U32: "uint32_t",
           DType.I32: "int32_t", DType.I64: "int64_t", DType.BOOL: "uint8_t"}


@dataclass(frozen=True)
class QParams:
    """Affine quantization: real = scale * (q - zero_point); per tensor or per `axis` channel."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int | None = None

    def permuted(self, perm: tuple[int, ...]) -> "QParams":
        """The parameters of transpose(x, perm): a channel axis moves with its dim."""
        if self.axis is None:
            return self
        return QParams(self.scale, self.zero_point, list(perm).index(self.axis))


@dataclass(frozen=True)
class TensorType:
    """Static shape and element type of a value."""

    shape: tuple[int, ...]
    dtype: DType = DType.F32
    qparams: QParams | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __str__(self) -> str:
        dims = "x".join(str(d) for d in self.shape) or "scalar"
        return f"{self.dtype.value}[{dims}]"


class Value:
    """An edge of the graph: a tensor with a type; `data` is set for constants."""

    def __init__(self, name: str, type: TensorType, data: np.ndarray | None = None):
        self.name = name
        self.type = type
        self.data = data

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    def __repr__(self) -> str:
        return f"Value({self.name!r}, {self.type})"


@dataclass(eq=False)
class Node:
    """One operator application. `attrs` is the op's frozen attribute dataclass."""

    op: str
    inputs: list[Value | None]
    outputs: list[Value]
    attrs: Any = None
    name: str = ""
    meta: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Node({self.op}, {self.name!r})"


class Graph:
    """Nodes in topological order plus graph inputs and outputs."""

    def __init__(self, name: str, inputs: list[Value], outputs: list[Value], nodes: list[Node]):
        self.name = name
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.nodes = list(nodes)
        self.api: Any = None   # SklearnInfo when a front end knows the model's estimator-style API

    def copy(self) -> "Graph":
        """A new graph sharing values and constant data; nodes are shallow-copied so passes may edit."""
        nodes = [Node(n.op, list(n.inputs), list(n.outputs), n.attrs, n.name, dict(n.meta)) for n in self.nodes]
        return Graph(self.name, self.inputs, self.outputs, nodes)

    def producers(self) -> dict[Value, Node]:
        return {v: n for n in self.nodes for v in n.outputs}

    def consumers(self) -> dict[Value, list[Node]]:
        users: dict[Value, list[Node]] = {}
        for n in self.nodes:
            for v in n.inputs:
                if v is not None:
                    users.setdefault(v, []).append(n)
        return users

    def constants(self) -> list[Value]:
        """Constant values used by nodes, in first-use order, without duplicates."""
        seen: dict[int, Value] = {}
        for n in self.nodes:
            for v in n.inputs:
                if v is not None and v.is_const and id(v) not in seen:
                    seen[id(v)] = v
        for v in self.outputs:
            if v.is_const and id(v) not in seen:
                seen[id(v)] = v
        return list(seen.values())

    def replace_uses(self, old: Value, new: Value) -> None:
        """Point every use of `old` (node inputs and graph outputs) at `new`."""
        for n in self.nodes:
            n.inputs = [new if v is old else v for v in n.inputs]
        self.outputs = [new if v is old else v for v in self.outputs]

    def values(self) -> Iterable[Value]:
        seen: set[int] = set()
        for v in list(self.inputs) + [x for n in self.nodes for x in n.inputs + n.outputs if x is not None]:
            if id(v) not in seen:
                seen.add(id(v))
                yield v
