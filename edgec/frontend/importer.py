"""ImportContext: what an ONNX op importer uses to add IR nodes (table in `onnx_ops`).

Every emitted node gets its output types from the op's shape rule, and a node whose inputs are
all constants is evaluated at once with the op's float reference (import-time folding), which
is how shape arithmetic (Shape -> Gather -> Concat -> Reshape) collapses to constants.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import onnx
from onnx import numpy_helper

from edgec.errors import EdgecError, ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, Node, TensorType, Value
from edgec.ops import base

Importer = Callable[["ImportContext", onnx.NodeProto], None]
IMPORTERS: dict[str, Importer] = {}


def importer(*op_types: str):
    """Registers the decorated function as the importer of the ONNX `op_types`."""
    def deco(fn: Importer) -> Importer:
        for t in op_types:
            IMPORTERS[t] = fn
        return fn
    return deco


class ImportContext:
    def __init__(self, opset: int):
        self.opset = opset
        self.values: dict[str, Value] = {}
        self.nodes: list[Node] = []
        self._counter = 0
        self._named: set[int] = set()   # values already carrying their ONNX tensor name
        self.strings: dict[str, np.ndarray] = {}   # string initializers (class names), no IR value
        self.int32_labels: dict[int, Any] = {}      # id(value) -> classes, for int32 class labels (onnx_ml)
        self.float_bools: set[int] = set()          # id(value) of 0/1 floats standing for ONNX bools (onnx_ml)

    # -- reading the ONNX node ---------------------------------------------------------------
    def input(self, node: onnx.NodeProto, i: int) -> Value | None:
        if i >= len(node.input) or node.input[i] == "":
            return None
        return self.values[node.input[i]]

    def inputs(self, node: onnx.NodeProto) -> list[Value]:
        return [v for v in (self.input(node, i) for i in range(len(node.input))) if v is not None]

    def const_input(self, node: onnx.NodeProto, i: int, what: str = "") -> np.ndarray | None:
        """The constant data of input i (None if absent); error if it is computed at run time."""
        v = self.input(node, i)
        if v is None:
            return None
        if not v.is_const:
            raise self.unsupported(node, f"input {i}{' (' + what + ')' if what else ''} must be a constant")
        return v.data

    @staticmethod
    def attr(node: onnx.NodeProto, name: str, default: Any = None) -> Any:
        for a in node.attribute:
            if a.name == name:
                v = onnx.helper.get_attribute_value(a)
                if isinstance(v, bytes):
                    return v.decode("utf-8", "replace")
                if isinstance(v, onnx.TensorProto):
                    return numpy_helper.to_array(v)
                if isinstance(v, list):
                    return [x.decode() if isinstance(x, bytes) else x for x in v]
                return v
        return default

    def attr_or_input(self, node: onnx.NodeProto, name: str, index: int, default: Any = None) -> Any:
        """An attribute that newer opsets moved to a (constant) input, e.g. axes or split."""
        if index < len(node.input) and node.input[index]:
            return [int(x) for x in np.asarray(self.const_input(node, index, name)).reshape(-1)]
        return self.attr(node, name, default)

    # -- building the IR ---------------------------------------------------------------------
    def const(self, data: Any, name: str = "const") -> Value:
        arr = np.asarray(data)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype == np.bool_:
            arr = arr.astype(np.bool_)
        self._counter += 1
        return Value(f"{name}", TensorType(tuple(arr.shape), DType.from_np(arr.dtype)), arr)

    def emit(self, op: str, inputs: list[Value | None], attrs: Any = None, name: str = "",
             num_outputs: int = 1) -> list[Value]:
        """Adds one IR node (or folds it when every input is constant); returns its outputs."""
        opdef = base.get(op)
        attrs = attrs if attrs is not None else base.NoAttrs()
        in_types = [v.type for v in inputs if v is not None]
        try:
            out_types = opdef.infer(attrs, in_types)
        except ShapeError as e:
            raise ShapeError(f"node '{name}' ({op}): {e}") from None
        self._counter += 1
        label = name or f"{op}_{self._counter}"
        outs = [Value(f"{label}:{k}" if len(out_types) > 1 else label, t) for k, t in enumerate(out_types)]
        if all(v is None or v.is_const for v in inputs):  # no inputs (fills) fold too
            results = opdef.ref(attrs, [v.data if v is not None else None for v in inputs])
            for v, r in zip(outs, results):
                v.data = np.asarray(r, dtype=v.type.dtype.np).reshape(v.type.shape)
            return outs
        self.nodes.append(Node(op, list(inputs), outs, attrs, label))
        return outs

    def bind(self, node: onnx.NodeProto, outputs: list[Value]) -> None:
        """Names the ONNX node's outputs with the given values."""
        for name, v in zip(node.output, outputs):
            if name:
                if id(v) not in self._named:
                    v.name = name
                    self._named.add(id(v))
                self.values[name] = v

    def mark_named(self, v: Value) -> None:
        """`v` already has its final name (graph inputs, initializers)."""
        self._named.add(id(v))

    def alias(self, node: onnx.NodeProto, value: Value) -> None:
        """The ONNX node's single output is `value` itself (Identity-like)."""
        self.bind(node, [value])

    def unsupported(self, node: onnx.NodeProto, reason: str) -> EdgecError:
        return UnsupportedOpError(node.op_type, node.name or node.output[0], reason)
