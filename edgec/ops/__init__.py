"""Operator definitions. Importing this package registers every op in `base.REGISTRY`."""
from edgec.ops import base
from edgec.ops import elementwise, conv, pool, matmul, movement, reduce  # noqa: F401  (registration)

REGISTRY = base.REGISTRY
