"""ONNX importers: Conv and ConvTranspose (1-D and 2-D; 3-D is rejected).

A 1-D (N, C, W) convolution becomes a 2-D one with H = 1: reshapes around the node and a
reshaped constant weight. auto_pad and ConvTranspose's output_shape are turned into explicit
pads here, so the IR op only knows pads.
"""
from __future__ import annotations

import onnx

from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_pool import explicit_pads, reshape
from edgec.ir.graph import Value
from edgec.ops.conv import ConvAttrs, ConvTransposeAttrs


def _spatial(ctx: ImportContext, node: onnx.NodeProto, x: Value) -> int:
    """Number of spatial dims (1 or 2), or an unsupported error."""
    nsp = x.type.rank - 2
    if nsp == 3:
        raise ctx.unsupported(node, "3-D convolution is not supported")
    if nsp not in (1, 2):
        raise ctx.unsupported(node, f"input of rank {x.type.rank}; expected (N, C, W) or (N, C, H, W)")
    return nsp


def _weight(ctx: ImportContext, node: onnx.NodeProto, x: Value) -> Value:
    ctx.const_input(node, 1, "weight")   # raises unsupported when computed at run time
    w = ctx.input(node, 1)
    if w.type.rank != x.type.rank:
        raise ctx.unsupported(node, f"weight of rank {w.type.rank} for input of rank {x.type.rank}")
    return w


def _ints(ctx: ImportContext, node: onnx.NodeProto, name: str, default: list[int], n: int) -> list[int]:
    vals = [int(v) for v in ctx.attr(node, name, default)]
    if len(vals) != n:
        raise ctx.unsupported(node, f"{name}={vals}: expected {n} values")
    return vals


def _common(ctx: ImportContext, node: onnx.NodeProto, w: Value, nsp: int):
    """kernel (from the weight), strides, dilations, group; checks a given kernel_shape agrees."""
    kernel = list(w.shape[2:])
    given = ctx.attr(node, "kernel_shape")
    if given is not None and [int(k) for k in given] != kernel:
        raise ctx.unsupported(node, f"kernel_shape {list(given)} differs from the weight's {kernel}")
    strides = _ints(ctx, node, "strides", [1] * nsp, nsp)
    dil = _ints(ctx, node, "dilations", [1] * nsp, nsp)
    return kernel, strides, dil, int(ctx.attr(node, "group", 1))


def _hw(vals: list[int], fill: int) -> tuple[int, int]:
    """A per-spatial-dim attribute as (h, w); a 1-D one gets h = fill."""
    return (fill, vals[0]) if len(vals) == 1 else (vals[0], vals[1])


def _pads_2d(pads: list[int]) -> tuple[int, int, int, int]:
    """ONNX pads [begin..., end...] as (top, left, bottom, right); 1-D pads none on H."""
    return (0, pads[0], 0, pads[1]) if len(pads) == 2 else (pads[0], pads[1], pads[2], pads[3])


def _emit(ctx: ImportContext, node: onnx.NodeProto, op: str, x: Value, w: Value, attrs, nsp: int) -> None:
    """Emits `op` on (N, C, H, W) data, with reshapes (and a reshaped weight) for 1-D."""
    b = ctx.input(node, 2)
    if nsp == 2:
        ctx.bind(node, ctx.emit(op, [x, w, b], attrs, node.name))
        return
    n, c, width = x.shape
    x4 = reshape(ctx, x, (n, c, 1, width), f"{node.name}_to2d")
    w4 = ctx.const(w.data.reshape(w.shape[0], w.shape[1], 1, w.shape[2]), f"{w.name}_2d")
    y4 = ctx.emit(op, [x4, w4, b], attrs, f"{node.name}_2d")[0]
    ctx.bind(node, [reshape(ctx, y4, (n, y4.shape[1], y4.shape[3]), node.name)])


@importer("Conv")
def _conv(ctx: ImportContext, node: onnx.NodeProto) -> None:
    x = ctx.input(node, 0)
    nsp = _spatial(ctx, node, x)
    w = _weight(ctx, node, x)
    kernel, strides, dil, group = _common(ctx, node, w, nsp)
    auto_pad = ctx.attr(node, "auto_pad", "NOTSET")
    pads = explicit_pads(auto_pad, list(x.shape[2:]), kernel, strides, dil,
                         _ints(ctx, node, "pads", [0] * 2 * nsp, 2 * nsp))
    if x.shape[1] != w.shape[1] * group or w.shape[0] % group:
        raise ctx.unsupported(node, f"weight {list(w.shape)} does not fit input {list(x.shape)} with group={group}")
    attrs = ConvAttrs(_hw(kernel, 1), _hw(strides, 1), _pads_2d(pads), _hw(dil, 1), group)
    _emit(ctx, node, "conv", x, w, attrs, nsp)


def transpose_pads(auto_pad: str, sizes: list[int], kernel: list[int], strides: list[int], dil: list[int],
                   out_pad: list[int], output_shape: list[int] | None,
                   pads: list[int]) -> tuple[list[int], list[int]]:
    """ConvTranspose (pads [begin..., end...], extra output length per dim) from the attributes.

    The total crop is the full output length minus the wanted one (in * s for SAME_*); an odd
    total crops the extra element at the end for SAME_UPPER, at the begin otherwise (ONNX spec).
    A negative total (output_shape past the full output) becomes extra length at the end (zeros
    before the bias), as onnxruntime does.
    """
    nsp = len(sizes)
    if output_shape is None and auto_pad in ("", "NOTSET", "VALID"):
        return (list(pads) if auto_pad in ("", "NOTSET") else [0] * 2 * nsp), [0] * nsp
    want = output_shape if output_shape is not None else [s * n for s, n in zip(strides, sizes)]
    begin, end, extra = [], [], []
    for n, k, s, d, op, out in zip(sizes, kernel, strides, dil, out_pad, want):
        total = s * (n - 1) + op + (k - 1) * d + 1 - out
        extra.append(max(0, -total))
        total = max(0, total)
        small = total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else total - small)
        end.append(total - begin[-1])
    return begin + end, extra


@importer("ConvTranspose")
def _conv_transpose(ctx: ImportContext, node: onnx.NodeProto) -> None:
    x = ctx.input(node, 0)
    nsp = _spatial(ctx, node, x)
    w = _weight(ctx, node, x)
    kernel, strides, dil, group = _common(ctx, node, w, nsp)
    if x.shape[1] != w.shape[0] or w.shape[0] % group:
        raise ctx.unsupported(node, f"weight {list(w.shape)} does not fit input {list(x.shape)} with group={group}")
    out_pad = _ints(ctx, node, "output_padding", [0] * nsp, nsp)
    output_shape = ctx.attr(node, "output_shape")
    if output_shape is not None:
        output_shape = [int(v) for v in output_shape][-nsp:]
    pads, extra = transpose_pads(ctx.attr(node, "auto_pad", "NOTSET"), list(x.shape[2:]), kernel, strides, dil,
                                 out_pad, output_shape, _ints(ctx, node, "pads", [0] * 2 * nsp, 2 * nsp))
    if any(e >= s for e, s in zip(extra, strides) if e):
        raise ctx.unsupported(node, f"output_shape {output_shape} is inconsistent with the input size")
    out_pad = [p + e for p, e in zip(out_pad, extra)]
    attrs = ConvTransposeAttrs(_hw(kernel, 1), _hw(strides, 1), _pads_2d(pads), _hw(dil, 1), group,
                               _hw(out_pad, 0))
    _emit(ctx, node, "conv_transpose", x, w, attrs, nsp)
