"""conv_add_s8: an int8 convolution whose output goes straight into a residual add_s8.

y = add_s8(conv_s8(x, w, bias), r) (or add_s8(r, conv_s8(...)): the operand order is kept, since
the add's two input rescalings differ). Bit-exact with the two ops by construction: the integer
ref calls their refs, and the C kernel runs the existing ec_conv2d_s8 one output row at a time
into a scratch row, then ec_add_s8 on that row against r's row. The conv output never exists
whole, and y may take over r's buffer (inputs: [r, x, w, bias]; r is input 0, the one the
planner reuses in place), so a residual block's peak drops from three tensors to two.
Built only by edgec.passes.fuse_conv_add.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError
from edgec.ir.graph import DType, QParams, TensorType
from edgec.ops import base
from edgec.ops.base import OpDef, register
from edgec.ops.conv_s8 import CONV_S8_KALIGN, ConvS8Attrs, _conv_scratch, _macs, _params, pad_rows, \
    require_int8, round_up
from edgec.ops.elementwise import MAX_RANK
from edgec.ops.elementwise_s8 import AddS8Attrs, add_fields, add_s8_ref


@dataclass(frozen=True)
class ConvAddS8Attrs:
    """conv: the conv_s8's attrs; add: the add_s8's; conv_first: the conv output was the add's
    first operand (y = conv + r), else its second (y = r + conv)."""

    conv: ConvS8Attrs
    add: AddS8Attrs
    conv_first: bool


def _infer(a: ConvAddS8Attrs, types: list[TensorType]) -> list[TensorType]:
    r, conv_in = types[0], types[1:]
    h = base.get("conv_s8").infer(a.conv, conv_in)[0]
    if h.shape != r.shape:
        raise ShapeError(f"conv_add_s8: conv output {list(h.shape)} and residual {list(r.shape)} differ")
    return [TensorType(r.shape, DType.I8, QParams((a.add.out_scale,), (a.add.output_zero_point,)))]


def _ref(a: ConvAddS8Attrs, xs: list) -> list[np.ndarray]:
    r = np.asarray(xs[0])
    h = base.get("conv_s8").ref(a.conv, xs[1:])[0]
    return [add_s8_ref(a.add, h, r, False) if a.conv_first else add_s8_ref(a.add, r, h, False)]


def _scratch(a: ConvAddS8Attrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    """ec_conv2d_s8's scratch (it does not depend on out_h), then one int8 output row [out_w][out_c]."""
    _, _, ow, oc = outs[0].shape
    return round_up(_conv_scratch(a.conv, ins[1:], outs), 4) + ow * oc


def _emit(ctx, node) -> None:
    a: ConvAddS8Attrs = node.attrs
    r, x, w = node.inputs[:3]
    b = node.inputs[3] if len(node.inputs) > 3 else None
    y = node.outputs[0]
    require_int8(node, r, x, w, y)
    pc = ctx.struct("ec_conv2d_s8_params", _params(a.conv, x, y), "conv_add_s8_conv")
    row = y.shape[2] * y.shape[3]
    pad = [0] * (MAX_RANK - 1)
    pa = ctx.struct("ec_add_s8_params", {"rank": 1, "shape": [row] + pad, "a_strides": [1] + pad,
                                         "b_strides": [1] + pad, **add_fields(a.add, False)}, "conv_add_s8_add")
    wk = ctx.prepared(w, lambda d: pad_rows(d, CONV_S8_KALIGN), f"{w.name}_k", DType.I8)
    ctx.call("ec_conv2d_add_s8", pc, pa, str(int(a.conv_first)), ctx.ptr(x), wk, "NULL" if b is None else ctx.ptr(b),
             ctx.ints(a.conv.multipliers, f"{node.name}_mult"), ctx.ints(a.conv.shifts, f"{node.name}_shift"),
             ctx.ptr(r), ctx.ptr(y), ctx.scratch())


register(OpDef("conv_add_s8", _infer, _ref, _emit, ("ec_conv2d_add_s8", "ec_conv2d_s8", "ec_add_s8"),
               inplace=True, macs=lambda a, ins, outs: _macs(a.conv, ins[1:], outs), scratch=_scratch))
