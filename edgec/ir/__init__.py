"""The IR: a small typed graph shared by front ends, passes, the simulator and the back ends."""
from edgec.ir.graph import DType, Graph, Node, QParams, TensorType, Value

__all__ = ["DType", "Graph", "Node", "QParams", "TensorType", "Value"]
