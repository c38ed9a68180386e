"""2-D pooling (max, average) and local response normalisation, NCHW or NHWC.

Both follow ONNX exactly. A pool's output size per spatial dim, with extent e = (k - 1) * d + 1:
floor mode: (in + pad_begin + pad_end - e) // s + 1; ceil mode rounds the division up but drops
the last window if it would start at or past in + pad_begin (it must start inside the input or
the leading pad). Windows may then reach past the trailing pad; those taps never count. Average
divisors: taps inside the input, or with count_include_pad taps inside input + pads.

The IR is NCHW after import; the layout pass sets channels_last and the C kernels are NHWC only.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, f32, register


@dataclass(frozen=True)
class PoolAttrs:
    """kernel/strides/dilations are (h, w); pads are (top, left, bottom, right), all >= 0."""

    kernel: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilations: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    count_include_pad: bool = False
    channels_last: bool = False


def pool_out_dim(size: int, k: int, s: int, d: int, p0: int, p1: int, ceil_mode: bool) -> int:
    """Output length of one spatial dim (ONNX / PyTorch rule, see module docstring)."""
    span = size + p0 + p1 - ((k - 1) * d + 1)
    if span < 0:
        raise ShapeError(f"pool window (kernel {k}, dilation {d}) is larger than padded input {size + p0 + p1}")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p0:
        out -= 1
    return out


def _check(attrs: PoolAttrs) -> None:
    if min(attrs.kernel) < 1 or min(attrs.strides) < 1 or min(attrs.dilations) < 1 or min(attrs.pads) < 0:
        raise ShapeError(f"invalid pool attributes {attrs}")


def nchw_dims(shape: tuple[int, ...], channels_last: bool) -> tuple[int, int, int, int]:
    """(N, C, H, W) of a rank-4 shape in either layout."""
    if len(shape) != 4:
        raise ShapeError(f"expected a rank-4 tensor, got shape {list(shape)}")
    n, a, b, c = shape
    return (n, c, a, b) if channels_last else (n, a, b, c)


def _pool_out_hw(attrs: PoolAttrs, h: int, w: int) -> tuple[int, int]:
    (kh, kw), (sh, sw), (dh, dw) = attrs.kernel, attrs.strides, attrs.dilations
    pt, pl, pb, pr = attrs.pads
    return (pool_out_dim(h, kh, sh, dh, pt, pb, attrs.ceil_mode),
            pool_out_dim(w, kw, sw, dw, pl, pr, attrs.ceil_mode))


def pool_infer(attrs: PoolAttrs, types: list[TensorType]) -> list[TensorType]:
    _check(attrs)
    n, c, h, w = nchw_dims(types[0].shape, attrs.channels_last)
    oh, ow = _pool_out_hw(attrs, h, w)
    shape = (n, oh, ow, c) if attrs.channels_last else (n, c, oh, ow)
    return [TensorType(shape, types[0].dtype)]


def _tap_counts(size: int, out: int, k: int, s: int, d: int, p0: int, p1: int, include_pad: bool) -> np.ndarray:
    """Per output index, how many of the k taps count toward the average's divisor."""
    pos = np.arange(out)[:, None] * s - p0 + np.arange(k)[None, :] * d
    lo, hi = (-p0, size + p1) if include_pad else (0, size)
    return ((pos >= lo) & (pos < hi)).sum(axis=1)


def _pool_nchw(attrs: PoolAttrs, x: np.ndarray, is_max: bool) -> np.ndarray:
    """The reference on NCHW data: one strided slice of a padded copy per kernel tap."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = attrs.kernel, attrs.strides, attrs.dilations
    pt, pl = attrs.pads[0], attrs.pads[1]
    oh, ow = _pool_out_hw(attrs, h, w)
    need_h, need_w = (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1
    if is_max:
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    else:
        x, fill = x.astype(np.float64), 0.0
    xp = np.full((n, c, max(need_h, pt + h), max(need_w, pl + w)), fill, dtype=x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    acc = None
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
            acc = tap.copy() if acc is None else (np.maximum(acc, tap) if is_max else acc + tap)
    if is_max:
        return acc
    inc = attrs.count_include_pad
    ch = _tap_counts(h, oh, kh, sh, dh, pt, attrs.pads[2], inc)
    cw = _tap_counts(w, ow, kw, sw, dw, pl, attrs.pads[3], inc)
    return f32(acc / (ch[:, None] * cw[None, :]))


def _pool_ref(is_max: bool):
    def ref(attrs: PoolAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
        x = np.asarray(xs[0])
        if x.dtype.kind == "f":
            x = f32(x)
        if attrs.channels_last:
            return [np.ascontiguousarray(_pool_nchw(attrs, x.transpose(0, 3, 1, 2), is_max).transpose(0, 2, 3, 1))]
        return [_pool_nchw(attrs, x, is_max)]
    return ref


def channels_last_layout(node) -> tuple[object, list]:
    """`layout` hook of ops whose only layout-dependent attribute is `channels_last`."""
    return dataclasses.replace(node.attrs, channels_last=True), list(node.inputs)


def _require_nhwc(node, what: str) -> None:
    if not node.attrs.channels_last:
        raise ShapeError(f"node '{node.name}': the C {what} kernel needs NHWC (run the layout pass)")
    dtype = node.inputs[0].type.dtype
    if dtype != DType.F32:
        raise UnsupportedOpError(node.op, node.name, f"{dtype.value} input: the C kernel is float32 only")


def _pool_emit(kernel: str):
    def emit(ctx, node) -> None:
        _require_nhwc(node, kernel)
        a: PoolAttrs = node.attrs
        n, c, h, w = nchw_dims(node.inputs[0].shape, True)
        _, _, oh, ow = nchw_dims(node.outputs[0].shape, True)
        p = ctx.struct("ec_pool2d_params", {
            "n": n, "in_h": h, "in_w": w, "c": c, "out_h": oh, "out_w": ow,
            "kernel": list(a.kernel), "stride": list(a.strides), "dilation": list(a.dilations),
            "pad": list(a.pads), "count_include_pad": int(a.count_include_pad)}, node.op)
        ctx.call(kernel, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
    return emit


def _pool_macs(attrs: PoolAttrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    return outs[0].size * attrs.kernel[0] * attrs.kernel[1]


for _name, _is_max in (("max_pool", True), ("avg_pool", False)):
    _kernel = f"ec_{_name}2d_f32"
    register(OpDef(_name, pool_infer, _pool_ref(_is_max), _pool_emit(_kernel), (_kernel,),
                   layout=channels_last_layout, macs=_pool_macs))


# -- local response normalisation ----------------------------------------------------------------
@dataclass(frozen=True)
class LrnAttrs:
    """ONNX LRN across channels: y = x / (bias + alpha / size * sum of x^2 over the window)^beta.

    The window of channel c is [c - (size - 1) // 2, c + size // 2], clipped to the channels.
    """

    size: int
    alpha: float = 1e-4
    beta: float = 0.75
    bias: float = 1.0
    channels_last: bool = False


def _lrn_infer(attrs: LrnAttrs, types: list[TensorType]) -> list[TensorType]:
    if attrs.size < 1:
        raise ShapeError(f"LRN size must be >= 1, got {attrs.size}")
    nchw_dims(types[0].shape, attrs.channels_last)
    return [TensorType(types[0].shape, types[0].dtype)]


def _lrn_ref(attrs: LrnAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    x = np.asarray(xs[0], dtype=np.float64)
    axis = 3 if attrs.channels_last else 1
    c = x.shape[axis]
    sq = np.moveaxis(x * x, axis, 0)
    cum = np.concatenate([np.zeros((1,) + sq.shape[1:]), np.cumsum(sq, axis=0)])
    lo = np.clip(np.arange(c) - (attrs.size - 1) // 2, 0, c)
    hi = np.clip(np.arange(c) + attrs.size // 2 + 1, 0, c)
    win = np.moveaxis(cum[hi] - cum[lo], 0, axis)
    return [f32(x / (attrs.bias + attrs.alpha / attrs.size * win) ** attrs.beta)]


def _lrn_emit(ctx, node) -> None:
    _require_nhwc(node, "LRN")
    a: LrnAttrs = node.attrs
    n, c, h, w = nchw_dims(node.inputs[0].shape, True)
    p = ctx.struct("ec_lrn_params", {
        "outer": n * h * w, "c": c, "before": (a.size - 1) // 2, "after": a.size // 2,
        "alpha_over_size": a.alpha / a.size, "beta": a.beta, "bias": a.bias}, "lrn")
    ctx.call("ec_lrn_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


register(OpDef("lrn", _lrn_infer, _lrn_ref, _lrn_emit, ("ec_lrn_f32",), layout=channels_last_layout,
               macs=lambda a, ins, outs: outs[0].size * (a.size + 2)))
