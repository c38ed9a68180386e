"""The ONNX op-type -> importer table, filled by importing each family's module."""
from edgec.frontend import (onnx_elementwise, onnx_conv, onnx_pool, onnx_matmul, onnx_movement,  # noqa: F401
                            onnx_reduce, onnx_qdq, onnx_ml)
from edgec.frontend.importer import IMPORTERS

__all__ = ["IMPORTERS"]
