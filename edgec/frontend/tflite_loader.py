"""TensorFlow Lite flatbuffer -> edgec IR: int8 models keep their own quantization exactly, float
models become edgec's float ops.

A quantized .tflite is already what edgec's int8 pass produces: NHWC activations, OHWI conv
weights, [1, KH, KW, OC] depthwise weights, int8 weights and int32 biases with their scales.
So every TFLite operator becomes edgec's int8 op(s) directly (table in `tflite_ops`), with the
integer parameters computed from the file's scales and zero points the way TFLite Micro's
Prepare computes them; weights and biases are used as stored. No calibration is involved.

A float model (no int8/uint8/int16 tensor at all) is converted by `tflite_float` into the float
IR, already NHWC (channels_last=True, OHWI weights), and then compiles like an imported ONNX
model: the float passes, and for quant="int8" calibration and the quantization pass.

The flatbuffer is read with the `tflite` package (a flatc-generated reader of the schema).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgec.backend.names import c_identifier
from edgec.errors import EdgecError, ModelLoadError, ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops.base import Activation

# tflite.TensorType codes -> edgec dtypes (the element types an int8 model uses)
_DTYPES = {0: DType.F32, 2: DType.I32, 3: DType.U8, 4: DType.I64, 6: DType.BOOL, 7: DType.I16, 9: DType.I8}

_QUANTIZED_TYPES = (3, 7, 9)   # UINT8, INT16, INT8: a model with any such tensor is quantized

Converter = Callable[["TfliteContext", "TfliteOp"], None]
CONVERTERS: dict[str, Converter] = {}         # int8 models
FLOAT_CONVERTERS: dict[str, Converter] = {}   # float32 models


def converter(*names: str, table: dict[str, Converter] | None = None):
    """Registers the decorated function as the converter of TFLite builtin operators `names`
    (in `table`, default the int8 CONVERTERS)."""
    target = CONVERTERS if table is None else table

    def deco(fn: Converter) -> Converter:
        for n in names:
            target[n] = fn
        return fn
    return deco


def supported_ops(float_model: bool = False) -> list[str]:
    from edgec.frontend import tflite_float, tflite_ops  # noqa: F401  (fill the tables)
    return sorted(FLOAT_CONVERTERS if float_model else CONVERTERS)


@dataclass
class TfliteOp:
    """One operator of the subgraph: builtin name, tensor indices (-1: absent), options table."""

    kind: str
    inputs: list[int]
    outputs: list[int]
    raw: Any            # the tflite.Operator
    name: str           # its first output tensor's name: how errors and the IR name the node

    def options(self, cls: type) -> Any:
        """The builtin options as `cls` (e.g. tflite.Conv2DOptions), or None when absent."""
        table = self.raw.BuiltinOptions()
        if table is None:
            return None
        o = cls()
        o.Init(table.Bytes, table.Pos)
        return o


class TfliteContext:
    """What a converter uses: the file's tensors as IR values, new values and nodes."""

    def __init__(self, model: Any, subgraph: Any, data: bytes):
        self.model, self.sg, self.data = model, subgraph, data
        self.values: dict[int, Value] = {}
        self.nodes: list[Node] = []
        self.op: TfliteOp | None = None
        self._counter = 0

    # -- the file's tensors --------------------------------------------------------------------
    def tensor(self, i: int) -> Any:
        return self.sg.Tensors(i)

    def name(self, i: int) -> str:
        return self.tensor(i).Name().decode(errors="replace")

    def dtype(self, i: int) -> DType:
        code = self.tensor(i).Type()
        if code not in _DTYPES:
            raise self.unsupported(f"tensor '{self.name(i)}' has TFLite element type {code}")
        return _DTYPES[code]

    def shape(self, i: int) -> tuple[int, ...]:
        t = self.tensor(i)
        return tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()

    def qparams(self, i: int) -> QParams | None:
        """The tensor's scales and zero points (per channel along quantized_dimension when more
        than one scale), as float32 values widened exactly to Python floats."""
        q = self.tensor(i).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        scale = tuple(float(s) for s in q.ScaleAsNumpy())
        zp = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else (0,) * len(scale)
        if len(zp) == 1 and len(scale) > 1:
            zp = zp * len(scale)
        return QParams(scale, zp, int(q.QuantizedDimension()) if len(scale) > 1 else None)

    def buffer(self, i: int) -> np.ndarray | None:
        """The constant data of tensor i, or None when it has none (a run-time tensor)."""
        t = self.tensor(i)
        buf = self.model.Buffers(t.Buffer())
        if buf is None:
            return None
        if buf.Offset() > 1:   # large models keep buffers after the flatbuffer
            raw = self.data[buf.Offset():buf.Offset() + buf.Size()]
        elif buf.DataLength():
            raw = buf.DataAsNumpy().tobytes()
        else:
            return None
        arr = np.frombuffer(raw, self.dtype(i).np).copy()
        return arr.reshape(self.shape(i))

    def value(self, i: int) -> Value | None:
        """The IR value of tensor i (constants are created on first use); None for -1."""
        if i < 0:
            return None
        if i not in self.values:
            data = self.buffer(i)
            if data is None:
                raise EdgecError(f"tensor '{self.name(i)}' is read before any operator writes it")
            self.values[i] = Value(self.name(i), TensorType(self.shape(i), self.dtype(i), self.qparams(i)), data)
        return self.values[i]

    def const(self, i: int, what: str) -> np.ndarray:
        """The constant data of tensor i (an operator's shape, axes, weights...); error if run-time."""
        v = self.value(i)
        if v is None or not v.is_const:
            raise self.unsupported(f"{what} must be a constant tensor")
        return v.data

    def output(self, i: int) -> Value:
        """A new IR value for output tensor i, with the file's shape, type and qparams."""
        v = Value(self.name(i), TensorType(self.shape(i), self.dtype(i), self.qparams(i)))
        self.values[i] = v
        return v

    def temp(self, like: Value, shape: tuple[int, ...], suffix: str) -> Value:
        """An intermediate value with `like`'s element type and qparams."""
        self._counter += 1
        t = TensorType(tuple(shape), like.type.dtype, like.type.qparams)
        return Value(f"{like.name}_{suffix}{self._counter}", t)

    # -- nodes ---------------------------------------------------------------------------------
    def add(self, op: str, inputs: list[Value | None], outputs: list[Value], attrs: Any) -> Node:
        from edgec.ops import base
        n = Node(op, inputs, outputs, attrs if attrs is not None else base.NoAttrs(), self.op.name if self.op else op)
        self.nodes.append(n)
        return n

    def unsupported(self, reason: str) -> UnsupportedOpError:
        op = self.op
        return UnsupportedOpError(op.kind if op else "?", op.name if op else "?", reason)


# -- fused activations ---------------------------------------------------------------------------
_FUSED = {0: None, 1: Activation("relu"), 2: Activation("clip", -1.0, 1.0), 3: Activation("clip", 0.0, 6.0)}


def fused_activation(ctx: TfliteContext, code: int) -> Activation | None:
    """TFLite's fused_activation_function as an edgec clamp activation (TANH/SIGN_BIT: error)."""
    if code not in _FUSED:
        raise ctx.unsupported(f"fused activation function {code}")
    return _FUSED[code]


# -- the whole model -----------------------------------------------------------------------------
def _builtin_names() -> dict[int, str]:
    import tflite
    return {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


def _operators(ctx: TfliteContext) -> list[TfliteOp]:
    names = _builtin_names()
    ops = []
    for k in range(ctx.sg.OperatorsLength()):
        raw = ctx.sg.Operators(k)
        code = ctx.model.OperatorCodes(raw.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        kind = names.get(builtin, f"builtin {builtin}")
        if kind == "CUSTOM":
            kind = f"CUSTOM {code.CustomCode().decode(errors='replace') if code.CustomCode() else '?'}"
        ins = [int(i) for i in raw.InputsAsNumpy()] if raw.InputsLength() else []
        outs = [int(i) for i in raw.OutputsAsNumpy()] if raw.OutputsLength() else []
        ops.append(TfliteOp(kind, ins, outs, raw, ctx.name(outs[0]) if outs else f"op{k}"))
    return ops


def _parse(data: bytes) -> tuple[Any, Any]:
    import tflite
    try:
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ValueError("no TFL3 file identifier")
        model = tflite.Model.GetRootAsModel(data, 0)
        if model.SubgraphsLength() < 1:
            raise ValueError("no subgraph")
        return model, model.Subgraphs(0)
    except (ValueError, IndexError, TypeError) as e:
        raise ModelLoadError(f"not a readable .tflite flatbuffer: {e}") from None


def is_float_model(sg: Any) -> bool:
    """True when no tensor of the subgraph is quantized (int8, uint8, int16): a float model."""
    return all(sg.Tensors(i).Type() not in _QUANTIZED_TYPES for i in range(sg.TensorsLength()))


def import_tflite(data: bytes, name: str = "model") -> Graph:
    """The IR graph of .tflite bytes (first subgraph; the others are only reachable through
    control-flow ops, which are unsupported)."""
    from edgec.frontend import tflite_float, tflite_ops  # noqa: F401  (fill the tables)
    model, sg = _parse(bytes(data))
    ctx = TfliteContext(model, sg, bytes(data))
    table = FLOAT_CONVERTERS if is_float_model(sg) else CONVERTERS
    inputs = []
    for i in sg.InputsAsNumpy():
        if ctx.buffer(int(i)) is not None:
            continue   # some converters list constant tensors as inputs
        v = ctx.output(int(i))
        if any(d <= 0 for d in v.shape):
            raise ShapeError(f"input '{v.name}' has an unknown dimension {list(v.shape)}")
        inputs.append(v)
    for op in _operators(ctx):
        ctx.op = op
        fn = table.get(op.kind)
        if fn is None:
            raise UnsupportedOpError(op.kind, op.name, "no TFLite converter", supported=sorted(table))
        fn(ctx, op)
    ctx.op = None
    outputs = [ctx.value(int(i)) for i in sg.OutputsAsNumpy()]
    return Graph(c_identifier(name), inputs, outputs, ctx.nodes)


def load_tflite(path: str | Path) -> Graph:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ModelLoadError(f"cannot read {p}: {e.strerror}") from None
    return import_tflite(data, p.stem)
