"""2-D convolution and transposed convolution, NCHW or NHWC, with an optional fused activation.

Both follow ONNX. Per spatial dim, with extent e = (k - 1) * d + 1:
conv output = (in + pad_begin + pad_end - e) // s + 1;
conv_transpose output = (in - 1) * s + e + output_padding - pad_begin - pad_end (its pads crop
the full scatter result). Channels are split into `group` equal groups, each convolved alone.

Weight layouts (ic = g * ICg + i, oc = g * OCg + o for group g):
  conv            NCHW: OIHW [OC, ICg, KH, KW]   NHWC: OHWI [OC, KH, KW, ICg] (TFLite / CMSIS-NN)
  conv_transpose  NCHW: [IC, OCg, KH, KW] (ONNX) NHWC: [IC, KH, KW, OCg] (ONNX with the kernel
                  axes moved before the output channels)
The IR is NCHW after import; the layout pass calls the `layout` hook, which re-lays out the
constant weight. The C kernels are NHWC only and get weights reordered to the order they read:
[G][KH][KW][ICg][OCg] (depthwise: [KH][KW][OC]), except a weight the back end fills at run time
with a single value (ConstantOfShape weights), which reads the same in any order.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from edgec.errors import EdgecError, ShapeError
from edgec.ir.graph import DType, TensorType, Value
from edgec.ops.base import Activation, OpDef, f32, register
from edgec.ops.elementwise import act_c, apply_activation
from edgec.ops.pool import nchw_dims


@dataclass(frozen=True)
class ConvAttrs:
    """kernel/strides/dilations are (h, w); pads are (top, left, bottom, right), all >= 0."""

    kernel: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilations: tuple[int, int] = (1, 1)
    group: int = 1
    channels_last: bool = False
    act: Activation | None = None


@dataclass(frozen=True)
class ConvTransposeAttrs:
    """As ConvAttrs; pads crop the full output and output_padding (h, w) extends its end."""

    kernel: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilations: tuple[int, int] = (1, 1)
    group: int = 1
    output_padding: tuple[int, int] = (0, 0)
    channels_last: bool = False
    act: Activation | None = None


def conv_out_dim(size: int, k: int, s: int, d: int, p0: int, p1: int) -> int:
    """Output length of one spatial dim of a convolution."""
    span = size + p0 + p1 - ((k - 1) * d + 1)
    if span < 0:
        raise ShapeError(f"conv kernel (size {k}, dilation {d}) is larger than padded input {size + p0 + p1}")
    return span // s + 1


def conv_transpose_out_dim(size: int, k: int, s: int, d: int, p0: int, p1: int, op: int) -> int:
    """Output length of one spatial dim of a transposed convolution."""
    out = (size - 1) * s + (k - 1) * d + 1 + op - p0 - p1
    if out < 1:
        raise ShapeError(f"conv_transpose output length {out} < 1")
    return out


def _check_attrs(a) -> None:
    if min(a.kernel) < 1 or min(a.strides) < 1 or min(a.dilations) < 1 or min(a.pads) < 0 or a.group < 1:
        raise ShapeError(f"invalid convolution attributes {a}")


# -- weights in the kernel-tap-major form both refs use: [KH, KW, G, ICg, OCg] -----------------
def _conv_taps(w: np.ndarray, a: ConvAttrs) -> np.ndarray:
    oc, g = w.shape[0], a.group
    if a.channels_last:   # OHWI [G, OCg, KH, KW, ICg]
        return w.reshape(g, oc // g, *w.shape[1:]).transpose(2, 3, 0, 4, 1)
    return w.reshape(g, oc // g, *w.shape[1:]).transpose(3, 4, 0, 2, 1)   # OIHW [G, OCg, ICg, KH, KW]


def _conv_transpose_taps(w: np.ndarray, a: ConvTransposeAttrs) -> np.ndarray:
    ic, g = w.shape[0], a.group
    if a.channels_last:   # [G, ICg, KH, KW, OCg]
        return w.reshape(g, ic // g, *w.shape[1:]).transpose(2, 3, 0, 1, 4)
    return w.reshape(g, ic // g, *w.shape[1:]).transpose(3, 4, 0, 1, 2)   # [G, ICg, OCg, KH, KW]


def _group_matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x [..., G, ICg] times w [G, ICg, OCg] per group -> [..., G, OCg] (float32)."""
    lead, (g, icg, ocg) = x.shape[:-2], w.shape
    if icg == 1:
        return x * w[:, 0, :]
    if g == 1:
        return (x.reshape(-1, icg) @ w[0]).reshape(*lead, 1, ocg)
    xg = x.reshape(-1, g, icg).transpose(1, 0, 2)
    return np.matmul(xg, w).transpose(1, 0, 2).reshape(*lead, g, ocg)


def _finish(y: np.ndarray, b: np.ndarray | None, act: Activation | None, channels_last: bool) -> np.ndarray:
    """[N, H, W, G, OCg] -> + bias, activation, in the op's layout."""
    y = y.reshape(*y.shape[:3], -1)
    if b is not None:
        y = y + f32(b)
    y = apply_activation(act, f32(y))
    return np.ascontiguousarray(y if channels_last else y.transpose(0, 3, 1, 2))


def _nhwc(x: np.ndarray, channels_last: bool) -> np.ndarray:
    x = f32(x)
    return x if channels_last else x.transpose(0, 2, 3, 1)


# -- conv --------------------------------------------------------------------------------------
def _conv_out_hw(a: ConvAttrs, h: int, w: int) -> tuple[int, int]:
    (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = a.kernel, a.strides, a.dilations, a.pads
    return conv_out_dim(h, kh, sh, dh, pt, pb), conv_out_dim(w, kw, sw, dw, pl, pr)


def _conv_infer(a: ConvAttrs, types: list[TensorType]) -> list[TensorType]:
    _check_attrs(a)
    n, c, h, w = nchw_dims(types[0].shape, a.channels_last)
    ws = types[1].shape
    oc, icg, kh, kw = nchw_dims(ws, a.channels_last)
    if (kh, kw) != tuple(a.kernel) or c != icg * a.group or oc % a.group:
        raise ShapeError(f"conv weight {list(ws)} does not fit input {list(types[0].shape)}, {a}")
    if len(types) > 2 and types[2].shape != (oc,):
        raise ShapeError(f"conv bias shape {list(types[2].shape)}, expected [{oc}]")
    oh, ow = _conv_out_hw(a, h, w)
    return [TensorType((n, oh, ow, oc) if a.channels_last else (n, oc, oh, ow), types[0].dtype)]


def _conv_ref(a: ConvAttrs, xs: list) -> list[np.ndarray]:
    """One matmul per kernel tap over a strided slice of the zero-padded NHWC input."""
    x, taps = _nhwc(xs[0], a.channels_last), _conv_taps(f32(xs[1]), a)
    b = xs[2] if len(xs) > 2 else None
    n, h, w, c = x.shape
    kh, kw, g, icg, ocg = taps.shape
    (sh, sw), (dh, dw), (pt, pl, pb, pr) = a.strides, a.dilations, a.pads
    oh, ow = _conv_out_hw(a, h, w)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, oh, ow, g, ocg), np.float32)
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw, :]
            y += _group_matmul(tap.reshape(n, oh, ow, g, icg), taps[i, j])
    return [_finish(y, b, a.act, a.channels_last)]


def _nhwc_weight(w: Value, suffix: str) -> Value:
    """The constant weight with its kernel axes (2, 3) moved before axis 1, as a new Value."""
    if not w.is_const:
        raise EdgecError(f"convolution weight '{w.name}' must be a constant")
    data = np.ascontiguousarray(w.data.transpose(0, 2, 3, 1), dtype=np.float32)
    qp = w.type.qparams.permuted((0, 2, 3, 1)) if w.type.qparams is not None else None   # pre-quantized model
    return Value(f"{w.name}_{suffix}", TensorType(tuple(data.shape), DType.F32, qp), data)


def _conv_layout(node) -> tuple[ConvAttrs, list]:
    """NHWC form: weight OIHW -> OHWI; bias unchanged."""
    if node.attrs.channels_last:
        return node.attrs, list(node.inputs)
    x, w, *rest = node.inputs
    w2 = _nhwc_weight(w, "ohwi")
    return dataclasses.replace(node.attrs, channels_last=True), [x, w2, *rest]


def _conv_macs(a: ConvAttrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    c = nchw_dims(ins[0].shape, a.channels_last)[1]
    return outs[0].size * a.kernel[0] * a.kernel[1] * (c // a.group)


def _params(a, x: Value, y: Value) -> dict:
    """Fields of ec_conv2d_params (NHWC shapes of x and y)."""
    n, c, h, w = nchw_dims(x.shape, True)
    _, oc, oh, ow = nchw_dims(y.shape, True)
    return {"n": n, "in_h": h, "in_w": w, "in_c": c, "out_h": oh, "out_w": ow, "out_c": oc,
            "k_h": a.kernel[0], "k_w": a.kernel[1], "stride_h": a.strides[0], "stride_w": a.strides[1],
            "pad_top": a.pads[0], "pad_left": a.pads[1], "dil_h": a.dilations[0], "dil_w": a.dilations[1],
            "groups": a.group, "act": act_c(a.act)}


def _require_nhwc(node) -> None:
    if not node.attrs.channels_last:
        raise ShapeError(f"node '{node.name}': the C {node.op} kernel needs NHWC (run the layout pass)")
    if node.inputs[0].type.dtype != DType.F32:
        raise ShapeError(f"node '{node.name}': the C {node.op} kernel is float32 only")


def _kernel_weight(ctx, node, reorder: Callable[[np.ndarray], np.ndarray]) -> str:
    """C expression of the weight in the kernel's order (see EmitContext.prepared)."""
    w = node.inputs[1]
    return ctx.prepared(w, reorder, f"{w.name}_k")


def _bias_ptr(ctx, node) -> str:
    b = node.inputs[2] if len(node.inputs) > 2 else None
    return "NULL" if b is None else ctx.ptr(b)


def _conv_emit(ctx, node) -> None:
    """Depthwise (ICg == 1, one group per input channel) has its own kernel; else the general one."""
    _require_nhwc(node)
    a: ConvAttrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    oc, kh, kw, icg = w.shape
    g = a.group
    p = ctx.struct("ec_conv2d_params", _params(a, x, y), node.op)
    if icg == 1 and g == x.shape[3] and g > 1:
        wk = _kernel_weight(ctx, node, lambda d: d.transpose(1, 2, 0, 3).reshape(kh, kw, oc))
        fn = "ec_depthwise_conv2d_f32"
    else:
        wk = _kernel_weight(ctx, node, lambda d: d.reshape(g, oc // g, kh, kw, icg).transpose(0, 2, 3, 4, 1))
        fn = "ec_conv2d_f32"
    ctx.call(fn, p, ctx.ptr(x), wk, _bias_ptr(ctx, node), ctx.ptr(y))


register(OpDef("conv", _conv_infer, _conv_ref, _conv_emit, ("ec_conv2d_f32", "ec_depthwise_conv2d_f32"),
               accepts_activation=True, layout=_conv_layout, macs=_conv_macs))


# -- conv_transpose ----------------------------------------------------------------------------
def _convt_out_hw(a: ConvTransposeAttrs, h: int, w: int) -> tuple[int, int]:
    (kh, kw), (sh, sw), (dh, dw), (pt, pl, pb, pr) = a.kernel, a.strides, a.dilations, a.pads
    oph, opw = a.output_padding
    return (conv_transpose_out_dim(h, kh, sh, dh, pt, pb, oph),
            conv_transpose_out_dim(w, kw, sw, dw, pl, pr, opw))


def _convt_infer(a: ConvTransposeAttrs, types: list[TensorType]) -> list[TensorType]:
    _check_attrs(a)
    if min(a.output_padding) < 0:
        raise ShapeError(f"negative output_padding {a.output_padding}")
    n, c, h, w = nchw_dims(types[0].shape, a.channels_last)
    ws = types[1].shape
    ic, ocg, kh, kw = nchw_dims(ws, a.channels_last)
    if (kh, kw) != tuple(a.kernel) or c != ic or ic % a.group:
        raise ShapeError(f"conv_transpose weight {list(ws)} does not fit input {list(types[0].shape)}, {a}")
    oc = ocg * a.group
    if len(types) > 2 and types[2].shape != (oc,):
        raise ShapeError(f"conv_transpose bias shape {list(types[2].shape)}, expected [{oc}]")
    oh, ow = _convt_out_hw(a, h, w)
    return [TensorType((n, oh, ow, oc) if a.channels_last else (n, oc, oh, ow), types[0].dtype)]


def _convt_ref(a: ConvTransposeAttrs, xs: list) -> list[np.ndarray]:
    """Scatter: each kernel tap adds x @ w[tap] at stride s into the full output, then crop pads."""
    x, taps = _nhwc(xs[0], a.channels_last), _conv_transpose_taps(f32(xs[1]), a)
    b = xs[2] if len(xs) > 2 else None
    n, h, w, c = x.shape
    kh, kw, g, icg, ocg = taps.shape
    (sh, sw), (dh, dw), (pt, pl, pb, pr) = a.strides, a.dilations, a.pads
    oh, ow = _convt_out_hw(a, h, w)
    full = np.zeros((n, pt + oh + pb, pl + ow + pr, g, ocg), np.float32)
    xg = x.reshape(n, h, w, g, icg)
    for i in range(kh):
        for j in range(kw):
            full[:, i * dh:i * dh + (h - 1) * sh + 1:sh, j * dw:j * dw + (w - 1) * sw + 1:sw] += \
                _group_matmul(xg, taps[i, j])
    return [_finish(full[:, pt:pt + oh, pl:pl + ow], b, a.act, a.channels_last)]


def _convt_layout(node) -> tuple[ConvTransposeAttrs, list]:
    """NHWC form: weight [IC, OCg, KH, KW] -> [IC, KH, KW, OCg]; bias unchanged."""
    if node.attrs.channels_last:
        return node.attrs, list(node.inputs)
    x, w, *rest = node.inputs
    w2 = _nhwc_weight(w, "ihwo")
    return dataclasses.replace(node.attrs, channels_last=True), [x, w2, *rest]


def _convt_macs(a: ConvTransposeAttrs, ins: list[TensorType], outs: list[TensorType]) -> int:
    ocg = nchw_dims(ins[1].shape, a.channels_last)[1]
    return ins[0].size * a.kernel[0] * a.kernel[1] * ocg


def _convt_emit(ctx, node) -> None:
    _require_nhwc(node)
    a: ConvTransposeAttrs = node.attrs
    x, w, y = node.inputs[0], node.inputs[1], node.outputs[0]
    ic, kh, kw, ocg = w.shape
    g = a.group
    wk = _kernel_weight(ctx, node, lambda d: d.reshape(g, ic // g, kh, kw, ocg).transpose(0, 2, 3, 1, 4))
    p = ctx.struct("ec_conv2d_params", _params(a, x, y), node.op)
    ctx.call("ec_conv_transpose2d_f32", p, ctx.ptr(x), wk, _bias_ptr(ctx, node), ctx.ptr(y))


register(OpDef("conv_transpose", _convt_infer, _convt_ref, _convt_emit, ("ec_conv_transpose2d_f32",),
               accepts_activation=True, layout=_convt_layout, macs=_convt_macs))
