"""EmitContext: what an op's `emit` function uses to turn one node into C.

The op asks for buffer pointers, derived constant arrays and parameter structs, then appends a
kernel call. It never formats file-level C itself; the templates place what is collected here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from edgec.backend.cformat import c_value
from edgec.backend.names import NameTable, c_comment
from edgec.backend.plan import MemoryPlan
from edgec.errors import UnsupportedOpError
from edgec.ir.graph import DType, Graph, Node, Value


@dataclass
class WeightAlt:
    """Another form of a weights member, compiled instead where the C preprocessor condition
    `cond` holds (e.g. weights widened for the kernels of some cores)."""
    cond: str
    ctype: str
    data: np.ndarray


@dataclass
class WeightArray:
    member: str
    ctype: str
    data: np.ndarray
    comment: str
    alt: WeightAlt | None = None


@dataclass
class ParamStruct:
    symbol: str
    ctype: str
    body: str


@dataclass
class Step:
    comment: str
    lines: list[str] = field(default_factory=list)


class EmitContext:
    """Collects weights, parameter structs and calls while ops emit; see `backend.c`."""

    def __init__(self, g: Graph, prefix: str, mem: MemoryPlan, io_names: dict[int, str],
                 splats: dict[int, Value] | None = None):
        self.g, self.prefix, self.mem = g, prefix, mem
        self.splats = splats or {}          # fill output id -> the all-equal constant it stands for
        self.io_names = io_names            # value id -> C parameter name
        self.names = NameTable()
        self.weights: list[WeightArray] = []
        self.params: list[ParamStruct] = []
        self.steps: list[Step] = []
        self.sources: set[str] = set()
        self.files: dict[str, str] = {}     # generated files beside the model's .c (e.g. tree code)
        self.includes: list[str] = []       # their headers, included by the model's .c
        self.direct: dict[int, str] = {}    # output value id -> `fn(x)` computing it from the input alone
        self._weight_of: dict[int, str] = {}
        self._param_cache: dict[tuple[str, str], str] = {}

    # -- buffers -----------------------------------------------------------------------------
    def ptr(self, v: Value) -> str:
        """C expression for the first element of `v`: caller pointer, weight or arena slot."""
        if id(v) in self.mem.io_alias:
            v = self.mem.io_alias[id(v)]
        if id(v) in self.io_names:
            return self.io_names[id(v)]
        if v.is_const:
            return self.const_of(v)
        off = self.mem.offsets[id(v)]
        return f"(({v.type.dtype.ctype} *)(arena + {off}))"

    def scratch(self) -> str:
        """C expression (void *) of the current node's scratch memory, reserved by the planner
        for this step only (size: the op's `scratch` rule); NULL when it needs none."""
        off = self.mem.offsets.get(id(self.node))
        return "NULL" if off is None else f"((void *)(arena + {off}))"

    def same_buffer(self, a: Value, b: Value) -> bool:
        return self.ptr(a) == self.ptr(b)

    def const_of(self, v: Value) -> str:
        """The weights member holding constant `v` (emitted once however often it is used)."""
        if id(v) not in self._weight_of:
            self._weight_of[id(v)] = self.const(v.data, v.name, v.type.dtype)
        return self._weight_of[id(v)]

    def const(self, data: np.ndarray, hint: str, dtype: DType | None = None,
              alt: tuple[str, np.ndarray, DType] | None = None) -> str:
        """Adds a derived constant array (e.g. reordered weights) and returns its C expression.
        alt: (condition, data, dtype) of the form compiled instead where the C preprocessor
        condition holds; the expression then points at whichever form was compiled (callers cast
        it to the kernel's parameter type)."""
        dtype = dtype or DType.from_np(data.dtype)
        member = self.names.unique(hint, "w")
        self.weights.append(WeightArray(member, dtype.ctype, _flat(data, dtype), c_comment(hint),
                                        alt and WeightAlt(alt[0], alt[2].ctype, _flat(alt[1], alt[2]))))
        return f"{self.prefix}_weights.{member}"

    def is_constant(self, v: Value) -> bool:
        """A compile-time constant, or a big all-equal constant filled at run time (see lower.py)."""
        return v.is_const or id(v) in self.splats

    def prepared(self, v: Value, prepare: Callable[[np.ndarray], np.ndarray], hint: str,
                 dtype: DType | None = None,
                 alt: tuple[str, Callable[[np.ndarray], np.ndarray], DType] | None = None) -> str:
        """Constant input `v` transformed once by `prepare` (e.g. weights reordered for a kernel).

        `prepare` must keep the element count. A run-time-filled constant needs no transform:
        every reordering of equal elements is the same array, so its buffer serves as is (not
        with `alt`, (condition, prepare, dtype) of another form for some cores, see `const`).
        """
        n = self.node
        if id(v) in self.splats:
            if alt is not None:
                raise UnsupportedOpError(n.op, n.name, f"input '{v.name}' is filled at run time; the kernel needs it prepared")
            return self.ptr(v)
        if not v.is_const:
            raise UnsupportedOpError(n.op, n.name, f"input '{v.name}' is computed at run time; the C kernel needs a constant")
        return self.const(prepare(v.data), hint, dtype, alt and (alt[0], alt[1](v.data), alt[2]))

    def ints(self, values, hint: str = "idx", ctype: str = "int32_t") -> str:
        """A small const int array (shapes, strides, index tables)."""
        dt = {"int32_t": DType.I32, "int64_t": DType.I64}[ctype]
        return self.const(np.asarray(values, dtype=dt.np), hint, dt)

    def struct(self, ctype: str, fields: dict[str, Any], hint: str = "p") -> str:
        """A `static const` parameter struct; returns its address expression. Identical ones are shared."""
        body = "{" + ", ".join(f".{k} = {c_value(v)}" for k, v in fields.items()) + "}"
        key = (ctype, body)
        if key not in self._param_cache:
            sym = self.names.unique(f"p_{hint}", "p")
            self.params.append(ParamStruct(sym, ctype, body))
            self._param_cache[key] = f"&{sym}"
        return self._param_cache[key]

    # -- calls -------------------------------------------------------------------------------
    def begin(self, node: Node) -> None:
        self.node = node
        self.steps.append(Step(c_comment(f"{node.op} {node.name}")))

    def note(self, text: str) -> None:
        """A comment line in the current step."""
        self.steps[-1].lines.append(f"/* {c_comment(text)} */")

    def call(self, fn: str, *args: str) -> None:
        self.steps[-1].lines.append(f"{fn}({', '.join(args)});")

    def add_file(self, name: str, text: str, header: str | None = None, header_text: str = "") -> None:
        """A generated C file of this model (and its header, which the model's .c includes)."""
        self.files[name] = text
        if header is not None:
            self.files[header] = header_text
            self.includes.append(header)

    def use(self, *sources: str) -> None:
        self.sources.update(sources)


def _flat(data: np.ndarray, dtype: DType) -> np.ndarray:
    """A weights member's elements: flat, of `dtype`, at least one (C has no empty arrays)."""
    arr = np.ascontiguousarray(data, dtype=dtype.np).reshape(-1)
    return arr if arr.size else np.zeros(1, dtype.np)
