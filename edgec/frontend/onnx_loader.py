"""ONNX model file -> IR graph (NCHW, as the model says; the layout pass makes it NHWC).

Normalises first: local functions inlined, opsets below 13 converted up with onnx's version
converter, symbolic dims fixed from --input-shape. Then each node goes through its importer.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
import onnx.inliner
import onnx.version_converter
from onnx import numpy_helper

from edgec.errors import ModelLoadError, ShapeError, UnsupportedOpError
from edgec.frontend.importer import IMPORTERS, ImportContext
from edgec.frontend import onnx_ops  # noqa: F401  (fills IMPORTERS)
from edgec.frontend.onnx_ml_common import ML, api_info
from edgec.ir.graph import DType, Graph, TensorType, Value

MIN_OPSET = 13
# IEEE float inputs are all computed in float32; bfloat16 and the float8 types are refused.
_ONNX_FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16}
_ONNX_INTS = {onnx.TensorProto.INT64: DType.I64, onnx.TensorProto.INT32: DType.I32,
              onnx.TensorProto.INT8: DType.I8, onnx.TensorProto.UINT8: DType.U8,
              onnx.TensorProto.INT16: DType.I16, onnx.TensorProto.BOOL: DType.BOOL}


def read_model(path: str) -> onnx.ModelProto:
    """Parses and checks an ONNX file, with an error that says what is wrong with it."""
    if not os.path.isfile(path):
        raise ModelLoadError(f"{path}: no such file")
    try:
        model = onnx.load(path)
    except Exception as e:  # protobuf raises DecodeError, RuntimeError, ... on bad bytes
        raise ModelLoadError(f"{path}: not a readable ONNX model ({type(e).__name__}: {str(e)[:120]})") from None
    if not model.graph.node and not model.graph.output:
        raise ModelLoadError(f"{path}: not an ONNX model (no graph found; truncated or another format?)")
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise ModelLoadError(f"{path}: invalid ONNX model: {str(e).splitlines()[0][:200]}") from None
    return model


def default_opset(model: onnx.ModelProto) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return MIN_OPSET


def normalise(model: onnx.ModelProto) -> onnx.ModelProto:
    """Inline local functions and bring the default-domain opset up to MIN_OPSET."""
    if model.functions:
        model = onnx.inliner.inline_local_functions(model)
    if default_opset(model) < MIN_OPSET:
        legacy_resize = default_opset(model) < 11
        try:
            model = onnx.version_converter.convert_version(model, MIN_OPSET)
        except Exception as e:
            raise ModelLoadError(f"cannot convert opset {default_opset(model)} to {MIN_OPSET}: {str(e)[:200]}") from None
        if legacy_resize:
            from edgec.frontend.onnx_resize import restore_legacy_resize
            restore_legacy_resize(model)
    return model


def _elem_dtype(elem: int, name: str) -> DType:
    if elem in _ONNX_FLOATS:
        return DType.F32
    if elem in _ONNX_INTS:
        return _ONNX_INTS[elem]
    raise UnsupportedOpError("graph input", name, f"element type {onnx.TensorProto.DataType.Name(elem)}")


def _input_shape(vi: onnx.ValueInfoProto, overrides: dict[str, tuple[int, ...]],
                 one_row: bool = False) -> tuple[int, ...]:
    """one_row: a symbolic first dim is 1 (ONNX-ML models take [rows, features]; edgec runs one)."""
    if vi.name in overrides:
        return tuple(overrides[vi.name])
    if not vi.type.tensor_type.HasField("shape"):
        raise ShapeError(f"input '{vi.name}' has no shape; give it with --input-shape {vi.name}=1x3x32x32")
    dims = []
    for k, d in enumerate(vi.type.tensor_type.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(d.dim_value)
        elif one_row and k == 0:
            dims.append(1)
        else:
            sym = d.dim_param or "?"
            raise ShapeError(f"input '{vi.name}' has symbolic dim '{sym}'; fix it with "
                             f"--input-shape {vi.name}=AxBxC")
    return tuple(dims)


def import_onnx(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None,
                name: str = "model") -> Graph:
    """Builds the IR graph of a (normalised) ONNX model."""
    overrides = dict(input_shapes or {})
    model = normalise(model)
    ctx = ImportContext(default_opset(model))
    g = model.graph
    ml_ops = [n.op_type for n in g.node if n.domain == ML]
    for t in g.initializer:
        if t.data_type == onnx.TensorProto.STRING:   # class names: read by the ONNX-ML importers
            ctx.strings[t.name] = numpy_helper.to_array(t).astype(str)
            continue
        try:
            ctx.values[t.name] = ctx.const(numpy_helper.to_array(t), t.name)
        except (TypeError, ValueError) as e:
            raise UnsupportedOpError("initializer", t.name, f"element type {onnx.TensorProto.DataType.Name(t.data_type)} "
                                     f"({str(e)[:80]})") from None
        ctx.mark_named(ctx.values[t.name])
    graph_inputs = [vi.name for vi in g.input if vi.name not in ctx.values]
    unknown = set(overrides) - set(graph_inputs)
    if unknown:
        raise ShapeError(f"--input-shape names no model input: {', '.join(sorted(unknown))} "
                         f"(inputs: {', '.join(graph_inputs)})")
    inputs = []
    for vi in g.input:
        if vi.name in ctx.values:
            continue
        v = Value(vi.name, TensorType(_input_shape(vi, overrides, bool(ml_ops)), _elem_dtype(vi.type.tensor_type.elem_type, vi.name)))
        ctx.values[vi.name] = v
        ctx.mark_named(v)
        inputs.append(v)
    for node in g.node:
        default_domain = node.domain in ("", "ai.onnx")
        fn = IMPORTERS.get(node.op_type if default_domain else f"{node.domain}.{node.op_type}")
        if fn is None and not default_domain:   # a few contrib ops (com.microsoft.QLinearAdd) are known
            raise UnsupportedOpError(f"{node.domain}.{node.op_type}", node.name or node.output[0],
                                     "custom domain", sorted(IMPORTERS))
        if fn is None:
            raise UnsupportedOpError(node.op_type, node.name or node.output[0], "", sorted(IMPORTERS))
        for i in node.input:
            if i and i not in ctx.values and i not in ctx.strings:
                raise ModelLoadError(f"node '{node.name}': input '{i}' is not defined before use")
        fn(ctx, node)
    raw = [ctx.values[o.name] for o in g.output]
    outputs = []
    for o in g.output:
        v = ctx.values[o.name]
        if v.name != o.name or v in outputs:  # aliased (e.g. a float Cast): give it its own name
            v = ctx.emit("identity", [v], None, o.name)[0] if not v.is_const else ctx.const(v.data, o.name)
            v.name = o.name
        outputs.append(v)
    graph = Graph(name, inputs, outputs, ctx.nodes)
    if ml_ops and len(inputs) == 1:
        graph.api = api_info(ctx, raw, ml_ops, inputs[0].type.size)
    return graph


def load_onnx(path: str, input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    from edgec.backend.names import c_identifier
    stem = os.path.splitext(os.path.basename(path))[0]
    return import_onnx(read_model(path), input_shapes, c_identifier(stem))
