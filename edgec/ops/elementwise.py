"""Element-wise ops: unary pointwise functions (incl. activations) and broadcast binary ops.

A pointwise function is one row of POINTWISE: its C enum, its numpy float32 reference and
whether it is an activation that the fuser may fold into a conv, gemm or binary op.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import Activation, OpDef, f32, keep_attrs, register, same_as_input


@dataclass(frozen=True)
class PointwiseAttrs:
    """alpha/beta as in runtime_c/include/ec_pointwise.h for the op's kind."""

    alpha: float = 0.0
    beta: float = 0.0


def _sigmoid(x, a, b):
    return f32(1.0 / (1.0 + np.exp(-x.astype(np.float64))))


def _selu(x, a, b):
    return np.where(x > 0, b * x, b * (a * np.exp(x) - a))


def _hard_swish(x, a, b):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _softplus(x, a, b):
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))


@dataclass(frozen=True)
class Pointwise:
    c_kind: str
    fn: Callable[[np.ndarray, float, float], np.ndarray]
    activation: bool = False


POINTWISE: dict[str, Pointwise] = {
    "relu": Pointwise("EC_PW_RELU", lambda x, a, b: np.maximum(x, 0), True),
    "clip": Pointwise("EC_PW_CLIP", lambda x, a, b: np.minimum(np.maximum(x, a), b), True),
    "leaky_relu": Pointwise("EC_PW_LEAKY_RELU", lambda x, a, b: np.where(x >= 0, x, a * x), True),
    "elu": Pointwise("EC_PW_ELU", lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1)), True),
    "selu": Pointwise("EC_PW_SELU", _selu, True),
    "sigmoid": Pointwise("EC_PW_SIGMOID", _sigmoid, True),
    "tanh": Pointwise("EC_PW_TANH", lambda x, a, b: np.tanh(x), True),
    "hard_sigmoid": Pointwise("EC_PW_HARD_SIGMOID", lambda x, a, b: np.clip(a * x + b, 0, 1), True),
    "hard_swish": Pointwise("EC_PW_HARD_SWISH", _hard_swish, True),
    "softplus": Pointwise("EC_PW_SOFTPLUS", _softplus),
    "softsign": Pointwise("EC_PW_SOFTSIGN", lambda x, a, b: x / (1 + np.abs(x))),
    "neg": Pointwise("EC_PW_NEG", lambda x, a, b: -x),
    "abs": Pointwise("EC_PW_ABS", lambda x, a, b: np.abs(x)),
    "exp": Pointwise("EC_PW_EXP", lambda x, a, b: np.exp(x)),
    "sqrt": Pointwise("EC_PW_SQRT", lambda x, a, b: np.sqrt(x)),
    "pow_scalar": Pointwise("EC_PW_POW", lambda x, a, b: np.power(x, np.float32(a))),
    "log": Pointwise("EC_PW_LOG", lambda x, a, b: np.log(x)),
    "reciprocal": Pointwise("EC_PW_RECIPROCAL", lambda x, a, b: 1 / x),
    "affine": Pointwise("EC_PW_AFFINE", lambda x, a, b: a * x + b),
}


def pointwise_ref(kind: str, x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return f32(POINTWISE[kind].fn(f32(x), np.float32(alpha), np.float32(beta)))


def apply_activation(act: Activation | None, y: np.ndarray) -> np.ndarray:
    """The float reference of a fused activation (identity when None)."""
    return y if act is None else pointwise_ref(act.kind, y, act.alpha, act.beta)


def act_fields(act: Activation | None) -> dict:
    """The ec_act_f32 initializer of a fused activation."""
    if act is None:
        return {"kind": "EC_PW_NONE", "alpha": 0.0, "beta": 0.0}
    return {"kind": POINTWISE[act.kind].c_kind, "alpha": act.alpha, "beta": act.beta}


def act_c(act: Activation | None) -> str:
    f = act_fields(act)
    from edgec.backend.cformat import c_value
    return "{" + ", ".join(c_value(v) for v in f.values()) + "}"


def require_float(node) -> None:
    """The float kernels compute float32 only; integer arithmetic at run time is an error."""
    for v in list(node.inputs) + list(node.outputs):
        if v is not None and not v.is_const and v.type.dtype != DType.F32:
            raise UnsupportedOpError(node.op, node.name, f"run-time {v.type.dtype.value} arithmetic "
                                     "(only float32 tensors are computed at run time)")


def _unary_inline(ctx, fn: str, px: str, py: str, size: int) -> None:
    """A few elements: ec_pointwise_f32 (static inline, the kernels' own function) called in a
    loop of the run function on a constant function record, so the compiler keeps only its case."""
    from edgec.resources import runtime_dir
    for h in ("ec_types.h", "ec_pointwise.h"):
        ctx.files.setdefault(h, (runtime_dir() / "include" / h).read_text())
    if "ec_pointwise.h" not in ctx.includes:
        ctx.includes.append("ec_pointwise.h")
    ctx.steps[-1].lines.extend([
        "{", f"    static const ec_act_f32 fn = {fn};", f"    const float *ux = {px};", f"    float *uy = {py};",
        "    int32_t i;", f"    for (i = 0; i < {size}; ++i) {{", "        uy[i] = ec_pointwise_f32(ux[i], &fn);",
        "    }", "}"])


def _unary(kind: str) -> OpDef:
    def ref(attrs: PointwiseAttrs, xs):
        return [pointwise_ref(kind, xs[0], attrs.alpha, attrs.beta)]

    def emit(ctx, node):
        require_float(node)
        attrs = node.attrs
        fn = act_c(Activation(kind, attrs.alpha, attrs.beta))
        if node.outputs[0].type.size <= INLINE_MAX_ELEMENTS:
            _unary_inline(ctx, fn, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), node.outputs[0].type.size)
            return
        ctx.use("ec_unary_f32")
        p = ctx.struct("ec_unary_params", {"fn": fn, "size": node.outputs[0].type.size}, kind)
        ctx.call("ec_unary_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))

    return OpDef(kind, same_as_input, ref, emit, (), inplace=True,
                 activation=POINTWISE[kind].activation, permute=keep_attrs)


for _kind in POINTWISE:
    register(_unary(_kind))


# -- binary ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BinaryAttrs:
    act: Activation | None = None


BINARY: dict[str, tuple[str, Callable]] = {
    "add": ("EC_BIN_ADD", np.add),
    "sub": ("EC_BIN_SUB", np.subtract),
    "mul": ("EC_BIN_MUL", np.multiply),
    "div": ("EC_BIN_DIV", np.divide),
    "max": ("EC_BIN_MAX", np.maximum),
    "min": ("EC_BIN_MIN", np.minimum),
    "pow": ("EC_BIN_POW", np.power),
    "prelu": ("EC_BIN_PRELU", lambda a, b: np.where(a < 0, b * a, a)),
}

MAX_RANK = 6


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"shapes {list(a)} and {list(b)} do not broadcast") from None


def broadcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` read as `out` under numpy broadcasting (0 where broadcast)."""
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    strides, acc = [0] * len(out), 1
    for d in range(len(out) - 1, -1, -1):
        strides[d] = acc if shape[d] != 1 else 0
        acc *= shape[d]
    return strides


def collapse_dims(out: tuple[int, ...], sa: list[int], sb: list[int]):
    """Merges adjacent dims that are contiguous in the output and in both inputs (fewer loops)."""
    dims = [[out[0], sa[0], sb[0]]] if out else []
    for n, a, b in zip(out[1:], sa[1:], sb[1:]):
        pn, pa, pb = dims[-1]
        if pa == a * n and pb == b * n:
            dims[-1] = [pn * n, a, b]
        elif n == 1:
            continue
        else:
            dims.append([n, a, b])
    if not dims:
        dims = [[1, 0, 0]]
    return [d[0] for d in dims], [d[1] for d in dims], [d[2] for d in dims]


# Binary ops with a small per-op kernel (ec_<op>2d_f32) for outputs of at most two collapsed
# dims without a fused activation: the same arithmetic, no rank-6 broadcast walk, no switch.
SMALL_BINARY = ("add", "sub", "mul", "div", "max", "min")


INLINE_MAX_ELEMENTS = 64   # outputs this small are a loop in the model's run function
_C_OP = {"add": "ea[ia] + eb[ib]", "sub": "ea[ia] - eb[ib]", "mul": "ea[ia] * eb[ib]", "div": "ea[ia] / eb[ib]",
         "max": "ea[ia] > eb[ib] ? ea[ia] : eb[ib]", "min": "ea[ia] < eb[ib] ? ea[ia] : eb[ib]"}


def _binary_inline(ctx, kind, pa, pb, py, rows, len_, ra, ca, rb, cb) -> None:
    """The ec_<op>2d_f32 loop written into the run function (same arithmetic, constant bounds)."""
    ctx.steps[-1].lines.extend([
        "{", f"    const float *ea = {pa};", f"    const float *eb = {pb};", f"    float *ey = {py};",
        "    int32_t r, i;", f"    for (r = 0; r < {rows}; ++r) {{", f"        for (i = 0; i < {len_}; ++i) {{",
        f"            const int32_t ia = r * {ra} + i * {ca}, ib = r * {rb} + i * {cb};",
        f"            ey[r * {len_} + i] = {_C_OP[kind]};", "        }", "    }", "}"])


def _binary(kind: str) -> OpDef:
    c_kind, fn = BINARY[kind]

    def infer(attrs, types):
        return [TensorType(broadcast_shape(types[0].shape, types[1].shape), types[0].dtype)]

    def ref(attrs: BinaryAttrs, xs):
        with np.errstate(all="ignore"):
            return [apply_activation(attrs.act, f32(fn(f32(xs[0]), f32(xs[1]))))]

    def emit(ctx, node):
        require_float(node)
        a, b = node.inputs
        out = node.outputs[0].type.shape
        shape, sa, sb = collapse_dims(out, broadcast_strides(a.shape, out), broadcast_strides(b.shape, out))
        if len(shape) > MAX_RANK:
            raise ShapeError(f"node '{node.name}': {kind} needs {len(shape)} broadcast dims, max {MAX_RANK}")
        if kind in SMALL_BINARY and node.attrs.act is None and len(shape) <= 2:
            rows, len_ = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0])
            ra, ca = (sa[0], sa[1]) if len(shape) == 2 else (0, sa[0])
            rb, cb = (sb[0], sb[1]) if len(shape) == 2 else (0, sb[0])
            if rows * len_ <= INLINE_MAX_ELEMENTS:
                _binary_inline(ctx, kind, ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0]),
                               rows, len_, ra, ca, rb, cb)
                return
            fn = f"ec_{kind}2d_f32"
            ctx.call(fn, ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0]),
                     *(str(v) for v in (rows, len_, ra, ca, rb, cb)))
            ctx.use(fn)
            return
        ctx.use("ec_binary_f32")
        pad = [0] * (MAX_RANK - len(shape))
        p = ctx.struct("ec_binary_params", {
            "kind": c_kind, "rank": len(shape), "shape": shape + pad, "a_strides": sa + pad,
            "b_strides": sb + pad, "act": act_c(node.attrs.act)}, kind)
        ctx.call("ec_binary_f32", p, ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.outputs[0]))

    return OpDef(kind, infer, ref, emit, (), inplace=True, accepts_activation=True,
                 permute=keep_attrs)


for _kind in BINARY:
    register(_binary(_kind))
