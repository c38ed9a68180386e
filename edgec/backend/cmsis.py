"""The cmsis target: int8 kernels in the style of CMSIS-NN, one table entry per IR op.

`edgec.compile(..., target="cmsis")` emits these kernels (runtime_c/src/ecm_*.c) instead of the
portable ones wherever the table's rule accepts a node; every other node keeps its portable
kernel. The kernels carry Helium, DSP-extension and plain C paths chosen by the C compiler, so the
same files build for an M0+, an M4/M7/M33, an M55 and the host, all bit-exact with the simulator.
"""
from __future__ import annotations

from typing import Callable

from edgec.backend import cmsis_ops as ops
from edgec.backend.cmsis_ops import Kernel
from edgec.errors import EdgecError
from edgec.ir.graph import Graph, Node

# cmsis-w16: cmsis with the convolutions' weights also emitted pre-widened to int16 for the DSP
# path (M4/M7/M33, the M55 without Helium): no __sxtb16 in their inner loops, 10-25% fewer
# instructions there, for up to twice those weights' flash. Other cores compile the int8 form.
TARGETS = ("portable", "cmsis", "cmsis-w16")

# op -> rule(node, wide) -> Kernel, or None to keep the portable kernel for that node.
TABLE: dict[str, Callable[[Node, bool], Kernel | None]] = {
    "conv_s8": ops.select_conv,
    "depthwise_conv_s8": ops.select_dw,
    "fully_connected_s8": ops.select_fc,
    "conv_add_s8": ops.select_conv_add,
}


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise EdgecError(f"--target {target}: expected one of {', '.join(TARGETS)}")
    return target


def select_kernels(g: Graph, target: str) -> dict[int, Kernel]:
    """Node id -> the target's kernel for it; empty for the portable target."""
    if check_target(target) == "portable":
        return {}
    chosen, wide = {}, target == "cmsis-w16"
    for n in g.nodes:
        rule = TABLE.get(n.op)
        kernel = rule(n, wide) if rule is not None else None
        if kernel is not None:
            chosen[id(n)] = kernel
    return chosen
