"""The quantization pass: optimised float graph + calibrated ranges -> int8 graph.

Each float op's OpDef.quantize rule rewrites one node into int8 node(s) through QuantContext.
An op without a rule is an error, unless the caller allows float islands: then its inputs are
dequantized, the float op runs as is, and its outputs are quantized again; every island is
listed in the result so the report can show it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgec.errors import DataError, EdgecError, UnsupportedOpError
from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.quant_io import AffineAttrs, RequantizeAttrs
from edgec.quant.calibrate import Ranges
from edgec.quant.qparams import activation_qparams, quantize_bias, weight_per_channel


@dataclass
class QuantResult:
    graph: Graph
    float_islands: list[str] = field(default_factory=list)   # "op name" of every float node kept


class QuantContext:
    """What a `quantize` rule uses: int8 twins of float values, new int8 values and nodes."""

    def __init__(self, ranges: Ranges | None):
        self.ranges = ranges                  # None: not calibrated (a pre-quantized model)
        self.qmap: dict[int, Value] = {}      # float value id -> int8 value
        self.nodes: list[Node] = []
        self.node: Node | None = None         # the float node being quantized

    # -- parameters ------------------------------------------------------------------------
    def qparams(self, v: Value) -> QParams:
        """Activation qparams of float value `v`: the model's own when it gives them (a
        pre-quantized model's QuantizeLinear, kept on the float value), else calibrated."""
        given = v.type.qparams
        if given is not None and given.axis is None and v.type.dtype == DType.F32:
            return given
        if v.is_const:
            d = v.data.astype(np.float64)
            lo, hi = float(d.min(initial=0.0)), float(d.max(initial=0.0))
        else:
            lo, hi = self._calibrated(v)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise DataError(f"'{v.name}' has a non-finite range [{lo}, {hi}] (inf or NaN in the data or "
                            "the model); it cannot be quantized")
        return activation_qparams(lo, hi)

    def _calibrated(self, v: Value) -> tuple[float, float]:
        if self.ranges is None:
            raise EdgecError(f"'{v.name}' has no quantization parameters in the model (no QuantizeLinear on it); "
                             "give calibration data (--calib CALIB.npz) to choose them")
        if id(v) not in self.ranges:
            raise UnsupportedOpError(self.node.op if self.node else "?", self.node.name if self.node else "?",
                                     f"no calibrated range for '{v.name}'")
        return self.ranges[id(v)]

    # -- values ----------------------------------------------------------------------------
    def q(self, v: Value) -> Value:
        """The int8 twin of float value `v` (constants are quantized per tensor on demand)."""
        if id(v) not in self.qmap:
            if not v.is_const:
                raise UnsupportedOpError(self.node.op, self.node.name, f"'{v.name}' has no int8 twin")
            from edgec.quant.qparams import quantize_array
            qp = self.qparams(v)
            self.qmap[id(v)] = Value(f"{v.name}_q", TensorType(v.shape, DType.I8, qp), quantize_array(v.data, qp))
        return self.qmap[id(v)]

    def output(self, float_out: Value, qparams: QParams | None = None, dtype: DType = DType.I8) -> Value:
        """A new int8 value standing for `float_out` (calibrated qparams unless given)."""
        qp = qparams if qparams is not None else self.qparams(float_out)
        v = Value(float_out.name, TensorType(float_out.shape, dtype, qp))
        self.qmap[id(float_out)] = v
        return v

    def const(self, data: np.ndarray, name: str, qparams: QParams | None = None) -> Value:
        arr = np.ascontiguousarray(data)
        return Value(name, TensorType(tuple(arr.shape), DType.from_np(arr.dtype), qparams), arr)

    def weights(self, w: Value, axis: int = 0) -> tuple[Value, np.ndarray]:
        """Symmetric per-channel int8 weights along `axis`, and their float scales: the model's
        own scales when it gives symmetric ones, else max |w| / 127 per channel."""
        axis %= w.type.rank
        scales = _given_scales(w, axis)
        if scales is None:
            q, scales = weight_per_channel(w.data, axis)
        else:   # w holds q * scale exactly (a DequantizeLinear's output): q comes back
            shape = [1] * w.type.rank
            shape[axis] = -1
            q = np.clip(np.round(w.data / scales.reshape(shape).astype(np.float64)), -128, 127).astype(np.int8)
        qp = QParams(tuple(float(s) for s in scales), (0,) * len(scales), axis)
        return self.const(q, f"{w.name}_q", qp), scales

    def bias(self, b: Value | None, input_scale: float, weight_scales: np.ndarray, name: str) -> Value:
        """int32 bias (zeros when absent) with scale input_scale * weight_scale[c]."""
        data = np.zeros(len(weight_scales), np.float32) if b is None else b.data.reshape(-1)
        q = quantize_bias(data, input_scale, weight_scales)
        scales = tuple(float(input_scale * s) for s in weight_scales)
        return self.const(q, f"{name}_bias_q", QParams(scales, (0,) * len(scales), 0))

    # -- nodes -----------------------------------------------------------------------------
    def add(self, op: str, inputs: list[Value | None], outputs: list[Value], attrs: Any = None,
            name: str | None = None) -> Node:
        n = Node(op, inputs, outputs, attrs if attrs is not None else base.NoAttrs(),
                 name or (self.node.name if self.node else op))
        self.nodes.append(n)
        return n


def _given_scales(w: Value, axis: int) -> np.ndarray | None:
    """Scales [C] along `axis` from the model's symmetric (zero point 0) parameters of w, if any."""
    qp = w.type.qparams
    if qp is None or w.type.dtype != DType.F32 or any(z != 0 for z in qp.zero_point):
        return None
    if qp.axis is None:
        return np.full(w.shape[axis], qp.scale[0], np.float32)
    if qp.axis != axis or len(qp.scale) != w.shape[axis]:
        return None
    return np.asarray(qp.scale, np.float32)


def _float_island(qctx: QuantContext, n: Node) -> None:
    """Runs float node `n` between dequantize and quantize nodes."""
    ins = []
    for v in n.inputs:
        if v is None or v.is_const or v.type.dtype != DType.F32:
            ins.append(v)
            continue
        fv = Value(f"{v.name}_dq", TensorType(v.shape, DType.F32))
        qv = qctx.q(v)
        qctx.add("dequantize", [qv], [fv], AffineAttrs(qv.type.qparams.scale[0], qv.type.qparams.zero_point[0]),
                 name=f"{n.name}_dq")
        ins.append(fv)
    outs = [Value(f"{o.name}_f", TensorType(o.shape, o.type.dtype)) for o in n.outputs]
    qctx.add(n.op, ins, outs, n.attrs, n.name)
    for o, fo in zip(n.outputs, outs):
        qo = qctx.output(o)
        qctx.add("quantize", [fo], [qo], AffineAttrs(qo.type.qparams.scale[0], qo.type.qparams.zero_point[0]),
                 name=f"{n.name}_q")


def _keep_given_qparams(qctx: QuantContext, n: Node) -> None:
    """A pre-quantized model's own output parameters win: an int8 result its rule gave other
    ones (avg pool keeps its input's, logistic has fixed ones) is requantized to the model's."""
    for o in n.outputs:
        given, q = o.type.qparams, qctx.qmap.get(id(o))
        if given is None or given.axis is not None or o.type.dtype != DType.F32 or q is None \
                or q.type.dtype != DType.I8 or q.type.qparams == given:
            continue
        v = Value(o.name, TensorType(o.shape, DType.I8, given))
        q.name = f"{o.name}_own_qparams"
        qctx.add("requantize", [q], [v], RequantizeAttrs.between(q.type.qparams, given), name=f"{n.name}_requant")
        qctx.qmap[id(o)] = v


def quantize_graph(g: Graph, ranges: Ranges | None, allow_float: bool = False) -> QuantResult:
    """int8 graph of float graph `g` (optimised, NHWC) with calibrated `ranges` (None: every
    value that needs them must carry the model's own qparams)."""
    qctx = QuantContext(ranges)
    inputs = []
    for v in g.inputs:
        if v.type.dtype == DType.F32:
            inputs.append(qctx.output(v))
        else:
            qctx.qmap[id(v)] = v
            inputs.append(v)
    islands = []
    for n in g.nodes:
        qctx.node = n
        rule = base.get(n.op).quantize
        if rule is not None and rule(qctx, n) is not False:
            _keep_given_qparams(qctx, n)
            continue
        if not allow_float:
            raise UnsupportedOpError(n.op, n.name, "no int8 kernel; pass --float-ops to keep it in float32")
        _float_island(qctx, n)
        islands.append(f"{n.op} {n.name}")
    outputs = [qctx.q(v) for v in g.outputs]
    return QuantResult(Graph(g.name, inputs, outputs, qctx.nodes), islands)
