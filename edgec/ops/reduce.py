"""Reductions over a set of axes, and softmax / log-softmax along one axis.

The C reduce kernel sees the input as strided loops: kept dims (`outer`), reduced dims, and a
contiguous run of kept elements at the end (`inner`) that it accumulates as whole rows, so a
reduction over H,W of an NHWC tensor vectorises over C. Mean is sum / count in both the numpy
reference and the C kernel, accumulated in float32.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, f32, register, same_as_input

MAX_RANK = 6

# reduction kind -> its ec_reduce_kind enum in runtime_c/include/ec_reduce.h
REDUCE_KINDS: dict[str, str] = {"sum": "EC_RED_SUM", "mean": "EC_RED_MEAN", "max": "EC_RED_MAX",
                                "min": "EC_RED_MIN", "prod": "EC_RED_PROD"}


@dataclass(frozen=True)
class ReduceAttrs:
    """kind: one of REDUCE_KINDS; axes: non-negative, sorted, unique (may be empty: a copy)."""

    kind: str
    axes: tuple[int, ...]
    keepdims: bool = True


def normalise_axes(axes, rank: int) -> tuple[int, ...]:
    """Axes in [-rank, rank) -> sorted unique non-negative axes; ShapeError when out of range."""
    out = set()
    for a in axes:
        a = int(a)
        if not -rank <= a < rank:
            raise ShapeError(f"axis {a} out of range for rank {rank}")
        out.add(a % rank)
    return tuple(sorted(out))


def _reduce_infer(attrs: ReduceAttrs, types: list[TensorType]) -> list[TensorType]:
    t = types[0]
    if attrs.kind not in REDUCE_KINDS:
        raise ShapeError(f"unknown reduction '{attrs.kind}'")
    if any(not 0 <= a < t.rank for a in attrs.axes):
        raise ShapeError(f"axes {list(attrs.axes)} out of range for rank {t.rank}")
    if attrs.keepdims:
        shape = tuple(1 if d in attrs.axes else n for d, n in enumerate(t.shape))
    else:
        shape = tuple(n for d, n in enumerate(t.shape) if d not in attrs.axes)
    return [TensorType(shape, t.dtype)]


def _reduce_ref(attrs: ReduceAttrs, xs: list[np.ndarray]) -> list[np.ndarray]:
    """float32 (or, when folding shape arithmetic, integer) reduction; mean = sum / count."""
    x = np.asarray(xs[0])
    axes, keep = attrs.axes, attrs.keepdims
    if x.dtype.kind == "f":
        x = f32(x)
    if attrs.kind in ("sum", "mean"):
        y = np.sum(x, axis=axes, keepdims=keep, dtype=x.dtype)
        if attrs.kind == "mean":
            count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
            y = f32(y) / np.float32(count) if x.dtype.kind == "f" else y // max(count, 1)
    elif attrs.kind == "prod":
        y = np.prod(x, axis=axes, keepdims=keep, dtype=x.dtype)
    else:
        fn = np.max if attrs.kind == "max" else np.min
        y = fn(x, axis=axes, keepdims=keep) if axes else x.copy()
    return [np.asarray(y, dtype=x.dtype)]


def _reduce_permute(attrs: ReduceAttrs, perm: tuple[int, ...], in_types: list[TensorType]):
    """reduce(transpose(x, perm)) == transpose(reduce'(x), perm) when the rank is kept."""
    if not attrs.keepdims:
        return None
    return replace(attrs, axes=tuple(sorted(perm[a] for a in attrs.axes)))


@dataclass(frozen=True)
class ReducePlan:
    """The loop nest of the C kernel; strides are input elements."""

    outer_shape: list[int]
    outer_strides: list[int]
    red_shape: list[int]
    red_strides: list[int]
    inner: int
    count: int


def reduce_plan(shape: tuple[int, ...], axes: tuple[int, ...]) -> ReducePlan:
    """Drops size-1 dims, merges neighbouring dims of the same kind, splits off the inner run."""
    groups: list[list] = []  # [reduced?, size]
    for d, n in enumerate(shape):
        if n == 1:
            continue
        red = d in axes
        if groups and groups[-1][0] == red:
            groups[-1][1] *= n
        else:
            groups.append([red, n])
    inner = groups.pop()[1] if groups and not groups[-1][0] else 1
    stride, strides = inner, []
    for _, n in reversed(groups):
        strides.append(stride)
        stride *= n
    strides.reverse()
    outer = [(n, s) for (red, n), s in zip(groups, strides) if not red]
    reduced = [(n, s) for (red, n), s in zip(groups, strides) if red] or [(1, 0)]
    count = int(np.prod([n for n, _ in reduced], dtype=np.int64))
    return ReducePlan([n for n, _ in outer], [s for _, s in outer], [n for n, _ in reduced],
                      [s for _, s in reduced], inner, count)


def _pad(xs: list[int]) -> list[int]:
    return list(xs) + [0] * (MAX_RANK - len(xs))


def _require_f32(node) -> None:
    if node.inputs[0].type.dtype != DType.F32:
        raise UnsupportedOpError(node.op, node.name, f"{node.inputs[0].type.dtype.value} input (C kernel is float32)")


SUM_LANES = 8   # EC_SUM_LANES of ec_reduce_f32.c / ec_sum_rows_f32.c


def _sum_rows_inline(ctx, node, rows: int, n: int, mean: bool) -> None:
    """Rows shorter than SUM_LANES: the kernels add them in order from 0.0f, then their zero
    lanes and 0.0f (which only turn -0.0 into +0.0): one `0.0f +` does the same."""
    div = f" / {float(n)!r}f" if mean else ""
    ctx.steps[-1].lines.extend([
        "{", f"    const float *sx = {ctx.ptr(node.inputs[0])};", f"    float *sy = {ctx.ptr(node.outputs[0])};",
        "    int32_t r, i;", f"    for (r = 0; r < {rows}; ++r) {{", "        float acc = 0.0f;",
        f"        for (i = 0; i < {n}; ++i) {{", f"            acc += sx[r * {n} + i];", "        }",
        f"        sy[r] = (0.0f + acc){div};", "    }", "}"])


def _contiguous_rows(kind: str, plan: ReducePlan) -> bool:
    """A sum/mean over the last dim of dense rows: the small kernel ec_sum_rows_f32 applies."""
    rows_ok = not plan.outer_shape or (len(plan.outer_shape) == 1 and plan.outer_strides[0] == plan.count)
    return (kind in ("sum", "mean") and plan.inner == 1 and len(plan.red_shape) == 1
            and plan.red_strides[0] == 1 and rows_ok)


def _reduce_emit(ctx, node) -> None:
    _require_f32(node)
    attrs: ReduceAttrs = node.attrs
    plan = reduce_plan(node.inputs[0].shape, attrs.axes)
    if _contiguous_rows(attrs.kind, plan):
        rows = plan.outer_shape[0] if plan.outer_shape else 1
        if plan.count < SUM_LANES and rows * plan.count <= 64:
            _sum_rows_inline(ctx, node, rows, plan.count, attrs.kind == "mean")
            return
        ctx.call("ec_sum_rows_f32", ctx.ptr(node.inputs[0]), str(rows), str(plan.count),
                 str(int(attrs.kind == "mean")), ctx.ptr(node.outputs[0]))
        ctx.use("ec_sum_rows_f32")
        return
    ctx.use("ec_reduce_f32")
    p = ctx.struct("ec_reduce_params", {
        "kind": REDUCE_KINDS[attrs.kind], "outer_rank": len(plan.outer_shape),
        "outer_shape": _pad(plan.outer_shape), "outer_strides": _pad(plan.outer_strides),
        "red_rank": len(plan.red_shape), "red_shape": _pad(plan.red_shape),
        "red_strides": _pad(plan.red_strides), "inner": plan.inner, "count": plan.count}, f"reduce_{attrs.kind}")
    ctx.call("ec_reduce_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))


def _reduce_macs(attrs, in_types, out_types) -> int:
    return in_types[0].size


register(OpDef("reduce", _reduce_infer, _reduce_ref, _reduce_emit, (),
               permute=_reduce_permute, macs=_reduce_macs))


# -- softmax -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SoftmaxAttrs:
    """axis: non-negative, < rank of the input."""

    axis: int


def softmax_ref(x: np.ndarray, axis: int, log: bool) -> np.ndarray:
    """Max-subtracted (log-)softmax in float32, the same steps as ec_softmax_f32."""
    x = f32(x)
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        e = np.exp(x - m)
        s = np.sum(e, axis=axis, keepdims=True, dtype=np.float32)
        return f32((x - m) - np.log(s)) if log else f32(e / s)


def _softmax_infer(attrs: SoftmaxAttrs, types: list[TensorType]) -> list[TensorType]:
    if not 0 <= attrs.axis < types[0].rank:
        raise ShapeError(f"softmax axis {attrs.axis} out of range for rank {types[0].rank}")
    return same_as_input(attrs, types)


def _softmax_permute(attrs: SoftmaxAttrs, perm: tuple[int, ...], in_types: list[TensorType]):
    return SoftmaxAttrs(perm[attrs.axis])


def _softmax(name: str, log: bool) -> OpDef:
    def ref(attrs: SoftmaxAttrs, xs):
        return [softmax_ref(xs[0], attrs.axis, log)]

    def emit(ctx, node):
        _require_f32(node)
        shape, axis = node.inputs[0].shape, node.attrs.axis
        p = ctx.struct("ec_softmax_params", {
            "outer": int(np.prod(shape[:axis], dtype=np.int64)), "n": shape[axis],
            "inner": int(np.prod(shape[axis + 1:], dtype=np.int64)), "log": int(log)}, name)
        ctx.call("ec_softmax_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))

    def macs(attrs, in_types, out_types):
        return 3 * in_types[0].size

    return OpDef(name, _softmax_infer, ref, emit, ("ec_softmax_f32",), inplace=True,
                 permute=_softmax_permute, macs=macs)


register(_softmax("softmax", False))
register(_softmax("log_softmax", True))
