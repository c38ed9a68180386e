"""The ONNX op-type -> importer table, filled by importing each family's module."""
from edgec.frontend import onnx_elementwise, onnx_conv, onnx_pool, onnx_matmul, onnx_movement, onnx_reduce  # noqa: F401
from edgec.frontend.importer import IMPORTERS

__all__ = ["IMPORTERS"]
