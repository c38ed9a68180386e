"""edgec int8 IR graph -> int8 .tflite flatbuffer, so TensorFlow Lite Micro can run the same model.

    data = write_tflite(edgec.compile(model, quant="int8", calib=...).graph)

The TFLite model has the IR graph's inputs and outputs (same order, shapes, int8 qparams), one
tensor per IR value and the TFLite operator(s) of every node (see tflite_ops.MAPPERS). Nodes
without a TFLite equivalent raise TfliteWriteError naming the node and its op.
"""
from __future__ import annotations

from pathlib import Path

from edgec.ir.graph import Graph
from tests.tflm.tflite_model import ModelBuilder, TfliteWriteError
from tests.tflm.tflite_ops import MAPPERS

SUPPORTED_OPS = tuple(sorted(MAPPERS))

__all__ = ["SUPPORTED_OPS", "TfliteWriteError", "write_tflite", "write_tflite_file"]


def write_tflite(g: Graph) -> bytes:
    """The .tflite bytes of int8 IR graph `g`."""
    b = ModelBuilder(g.name)
    ins = [b.value(v) for v in g.inputs]
    for v in g.outputs:
        if v.is_const or any(v is i for i in g.inputs):
            raise TfliteWriteError(f"graph output '{v.name}' is not computed by an operator")
    for n in g.nodes:
        mapper = MAPPERS.get(n.op)
        if mapper is None:
            raise TfliteWriteError(f"node '{n.name}': op '{n.op}' has no TFLite mapping "
                                   f"(supported: {', '.join(SUPPORTED_OPS)})")
        mapper(b, n)
    return b.finish(ins, [b.value(v) for v in g.outputs])


def write_tflite_file(g: Graph, path: str | Path) -> Path:
    out = Path(path)
    out.write_bytes(write_tflite(g))
    return out
