"""Helpers of the int8 kernel tests: single-node ONNX models, random feeds, one int8 IR node in C."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops import base


def onnx_model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]], inits: dict[str, np.ndarray],
               output: str = "y") -> onnx.ModelProto:
    """A float model of `nodes` with graph inputs `inputs`, initializers `inits` and one output."""
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(s))
                                       for k, s in inputs.items()],
                          [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    return m


def feeds(inputs: dict[str, tuple[int, ...]], n: int, seed: int) -> list[dict[str, np.ndarray]]:
    """n samples of smooth-ish random data (normal, with a per-input offset so zero points vary)."""
    rng = np.random.default_rng(seed)
    return [{k: (rng.standard_normal(s) + 0.3 * (i + 1)).astype(np.float32) for i, (k, s) in enumerate(inputs.items())}
            for _ in range(n)]


def int8_value(name: str, shape: tuple[int, ...], scale: float = 0.05, zp: int = 0) -> Value:
    return Value(name, TensorType(tuple(shape), DType.I8, QParams((scale,), (zp,))))


def const(name: str, data: np.ndarray) -> Value:
    return Value(name, TensorType(tuple(data.shape), DType.from_np(data.dtype)), np.ascontiguousarray(data))


def run_node(op: str, inputs: list[Value | None], attrs,
             arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Output of one int8 node through its integer reference and through its C kernel (built
    straight from the node, no passes): (reference, C)."""
    out_t = base.get(op).infer(attrs, [v.type for v in inputs if v is not None])[0]
    y = Value("y", out_t)
    g = Graph("t", [v for v in inputs if v is not None and not v.is_const], [y], [Node(op, inputs, [y], attrs, "n")])
    args = [None if v is None else (v.data if v.is_const else arrays[v.name]) for v in inputs]
    ref = base.get(op).ref(attrs, args)[0]
    src = emit_c(g, "t")
    got = CompiledModel(src.signature(), build_shared(src.files)).run(arrays)["y"]
    return np.asarray(ref).reshape(got.shape), got
