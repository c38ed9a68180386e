"""Random int8 layers for the cmsis tests: IR graphs of conv_s8 / depthwise_conv_s8 /
fully_connected_s8 / conv_add_s8 nodes with random weights, biases, offsets, multipliers, shifts
and clamps, and random int8 feeds. The integer simulator is the oracle."""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value
from edgec.ops import base
from edgec.ops.conv_add_s8 import ConvAddS8Attrs
from edgec.ops.conv_s8 import ConvS8Attrs
from edgec.ops.elementwise_s8 import AddS8Attrs
from edgec.ops.matmul_s8 import FullyConnectedS8Attrs


def _i8(name: str, shape, zp: int = 0) -> Value:
    return Value(name, TensorType(tuple(shape), DType.I8, QParams((0.05,), (zp,))))


def _const(name: str, data: np.ndarray) -> Value:
    return Value(name, TensorType(tuple(data.shape), DType.from_np(data.dtype)), np.ascontiguousarray(data))


def _rescale(rng, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-channel Q31 multipliers in [2^30, 2^31) and shifts mostly right, sometimes left, with
    exact powers of two among them (the rounding ties of the shift)."""
    m = rng.integers(1 << 30, (1 << 31) - 1, n)
    m[rng.random(n) < 0.2] = 1 << 30
    s = rng.integers(-12, -6, n)
    s[rng.random(n) < 0.1] = rng.integers(0, 2)
    s[rng.random(n) < 0.05] = -1
    s[rng.random(n) < 0.05] = -31
    return tuple(int(v) for v in m), tuple(int(v) for v in s)


def _clamp(rng) -> tuple[int, int]:
    return [(-128, 127), (-128, 127), (int(rng.integers(-128, -60)), int(rng.integers(40, 128)))][rng.integers(3)]


def _weights(rng, shape) -> np.ndarray:
    return rng.integers(-127, 128, shape).astype(np.int8)


def conv_node(rng, x: Value, oc: int, kernel, strides=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1),
              depthwise: bool = False, bias: bool = True, name: str = "c", in_zp: int | None = None) -> Node:
    """conv_s8 (OHWI weights) or depthwise_conv_s8 ([1, KH, KW, OC]) reading x (NHWC)."""
    ic = x.shape[3]
    if depthwise:
        w = _const(f"{name}_w", _weights(rng, (1, *kernel, oc)))
    else:
        w = _const(f"{name}_w", _weights(rng, (oc, *kernel, ic)))
    b = _const(f"{name}_b", rng.integers(-40000, 40000, oc).astype(np.int32)) if bias else None
    mult, shift = _rescale(rng, oc)
    zp = x.type.qparams.zero_point[0] if in_zp is None else in_zp
    lo, hi = _clamp(rng)
    a = ConvS8Attrs(tuple(kernel), tuple(strides), tuple(pads), tuple(dil), ic if depthwise else 1, -zp,
                    int(rng.integers(-128, 128)), mult, shift, 0.05, lo, hi)
    op = "depthwise_conv_s8" if depthwise else "conv_s8"
    t = base.get(op).infer(a, [x.type, w.type] + ([b.type] if b is not None else []))[0]
    return Node(op, [x, w, b], [Value(f"{name}_y", t)], a, name)


def fc_node(rng, x: Value, n: int, bias: bool = True, name: str = "f") -> Node:
    k = x.shape[-1]
    w = _const(f"{name}_w", _weights(rng, (n, k)))
    b = _const(f"{name}_b", rng.integers(-40000, 40000, n).astype(np.int32)) if bias else None
    mult, shift = _rescale(rng, n)
    lo, hi = _clamp(rng)
    a = FullyConnectedS8Attrs(-x.type.qparams.zero_point[0], int(rng.integers(-128, 128)), mult, shift, 0.05, lo, hi)
    t = base.get("fully_connected_s8").infer(a, [x.type, w.type] + ([b.type] if b is not None else []))[0]
    return Node("fully_connected_s8", [x, w, b], [Value(f"{name}_y", t)], a, name)


def conv_add_node(rng, x: Value, r: Value, kernel, pads, conv_first: bool, name: str = "ca") -> Node:
    """conv_add_s8: conv of x (3x3-like) plus residual r (shape of the conv output)."""
    conv = conv_node(rng, x, r.shape[3], kernel, pads=pads, name=name)
    add = AddS8Attrs(int(rng.integers(-128, 128)), r.type.qparams.zero_point[0], int(rng.integers(-128, 128)),
                     int(rng.integers(1 << 30, 1 << 31)), -1, int(rng.integers(1 << 30, 1 << 31)), -2,
                     int(rng.integers(1 << 30, 1 << 31)), -19, 0.05)
    a = ConvAddS8Attrs(conv.attrs, add, conv_first)
    ins = [r, *conv.inputs]
    t = base.get("conv_add_s8").infer(a, [v.type for v in ins if v is not None])[0]
    return Node("conv_add_s8", ins, [Value(f"{name}_y", t)], a, name)


def graph(inputs: list[Value], nodes: list[Node]) -> Graph:
    return Graph("t", inputs, [nodes[-1].outputs[0]], nodes)


def feeds(rng, g: Graph) -> dict[str, np.ndarray]:
    return {v.name: rng.integers(-128, 128, v.shape).astype(np.int8) for v in g.inputs}


def input_value(rng, shape, name: str = "x") -> Value:
    return _i8(name, shape, int(rng.integers(-128, 128)))
