"""Single-op float ONNX models whose int8 compilation uses one TFLite-expressible edgec op each.

Each case is (float ONNX model, input scale): the comparison compiles it with
calibration data, writes edgec's int8 graph as .tflite and runs the same integers through TFLM.
The NCHW models get the layout transposes of edgec's int8 graph as TFLite TRANSPOSE ops.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from tests.quant.s8_node import onnx_model

X = (1, 3, 9, 9)
_rng = np.random.default_rng(7)


def _w(*shape: int, scale: float = 0.3) -> np.ndarray:
    return (_rng.standard_normal(shape) * scale).astype(np.float32)


def _one(op: str, inits: dict | None = None, shapes: dict | None = None, **attrs) -> onnx.ModelProto:
    """Model y = op(*graph inputs, *inits) with graph inputs `shapes` (default x: X)."""
    inits = inits or {}
    shapes = shapes or {"x": X}
    node = helper.make_node(op, list(shapes) + list(inits), ["y"], **attrs)
    return onnx_model([node], shapes, inits)


def _chain(ops: list[tuple[str, list[str], dict]], inits: dict, shapes: dict | None = None) -> onnx.ModelProto:
    """Model of nodes (op, extra inputs, attrs), each reading the previous output; the last writes y."""
    nodes, prev = [], "x"
    for k, (op, extra, attrs) in enumerate(ops):
        out = "y" if k == len(ops) - 1 else f"t{k}"
        nodes.append(helper.make_node(op, [prev] + extra, [out], **attrs))
        prev = out
    return onnx_model(nodes, shapes or {"x": X}, inits)


def _conv(w_shape, **attrs) -> onnx.ModelProto:
    return _one("Conv", {"w": _w(*w_shape), "b": _w(w_shape[0], scale=0.1)}, **attrs)


def _binary(op: str, b_shape=X, const: bool = False) -> onnx.ModelProto:
    if const:
        return _one(op, {"b": _w(*b_shape, scale=1.0) + 0.5})
    return _one(op, shapes={"x": X, "b": b_shape})


def _ints(*v: int) -> np.ndarray:
    return np.array(v, np.int64)


def single_op_cases() -> dict[str, tuple[onnx.ModelProto, float]]:
    """name -> (model, input scale); inputs are normal(0, scale) plus a per-input offset."""
    two = {"x": X, "b": X}
    return {
        "conv_same": (_conv((8, 3, 3, 3), pads=[1, 1, 1, 1]), 1.0),
        "conv_stride2_valid": (_conv((6, 3, 3, 3), strides=[2, 2]), 1.0),
        "conv_stride2_same": (_conv((6, 3, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1]), 1.0),
        "conv_asymmetric_pads": (_conv((5, 3, 3, 2), pads=[0, 2, 1, 0]), 1.0),
        "conv_dilated": (_conv((4, 3, 3, 3), pads=[2, 2, 2, 2], dilations=[2, 2]), 1.0),
        "conv_relu": (_chain([("Conv", ["w", "b"], {"pads": [1, 1, 1, 1]}), ("Relu", [], {})],
                             {"w": _w(8, 3, 3, 3), "b": _w(8)}), 1.0),
        "conv_clip": (_chain([("Conv", ["w"], {}), ("Clip", ["lo", "hi"], {})],
                             {"w": _w(4, 3, 1, 1), "lo": np.float32(-0.2), "hi": np.float32(0.3)}), 1.0),
        "conv_grouped": (_one("Conv", {"w": _w(4, 2, 3, 3)}, shapes={"x": (1, 4, 7, 7)}, group=2, pads=[1, 1, 1, 1]),
                         1.0),
        "depthwise_conv": (_conv((3, 1, 3, 3), pads=[1, 1, 1, 1], group=3), 1.0),
        "depthwise_conv_multiplier2": (_conv((6, 1, 3, 3), strides=[2, 2], group=3), 1.0),
        "gemm": (_one("Gemm", {"w": _w(10, 16), "b": _w(10)}, shapes={"x": (2, 16)}, transB=1), 1.0),
        "matmul_rows": (_one("MatMul", {"w": _w(16, 7)}, shapes={"x": (1, 5, 16)}), 1.0),
        "batch_matmul": (_one("MatMul", shapes={"x": (2, 3, 8), "b": (2, 8, 5)}), 1.0),
        "max_pool_same": (_one("MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), 1.0),
        "max_pool_valid": (_one("MaxPool", kernel_shape=[2, 2], strides=[2, 2]), 1.0),
        "max_pool_ceil": (_one("MaxPool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1), 1.0),
        "avg_pool_same": (_one("AveragePool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), 1.0),
        "avg_pool_count_pad": (_one("AveragePool", kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1), 1.0),
        "global_avg_pool": (_one("GlobalAveragePool"), 1.0),
        "add": (_one("Add", shapes=two), 1.0),
        "sub": (_one("Sub", shapes=two), 1.0),
        "relu": (_one("Relu"), 1.0),
        "clip": (_one("Clip", {"lo": np.float32(-0.2), "hi": np.float32(0.3)}), 1.0),
        "add_broadcast_const": (_binary("Add", (3, 1, 1), const=True), 1.0),
        "mul": (_one("Mul", shapes=two), 1.0),
        "mul_broadcast": (_binary("Mul", (1, 3, 1, 9)), 1.0),
        "flatten": (_one("Flatten"), 1.0),
        "reduce_mean": (_one("ReduceMean", {"ax": _ints(2, 3)}, keepdims=1), 1.0),
        "reduce_mean_channels": (_one("ReduceMean", {"ax": _ints(1)}, keepdims=0), 1.0),
        "reduce_sum": (_one("ReduceSum", {"ax": _ints(1, 3)}), 1.0),
        "reduce_max": (_one("ReduceMax", {"ax": _ints(2)}, keepdims=0), 1.0),
        "sigmoid": (_one("Sigmoid"), 3.0),
        "tanh": (_one("Tanh"), 2.0),
        "softmax": (_one("Softmax", shapes={"x": (3, 10)}), 4.0),
        "log_softmax": (_one("LogSoftmax", shapes={"x": (3, 10)}), 4.0),
        "hard_swish": (_one("HardSwish"), 3.0),
        "leaky_relu": (_one("LeakyRelu", alpha=0.1), 1.0),
        "concat": (_one("Concat", shapes=two, axis=1), 1.0),
        "pad": (_one("Pad", {"p": _ints(0, 0, 1, 2, 0, 0, 2, 1), "v": np.float32(0.5)}), 1.0),
        "transpose": (_one("Transpose", perm=[0, 2, 3, 1]), 1.0),
        "slice": (_one("Slice", {"s": _ints(1, 2), "e": _ints(8, 9), "a": _ints(2, 3)}), 1.0),
        "slice_strided": (_one("Slice", {"s": _ints(0, 1), "e": _ints(9, 8), "a": _ints(2, 3), "st": _ints(2, 3)}),
                          1.0),
        "gather": (_one("Gather", {"i": _ints(2, 0, -1)}, axis=1), 1.0),
    }


def sample_feeds(model: onnx.ModelProto, scale: float, n: int, seed: int) -> list[dict[str, np.ndarray]]:
    """n feeds of normal(0, scale) data plus a per-input offset (so zero points differ)."""
    rng = np.random.default_rng(seed)
    shapes = {vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim) for vi in model.graph.input}
    return [{k: (rng.standard_normal(s) * scale + 0.3 * (i + 1)).astype(np.float32)
             for i, (k, s) in enumerate(shapes.items())} for _ in range(n)]
